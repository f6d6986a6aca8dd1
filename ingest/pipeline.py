"""One ingest run: (fetch,) load, split, then index; shared by the CLI and the app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from assistant.errors import DocumentError
from assistant.settings import Settings

from .documents import discover_files, load_file, load_source
from .indexing import Indexer, IngestReport, PreparedDocument, prepare
from .manifest import load_manifest

log = logging.getLogger(__name__)


Progress = Callable[[float, str], None]


def run_ingest(settings: Settings, fetch: bool = False, full: bool = False,
               allow_private: bool = False, progress: Progress | None = None) -> IngestReport:
    """``progress(fraction, stage)`` hears of each stage, for front ends that show one."""
    started = time.perf_counter()
    tell = progress or (lambda fraction, stage: None)
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise DocumentError(str(corpus), "corpus folder does not exist")
    entries = load_manifest(corpus)
    fetched: dict[str, Any] = {}
    if fetch:
        tell(0.05, "fetching sources")
        from .fetch import fetch_all

        fetched = fetch_all(entries, corpus, settings.fetch_timeout, settings.fetch_max_bytes, allow_private)

    tell(0.3, "reading and splitting documents")
    docs: list[PreparedDocument] = []
    failed: dict[str, str] = {}
    sources: list[dict[str, Any]] = []
    for entry in entries:
        doc = load_source(entry, corpus)
        has_text = doc.status == "on disk"
        result = fetched.get(entry.id)
        if result is not None and result.status in ("fetched", "not modified"):
            doc.status = "fetched"
        elif result is not None and result.status == "failed":
            doc.status = "failed"
        source = {"id": entry.id, "status": doc.status, "has_text": has_text, "url": entry.url}
        if result is not None and result.reason:
            source["reason"] = result.reason
        sources.append(source)
        docs.append(prepare(doc, settings.passage_max_words))

    paths, refused = discover_files(corpus)
    for rel, reason in refused.items():
        log.error("%s: %s", rel, reason)
        failed[rel] = reason
    for path in paths:
        try:
            doc = load_file(path, corpus, settings.max_document_bytes)
            prepared = prepare(doc, settings.passage_max_words)
            if not prepared.passages:
                raise DocumentError(doc.doc_id, "no prose to index (only headings, links or captions)")
        except DocumentError as exc:
            log.error("%s", exc)
            failed[exc.path] = exc.reason
            continue
        docs.append(prepared)

    tell(0.5, "indexing changed documents")
    report = Indexer(settings).run(docs, failed, sources, full=full)
    tell(1.0, "done")
    report.seconds = time.perf_counter() - started
    return report
