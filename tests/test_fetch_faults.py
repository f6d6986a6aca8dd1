"""`ingest --fetch` faults and safety against local HTTP servers on 127.0.0.1 only.

Every fault (timeouts, 404/500, connection refused, redirects, paywall, empty shell, oversized
bodies) must keep the last good copy, be reported with its reason, and let the rest go on.
Loopback addresses in any spelling are refused unless --allow-private; only http(s) URLs.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.errors import CaseError

pytestmark = pytest.mark.slow

FETCH_TIMEOUT, MAX_BYTES = 1.0, 200_000
ENV = {"CASE_FETCH_TIMEOUT": str(FETCH_TIMEOUT), "CASE_FETCH_MAX_BYTES": str(MAX_BYTES)}

PARAGRAPHS = (
    "<p>The {name} desk reported that the employment tribunal heard evidence about the cloud contract, "
    "the billing records and an internal memo during a long session on Tuesday afternoon in London.</p>"
    "<p>Lawyers for both sides told the {name} desk that they expected a ruling on disclosure later this "
    "year, after further written submissions from the parties and a short hearing on the timetable.</p>"
)
FACTS = {
    # The one article the question is answered from; its fetch fails in fault mode.
    "broken": "<p>Documents filed by the claimant showed that the disputed Rekognition contract was worth "
              "about four million pounds, a figure the company did not dispute in its response.</p>",
    "target": "<p>This relocated story says the hearing was moved to Manchester because of building works "
              "at the London tribunal, and that the parties agreed to the change without objection.</p>",
}


def article(name: str) -> str:
    return (f"<html><head><title>Story {name}</title></head><body><nav>Home | World | Business</nav>"
            f"<article><h1>Story {name}</h1>{FACTS.get(name, '')}{PARAGRAPHS.format(name=name)}</article>"
            "<footer>Copyright Local Wire</footer></body></html>")


PAYWALL = ("<html><head><title>Subscribe</title></head><body><article><h1>Tribunal story</h1>"
           "<p>The tribunal heard...</p><div class='paywall'><h2>Subscribe</h2>"
           "<p>Subscribe to read the full story.</p><button>Subscribe now</button></div></article></body></html>")
SHELL = ("<html><head><title>Loading</title><script src='/static/app.js'></script></head>"
         "<body><div id='root'></div><noscript>Enable JavaScript</noscript></body></html>")
FILLER = "<p>" + "filler text " * 90_000 + "</p>"  # ~1 MB, five times the cap

# Sources whose fetch fails in fault mode, with a word the report's reason must contain.
FAULTS = {
    "slow": "timed out",            # no answer for 5 s (timeout 1 s)
    "stallbody": "timed out",       # headers, half a body, then silence
    "notfound": "http 404",
    "broken": "http 500",
    "loop": "redirects",            # redirects to itself
    "toftp": "scheme",              # redirects to ftp://
    "badlocation": "invalid url in location",  # redirects to an unterminated IPv6 literal
    "nolocation": "http 302",       # a redirect without a Location header
    "paywall": "no article text",   # a short teaser and a Subscribe box
    "shell": "no article text",     # an empty JavaScript shell
    "huge": "too large",            # 1 MB with Content-Length
    "endless": "too large",         # close-delimited body that keeps coming (bounded at 2 MB)
    "gzipbomb": "too large",        # 3 KB on the wire, 1 MB decompressed
    "wrongtype": "content type",    # the page turned into a PDF download
    "truncated": "remoteprotocolerror",  # Content-Length promises more than is sent
    "refused": "refused",           # its server is gone: connection refused
}
GOOD_IN_FAULT_MODE = ["moved", "steady"]  # a redirect to a good page; a 304 Not Modified


@dataclass
class SiteState:
    mode: str = "good"
    hits: dict[str, int] = field(default_factory=dict)
    conditional: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total(self) -> int:
        with self.lock:
            return sum(self.hits.values())


class Handler(BaseHTTPRequestHandler):
    state: SiteState  # set per server by _serve
    etag = '"v1"'

    def do_GET(self):
        name = self.path.split("?")[0].strip("/")
        with self.state.lock:
            self.state.hits[name] = self.state.hits.get(name, 0) + 1
        try:
            self._route(name)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (cap reached or timed out): expected for several faults

    def _route(self, name: str) -> None:
        if self.state.mode == "good" or name == "target":
            return self._page(name)
        if name == "steady":
            if self.headers.get("If-None-Match") == self.etag:
                with self.state.lock:
                    self.state.conditional[name] = self.state.conditional.get(name, 0) + 1
                self.send_response(304)
                self.end_headers()
                return None
            return self._page(name)
        if name == "slow":
            time.sleep(5)
            return self._page(name)
        if name == "stallbody":
            data = article(name).encode()
            self._head(200, len(data))
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(5)
            self.wfile.write(data[len(data) // 2:])
            return None
        if name == "notfound":
            return self._send(404, "<html><body><h1>Not found</h1></body></html>")
        if name == "broken":
            return self._send(500, "<html><body><h1>Internal server error</h1></body></html>")
        if name == "moved":
            return self._redirect("/target")
        if name == "loop":
            return self._redirect("/loop")
        if name == "toftp":
            return self._redirect("ftp://127.0.0.1/story.html")
        if name == "badlocation":
            return self._redirect("http://[::1/story")
        if name == "nolocation":
            self._head(302, 0)
            return None
        if name == "paywall":
            return self._send(200, PAYWALL)
        if name == "shell":
            return self._send(200, SHELL)
        if name == "huge":
            return self._send(200, f"<html><body><article>{FILLER}</article></body></html>")
        if name == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()  # no Content-Length: the body ends when the connection closes
            chunk = ("<p>" + "more filler " * 850 + "</p>").encode()  # ~10 KB
            for _ in range(200):  # at most ~2 MB, then the server stops by itself
                self.wfile.write(chunk)
            return None
        if name == "gzipbomb":
            data = gzip.compress(f"<html><body><article>{FILLER}</article></body></html>".encode())
            self._head(200, len(data), {"Content-Encoding": "gzip"})
            self.wfile.write(data)
            return None
        if name == "wrongtype":
            data = b"%PDF-1.4\n" + b"0" * 2000
            self._head(200, len(data), {"Content-Type": "application/pdf"})
            self.wfile.write(data)
            return None
        if name == "truncated":
            data = article(name).encode()
            self._head(200, len(data) + 5000)
            self.wfile.write(data)
            return None  # HTTP/1.0 handler: the connection closes 5000 bytes short
        return self._send(404, "")

    def _head(self, status: int, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(length), **(extra or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self._head(status, len(data), {"ETag": self.etag} if status == 200 else None)
        self.wfile.write(data)

    def _page(self, name: str) -> None:
        self._send(200, article(name))

    def _redirect(self, location: str) -> None:
        self._head(302, 0, {"Location": location})

    def log_message(self, *args):
        pass


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.state = SiteState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (handler,), {"state": self.state}))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.httpd.shutdown()
            self.httpd.server_close()  # the port is now closed: connections are refused
            self.thread.join(timeout=10)


@pytest.fixture()
def serve():
    servers: list[_Server] = []

    def start(handler: type[BaseHTTPRequestHandler] = Handler) -> _Server:
        servers.append(_Server(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _manifest(corpus: Path, urls: dict[str, str]) -> None:
    corpus.mkdir(exist_ok=True)
    (corpus / "sources.toml").write_text("".join(
        f'[[source]]\nid = "{sid}"\ntitle = "Story {sid}"\npublisher = "Desk {sid}"\n'
        f'url = "{url}"\nfetch = true\n\n' for sid, url in urls.items()), encoding="utf-8")


def _run_ingest(corpus: Path, index: Path, repo_root: Path, *extra: str) -> subprocess.CompletedProcess:
    """The CLI itself: for what it says of a manifest it refuses (exit code, message, JSON)."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "--json", "--fetch",
         *extra], capture_output=True, text=True, cwd=repo_root, timeout=300, env={**os.environ, **ENV}, check=False)


