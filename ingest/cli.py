"""`python -m ingest`: bring the index up to date and say what changed."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections import Counter
from pathlib import Path

from assistant.errors import CaseError
from assistant.settings import Settings

from .indexing import IngestReport


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    p.add_argument("--corpus", type=Path, help="corpus folder (default: CASE_CORPUS_DIR or ./corpus)")
    p.add_argument("--index", type=Path, help="index folder (default: CASE_INDEX_DIR or ./data/index)")
    p.add_argument("--fetch", action="store_true", help="download the sources listed in sources.toml first")
    p.add_argument("--allow-private", action="store_true",
                   help="let --fetch reach loopback and private addresses (for tests and intranets)")
    p.add_argument("--full", action="store_true", help="rebuild the index from scratch")
    p.add_argument("--watch", action="store_true",
                   help="keep the model loaded and re-index on every change under the corpus, until Ctrl-C")
    p.add_argument("--json", action="store_true", help="end stdout with one JSON object")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    return p


def human_summary(report: IngestReport) -> str:
    d, p = report.documents, report.passages
    lines = [
        f"documents: {d['added']} added, {d['changed']} changed, {d['removed']} removed, "
        f"{d['unchanged']} unchanged, {d['failed']} failed",
        f"passages: {p['added']} added, {p['deleted']} deleted, {p['total']} in the index",
    ]
    if report.sources:
        # A source that could not be fetched counts as failed here, whatever its document did.
        counts = Counter(str(s.status) for s in report.sources)
        lines.append("sources: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    for s in report.sources:
        extra = f" ({s.reason})" if s.reason else ""
        text = "" if s.has_text else "; no text yet, only its headline is indexed"
        lines.append(f"source {s.id}: {s.status}{extra}{text}")
    for f in report.failures:
        lines.append(f"FAILED {f['document']}: {f['reason']}")
    lines.append(f"index generation {report.generation} in {report.seconds:.1f}s")
    return "\n".join(lines)


def _watch(settings: Settings, args: argparse.Namespace) -> int:
    from .watch import watch_corpus

    def tell(report: IngestReport) -> None:
        print(json.dumps(report.to_dict()) if args.json else human_summary(report), flush=True)

    if args.fetch or args.full:
        raise CaseError("--watch re-indexes what is on disk: run --fetch or --full on their own")
    logging.getLogger(__name__).info("watching %s (Ctrl-C to stop)", settings.corpus_dir)
    # Ctrl-C also sets ``stop``, which ends the watch at its next wait: an interrupt that a
    # library swallows mid-run cannot keep the watcher alive (seen once in a CI run: the
    # watcher went back to waiting after SIGINT and never said it stopped).
    stop = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        watch_corpus(settings, tell, stop=stop)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, previous)
    print("stopped watching: the live index is as last published", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    overrides = {}
    if args.corpus:
        overrides["corpus_dir"] = args.corpus
    if args.index:
        overrides["index_dir"] = args.index
    try:
        from .pipeline import run_ingest

        settings = Settings.load(**overrides)
        if args.watch:
            return _watch(settings, args)
        report = run_ingest(settings, fetch=args.fetch, full=args.full, allow_private=args.allow_private)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc)}))
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: the live index is unchanged", file=sys.stderr)
        return 130
    print(human_summary(report), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(report.to_dict()))
    return 1 if report.documents["failed"] else 0
