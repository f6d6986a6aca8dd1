"""The next generation, written and published.

Ingest decides what changed; this writes it: a copy of the live generation, the records of
added and changed documents put in through LangChain's indexing API (``index`` with a SQL
record manager, which skips records already stored and drops a changed document's stale
ones), the records of removed documents deleted through the same record manager, the
casefile (timeline and who's who) computed from everything the generation then holds, the
manifest written last, and the generation published by one atomic switch of ``CURRENT``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ..casefile import Casefile, build_casefile
from ..errors import CaseError
from ..settings import Settings
from .layout import (CASEFILE, LOCK, MANIFEST, PASSAGES, RECORDS, SENTENCES, IndexLayout, chroma_client, collection_name,
                     write_atomic)
from .manifest import IndexManifest
from .reader import IndexReader
from .records import DOC_ID, DocumentRecords, Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteResult:
    generation: str
    added: int  # passages
    deleted: int  # passages


class IndexWriter:
    """One writer at a time per index folder (``locked``); readers only ever open published
    generations, so they never see a half-written one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.layout = IndexLayout(settings)

    @contextmanager
    def locked(self) -> Iterator[None]:
        root = Path(self.settings.index_dir)
        root.mkdir(parents=True, exist_ok=True)
        with open(root / LOCK, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CaseError(f"another ingest is already writing {root}; try again when it ends") from None
            try:
                self.layout.discard_abandoned()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @staticmethod
    def load_dependencies() -> None:
        """Import what a write needs (Chroma, LangChain's indexing API and record manager: about
        2 s), for a long-lived writer whose first write should be as quick as the next ones."""
        import chromadb  # noqa: F401
        from langchain_chroma import Chroma  # noqa: F401
        from langchain_classic.indexes import SQLRecordManager  # noqa: F401
        from langchain_core.indexing import index  # noqa: F401

    def live(self) -> tuple[Path | None, IndexManifest | None]:
        """The published generation and its manifest (None when of an older format)."""
        gen = self.layout.current_dir()
        return gen, IndexManifest.read(gen / MANIFEST) if gen else None

    def kept_passages(self, gen: Path, doc_ids: list[str]) -> list[Passage]:
        """The stored passages of documents that failed this run and keep their last good version."""
        if not doc_ids:
            return []
        reader = IndexReader(self.settings, gen)
        try:
            return reader.passages(doc_ids)
        finally:
            reader.close()

    def rewrite_manifest(self, gen: Path, manifest: IndexManifest) -> None:
        """Nothing to embed or delete: statuses refreshed in place, the generation kept (and
        given its casefile if it was built before there were any: once, never again)."""
        if not (gen / CASEFILE).exists():
            self.write_casefile(gen, manifest)
        write_atomic(gen / MANIFEST, manifest.to_json())

    def write_casefile(self, gen: Path, manifest: IndexManifest,
                       holds: list[DocumentRecords] | None = None) -> None:
        """The timeline and who's who of everything ``gen`` holds, unchanged documents included
        (they come from its store, not from this run, unless ``holds`` is all it holds),
        written beside its manifest under a temporary name and renamed, so a reader finds the
        whole file or none."""
        if holds is not None:
            sentences = [s for r in holds for s in r.sentences]
            passages = [p for r in holds for p in r.passages]
        else:
            reader = IndexReader(self.settings, gen)
            try:
                sentences, passages = reader.sentences(), reader.passages()
            finally:
                reader.close()
        try:
            casefile = build_casefile(sentences, passages, manifest.case, manifest.built_at)
        except Exception:  # noqa: BLE001 - text heuristics: a surprise in them must not cost the ingest
            log.exception("could not build the timeline and who's who; this generation has none")
            casefile = Casefile(built_at=manifest.built_at)
        write_atomic(gen / CASEFILE, json.dumps(casefile.to_dict(), ensure_ascii=False, indent=1))

    def write(self, base: Path | None, changed: list[DocumentRecords], removed: list[str],
              manifest: IndexManifest, embeddings: Embeddings) -> WriteResult:
        """A new generation from ``base`` (None: from nothing) with ``changed`` documents put in
        and ``removed`` ones taken out; ``embeddings`` vectors passages and sentences."""
        gen = self.layout.new_generation(copy_from=base)
        try:
            client = chroma_client(self.settings, gen)
            try:
                added, deleted = self._apply(client, gen, changed, removed, embeddings)
            finally:
                client.close()
            # Built from nothing, the generation holds just this run's records: no need to read them back.
            self.write_casefile(gen, manifest, changed if base is None else None)
            write_atomic(gen / MANIFEST, manifest.to_json())
            self.layout.publish(gen)
        except BaseException:
            self.layout.discard(gen)
            raise
        return WriteResult(gen.name, added, deleted)

    def _apply(self, client: Any, gen: Path, changed: list[DocumentRecords], removed: list[str],
               embeddings: Embeddings) -> tuple[int, int]:
        from langchain_chroma import Chroma
        from langchain_classic.indexes import SQLRecordManager
        from langchain_core.indexing import index

        added = deleted = 0
        # Sentences first: ingest's embeddings reuse their vectors for the passages.
        for kind in (SENTENCES, PASSAGES):
            store = Chroma(collection_name=collection_name(self.settings, gen, kind), embedding_function=embeddings,
                           client=client, collection_metadata={"hnsw:space": "cosine"})
            records = SQLRecordManager(f"chroma/{kind}", db_url=f"sqlite:///{gen / RECORDS}")
            records.create_schema()
            for doc_id in removed:
                keys = records.list_keys(group_ids=[doc_id])
                if keys:
                    store.delete(ids=keys)
                    records.delete_keys(keys)
                if kind == PASSAGES:
                    deleted += len(keys)
            docs = [Document(page_content=r.text, metadata=r.metadata(), id=r.id)
                    for d in changed for r in (d.passages if kind == PASSAGES else d.sentences)]
            if not docs:
                continue
            bar = tqdm(docs, desc=f"embedding {kind}", unit=kind[:-1], disable=not sys.stderr.isatty(), leave=False)
            result = index(bar, records, store, cleanup="scoped_full", source_id_key=DOC_ID,
                           key_encoder=lambda doc: doc.id, batch_size=1024)
            if kind == PASSAGES:
                added += result["num_added"]
                deleted += result["num_deleted"]
        return added, deleted
