"""Crash safety: ingest killed with SIGKILL at any moment, then re-run, equals a clean
ingest; a reader asking during ingest sees each document old or new, never missing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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
    live = (index / "CURRENT").read_text().strip()
    manifest = json.loads((index / live / "manifest.json").read_text())
    return {"digest": manifest["digest"], "passages": manifest["passages"], "documents": len(manifest["documents"])}


def _killed_ingest(corpus: Path, index: Path, repo_root: Path, after: float) -> int | None:
    proc = subprocess.Popen(_ingest_cmd(corpus, index), cwd=repo_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(after)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=60)


def test_ingest_killed_at_any_point_then_rerun_equals_clean(tmp_path, repo_root, ingest_ok):
    corpus = tmp_path / "corpus"
    paths = write_corpus(corpus, 12)  # enough for every phase (the edits below need ten); each more costs five runs
    clean = tmp_path / "clean"
    started = time.monotonic()
    _ingest(corpus, clean, repo_root)
    took = time.monotonic() - started
    expected = _status(clean, repo_root)

    index = tmp_path / "index"
    codes = []
    # From import time through model load, embedding and publishing: across a clean run's length.
    for share in (0.1, 0.5, 0.9):
        codes.append(_killed_ingest(corpus, index, repo_root, share * took))
    assert -signal.SIGKILL in codes, f"no run was killed mid-way: {codes}"
    _ingest(corpus, index, repo_root)
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
    for share in (0.6,):
        _killed_ingest(corpus, index, repo_root, share * took)
        assert _status(index, repo_root)["digest"] in (before, after_edit)  # the old index or the new, never half
    _ingest(corpus, index, repo_root)
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
