"""One ingest run: (fetch,) load, split, then index; shared by the CLI and the app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from assistant.analysis import Analyzer
from assistant.embedding import Embedder
from assistant.errors import DocumentError
from assistant.index import DocumentStatus, SourceState
from assistant.settings import Settings

from .documents import discover_files, load_file, load_source, saved_copies
from .indexing import Indexer, IngestReport, PreparedDocument, prepare
from .manifest import load_case_profile, load_manifest

log = logging.getLogger(__name__)


Progress = Callable[[float, str], None]


def run_ingest(settings: Settings, fetch: bool = False, full: bool = False, allow_private: bool = False,
               progress: Progress | None = None, embeddings: Embedder | None = None,
               analyzer: Analyzer | None = None) -> IngestReport:
    """``progress(fraction, stage)`` hears of each stage, for front ends that show one;
    ``embeddings`` and ``analyzer``, already loaded models (the app's, or a watching ingest's)."""
    started = time.perf_counter()
    tell = progress or (lambda fraction, stage: None)
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise DocumentError(str(corpus), "corpus folder does not exist")
    entries = load_manifest(corpus)
    case = load_case_profile(corpus)
    fetched: dict[str, Any] = {}
    if fetch:
        tell(0.05, "fetching sources")
        from .fetch import fetch_all

        fetched = fetch_all(entries, corpus, settings, allow_private)

    tell(0.3, "reading and splitting documents")
    docs: list[PreparedDocument] = []
    failed: dict[str, str] = {}
    sources: list[SourceState] = []
    for entry in entries:
        result = fetched.get(entry.id)
        try:
            doc = load_source(entry, corpus, settings.max_document_bytes)
        except DocumentError as exc:  # its saved copy is unreadable: keeps its last good version
            log.error("%s", exc)
            failed[exc.path] = exc.reason
            sources.append(SourceState(id=entry.id, status=DocumentStatus.FAILED, has_text=False, url=entry.url,
                                       reason=exc.reason))
            continue
        if doc.status != DocumentStatus.SAVED_COPY and result is not None:
            if result.status in ("fetched", "not modified"):
                doc.status = DocumentStatus.FETCHED
            elif result.status == "failed":
                doc.status = DocumentStatus.FAILED
        sources.append(SourceState(id=entry.id, status=doc.status, has_text=bool(doc.body), url=entry.url,
                                   reason=result.reason if result is not None else ""))
        docs.append(prepare(doc, settings.passage_max_words))

    paths, refused = discover_files(corpus, skip=saved_copies(entries))
    for rel, reason in refused.items():
        log.error("%s: %s", rel, reason)
        failed[rel] = reason
    for path in paths:
        try:
            doc = load_file(path, corpus, settings.max_document_bytes)
            prepared = prepare(doc, settings.passage_max_words)
            if not prepared.records.passages:
                raise DocumentError(doc.doc_id, "no prose to index (only headings, links or captions)")
        except DocumentError as exc:
            log.error("%s", exc)
            failed[exc.path] = exc.reason
            continue
        docs.append(prepared)

    tell(0.5, "indexing changed documents")
    report = Indexer(settings, embeddings, analyzer).run(docs, failed, sources, case, full=full)
    tell(1.0, "done")
    report.seconds = time.perf_counter() - started
    return report
