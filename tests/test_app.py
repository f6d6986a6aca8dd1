"""The real server over HTTP: POST /api/ask beside the Gradio chat."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(repo_root: Path, env_extra: dict[str, str], log: Path, *args: str):
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", **env_extra}
    proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=repo_root, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError("app did not start: " + log.read_text()[-2000:])


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server(case_index, repo_root, tmp_path_factory):
    log = tmp_path_factory.mktemp("app") / "app.log"
    proc, base = _start(repo_root, {"CASE_INDEX_DIR": str(case_index)}, log)
    yield base
    _stop(proc)


def test_api_ask_whistleblower_answers_with_citation(server):
    r = httpx.post(server + "/api/ask", json={"question": "Who is the whistleblower?"}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert "Charles Forrest" in body["answer"] and body["abstained"] is False
    assert body["citations"] and body["citations"][0]["n"] == 1
    assert any("former AWS employee" in c["text"] for c in body["citations"])


def test_api_ask_follow_up_with_history(server):
    r = httpx.post(server + "/api/ask", timeout=60, json={
        "question": "When did he file his claim?",
        "history": [{"role": "user", "content": "Who is the whistleblower?"},
                    {"role": "assistant", "content": "Charles Forrest, a former AWS employee."}]})
    assert r.status_code == 200 and "June 2024" in r.json()["answer"]


def test_api_ask_out_of_scope_abstains(server):
    r = httpx.post(server + "/api/ask", json={"question": "What is the capital of Australia?"}, timeout=60)
    assert r.status_code == 200
    assert r.json()["abstained"] is True and r.json()["citations"] == []


@pytest.mark.parametrize("body", [
    b"", b"{not json", b"[1, 2]", b'"just a string"', b"{}", b'{"question": 5}', b'{"question": ""}',
    b'{"question": "   "}', b'{"question": null}', b'{"question": "Who?", "history": "no"}',
    b'{"question": "Who?", "history": [{"role": "robot", "content": "x"}]}',
    b'{"question": "Who?", "history": [1]}', json.dumps({"question": "x" * 5000}).encode(),
    b"\xff\xfe\x00",
])
def test_api_ask_bad_body_gets_4xx_with_message(server, body):
    r = httpx.post(server + "/api/ask", content=body, headers={"content-type": "application/json"}, timeout=60)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]


def test_app_serves_chat_page(server):
    r = httpx.get(server + "/", timeout=30)
    assert r.status_code == 200 and "gradio" in r.text.lower()


def test_app_without_index_runs_ingest_first(tmp_path, repo_root):
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    proc, base = _start(repo_root, {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(index)},
                        tmp_path / "app.log")
    try:
        assert (index / "CURRENT").exists()
        r = httpx.post(base + "/api/ask", json={"question": "Where is the shell company based?"}, timeout=60)
        assert "Netherlands" in r.json()["answer"]
    finally:
        _stop(proc)
