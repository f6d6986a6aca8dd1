"""The real server over HTTP: POST /api/ask beside the Gradio chat."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from servers import start_app, stop_app

pytestmark = pytest.mark.slow


@pytest.fixture
def server(case_server) -> str:
    return case_server.url


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
    """The page is the chat: its question box, its examples from case.toml, its page script
    (served by the app itself), and the index it answers from."""
    page = httpx.get(server + "/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '"elem_id":"question"' in page.text and '"elem_id":"passages"' in page.text
    assert "Which outlets reported on the case?" in page.text  # an example question, from corpus/case.toml
    assert "4 documents" in page.text  # the index status line
    script = httpx.get(server + "/case-static/chat.js", timeout=30)
    assert script.status_code == 200 and "a.cite" in script.text


def test_app_without_index_runs_ingest_first(tmp_path, repo_root):
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    proc, base = start_app(repo_root, {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(index)},
                        tmp_path / "app.log")
    try:
        assert (index / "CURRENT").exists()
        r = httpx.post(base + "/api/ask", json={"question": "Where is the shell company based?"}, timeout=60)
        assert "Netherlands" in r.json()["answer"]
    finally:
        stop_app(proc)