@dataclass
class Fetched:
    report: dict
    log: str  # what the run logged, as the CLI writes it on stderr


@pytest.fixture
def fetch_here(ingest_here, caplog):
    """``fetch_here(corpus, index, allow_private=True)``: `ingest --fetch` in this process with the
    session's models (the fetch and its reports are the pipeline's; the CLI adds only printing)."""

    def run(corpus: Path, index: Path, allow_private: bool = True) -> Fetched:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            report = ingest_here(corpus, index, fetch=True, allow_private=allow_private,
                                 fetch_timeout=FETCH_TIMEOUT, fetch_max_bytes=MAX_BYTES)
        return Fetched(report, caplog.text)

    return run


def _cache(corpus: Path, sid: str) -> dict[str, bytes]:
    folder = corpus / ".fetched" / sid
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def test_ingest_fetch_faults_keep_last_good_copy(tmp_path, fetch_here, serve):
    site, gone = serve(), serve()
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    urls = {sid: f"{site.base}/{sid}" for sid in [*FAULTS, *GOOD_IN_FAULT_MODE]}
    urls["refused"] = f"{gone.base}/refused"  # on a second server, closed before the fault run
    _manifest(corpus, urls)

    # 1. Every source serves a good article: each gets a cached copy.
    report = fetch_here(corpus, index).report
    assert report["documents"]["failed"] == 0, report["failures"]
    assert {s["id"]: s["status"] for s in report["sources"]} == dict.fromkeys(urls, "fetched")
    kept = {sid: _cache(corpus, sid) for sid in urls}
    for sid, files in kept.items():
        assert {"text.txt", "page.html", "meta.json"} <= set(files), sid
        text = files["text.txt"].decode()
        assert len(text) > 200 and f"{sid} desk" in text and "Copyright" not in text, sid
    assert "four million pounds" in kept["broken"]["text.txt"].decode()

    # 2. Fault mode: every fault fails with its reason, keeps its copy; the rest goes on.
    site.state.mode, site.state.hits = "faulty", {}
    gone.close()
    started = time.monotonic()
    ran = fetch_here(corpus, index)
    elapsed = time.monotonic() - started
    report = ran.report
    assert report["documents"]["failed"] == 0, report["failures"]  # fetch failures are reported, not document failures
    assert elapsed < 120
    sources = {s["id"]: s for s in report["sources"]}
    assert set(sources) == set(urls)
    for sid, word in FAULTS.items():
        s = sources[sid]
        assert s["status"] == "failed", (sid, s)
        assert word in s.get("reason", "").lower(), (sid, s)
        assert s["has_text"] is True, (sid, s)  # the kept copy is still what is indexed
        assert _cache(corpus, sid) == kept[sid], f"{sid}: last good copy changed"
        assert f"fetch {sid} failed" in ran.log, sid
    assert "more than 5 redirects" in sources["loop"]["reason"]
    assert "ftp" in sources["toftp"]["reason"] and sources["toftp"]["reason"].startswith("refused")
    assert f"{MAX_BYTES:,} bytes" in sources["huge"]["reason"]
    assert 2 <= site.state.hits["loop"] <= 6 and site.state.hits.get("story.html") is None

    assert sources["moved"]["status"] == "fetched" and not sources["moved"].get("reason")
    moved_text = (corpus / ".fetched" / "moved" / "text.txt").read_text(encoding="utf-8")
    assert "relocated story" in moved_text and "moved desk" not in moved_text
    assert sources["steady"]["status"] == "fetched" and site.state.conditional.get("steady") == 1
    assert _cache(corpus, "steady") == kept["steady"]

    assert report["documents"]["failed"] == 0 and report["failures"] == []
    assert report["documents"]["changed"] == 1  # only "moved"; every failed source kept its indexed text
    assert report["documents"]["unchanged"] == len(urls) - 1

    # 3. The index still answers from a kept copy (the "broken" source now answers HTTP 500).
    from assistant import Assistant

    answer = Assistant(index_dir=index).ask("How much was the disputed Rekognition contract worth?").to_dict()
    assert "four million pounds" in answer["answer"], answer
    assert answer["citations"] and answer["citations"][0]["source_id"] == "broken", answer["citations"]
    assert answer["citations"][0]["publisher"] == "Desk broken"


