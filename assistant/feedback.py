"""Thumbs up / down from readers, kept with what they judged, one JSON line each.

The file is rotated by size (``logging.handlers.RotatingFileHandler``: thread-safe, keeps
``backups`` older files) and every entry is bounded, so readers cannot fill the disk.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import datetime, timezone
from pathlib import Path

from .types import Answer

#: Longest question or answer text kept in an entry, and longest quote per citation.
MAX_TEXT_CHARS = 2_000
MAX_QUOTE_CHARS = 500


class FeedbackLog:
    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A logger of its own per file, so entries never reach the app's log and two
        # FeedbackLogs on one file share one handler (one rotation).
        self._logger = logging.getLogger(f"{__name__}.{path.resolve()}")
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        if not self._logger.handlers:
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                           encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)

    def record(self, rating: str, question: str, answer: Answer) -> None:
        entry = {
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating": rating,
            "question": question[:MAX_TEXT_CHARS],
            "answer": answer.answer[:MAX_TEXT_CHARS],
            "abstained": answer.abstained,
            "citations": [{"n": c.n, "source_id": c.source_id, "passage_id": c.passage_id,
                           "quote": c.quote[:MAX_QUOTE_CHARS]} for c in answer.citations],
        }
        self._logger.info("%s", json.dumps(entry, ensure_ascii=False))
