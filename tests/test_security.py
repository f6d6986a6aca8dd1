"""The security review's findings, each reproduced: against the real server over HTTP (login
off and on), or in process for the fetch guard (a substituted resolver; the conftest guard
refuses any connection off 127.0.0.0/8 before a packet leaves). Each test fails if its fix
is taken away."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from servers import FEEDBACK_PER_MINUTE, LOGIN_WINDOW, PASSWORD, USER, Server

CANARY = "canary-" + uuid.uuid4().hex
WINDOW = LOGIN_WINDOW

slow = pytest.mark.slow  # the tests that start a server


@pytest.fixture
def open_server(case_server) -> Server:
    return case_server


def _basic(user: str | bytes, password: str | bytes) -> str:
    raw = (user.encode() if isinstance(user, str) else user) + b":" + (
        password.encode() if isinstance(password, str) else password)
    return "Basic " + base64.b64encode(raw).decode()


def _client_for(server: Server) -> httpx.Client:
    """A client of the chat: with its session cookie on the login server (after waiting out a
    lockout another test may have left)."""
    if not server.login:
        return server.client()
    for _ in range(3):
        r = httpx.post(server.url + "/login", data={"username": USER, "password": PASSWORD}, timeout=60)
        if r.status_code != 429:
            break
        time.sleep(int(r.headers["Retry-After"]) + 0.5)
    assert r.status_code == 200, r.text
    return server.client(cookies=r.cookies)


def run_event(client: httpx.Client, fn_index: int, data: list, event_data: object = None,
              session: str | None = None) -> tuple[int, list[dict]]:
    """One chat event through Gradio's queue, as the page sends it: the join's status and
    every message streamed back."""
    session = session or uuid.uuid4().hex[:11]
    joined = client.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                         "event_data": event_data, "trigger_id": None})
    if joined.status_code != 200:
        return joined.status_code, [joined.json()]
    messages = []
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                messages.append(json.loads(line[len("data: "):]))
                if messages[-1].get("msg") in ("process_completed", "unexpected_error", "close_stream"):
                    break
    return 200, messages


def _events(client: httpx.Client) -> dict[str, int]:
    """The chat's events by trigger name (the page's config lists them)."""
    config = client.get("/config").json()
    components = {c["id"]: c for c in config["components"]}
    events = {}
    for dep in config["dependencies"]:
        if not dep["targets"]:
            continue  # the /ask API endpoint: no widget triggers it
        target, name = dep["targets"][0]
        elem = components.get(target, {}).get("props", {}).get("elem_id") if target is not None else None
        events.setdefault(f"{elem}.{name}" if elem else name, dep["id"])
    return events


def _ask(client: httpx.Client, question: str, session: str) -> list[dict]:
    """A question as the page sends it: the box's submit, then the answer event it triggers;
    the answer event's messages."""
    config = client.get("/config").json()
    take = _events(client)["question.submit"]
    answer = next(d["id"] for d in config["dependencies"] if d.get("trigger_after") == take)
    run_event(client, take, [question], session=session)
    return run_event(client, answer, [None, None], session=session)[1]


# --------------------------------------------------------------------------- 1. no file through the chat


@pytest.fixture
def canary_file(tmp_path) -> Path:
    """A secret in the system's temp folder, one of the places Gradio serves from by default."""
    path = tmp_path / "secret.txt"
    path.write_text(CANARY)
    return path


@slow
@pytest.mark.parametrize("which", ["open_server", "login_server"])
def test_chat_event_naming_a_file_returns_no_file(which, request, canary_file):
    server: Server = request.getfixturevalue(which)
    files = [{"path": str(p), "meta": {"_type": "gradio.FileData"}}
             for p in (canary_file, Path("/etc/passwd"), Path(__file__).resolve().parent.parent / "assistant/settings.py")]
    history = [{"role": "user", "content": [{"type": "file", "file": f}]} for f in files]
    with _client_for(server) as client:
        config = client.get("/config").json()
        chatbot = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "chat")
        assert all(chatbot not in dep["inputs"] for dep in config["dependencies"]), "the client's chat is an input again"
        seen = []
        for dep in config["dependencies"]:
            for data in (["Who is the whistleblower?", history, None],  # the review's exploit
                         [files[0], None], [history, None], [files[0]] * len(dep["inputs"])):
                status, messages = run_event(client, dep["id"], data, event_data={"index": 0, "value": files[0]})
                seen.append(json.dumps(messages))
                assert status == 422 and messages[0]["error"] == "this app takes no files"
        text = "\n".join(seen)
        assert "/file=" not in text and CANARY not in text and "root:x:0:0" not in text
        for f in files:
            assert client.get(f"/gradio_api/file={f['path']}").status_code == 404
    cache = server.dir / "gradio-cache"
    copies = [p for p in cache.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()] if cache.exists() else []
    assert copies == [], f"Gradio copied the secret into its cache: {copies}"


