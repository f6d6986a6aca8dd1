"""Thumbs up / down from readers, kept with what they judged, one JSON line each."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_lock = threading.Lock()


def record_feedback(path: Path, rating: str, question: str, answer: dict[str, Any]) -> None:
    entry = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rating": rating,
        "question": question,
        "answer": answer.get("answer", ""),
        "abstained": answer.get("abstained", False),
        "citations": answer.get("citations", []),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
