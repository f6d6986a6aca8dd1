"""Sources change, ingest runs again, the next answer follows: add, edit, remove."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

QUESTION = "Where will the tribunal hearing take place?"


def _ingest(corpus, index, repo_root, env) -> dict:
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "--json"],
                         capture_output=True, text=True, cwd=repo_root, timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ask(index, repo_root, env) -> dict:
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(index), "--json", QUESTION],
                         capture_output=True, text=True, cwd=repo_root, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ingest_add_edit_remove_reflected_in_next_answer(tmp_path, repo_root, backend_env):
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    _ingest(corpus, index, repo_root, backend_env)
    assert "Croydon" not in _ask(index, repo_root, backend_env)["answer"]

    update = corpus / "hearing-update.md"
    update.write_text("---\ntitle: Hearing update\npublisher: Test Wire\n---\n\n"
                      "The full tribunal hearing in the Forrest case will take place in Croydon next spring.\n")
    report = _ingest(corpus, index, repo_root, backend_env)
    assert report["documents"]["added"] == 1
    answer = _ask(index, repo_root, backend_env)
    assert "Croydon" in answer["answer"]
    assert any(c["source_id"] == "hearing-update.md" and c["publisher"] == "Test Wire" for c in answer["citations"])

    update.write_text("---\ntitle: Hearing update\npublisher: Test Wire\n---\n\n"
                      "The full tribunal hearing in the Forrest case will take place in Reading next spring.\n")
    report = _ingest(corpus, index, repo_root, backend_env)
    assert report["documents"]["changed"] == 1 and report["passages"]["deleted"] >= 1
    answer = _ask(index, repo_root, backend_env)
    assert "Reading" in answer["answer"]
    assert "Croydon" not in json.dumps(answer)  # the stale passage is never cited

    update.unlink()
    report = _ingest(corpus, index, repo_root, backend_env)
    assert report["documents"]["removed"] == 1
    answer = _ask(index, repo_root, backend_env)
    assert "Reading" not in json.dumps(answer) and "Croydon" not in json.dumps(answer)

    report = _ingest(corpus, index, repo_root, backend_env)
    assert (report["documents"]["added"], report["documents"]["changed"], report["documents"]["removed"]) == (0, 0, 0)
    assert report["model_loaded"] is False