@slow
def test_chat_still_answers_from_server_side_state(open_server):
    """The conversation lives on the server: a follow-up reads the earlier turn from session
    state although the client sends only its question."""
    with open_server.client() as client:
        session = uuid.uuid4().hex[:11]
        _ask(client, "Who is the whistleblower?", session)
        messages = _ask(client, "When did he file his claim?", session)
        chat = messages[-1]["output"]["data"][0]
        chat = chat["value"] if isinstance(chat, dict) else chat  # an update (buttons back on) or the value
        assert len(chat) == 4 and "June 2024" in json.dumps(chat[-1])


# --------------------------------------------------------------------------- 2. 4xx, never 5xx


def _ask_raw(server: Server, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(server.url + "/api/ask", content=body,
                      headers={"content-type": "application/json", **headers}, timeout=60)


@pytest.mark.parametrize("body,status,word", [
    (b"[" * 100_000 + b"]" * 100_000, 422, "nested"),
    (b'{"question": "Who?", "history": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 422, "nested"),
    (b'{"question": "Who?", "n": ' + b"9" * 5_000 + b"}", 422, "number"),
    (b'{"question": ' + b"1" * 5_000 + b"}", 422, "number"),
    (b"{not json", 400, "JSON"),
])
@slow
def test_api_hostile_json_gets_4xx(open_server, body, status, word):
    r = _ask_raw(open_server, body)
    assert r.status_code == status, r.text
    assert word.lower() in r.json()["error"].lower()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          ""])
@slow
def test_api_non_json_content_type_gets_415(open_server, content_type):
    r = httpx.post(open_server.url + "/api/ask", content=b'{"question": "Who is the whistleblower?"}',
                   headers={"content-type": content_type} if content_type else {}, timeout=60)
    assert r.status_code == 415 and "JSON" in r.json()["error"]


@slow
@pytest.mark.parametrize("fn_index", [999, -1, "0", None, 10**30, 1.5])
def test_gradio_unknown_event_gets_4xx(open_server, fn_index):
    with open_server.client() as client:
        r = client.post("/gradio_api/queue/join", json={"data": [], "fn_index": fn_index, "session_hash": "s1234567890"})
    assert r.status_code == 422 and r.json()["error"] == "unknown event"


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"fn_index": 0, "data": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
                                  b'{"fn_index": ' + b"7" * 5_000 + b"}", b"\xff\xfe"])
@slow
def test_gradio_hostile_event_body_gets_4xx(open_server, body):
    r = httpx.post(open_server.url + "/gradio_api/queue/join", content=body,
                   headers={"content-type": "application/json"}, timeout=60)
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("authorization", [
    _basic("alïce", "wröng"), _basic(b"\xff\xfe", b"\xc3"), _basic(USER, "s3cret"),  # ASCII look-alike
    "Basic " + "é" * 8, "Basic !!!!", "Basic", "Bearer abc", _basic(USER, "") , "Basic " + base64.b64encode(b"nocolon").decode(),
])
@slow
def test_api_malformed_or_non_ascii_credentials_get_401(login_server, authorization):
    r = httpx.post(login_server.url + "/api/ask", json={"question": "Who?"}, timeout=60,
                   headers={"authorization": authorization.encode("utf-8")})  # raw bytes, as a client may send
    assert r.status_code == 401 and r.json()["error"]


@slow
def test_api_non_ascii_password_accepted(login_server):
    r = httpx.post(login_server.url + "/api/ask", json={"question": "Who is the whistleblower?"}, timeout=60,
                   headers={"authorization": _basic(USER, PASSWORD)})
    if r.status_code == 429:  # a lockout from the test above: wait it out
        time.sleep(int(r.headers["Retry-After"]) + 0.5)
        r = httpx.post(login_server.url + "/api/ask", json={"question": "Who is the whistleblower?"}, timeout=60,
                       headers={"authorization": _basic(USER, PASSWORD)})
    assert r.status_code == 200 and "Forrest" in r.json()["answer"]


# --------------------------------------------------------------------------- 4. bodies, uploads, feedback


def _peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


