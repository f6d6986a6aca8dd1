"""Generations of the index on disk, switched atomically.

Ingest writes a new generation (a copy of the live one plus its changes) and then
replaces the one-line ``CURRENT`` file. A reader therefore only ever opens a finished
generation, never a half-written one, and no two processes write one Chroma directory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from contextlib import closing
from pathlib import Path
from typing import Any

from ..errors import IndexMissingError, ModelMismatchError
from ..settings import Settings
from .manifest import IndexManifest

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
LOCK = ".lock"  # held by the one writer of an index folder (IndexWriter.locked)
MANIFEST = "manifest.json"
PASSAGES = "passages"
SENTENCES = "sentences"
RECORDS = "records.sqlite"  # LangChain's record manager: every record's key, by document
CASEFILE = "casefile.json"  # the timeline and who's who ingest computed (assistant.casefile)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexLayout:
    """Where generations live under the index directory and which one is live.

    With a Chroma server, a generation's vectors live in server collections named after
    it; the folder keeps its record manager and manifest.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.index_dir)

    def current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name / MANIFEST).exists() else None

    def current_dir(self) -> Path | None:
        name = self.current_name()
        return self.root / name if name else None

    def manifest(self) -> IndexManifest | None:
        """The live generation's manifest; None with no index, or one of an older format."""
        gen = self.current_dir()
        return IndexManifest.read(gen / MANIFEST) if gen else None

    def _generations(self) -> list[Path]:
        return sorted(p for p in self.root.glob("gen-*") if p.name[4:].isdigit())

    def discard_abandoned(self) -> None:
        """Generations newer than the live one were left by an ingest that died mid-way."""
        current = self.current_name() or "gen-000000"
        for gen in self._generations():
            if gen.name > current:
                log.info("removing %s, left by an interrupted ingest", gen.name)
                self.discard(gen)

    def new_generation(self, copy_from: Path | None) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self._generations()]
        gen = self.root / f"gen-{max(numbers, default=0) + 1:06d}"
        if copy_from is not None:
            shutil.copytree(copy_from, gen, ignore=shutil.ignore_patterns(MANIFEST))
            if self.settings.chroma_host:
                copy_server_collections(self.settings, copy_from, gen)
        else:
            gen.mkdir()
        return gen

    def publish(self, gen: Path) -> None:
        """Make ``gen`` live; keep the one before it for readers still holding it open."""
        previous = self.current_name()
        write_atomic(self.root / CURRENT, gen.name + "\n")
        keep = {gen.name, previous}
        for old in self._generations():
            if old.name not in keep and old.name < gen.name:
                self.discard(old)

    def discard(self, gen: Path) -> None:
        if self.settings.chroma_host:
            drop_server_collections(self.settings, gen)
        shutil.rmtree(gen, ignore_errors=True)


def chroma_client(settings: Settings, gen_dir: Path) -> Any:
    import chromadb

    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port)
    return chromadb.PersistentClient(
        path=str(gen_dir / "chroma"),
        settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=False),
    )


def collection_name(settings: Settings, gen_dir: Path, kind: str) -> str:
    """Embedded: one store per generation folder. Server: the index folder and the
    generation go in the name, so several indexes can share one server."""
    if not settings.chroma_host:
        return kind
    prefix = settings.chroma_prefix or "case-" + hashlib.sha1(str(gen_dir.parent.resolve()).encode()).hexdigest()[:10]
    return f"{prefix}-{kind}-{gen_dir.name}"


def copy_server_collections(settings: Settings, src: Path, dst: Path, batch: int = 500) -> None:
    """A server generation starts as a copy of the live one, vectors included."""
    with closing(chroma_client(settings, dst)) as client:
        for kind in (PASSAGES, SENTENCES):
            try:
                old = client.get_collection(collection_name(settings, src, kind))
            except Exception:  # noqa: BLE001 - chromadb raises several types for "no such collection"
                continue
            new = client.get_or_create_collection(collection_name(settings, dst, kind),
                                                  metadata={"hnsw:space": "cosine"})
            for offset in range(0, old.count(), batch):
                got = old.get(limit=batch, offset=offset, include=["embeddings", "documents", "metadatas"])
                if got["ids"]:
                    new.upsert(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"],
                               metadatas=got["metadatas"])


def drop_server_collections(settings: Settings, gen: Path) -> None:
    with closing(chroma_client(settings, gen)) as client:
        for kind in (PASSAGES, SENTENCES):
            try:
                client.delete_collection(collection_name(settings, gen, kind))
            except Exception:  # noqa: BLE001 - already gone
                pass


def require_index(settings: Settings) -> tuple[Path, IndexManifest]:
    layout = IndexLayout(settings)
    gen = layout.current_dir()
    if gen is None:
        raise IndexMissingError(
            f"no index in {settings.index_dir}: run `python -m ingest --index {settings.index_dir}` first"
        )
    manifest = IndexManifest.read(gen / MANIFEST)
    if manifest is None:
        raise IndexMissingError(f"the index in {settings.index_dir} is of an older format: run "
                                f"`python -m ingest --index {settings.index_dir}` to rebuild it")
    if manifest.model != settings.embedding_model:
        raise ModelMismatchError(
            f"the index in {settings.index_dir} was built with embedding model '{manifest.model}', "
            f"but CASE_EMBEDDING_MODEL is '{settings.embedding_model}': use that model, "
            "or rebuild with `python -m ingest --full`"
        )
    return gen, manifest
