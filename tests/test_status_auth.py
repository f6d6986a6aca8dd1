"""`python -m assistant status`, and the login that guards both the UI and the API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import httpx
import pytest

from servers import PASSWORD, USER

pytestmark = pytest.mark.slow


def _status(index, repo_root) -> dict:
    out = subprocess.run([sys.executable, "-m", "assistant", "status", "--index", str(index), "--json"],
                         capture_output=True, text=True, cwd=repo_root, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_status_reports_figures_and_same_digest_for_same_corpus(case_index, tmp_path, repo_root, ingest_ok):
    first = _status(case_index, repo_root)
    assert set(first) >= {"documents", "passages", "model", "last_ingest", "digest"}
    assert first["documents"] == 4 and first["passages"] > 9 and first["model"] == "all-MiniLM-L6-v2"

    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    other = tmp_path / "index"
    ingest_ok(corpus, other)  # in this process: the same code as the CLI, without its start-up
    second = _status(other, repo_root)
    assert second["digest"] == first["digest"] and second["passages"] == first["passages"]

    (corpus / "extra.md").write_text("An extra note about the tribunal hearing schedule.\n")
    ingest_ok(corpus, other)
    assert _status(other, repo_root)["digest"] != first["digest"]


def test_status_without_index_fails_cleanly(tmp_path, repo_root):
    out = subprocess.run([sys.executable, "-m", "assistant", "status", "--index", str(tmp_path)],
                         capture_output=True, text=True, cwd=repo_root, timeout=120)
    assert out.returncode != 0 and "ingest" in out.stderr and "Traceback" not in out.stderr


def test_auth_required_for_ui_and_api(login_server):
    base = login_server.url
    body = {"question": "Who is the whistleblower?"}
    assert httpx.post(base + "/api/ask", json=body, timeout=60).status_code == 401
    assert httpx.post(base + "/api/ask", json=body, auth=(USER, "wrong"), timeout=60).status_code == 401
    ok = httpx.post(base + "/api/ask", json=body, auth=(USER, PASSWORD), timeout=60)
    assert ok.status_code == 200 and "Forrest" in ok.json()["answer"]
    # The chat's own config (and so every question through it) needs the login too.
    assert httpx.get(base + "/config", timeout=30).status_code in (401, 403)
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert client.get("/config").status_code == 200