def test_ingest_fetch_loopback_refused_without_allow_private(tmp_path, fetch_here, serve):
    site = serve()
    port = site.port
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    urls = {
        "dotted": f"{site.base}/dotted",
        "name": f"http://localhost:{port}/name",
        "short": f"http://127.1:{port}/short",
        "decimal": f"http://2130706433:{port}/decimal",
        "hex": f"http://0x7f000001:{port}/hex",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/mapped",
        "v6": f"http://[::1]:{port}/v6",
        "unspecified": f"http://0.0.0.0:{port}/unspecified",
        "redirect": f"{site.base}/moved",  # would redirect; refused before the first request
        "secure": f"https://127.0.0.1:{port}/secure",
    }
    _manifest(corpus, urls)
    site.state.mode = "faulty"  # /moved redirects to /target if ever asked

    report = fetch_here(corpus, index, allow_private=False).report
    assert report["documents"]["failed"] == 0, report["failures"]
    assert site.state.total() == 0, site.state.hits  # nothing was sent to the local server
    sources = {s["id"]: s for s in report["sources"]}
    assert set(sources) == set(urls)
    for sid, s in sources.items():
        assert s["status"] == "failed" and s["has_text"] is False, (sid, s)
        assert "non-public address" in s["reason"] and "--allow-private" in s["reason"], (sid, s)
        assert s["reason"].startswith("refused"), (sid, s)
    assert not (corpus / ".fetched").exists()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "ftp://127.0.0.1/story.html",
    "gopher://127.0.0.1:70/1",
    "javascript:alert(1)",
    "//127.0.0.1/story",
])
def test_ingest_manifest_url_non_http_rejected(tmp_path, repo_root, url):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _manifest(corpus, {"good": "http://127.0.0.1:9/never", "bad": url})
    out = _run_ingest(corpus, index, repo_root, "--allow-private")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "sources.toml" in out.stderr and "'url'" in out.stderr and "#2" in out.stderr, out.stderr
    error = json.loads(out.stdout.strip().splitlines()[-1])["error"]
    assert "sources.toml" in error and "http" in error
    assert not (corpus / ".fetched").exists()


