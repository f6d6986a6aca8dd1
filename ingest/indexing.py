"""Bring the index up to date with the corpus through LangChain's indexing API.

Each run compares per-document hashes with the live generation first: when nothing
changed it writes nothing and never loads the model. Otherwise it copies the live
generation, lets ``langchain_core.indexing.index`` (with a SQL record manager) add the
passages and sentences of added and changed documents and drop their old ones, deletes
removed documents, and publishes the new generation in one atomic step.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from tqdm import tqdm

from assistant.embedding import LazyEmbeddings, SentencePooledEmbeddings
from assistant.errors import CaseError
from assistant.settings import Settings
from assistant.store import (
    MANIFEST, PASSAGES, SENTENCES, IndexLayout, IndexManifest, chroma_client, collection_name,
    open_vectorstore,
)

from .documents import SourceDocument, content_hash
from .splitting import split_passages

log = logging.getLogger(__name__)


@dataclass
class PreparedDocument:
    """A document split and hashed, ready to index; nothing here needs the model."""

    source: SourceDocument
    passages: list[Document]
    sentences: list[Document]
    hash: str


@dataclass
class IngestReport:
    documents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("added", "changed", "removed", "unchanged", "failed"), 0))
    passages: dict[str, int] = field(default_factory=lambda: {"added": 0, "deleted": 0, "total": 0})
    sources: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    model_loaded: bool = False
    encoders: list[str] = field(default_factory=list)
    generation: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "passages": self.passages, "sources": self.sources,
            "failures": self.failures, "model_loaded": self.model_loaded, "encoders": self.encoders,
            "generation": self.generation, "seconds": round(self.seconds, 3),
        }


def prepare(doc: SourceDocument, max_words: int) -> PreparedDocument:
    meta = doc.metadata()
    passages: list[Document] = []
    sentences: list[Document] = []
    for p in split_passages(doc.body, max_words):
        pmeta = {**meta, "position": p.position, "char_start": p.start, "char_end": p.end,
                 "n_sentences": len(p.sentences)}
        pid = content_hash(*(f"{k}={pmeta[k]}" for k in sorted(pmeta)), p.text)
        passages.append(Document(page_content=p.text, metadata={**pmeta, "passage_id": pid}))
        for i, s in enumerate(p.sentences):
            smeta = {"doc_id": doc.doc_id, "passage_id": pid, "position": p.position,
                     "sentence": i, "char_start": s.start, "char_end": s.end}
            sid = content_hash(pid, str(i), s.text)
            sentences.append(Document(page_content=s.text, metadata={**smeta, "sentence_id": sid}))
    doc_hash = content_hash(*(d.metadata["passage_id"] for d in passages))
    return PreparedDocument(doc, passages, sentences, doc_hash)


def corpus_digest(passages: Iterable[tuple[str, str]]) -> str:
    """A hash over sorted (passage id, text): equal for indexes built from the same corpus."""
    h = hashlib.sha256()
    for pid, text in sorted(passages):
        h.update(pid.encode())
        h.update(b"\x1e")
        h.update(text.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CaseError(f"another ingest is already writing {index_dir}; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Indexer:
    def __init__(self, settings: Settings, embeddings: LazyEmbeddings | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings or LazyEmbeddings(settings.embedding_model)
        self.layout = IndexLayout(settings)

    def run(self, docs: list[PreparedDocument], failed: dict[str, str], sources: list[dict[str, Any]],
            full: bool = False) -> IngestReport:
        report = IngestReport(sources=sources)
        report.failures = [{"document": k, "reason": v} for k, v in sorted(failed.items())]
        report.documents["failed"] = len(failed)
        with ingest_lock(self.settings.index_dir):
            self._run_locked(docs, failed, full, report)
        report.model_loaded = self.embeddings.loaded
        report.encoders = self.embeddings.engines
        return report

    def _run_locked(self, docs: list[PreparedDocument], failed: dict[str, str], full: bool,
                    report: IngestReport) -> None:
        self.layout.discard_abandoned()
        current = self.layout.current_dir()
        old = IndexManifest.read(current / MANIFEST) if current else None
        if old is not None and old.model != self.settings.embedding_model:
            log.warning("index was built with %s; rebuilding with %s", old.model, self.settings.embedding_model)
            full = True
        if full or old is None:
            current, old_docs = None, {}
        else:
            old_docs = old.documents

        by_id = {d.source.doc_id: d for d in docs}
        added = [d for i, d in by_id.items() if i not in old_docs]
        changed = [d for i, d in by_id.items() if i in old_docs and old_docs[i]["hash"] != d.hash]
        removed = [i for i in old_docs if i not in by_id and i not in failed]
        report.documents.update(added=len(added), changed=len(changed), removed=len(removed),
                                unchanged=len(by_id) - len(added) - len(changed))

        # Documents that failed this time keep their last good version.
        entries = {i: e for i, e in old_docs.items() if i in failed}
        now = _now()
        for d in docs:
            prev = old_docs.get(d.source.doc_id)
            same = prev is not None and prev["hash"] == d.hash
            entries[d.source.doc_id] = {
                **d.source.metadata(), "hash": d.hash, "passages": len(d.passages),
                "status": d.source.status, "origin": d.source.origin,
                "ingested_at": prev["ingested_at"] if same else now,
            }
        for i in entries:
            if i in failed:
                entries[i]["status"] = f"failed: {failed[i]}"

        pairs = [(p.metadata["passage_id"], p.page_content) for d in docs for p in d.passages]
        kept_texts = self._kept_passage_texts(current, [i for i in failed if i in old_docs])
        pairs.extend(kept_texts)
        report.passages["total"] = len(pairs)
        manifest = IndexManifest(model=self.settings.embedding_model, built_at=now,
                                 digest=corpus_digest(pairs), passages=len(pairs),
                                 documents=entries, sources=report.sources)

        if current is not None and not (added or changed or removed):
            # Nothing to embed or delete: refresh statuses in place, keep the generation.
            manifest.built_at = old.built_at if old else now
            manifest.write(current / MANIFEST)
            report.generation = current.name
            return

        gen = self.layout.new_generation(copy_from=current)
        try:
            client = chroma_client(self.settings, gen)
            result = self._apply(client, gen, added + changed, removed)
            report.passages["added"] = result["added"]
            report.passages["deleted"] = result["deleted"]
            manifest.write(gen / MANIFEST)
            self.layout.publish(gen)
        except BaseException:
            self.layout.discard(gen)
            raise
        report.generation = gen.name

    def _kept_passage_texts(self, current: Path | None, doc_ids: list[str]) -> list[tuple[str, str]]:
        if current is None or not doc_ids:
            return []
        client = chroma_client(self.settings, current)
        store = client.get_collection(collection_name(self.settings, current, PASSAGES))
        got = store.get(where={"doc_id": {"$in": doc_ids}}, include=["documents"])
        return list(zip(got["ids"], got["documents"]))

    def _apply(self, client: Any, gen: Path, todo: list[PreparedDocument], removed: list[str]) -> dict[str, int]:
        from langchain_classic.indexes import SQLRecordManager
        from langchain_core.indexing import index

        totals = {"added": 0, "deleted": 0}
        has_sentences = any(d.sentences for d in todo)
        base = self.embeddings.for_ingest(self.settings.ingest_encoder) if has_sentences else self.embeddings
        pooled = SentencePooledEmbeddings(base, {
            p.page_content: [s.page_content for s in d.sentences if s.metadata["passage_id"] == p.metadata["passage_id"]]
            for d in todo for p in d.passages})
        # Sentences first: their vectors are then reused for the passages.
        for kind, key in ((SENTENCES, "sentence_id"), (PASSAGES, "passage_id")):
            store = open_vectorstore(client, collection_name(self.settings, gen, kind), pooled)
            records = SQLRecordManager(f"chroma/{kind}", db_url=f"sqlite:///{gen / 'records.sqlite'}")
            records.create_schema()
            for doc_id in removed:
                keys = records.list_keys(group_ids=[doc_id])
                if keys:
                    store.delete(ids=keys)
                    records.delete_keys(keys)
                if kind == PASSAGES:
                    totals["deleted"] += len(keys)
            docs = [doc for d in todo for doc in (d.passages if kind == PASSAGES else d.sentences)]
            if not docs:
                continue
            bar = tqdm(docs, desc=f"embedding {kind}", unit=kind[:-1], disable=not sys.stderr.isatty(),
                       leave=False)
            result = index(bar, records, store, cleanup="scoped_full", source_id_key="doc_id",
                           key_encoder=lambda d, key=key: d.metadata[key], batch_size=128)
            if kind == PASSAGES:
                totals["added"] += result["num_added"]
                totals["deleted"] += result["num_deleted"]
        return totals
