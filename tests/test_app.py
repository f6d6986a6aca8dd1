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


# --------------------------------------------------------------------------- the Gradio API: /ask only


def test_gradio_client_ask_returns_answer_dict(server):
    """gradio_client calls the app's one named endpoint through the route allowlist and
    gets the Answer's dict, as POST /api/ask returns it."""
    from gradio_client import Client

    client = Client(server, verbose=False)
    result = client.predict("Who is the whistleblower?", [], api_name="/ask")
    assert isinstance(result, dict) and "Charles Forrest" in result["answer"] and result["abstained"] is False
    assert result["citations"][0]["n"] == 1 and result["citations"][0]["text"]
    follow_up = client.predict("When did he file his claim?", [
        {"role": "user", "content": "Who is the whistleblower?"},
        {"role": "assistant", "content": result["answer"]}], api_name="/ask")
    assert "June 2024" in follow_up["answer"]


@pytest.mark.parametrize("question,history,message", [
    ("x" * 5000, [], "the limit is 2000"),
    ("", [], "empty"),
    (5, [], "question"),
    ("Who?", "no", "history"),
    ("Who?", [{"role": "robot", "content": "x"}], "history"),
])
def test_gradio_client_ask_bad_input_gets_clear_error(case_server, question, history, message):
    """Bad input is the core's BadQuestionError, given to the client as a gr.Error message;
    no traceback reaches the client or the log."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(case_server.url, verbose=False)
    logged = len(case_server.log)
    with pytest.raises(AppError, match=message) as caught:
        client.predict(question, history, api_name="/ask")
    assert "Traceback" not in str(caught.value) and "Error(" not in str(caught.value)
    assert "Traceback" not in case_server.log[logged:]


def test_gradio_api_info_lists_only_ask(case_server):
    logged = len(case_server.log)  # the server is shared: only this test's lines count below
    for query in ("", "?all_endpoints=True", "?serialize=False"):
        info = httpx.get(case_server.url + "/gradio_api/info" + query, timeout=30)
        assert info.status_code == 200, info.text
        assert set(info.json()["named_endpoints"]) == {"/ask"}, info.json()["named_endpoints"].keys()
        assert not info.json().get("unnamed_endpoints")
    config = httpx.get(case_server.url + "/config", timeout=30).json()
    public = [d["api_name"] for d in config["dependencies"] if d.get("api_visibility") != "private"]
    assert public == ["ask"]
    # The UI's handlers are not callable by name, and Gradio's REST routes stay closed.
    from gradio_client import Client

    client = Client(case_server.url, verbose=False)
    for name in ("/respond", "/respond_1", "/take_question", "/on_feedback", "/new_conversation", "/start_over",
                 "/pick_example"):
        with pytest.raises(ValueError):
            client.predict("hi", api_name=name)
    assert httpx.post(case_server.url + "/gradio_api/call/ask", json={"data": ["Who?", []]}, timeout=30).status_code == 404
    assert "Traceback" not in case_server.log[logged:]
