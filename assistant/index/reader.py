"""A published generation, read: its records, their vectors, and nearest-neighbour queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..casefile import Casefile
from ..settings import Settings
from .layout import CASEFILE, PASSAGES, SENTENCES, chroma_client, collection_name, require_index
from .manifest import IndexManifest
from .records import DOC_ID, Passage, Sentence


class IndexReader:
    """Read access to one generation (``IndexReader.live`` opens the published one)."""

    PAGE = 5000  # records per request: one request for everything overflows SQLite's variable limit

    def __init__(self, settings: Settings, gen_dir: Path, manifest: IndexManifest | None = None) -> None:
        self.gen_dir = gen_dir
        self.manifest = manifest
        self._client = chroma_client(settings, gen_dir)
        self._passages = self._client.get_collection(collection_name(settings, gen_dir, PASSAGES))
        self._sentences = self._client.get_collection(collection_name(settings, gen_dir, SENTENCES))

    def close(self) -> None:
        """Release the generation's store (its SQLite handles): a long-lived process reads many."""
        self._client.close()

    @classmethod
    def live(cls, settings: Settings) -> IndexReader:
        gen_dir, manifest = require_index(settings)
        return cls(settings, gen_dir, manifest)

    def passages(self, doc_ids: list[str] | None = None) -> list[Passage]:
        where = {DOC_ID: {"$in": doc_ids}} if doc_ids is not None else None
        return [Passage.from_chroma(*row) for row in self._rows(self._passages, where)]

    def casefile(self) -> Casefile:
        """The generation's timeline and who's who (empty for one built before they were)."""
        path = self.gen_dir / CASEFILE
        try:
            return Casefile.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return Casefile()

    def sentences(self) -> list[Sentence]:
        return [Sentence.from_chroma(*row) for row in self._rows(self._sentences)]

    def passage_vectors(self, ids: list[str]) -> np.ndarray:
        return self._vectors(self._passages, ids)

    def sentence_vectors(self, ids: list[str]) -> np.ndarray:
        return self._vectors(self._sentences, ids)

    def _rows(self, store: Any, where: dict[str, Any] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        if where is not None:
            got = store.get(where=where, include=["documents", "metadatas"])
            return list(zip(got["ids"], got["documents"], got["metadatas"]))
        rows: list[tuple[str, str, dict[str, Any]]] = []
        for offset in range(0, store.count(), self.PAGE):
            got = store.get(limit=self.PAGE, offset=offset, include=["documents", "metadatas"])
            rows.extend(zip(got["ids"], got["documents"], got["metadatas"]))
        return rows

    def _vectors(self, store: Any, ids: list[str]) -> np.ndarray:
        """One row per id, in the order given."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), self.PAGE):
            got = store.get(ids=ids[start:start + self.PAGE], include=["embeddings"])
            found.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        dim = len(next(iter(found.values()))) if found else 0
        return np.array([found[i] for i in ids], dtype=np.float32).reshape(-1, dim)
