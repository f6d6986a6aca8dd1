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
        ask = _events(client)["question.submit"]
        session = uuid.uuid4().hex[:11]
        run_event(client, ask, ["Who is the whistleblower?", None], session=session)
        _, messages = run_event(client, ask, ["When did he file his claim?", None], session=session)
        chat = messages[-1]["output"]["data"][1]
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
        run_event(client, events["question.submit"], ["Where is the shell company based?", None], session=session)
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
@pytest.mark.parametrize("how", ["login form", "HTTP Basic"])
def test_login_throttled_after_failures_then_right_password_works(login_server, how):
    def attempt(password: str) -> httpx.Response:
        if how == "login form":
            return httpx.post(login_server.url + "/login", data={"username": USER, "password": password}, timeout=60)
        return httpx.post(login_server.url + "/api/ask", json={"question": "Who is the whistleblower?"}, timeout=60,
                          headers={"authorization": _basic(USER, password)})

    time.sleep(WINDOW + 0.5)  # whatever earlier tests failed has left the window
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
    assert "failed sign-in from 127.0.0.1" in login_server.log and "too many failures" in login_server.log


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
