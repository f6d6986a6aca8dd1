"""Crash safety: ingest killed with SIGKILL while it computes vectors or writes them (a fresh
index and an update), then re-run, equals a clean ingest; a reader asking during ingest sees
each document old or new, never missing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.index.layout import CURRENT, LOCK, MANIFEST, RECORDS
from synthetic import document, fact, write_corpus

pytestmark = pytest.mark.slow


def _ingest_cmd(corpus: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "--json", "-q"]


def _ingest(corpus: Path, index: Path, repo_root: Path) -> dict:
    out = subprocess.run(_ingest_cmd(corpus, index), capture_output=True, text=True, cwd=repo_root, timeout=900)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status(index: Path, repo_root: Path) -> dict:
    """What the live generation's manifest says, read as an outside check reads it."""
    live = (index / CURRENT).read_text().strip()
    manifest = json.loads((index / live / MANIFEST).read_text())
    return {"digest": manifest["digest"], "passages": manifest["passages"], "documents": len(manifest["documents"])}


Phase = Callable[[Path, float], bool]  # (index folder, when the run started) -> kill now


def _encoding(index: Path, started: float) -> bool:
    """The writer holds the index (documents read, vectors being computed) for a moment."""
    lock = index / LOCK
    return lock.exists() and time.time() > lock.stat().st_ctime + 0.2


def _new_generations(index: Path, started: float) -> list[Path]:
    """Generations this run made (an abandoned one from an earlier run is older)."""
    found = []
    for gen in index.glob("gen-*"):
        try:
            if gen.stat().st_ctime >= started:
                found.append(gen)
        except FileNotFoundError:  # discarded while looked at
            pass
    return found


def _writing(index: Path, started: float) -> bool:
    """A generation of this run holds vectors, its manifest not yet written."""
    return any((g / RECORDS).exists() and not (g / MANIFEST).exists() for g in _new_generations(index, started))


def _killed_ingest(corpus: Path, index: Path, repo_root: Path, phase: Phase) -> int:
    """An ingest in another process, SIGKILLed the moment ``phase`` holds (or left to finish)."""
    started = time.time() - 1.0  # file times are coarser than the clock
    proc = subprocess.Popen(_ingest_cmd(corpus, index), cwd=repo_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None and not phase(index, started):
        time.sleep(0.002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=60)


def test_ingest_killed_at_any_point_then_rerun_equals_clean(tmp_path, repo_root, ingest_ok):
    corpus = tmp_path / "corpus"
    paths = write_corpus(corpus, 12)  # the edits below need ten; each more slows every run
    clean = tmp_path / "clean"
    ingest_ok(corpus, clean)  # the reference only: in this process, with the session's model
    expected = _status(clean, repo_root)

    index = tmp_path / "index"
    # Killed while computing vectors, then while writing them (the switch to a finished
    # generation is one rename: too short a moment for a poll to land in).
    codes = [_killed_ingest(corpus, index, repo_root, phase) for phase in (_encoding, _writing)]
    assert codes == [-signal.SIGKILL] * 2, f"a run was not killed mid-way: {codes}"
    ingest_ok(corpus, index)  # the re-run: in this process (only the killed runs need their own)
    got = _status(index, repo_root)
    assert (got["digest"], got["passages"], got["documents"]) == \
        (expected["digest"], expected["passages"], expected["documents"])
    assert len(list(index.glob("gen-*"))) <= 2  # abandoned generations were cleaned up

    # Killed in the middle of an incremental update: edits, an addition and a removal.
    for i in range(0, 10, 2):
        paths[i].write_text(document(i, version=2))
    paths[-1].unlink()
    (corpus / "late.md").write_text("A late note about project Zeta-9999 being audited twice.\n")
    clean2 = tmp_path / "clean2"
    ingest_ok(corpus, clean2)  # the reference only: in this process, with the session's model
    after_edit = _status(clean2, repo_root)["digest"]
    before = _status(index, repo_root)["digest"]
    assert _killed_ingest(corpus, index, repo_root, _writing) == -signal.SIGKILL
    assert _status(index, repo_root)["digest"] in (before, after_edit)  # the old index or the new, never half
    ingest_ok(corpus, index)
    assert _status(index, repo_root)["digest"] == after_edit


def test_reader_during_ingest_sees_old_or_new_never_missing(tmp_path, repo_root, ingest_ok):
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 36)
    target = corpus / "report-0007.md"
    index = tmp_path / "index"
    ingest_ok(corpus, index)  # the old index; the ingest that races the reader is another process
    reader = Assistant(index_dir=index)
    question = "In which city number was project Harbor-0007 audited?"
    assert "107" in reader.ask(question).answer

    for i in range(1, 36, 3):  # a bigger change, so the ingest takes a while
        (corpus / f"report-{i:04d}.md").write_text(document(i, version=2))
    target.write_text(document(7, version=2))
    new_fact = fact(7, version=2)
    seen: list[str] = []
    problems: list[str] = []
    done = threading.Event()

    def ask_loop() -> None:
        deadline = time.monotonic() + 300
        while not done.is_set() and time.monotonic() < deadline:
            try:
                answer = reader.ask(question)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                problems.append(repr(exc))
                continue
            text = answer.answer
            time.sleep(0.02)  # a reader asks often, not so often that it starves the ingest of CPU
            if re.search(r"\bnumber 107\b", text):
                seen.append("old")
            elif new_fact in text:
                seen.append("new")
            else:
                problems.append(text)

    thread = threading.Thread(target=ask_loop)
    thread.start()
    try:
        _ingest(corpus, index, repo_root)
        time.sleep(1.0)  # a few more questions against the new generation
    finally:
        done.set()
        thread.join(timeout=120)
    assert not problems, problems[:3]
    assert "old" in seen and seen[-1] == "new", seen[-5:]