class DripHandler(BaseHTTPRequestHandler):
    """A good article, a few bytes every 0.5 s: each read is within the timeout, the whole is not."""

    state: SiteState

    def do_GET(self):
        with self.state.lock:
            self.state.hits["drip"] = self.state.hits.get("drip", 0) + 1
        data = article("drip").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        pieces = 8  # 8 x 0.5 s = 4 s in all, twice the 2 s cap; then it stops by itself
        step = -(-len(data) // pieces)
        try:
            for i in range(pieces):
                self.wfile.write(data[i * step:(i + 1) * step])
                self.wfile.flush()
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            with self.state.lock:
                self.state.conditional["dropped"] = 1

    def log_message(self, *args):
        pass


def test_ingest_fetch_trickled_body_time_capped(tmp_path, fetch_here, serve):
    site = serve(DripHandler)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _manifest(corpus, {"drip": f"{site.base}/drip"})
    report = fetch_here(corpus, index).report
    assert report["documents"]["failed"] == 0
    s = report["sources"][0]
    assert s["status"] == "failed" and "timed out" in s.get("reason", ""), s
    assert not (corpus / ".fetched" / "drip" / "text.txt").exists()


def test_ingest_fetch_malformed_host_reported(tmp_path, fetch_here, serve):
    """An over-long label and an unterminated IPv6 literal, in one run: each reported, no traceback."""
    site = serve()
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    bad = {"overlong": "http://" + "a" * 70 + ".example/story", "unterminated": "http://[::1/story"}
    _manifest(corpus, {**bad, "local": f"{site.base}/local"})
    try:
        ran = fetch_here(corpus, index, allow_private=False)  # the check itself must cope
    except CaseError as exc:  # also acceptable: the manifest rejects a URL, naming it
        assert "sources.toml" in str(exc) and "'url'" in str(exc), exc
        return
    finally:
        assert site.state.total() == 0
    assert "Traceback" not in ran.log, ran.log[-3000:]
    sources = {s["id"]: s for s in ran.report["sources"]}
    for name in bad:
        assert sources[name]["status"] == "failed" and sources[name].get("reason"), sources
    assert sources["local"]["status"] == "failed" and "non-public" in sources["local"]["reason"]


class NotModifiedHandler(BaseHTTPRequestHandler):
    """Answers 304 Not Modified even to an unconditional request."""

    state: SiteState

    def do_GET(self):
        with self.state.lock:
            self.state.hits["stale"] = self.state.hits.get("stale", 0) + 1
        self.send_response(304)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_ingest_fetch_unconditional_304_without_copy_failed(tmp_path, fetch_here, serve):
    site = serve(NotModifiedHandler)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _manifest(corpus, {"stale": f"{site.base}/stale"})
    report = fetch_here(corpus, index).report
    assert report["documents"]["failed"] == 0 and site.state.hits == {"stale": 1}
    s = report["sources"][0]
    assert s["has_text"] is False and not (corpus / ".fetched" / "stale").exists()
    assert s["status"] == "failed" and "304" in s.get("reason", ""), s