@slow
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_body_over_limit_refused_as_it_streams(open_server, declared):
    size = 256 << 20  # 256 MB, in 1 MB chunks

    def body() -> Iterator[bytes]:
        chunk = b" " * (1 << 20)
        for _ in range(size >> 20):
            yield chunk

    before = _peak_rss_mb(open_server.pid)
    headers = {"content-type": "application/json", **({"content-length": str(size)} if declared else {})}
    r = httpx.post(open_server.url + "/api/ask", content=body(), headers=headers, timeout=60)
    assert r.status_code == 413 and "too large" in r.json()["error"]
    grew = _peak_rss_mb(open_server.pid) - before
    assert grew < 40, f"server peak memory grew by {grew} MB for a refused body"


@slow
def test_gradio_routes_the_chat_does_not_use_are_closed(open_server):
    with open_server.client() as client:
        assert client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)}).status_code == 404
        big = client.post("/gradio_api/upload", content=b"x" * (50 << 20),
                          headers={"content-type": "application/octet-stream"})
        assert big.status_code in (404, 413)
        for path in ("/gradio_api/upload_progress", "/gradio_api/proxy=http://127.0.0.1:9/",
                     "/gradio_api/runs", "/monitoring", "/gradio_api/file=/etc/hostname", "/file=/etc/hostname",
                     "/gradio_api/openapi.json", "/gradio_api/mcp/schema"):
            assert client.get(path).status_code == 404, path
        for path in ("/gradio_api/call/respond", "/gradio_api/run/predict", "/gradio_api/api/respond",
                     "/gradio_api/reset", "/gradio_api/process_recording"):
            assert client.post(path, json={"data": []}).status_code == 404, path
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus, match="403"):
        connect(open_server.url.replace("http", "ws") + "/gradio_api/queue/join", open_timeout=10).close()
    with open_server.client() as client:
        # what the page needs still answers
        for path in ("/", "/config", "/theme.css", "/case-static/chat.js", "/api/health"):
            assert client.get(path).status_code == 200, path


@slow
def test_feedback_capped_per_client(open_server):
    with open_server.client() as client:
        events = _events(client)
        session = uuid.uuid4().hex[:11]
        _ask(client, "Where is the shell company based?", session)
        notes = []
        for _ in range(FEEDBACK_PER_MINUTE + 3):
            _, messages = run_event(client, events["chat.like"], [None], session=session,
                                    event_data={"index": 1, "value": ["x" * 100_000], "liked": True})
            notes += [json.dumps(m) for m in messages if m.get("msg") == "log"]
    lines = (open_server.dir / "feedback.jsonl").read_text().splitlines()
    assert len(lines) == FEEDBACK_PER_MINUTE
    assert all(len(line) < 4_000 for line in lines)  # bounded: the client's 100 kB value is not kept
    assert any("wait a minute" in n for n in notes), notes


def test_feedback_file_rotates_at_its_size(tmp_path):
    from assistant.feedback import FeedbackLog
    from assistant.types import Answer, AnswerPart, Citation

    log = FeedbackLog(tmp_path / "feedback.jsonl", max_bytes=2_000, backups=2)
    answer = Answer.cited([AnswerPart("The company is in the Netherlands.", 1)],
                          [Citation(1, "a.md", "T", "P", "", "x" * 900, "q" * 900)])
    for i in range(20):
        log.record("up", f"question {i} " + "y" * 5_000, answer)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["feedback.jsonl", "feedback.jsonl.1", "feedback.jsonl.2"]
    assert all(f.stat().st_size <= 2_000 + 4_000 for f in files)
    last = json.loads((tmp_path / "feedback.jsonl").read_text().splitlines()[-1])
    assert last["question"].startswith("question 19") and len(last["question"]) <= 2_000


# --------------------------------------------------------------------------- 6. headers, 7. leaks


