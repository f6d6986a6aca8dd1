"""`python -m ingest --watch` beside a running assistant: a change under the corpus is
answered from without a restart; a bad file is reported and watching goes on; Ctrl-C exits
cleanly with the live index as last published."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthetic import write_corpus

pytestmark = pytest.mark.slow


def _answer(assistant, question: str, wanted: str, timeout: float = 60) -> float:
    """Seconds until ``question`` is answered with ``wanted`` in it."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        answer = assistant.ask(question)
        if not answer.abstained and wanted in answer.answer:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{question!r} never answered with {wanted!r}; last: {answer.answer}")


def test_watch_reindexes_changes_for_a_running_assistant(tmp_path, repo_root, ingest_env):
    from assistant import Assistant

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, 3)
    env = ingest_env(CASE_CORPUS_DIR=corpus, CASE_INDEX_DIR=index)
    log = (tmp_path / "watch.log").open("w")
    watcher = subprocess.Popen([sys.executable, "-m", "ingest", "--watch", "--json"], cwd=repo_root, env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        first = json.loads(watcher.stdout.readline())  # the run that brings the index up to date
        assert first["documents"]["added"] == 3 and first["encoder"] == "onnxruntime"
        assistant = Assistant(index_dir=index)
        assert assistant.ask("Which city hosted the zebra parade?").abstained

        (corpus / "zebra.md").write_text("The zebra parade for the audit team was held in Lisbon on a Tuesday.\n")
        _answer(assistant, "Which city hosted the zebra parade?", "Lisbon")
        (corpus / "zebra.md").write_text("The zebra parade for the audit team was held in Porto on a Tuesday.\n")
        _answer(assistant, "Which city hosted the zebra parade?", "Porto")

        (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
        report = json.loads(watcher.stdout.readline())
        while "broken.pdf" not in {f["document"] for f in report["failures"]}:
            report = json.loads(watcher.stdout.readline())
        assert watcher.poll() is None  # still watching
        (corpus / "zebra.md").unlink()
        start = time.monotonic()
        while not assistant.ask("Which city hosted the zebra parade?").abstained:
            assert time.monotonic() - start < 60
            time.sleep(0.05)
        assert not assistant.ask("Which city hosted the zebra parade?").citations
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=60)
        log.close()
    assert watcher.returncode == 0
    stderr = (tmp_path / "watch.log").read_text()
    assert "stopped watching" in stderr and "Traceback" not in stderr
    live = (index / "CURRENT").read_text().strip()
    assert (index / live / "manifest.json").exists()
    assert not [p for p in index.glob("gen-*") if p.name > live]  # nothing half-written left behind
