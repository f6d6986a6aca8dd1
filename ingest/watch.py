"""`python -m ingest --watch`: keep the model loaded and bring the index up to date within a
second of any change under the corpus, until Ctrl-C.

File events come from ``watchfiles`` (inotify and friends, batched over a short debounce);
each batch runs the same in-process ingest the app's "Refresh sources" runs, with the
model loaded once. A bad file is reported by that run and watching goes on; Ctrl-C during
a run discards the generation it was writing, so the live index stays as last published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.analysis import Analyzer
from assistant.embedding import Embedder
from assistant.errors import CaseError
from assistant.index import CaseProfile
from assistant.index.writer import IndexWriter
from assistant.settings import Settings

from .indexing import IngestReport
from .pipeline import run_ingest

log = logging.getLogger(__name__)

#: Milliseconds of quiet that close a batch of file events (an editor's save is several).
DEBOUNCE_MS = 100


def corpus_changes(corpus: Path, index_dir: Path, stop: object | None = None) -> Iterator[set[str]]:
    """Batches of changed paths under the corpus (never inside the index, should it live there)."""
    from watchfiles import DefaultFilter, watch

    index = index_dir.resolve()

    class CorpusFilter(DefaultFilter):
        def __call__(self, change: object, path: str) -> bool:
            return super().__call__(change, path) and not Path(path).resolve().is_relative_to(index)

    for batch in watch(corpus, watch_filter=CorpusFilter(), debounce=DEBOUNCE_MS, step=20, stop_event=stop,
                       raise_interrupt=True):
        yield {path for _, path in batch}


def watch_corpus(settings: Settings, on_report: Callable[[IngestReport], None],
                 embeddings: Embedder | None = None, stop: object | None = None) -> None:
    """Bring the index up to date now, then after every batch of changes, until ``stop`` is
    set or Ctrl-C (KeyboardInterrupt, for the caller)."""
    embeddings = embeddings or Embedder.for_settings(settings)
    embeddings.vectors(["warm up"])  # load the models and the writer's libraries now, not on the first change
    analyzer = Analyzer(settings.spacy_model, CaseProfile())  # each run gives it the corpus's case profile
    IndexWriter.load_dependencies()
    on_report(_run(settings, embeddings, analyzer))
    for paths in corpus_changes(settings.corpus_dir, settings.index_dir, stop):
        log.info("%d change(s) under %s", len(paths), settings.corpus_dir)
        report = _run(settings, embeddings, analyzer)
        if report is not None:
            on_report(report)


def _run(settings: Settings, embeddings: Embedder, analyzer: Analyzer) -> IngestReport | None:
    try:
        return run_ingest(settings, embeddings=embeddings, analyzer=analyzer)
    except CaseError as exc:  # e.g. a sources.toml being edited: say so, and wait for the next save
        log.error("%s", exc)
        return None