def _csp(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers.get("content-security-policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@slow
def test_security_headers_on_every_response(open_server):
    with open_server.client() as client:
        responses = [client.get("/"), client.get("/config"), client.get("/theme.css"), client.get("/case-static/chat.js"),
                     client.get("/openapi.json"), client.get("/api/health"), client.get("/no/such/page"),
                     client.post("/api/ask", json={"question": "Who is the whistleblower?"}),
                     client.post("/api/ask", content=b"x", headers={"content-type": "text/plain"}),
                     client.post("/api/ask", content=b"x" * 5_000_000, headers={"content-type": "application/json"}),
                     client.get("/static/fonts/SourceSansPro/SourceSansPro-Regular.woff2")]
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": "nosession01"}) as stream:
            responses.append(stream)
    for r in responses:
        where = f"{r.request.method} {r.request.url.path} -> {r.status_code}"
        assert r.headers.get("x-frame-options") == "DENY", where
        assert r.headers.get("x-content-type-options") == "nosniff", where
        assert r.headers.get("referrer-policy") == "no-referrer", where
        csp = _csp(r)
        assert csp.get("frame-ancestors") == ["'none'"], where
        assert csp.get("default-src") == ["'self'"], where
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(csp.get("script-src", [])), where


@slow
def test_csp_allows_exactly_the_page_inline_scripts(open_server):
    page = httpx.get(open_server.url + "/", timeout=60)
    inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", page.text, re.S)
    assert inline, "the page has no inline scripts any more: drop the hashing"
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline}
    allowed = set(_csp(page)["script-src"]) - {"'self'"}
    assert allowed == expected


def test_api_errors_name_no_server_path(tmp_path):
    """A missing index is a 503 that says what to do, not where the index was looked for."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.api import build_router
    from assistant.service import Assistant

    app = FastAPI()
    app.include_router(build_router(Assistant(index_dir=tmp_path / "no-index")))
    r = TestClient(app).post("/api/ask", json={"question": "Who is the whistleblower?"})
    assert r.status_code == 503 and "ingest" in r.json()["error"]
    assert str(tmp_path) not in r.text and "no-index" not in r.text


@slow
def test_gradio_event_error_carries_no_exception_text(open_server):
    with open_server.client() as client:
        _, messages = run_event(client, _events(client)["question.submit"], [])  # too few inputs: Gradio raises
    done = messages[-1]
    assert done["msg"] == "process_completed" and done["success"] is False
    assert done["output"].get("error") is None


@slow
def test_schema_and_docs_behind_login(login_server, open_server):
    with login_server.client() as anonymous:
        assert anonymous.get("/openapi.json").status_code == 401
        assert anonymous.get("/docs").status_code == 404
        assert anonymous.get("/config").status_code in (401, 403)
    r = httpx.get(login_server.url + "/openapi.json", headers={"authorization": _basic(USER, PASSWORD)}, timeout=60)
    if r.status_code == 429:
        time.sleep(int(r.headers["Retry-After"]) + 0.5)
        r = httpx.get(login_server.url + "/openapi.json", headers={"authorization": _basic(USER, PASSWORD)}, timeout=60)
    assert r.status_code == 200 and "/api/ask" in r.json()["paths"]
    assert httpx.get(open_server.url + "/openapi.json", timeout=60).status_code == 200  # no login: public as before


# --------------------------------------------------------------------------- 3. login throttling (last: it locks out)


@slow
@pytest.mark.parametrize("how,address", [("login form", "127.0.0.51"), ("HTTP Basic", "127.0.0.52")])
def test_login_throttled_after_failures_then_right_password_works(login_server, how, address):
    """From an address of its own (no other test's failures in its window)."""
    def attempt(password: str) -> httpx.Response:
        with _from(address) as client:
            if how == "login form":
                return client.post(login_server.url + "/login", data={"username": USER, "password": password})
            return client.post(login_server.url + "/api/ask", json={"question": "Who is the whistleblower?"},
                               headers={"authorization": _basic(USER, password)})

    statuses = []
    for i in range(30):
        r = attempt(f"guess-{i}")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[-1] == 429 and len(statuses) < 30, statuses
    assert set(statuses[:-1]) <= {400, 401} and len(statuses) == 11, statuses
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= WINDOW
    assert attempt(PASSWORD).status_code == 429  # the right password too, while locked out
    time.sleep(wait + 0.5)
    assert attempt(PASSWORD).status_code == 200
    assert f"failed sign-in from {address}" in login_server.log and "too many failures" in login_server.log


# --------------------------------------------------------------------------- 5. fetch guard (in process)


class _Listener(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        body = b"<html><body><article><p>" + b"Local secret page. " * 30 + b"</p></article></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_listener() -> Iterator[int]:
    _Listener.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def fake_dns(monkeypatch) -> dict[str, list[list[str]]]:
    """Names -> successive answers (the last repeats); every other host resolves as usual.
    Patched into socket.getaddrinfo, which every resolution in the process goes through."""
    import socket

    answers: dict[str, list[list[str]]] = {}
    calls: dict[str, int] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        n = calls.get(name, 0)
        calls[name] = n + 1
        batch = answers[name][min(n, len(answers[name]) - 1)]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in batch]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["__calls__"] = calls  # type: ignore[assignment]
    return answers


def _fetch(tmp_path: Path, url: str):
    from assistant.settings import Settings
    from ingest.fetch import fetch_all
    from ingest.manifest import SourceEntry

    entry = SourceEntry(id="s", title="T", publisher="P", url=url, fetch=True)
    return fetch_all([entry], tmp_path, Settings(fetch_timeout=5, fetch_max_bytes=100_000))["s"]


@pytest.mark.parametrize("address", ["100.64.0.1", "169.254.169.254", "10.1.2.3", "::ffff:127.0.0.1",
                                     "64:ff9b::7f00:1", "224.0.0.1", "0.0.0.0"])
def test_fetch_guard_refuses_non_public_address_before_connecting(tmp_path, fake_dns, outbound_connections, address):
    fake_dns["cgnat.example"] = [[address]]
    result = _fetch(tmp_path, "http://cgnat.example/page")
    assert result.status == "failed" and "non-public" in result.reason and address in result.reason
    assert outbound_connections == []  # refused before any socket connected
    assert not (tmp_path / ".fetched").exists()


def test_fetch_guard_connects_to_the_address_it_checked(tmp_path, fake_dns, outbound_connections, local_listener):
    """DNS rebinding: the name answers a public address first and 127.0.0.1 after. The fetch
    resolves once and connects to the public address it checked (refused here by the test
    guard before any packet), so nothing reaches the local listener."""
    fake_dns["rebind.example"] = [["93.184.216.34"], ["127.0.0.1"]]
    result = _fetch(tmp_path, f"http://rebind.example:{local_listener}/page")
    assert result.status == "failed"
    assert _Listener.hits == 0
    assert outbound_connections == [("93.184.216.34", local_listener)]
    assert fake_dns["__calls__"]["rebind.example"] == 1  # type: ignore[index]


def test_outbound_guard_refuses_before_connecting(outbound_connections):
    import socket

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    assert outbound_connections == [("93.184.216.34", 80)]


# --------------------------------------------------------------------------- 9. parser missing


@slow
def test_ingest_html_parser_missing_fails_that_file_only(tmp_path, run_ingest, ingest_env, make_doc):
    """A broken install (trafilatura importing without lxml_html_clean): the .html file is
    reported failed with the reason, the rest is indexed, no traceback."""
    shadow = tmp_path / "shadow" / "trafilatura"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")\n')
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    (corpus / "pages").mkdir(parents=True)
    (corpus / "pages" / "page.html").write_text(
        "<html><body><article><p>" + "The hearing was adjourned until the spring. " * 10 + "</p></article></body></html>")
    make_doc(corpus, "note.md", "The tribunal listed the preliminary hearing for three days.")
    env = ingest_env(CASE_CORPUS_DIR=corpus, CASE_INDEX_DIR=index, PYTHONPATH=str(shadow.parent))
    run = run_ingest(corpus, index, env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    failures = {f["document"]: f["reason"] for f in run.report["failures"]}
    assert list(failures) == ["pages/page.html"] and "trafilatura" in failures["pages/page.html"]
    assert "lxml_html_clean" in failures["pages/page.html"]
    assert run.report["documents"]["added"] == 1


def test_lxml_html_clean_declared_directly():
    """jusText asks for it as the extra lxml[html_clean], which some pips skip: the project
    names it itself, so every installer brings it."""
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    names = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("-", "_")
             for d in pyproject["project"]["dependencies"]}
    assert "lxml_html_clean" in names
    import trafilatura  # noqa: F401  (imports jusText, which imports lxml_html_clean)


# --------------------------------------------------------------------------- second review (issue 18)
#
# One server of the case index with the edge's bounds set low; each test speaks from a loopback
# address of its own (127.0.0.x: every one of them reaches the server, and the server tells
# them apart), so a lockout or a spent rate in one test is no other test's.

EDGE_WINDOW = 60  # a sign-in window longer than any burst below takes
EDGE_ASKS = 5
TLS_PROXY = "127.0.0.20"  # the one proxy the edge server believes (X-Forwarded-Proto: https from it)
READER_ORIGIN = "https://reader.example"  # the one other origin allowed to read the API


@pytest.fixture(scope="module")
def edge_server(case_index, repo_root, tmp_path_factory) -> Iterator[Server]:
    from servers import serve

    yield from serve(case_index, repo_root, tmp_path_factory.mktemp("edge-server"), CASE_AUTH=f"{USER}:{PASSWORD}",
                     CASE_LOGIN_FAILURES="10", CASE_LOGIN_WINDOW_SECONDS=str(EDGE_WINDOW),
                     CASE_ASKS_PER_MINUTE=str(EDGE_ASKS), CASE_MAX_CONNECTIONS="4000", CASE_TRUSTED_PROXIES=TLS_PROXY, CASE_CORS_ORIGINS=READER_ORIGIN)


def _from(address: str, **kwargs) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60, **kwargs)


def _session(server: Server, address: str) -> httpx.Cookies:
    with _from(address) as client:
        r = client.post(server.url + "/login", data={"username": USER, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.cookies


async def _burst(server: Server, address: str, n: int, attempt, right_after: int) -> tuple[list[int], int]:
    """``n`` concurrent wrong sign-ins from ``address``; once ``right_after`` of them are
    answered, the right password from the same address while the rest are in flight."""
    import asyncio

    answered = asyncio.Event()
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    transport = httpx.AsyncHTTPTransport(local_address=address, limits=limits)
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=120) as client:
        async def wrong(i: int) -> None:
            statuses.append((await attempt(client, f"guess-{i}")).status_code)
            if len(statuses) >= right_after:
                answered.set()

        async def right() -> int:
            await answered.wait()
            return (await attempt(client, PASSWORD)).status_code

        *_, right_status = await asyncio.gather(*(wrong(i) for i in range(n)), right())
    return statuses, right_status


@slow
@pytest.mark.parametrize("how,address", [("login form", "127.0.0.31"), ("HTTP Basic", "127.0.0.32")])
def test_concurrent_sign_ins_get_no_more_answers_than_the_window(edge_server, how, address):
    """Finding: the check ran before the request and the failure was counted after it, so
    1,000 concurrent guesses all got an answer, and a right password inside the burst worked."""
    import asyncio

    async def attempt(client: httpx.AsyncClient, password: str) -> httpx.Response:
        if how == "login form":
            return await client.post("/login", data={"username": USER, "password": password})
        return await client.post("/api/ask", json={"question": "Who is the whistleblower?"},
                                 headers={"authorization": _basic(USER, password)})

    statuses, right = asyncio.run(_burst(edge_server, address, 1000, attempt, right_after=20))
    answered = [s for s in statuses if s != 429]
    assert len(statuses) == 1000 and len(answered) <= 10, {s: statuses.count(s) for s in set(statuses)}
    assert set(answered) <= {400, 401}
    assert right == 429  # the right password waits like any other attempt


@slow
def test_forwarded_for_from_a_client_changes_nothing(edge_server):
    """Finding: X-Forwarded-For was believed from 127.0.0.1, so each guess could name a new
    client. Only CASE_TRUSTED_PROXIES are believed (test_edge shows a trusted one is)."""
    statuses = []
    with _from("127.0.0.1") as client:  # the address uvicorn believed by default (no other test signs in from it here)
        for i in range(30):
            r = client.post(edge_server.url + "/login", data={"username": USER, "password": f"guess-{i}"},
                            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
            statuses.append(r.status_code)
    assert statuses[:10] == [400] * 10 and set(statuses[10:]) == {429}, statuses
    assert "failed sign-in from 127.0.0.1 " in edge_server.log and "198.51.100." not in edge_server.log


@slow
@pytest.mark.parametrize("path,address", [("/config", "127.0.0.41"), ("/gradio_api/info", "127.0.0.42"),
                                          ("/", "127.0.0.43"), ("/api/ask", "127.0.0.44")])
def test_other_origin_gets_no_credentialed_read(edge_server, path, address):
    """Finding: with a host name other than localhost, Gradio echoed any Origin with
    Access-Control-Allow-Credentials, so another site's page read /config with the user's cookie."""
    cookies = _session(edge_server, address)
    host = "case.example:" + edge_server.url.rsplit(":", 1)[1]
    with _from(address, cookies=cookies) as client:
        for origin in ("https://evil.example", "null", f"http://{host}.evil.example"):
            headers = {"Origin": origin, "Host": host}
            if path == "/api/ask":
                r = client.post(edge_server.url + path, json={"question": "Who?"},
                                headers={**headers, "authorization": _basic(USER, PASSWORD)})
            else:
                r = client.get(edge_server.url + path, headers=headers)
            assert r.status_code in (200, 401), (origin, r.status_code)
            assert not any(k.lower().startswith("access-control-allow") for k in r.headers), (origin, dict(r.headers))
            pre = client.request("OPTIONS", edge_server.url + path, headers={
                **headers, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
            assert "access-control-allow-origin" not in pre.headers and "access-control-allow-credentials" not in pre.headers
        # the one origin the settings list may read the API, never with credentials
        r = client.post(edge_server.url + "/api/ask", json={"question": "Who is the whistleblower?"},
                        headers={"Origin": READER_ORIGIN, "authorization": _basic(USER, PASSWORD)})
        assert r.headers.get("access-control-allow-origin") == READER_ORIGIN
        assert "access-control-allow-credentials" not in r.headers


@slow
def test_session_cookie_same_site_and_secure_only_over_tls(edge_server):
    with _from("127.0.0.35") as client:
        plain = client.post(edge_server.url + "/login", data={"username": USER, "password": PASSWORD})
    with _from(TLS_PROXY) as client:  # the configured proxy says the client came over TLS
        tls = client.post(edge_server.url + "/login", data={"username": USER, "password": PASSWORD},
                          headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    for r, secure in ((plain, False), (tls, True)):
        cookies = r.headers.get_list("set-cookie")
        assert r.status_code == 200 and cookies
        for cookie in cookies:
            attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
            assert attributes.get("samesite", "").lower() == "samesite=lax", cookie
            assert ("secure" in attributes) is secure, cookie


@slow
def test_logout_is_a_post(edge_server):
    cookies = _session(edge_server, "127.0.0.36")
    with _from("127.0.0.36", cookies=cookies) as client:
        assert client.get(edge_server.url + "/logout").status_code == 404  # a link or an image cannot sign out
        assert client.get(edge_server.url + "/config").status_code == 200
        out = client.post(edge_server.url + "/logout")
        assert out.status_code in (302, 303)
        assert client.get(edge_server.url + "/config").status_code in (401, 403)  # the session is gone


@slow
def test_oversized_header_refused_within_a_second(edge_server):
    import socket

    host, port = edge_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        start = time.monotonic()
        try:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
        except OSError:
            pass  # closed while the header was still going out: refused
        sock.settimeout(5)
        try:
            got = sock.recv(100)
        except ConnectionResetError:
            got = b""
        assert (got == b"" or got.startswith(b"HTTP/1.1 431")) and time.monotonic() - start < 1, got
    assert httpx.get(edge_server.url + "/api/health", timeout=10).status_code == 200


@slow
def test_questions_over_the_per_client_rate_get_429(edge_server):
    """Finding: /api/ask had no per-client rate (300 in a row all answered). The API and the
    chat's queue share one budget per client; another client is not affected."""
    auth = {"authorization": _basic(USER, PASSWORD)}
    with _from("127.0.0.37") as client:
        codes = [client.post(edge_server.url + "/api/ask", json={"question": "Who is the whistleblower?"},
                             headers=auth).status_code for _ in range(EDGE_ASKS)]
        assert codes == [200] * EDGE_ASKS
        over = client.post(edge_server.url + "/api/ask", json={"question": "Who is the whistleblower?"}, headers=auth)
        assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
        cookies = _session(edge_server, "127.0.0.37")
        join = client.post(edge_server.url + "/gradio_api/queue/join", cookies=cookies,
                           json={"data": [], "fn_index": 0, "session_hash": "rate0000001"})
        assert join.status_code == 429
    with _from("127.0.0.38") as other:
        assert other.post(edge_server.url + "/api/ask", json={"question": "Who is the whistleblower?"},
                          headers=auth).status_code == 200


HOSTILE_JSON = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b'"\\ud800"', b'"\\udfff x"']


@slow
@pytest.mark.parametrize("value", HOSTILE_JSON)
@pytest.mark.parametrize("route", ["/gradio_api/queue/join", "/gradio_api/cancel"])
def test_gradio_non_finite_number_or_lone_surrogate_gets_4xx(open_server, route, value):
    bodies = [b'{"data": [' + value + b'], "fn_index": 0, "session_hash": "abcdefghijk"}',
              b'{"session_hash": ' + value + b', "event_id": "x", "fn_index": 0}',
              b'{"fn_index": 0, "data": [], "session_hash": "abcdefghijk", "trigger_id": ' + value + b"}"]
    for body in bodies:
        r = httpx.post(open_server.url + route, content=body, headers={"content-type": "application/json"}, timeout=60)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)


@slow
def test_gradio_over_long_names_and_unknown_sessions_get_404(open_server):
    before = open_server.log.count("\n")
    with open_server.client() as client:
        for prefix in ("/static/", "/assets/", "/svelte/", "/gradio_api/heartbeat/", "/case-static/", "/api/"):
            assert client.get(prefix + "a" * 300).status_code == 404, prefix
        for session in ("nosession01", "%ED%A0%80", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")):
            r = client.get("/gradio_api/queue/data", params={"session_hash": session})
            assert r.status_code == 404, session
    time.sleep(0.5)
    new = open_server.log.splitlines()[before:]
    assert not any("Traceback" in line for line in new), new
    assert sum("no such session" in line for line in new) <= 3  # one line each, at most


def test_front_matter_url_with_markdown_refused_and_never_rendered(tmp_path):
    """Finding: a front-matter url holding blank lines injected Markdown links and images into
    cards, the panel, Sources, Timeline and Who's who."""
    from assistant.errors import DocumentError
    from assistant.render import safe_url
    from ingest.documents import load_file

    hostile = "https://ok.example/a\n\n![x](https://evil.example/i.png) [click](https://evil.example/)"
    doc = tmp_path / "note.md"
    doc.write_text(f"---\ntitle: Note\nurl: {json.dumps(hostile)}\n---\n\nThe tribunal sat in London.\n")
    with pytest.raises(DocumentError, match="front matter field 'url'"):
        load_file(doc, tmp_path)
    doc.write_text('---\ntitle: "Two\\n\\nlines"\n---\n\nThe tribunal sat in London.\n')
    with pytest.raises(DocumentError, match="front matter field 'title'"):
        load_file(doc, tmp_path)
    assert safe_url(hostile) == ""  # an index written before this check still renders no link
    assert "](" not in safe_url("https://ok.example/a_(b)") and safe_url("https://ok.example/a").startswith("https")


@slow
def test_admin_without_sign_in_refuses_to_start(case_index, repo_root, tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "CASE_AUTH"}
    run = subprocess.run([sys.executable, "app.py", "--admin"], cwd=repo_root, capture_output=True, text=True,
                         env={**env, "CASE_INDEX_DIR": str(case_index), "GRADIO_SERVER_PORT": "9"}, timeout=120)
    assert run.returncode == 2 and "CASE_AUTH" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("address", ["::7f00:1", "::a00:1", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "64:ff9b:1::a00:1",
                                     "64:ff9b:1::5db8:d822", "fec0::1", "feff::1"])
def test_fetch_guard_refuses_deprecated_and_local_ipv6_forms(tmp_path, fake_dns, outbound_connections, address):
    fake_dns["v6.example"] = [[address]]
    result = _fetch(tmp_path, "http://v6.example/page")
    assert result.status == "failed" and "non-public" in result.reason
    assert outbound_connections == []


class _Hostile(BaseHTTPRequestHandler):
    """A fetched source's server at its worst: a compression bomb, or headers one byte at a time."""

    brotli_bomb = gzip_bomb = b""

    def do_GET(self):  # noqa: N802
        try:
            if self.path == "/br":
                self._send({"Content-Encoding": "br"}, self.brotli_bomb)
            elif self.path == "/gzip":
                self._send({"Content-Encoding": "gzip"}, self.gzip_bomb)
            elif self.path == "/trickle":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"a" * 200:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, headers: dict[str, str], body: bytes) -> None:
        self.send_response(200)
        for k, v in {"Content-Type": "text/html", "Content-Length": str(len(body)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile_origin() -> Iterator[str]:
    import brotli

    compressor = brotli.Compressor(quality=4, lgwin=24)
    zeros = b"\0" * (1 << 20)
    _Hostile.brotli_bomb = b"".join(compressor.process(zeros) for _ in range(256)) + compressor.finish()  # 256 MB
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    _Hostile.gzip_bomb = b"".join(deflate.compress(zeros) for _ in range(256)) + deflate.flush()  # 256 MB too
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _fetch_local(tmp_path: Path, url: str, timeout: float = 5):
    from assistant.settings import Settings
    from ingest.fetch import fetch_all
    from ingest.manifest import SourceEntry

    entry = SourceEntry(id="s", title="T", publisher="P", url=url, fetch=True)
    return fetch_all([entry], tmp_path, Settings(fetch_timeout=timeout, fetch_max_bytes=10_000_000),
                     allow_private=True)["s"]


@pytest.mark.parametrize("path", ["/br", "/gzip"])
def test_fetch_compression_bomb_bounded_while_it_streams(tmp_path, hostile_origin, path):
    """Finding: the size cap was checked after each chunk was decompressed, and a chunk of
    809 bytes of brotli took the process to 2 GB."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = _fetch_local(tmp_path, hostile_origin + path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status == "failed", result
    assert "too large" in result.reason or "content encoding 'br'" in result.reason, result.reason
    assert peak < 64 << 20, f"peak {peak >> 20} MB"


def test_fetch_trickled_headers_end_at_the_timeout(tmp_path, hostile_origin):
    start = time.monotonic()
    result = _fetch_local(tmp_path, hostile_origin + "/trickle", timeout=1.5)
    assert result.status == "failed" and "timed out" in result.reason, result
    assert time.monotonic() - start < 3
