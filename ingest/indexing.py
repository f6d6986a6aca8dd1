"""Bring the index up to date with the corpus: decide what changed, let the index write it.

Each run compares per-document hashes with the live generation's manifest first: when
nothing changed it writes nothing and never loads the model. Otherwise the index package's
writer builds the next generation from the added, changed and removed documents.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from assistant.analysis import Analyzer, fingerprint
from assistant.embedding import Embedder, SentencePooledEmbeddings
from assistant.index import (
    CaseProfile, DocumentEntry, DocumentRecords, DocumentStatus, IndexManifest, Passage, Sentence, SourceState,
)
from assistant.index.writer import IndexWriter
from assistant.settings import Settings

from .documents import SourceDocument
from .splitting import split_passages

log = logging.getLogger(__name__)


@dataclass
class PreparedDocument:
    """A document split into the records it will be stored as; nothing here needs the model."""

    source: SourceDocument
    records: DocumentRecords


@dataclass
class IngestReport:
    documents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("added", "changed", "removed", "unchanged", "failed"), 0))
    passages: dict[str, int] = field(default_factory=lambda: {"added": 0, "deleted": 0, "total": 0})
    sources: list[SourceState] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    analysis_seconds: float = 0.0  # reading the changed documents' sentences (spaCy), in its thread
    model_loaded: bool = False  # whether this run needed the model (anything to embed)
    encoder: str | None = None  # the runtime that ran it, when it did
    generation: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "passages": self.passages,
            "sources": [s.to_report() for s in self.sources],
            "failures": self.failures, "model_loaded": self.model_loaded, "encoder": self.encoder,
            "generation": self.generation, "seconds": round(self.seconds, 3),
            "analysis_seconds": round(self.analysis_seconds, 3),
        }


def prepare(doc: SourceDocument, max_words: int) -> PreparedDocument:
    cite = {"title": doc.title, "publisher": doc.publisher, "url": doc.url, "date": doc.date, "kind": doc.kind}
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    if doc.headline:
        card = Passage.new(doc.doc_id, doc.headline, **cite, position=0, headline=True,
                           char_end=len(doc.headline), n_sentences=1)
        passages.append(card)
        sentences.append(Sentence.new(card, 0, doc.headline, 0, len(doc.headline)))
    first = len(passages)
    for p in split_passages(doc.body, max_words):
        passage = Passage.new(doc.doc_id, p.text, **cite, position=first + p.position, char_start=p.start,
                              char_end=p.end, n_sentences=len(p.sentences))
        passages.append(passage)
        sentences.extend(Sentence.new(passage, i, s.text, s.start, s.end) for i, s in enumerate(p.sentences))
    return PreparedDocument(doc, DocumentRecords(doc.doc_id, tuple(passages), tuple(sentences)))


def corpus_digest(passages: Iterable[tuple[str, str]]) -> str:
    """A hash over sorted (passage id, text): equal for indexes built from the same corpus."""
    h = hashlib.sha256()
    for pid, text in sorted(passages):
        h.update(pid.encode())
        h.update(b"\x1e")
        h.update(text.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Indexer:
    """What changed since the live generation, and the report of bringing the index up to date."""

    def __init__(self, settings: Settings, embeddings: Embedder | None = None,
                 analyzer: Analyzer | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings or Embedder.for_settings(settings)
        self.analyzer = analyzer  # a loaded one (a watching ingest's, the app's); else loaded when needed
        self.writer = IndexWriter(settings)

    def run(self, docs: list[PreparedDocument], failed: dict[str, str], sources: list[SourceState],
            case: CaseProfile | None = None, full: bool = False) -> IngestReport:
        report = IngestReport(sources=sources)
        report.failures = [{"document": k, "reason": v} for k, v in sorted(failed.items())]
        report.documents["failed"] = len(failed)
        with self.writer.locked():
            self._run_locked(docs, failed, case or CaseProfile(), full, report)
        return report

    def _run_locked(self, docs: list[PreparedDocument], failed: dict[str, str], case: CaseProfile, full: bool,
                    report: IngestReport) -> None:
        current, old = self.writer.live()
        if current is not None and old is None:
            log.warning("the index in %s is of an older format; rebuilding it", self.settings.index_dir)
            full = True
        elif old is not None and old.model != self.settings.embedding_model:
            log.warning("index was built with %s; rebuilding with %s", old.model, self.settings.embedding_model)
            full = True
        elif old is not None and old.analysis != fingerprint(self.settings.spacy_model, case):
            log.warning("sentences were read with another language pipeline or case profile; reading them again")
            full = True
        if full or old is None:
            current, old_docs = None, {}
        else:
            old_docs = old.documents

        by_id = {d.source.doc_id: d for d in docs}
        added = [d for i, d in by_id.items() if i not in old_docs]
        changed = [d for i, d in by_id.items() if i in old_docs and old_docs[i].hash != d.records.hash]
        removed = [i for i in old_docs if i not in by_id and i not in failed]
        report.documents.update(added=len(added), changed=len(changed), removed=len(removed),
                                unchanged=len(by_id) - len(added) - len(changed))

        # Documents that failed this time keep their last good version, marked as failed.
        entries = {i: e.model_copy(update={"status": DocumentStatus.FAILED, "reason": failed[i]})
                   for i, e in old_docs.items() if i in failed}
        now = _now()
        for d in docs:
            prev = old_docs.get(d.source.doc_id)
            s = d.source
            entries[s.doc_id] = DocumentEntry(
                doc_id=s.doc_id, title=s.title, publisher=s.publisher, url=s.url, date=s.date, kind=s.kind,
                hash=d.records.hash, passages=len(d.records.passages), status=s.status, origin=s.origin,
                ingested_at=prev.ingested_at if prev is not None and prev.hash == d.records.hash else now)

        pairs = [(p.id, p.text) for d in docs for p in d.records.passages]
        if current is not None:
            pairs += [(p.id, p.text) for p in self.writer.kept_passages(current, [i for i in failed if i in old_docs])]
        report.passages["total"] = len(pairs)
        manifest = IndexManifest(model=self.settings.embedding_model, built_at=now, digest=corpus_digest(pairs),
                                 passages=len(pairs), documents=entries, sources=report.sources, case=case,
                                 analysis=fingerprint(self.settings.spacy_model, case))

        # A new case profile changes how the index is read (its lexicon): a new generation too.
        if current is not None and old is not None and not (added or changed or removed) and old.case == case:
            manifest.built_at = old.built_at
            self.writer.rewrite_manifest(current, manifest)
            report.generation = current.name
            return

        todo = [d.records for d in added + changed]
        embeddings = SentencePooledEmbeddings(self.embeddings, {
            p.text: [s.text for s in r.sentences if s.passage_id == p.id] for r in todo for p in r.passages})
        todo, report.analysis_seconds = self._analysed(todo, case, embeddings)
        result = self.writer.write(current, todo, removed, manifest, embeddings)
        report.model_loaded = embeddings.used
        report.encoder = self.embeddings.engine if embeddings.used else None
        report.passages.update(added=result.added, deleted=result.deleted)
        report.generation = result.generation

    def _analysed(self, todo: list[DocumentRecords], case: CaseProfile,
                  embeddings: SentencePooledEmbeddings) -> tuple[list[DocumentRecords], float]:
        """The changed documents with their sentences read, and the seconds that took
        (the pipeline's loading included), after the encoding. Measured here on 3,600
        sentences, reading them in a thread beside the encoding took as long in all as one
        after the other (ONNX Runtime keeps both cores busy), so the simpler order stays."""
        if not any(r.sentences for r in todo):
            return todo, 0.0
        embeddings.encode_sentences([s.text for r in todo for s in r.sentences])
        started = time.perf_counter()
        if self.analyzer is None:
            self.analyzer = Analyzer(self.settings.spacy_model, case)
        self.analyzer.use_case(case)
        return self.analyzer.analyse(todo), time.perf_counter() - started
