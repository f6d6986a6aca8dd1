"""Fetch faults and fetch safety against a local server on 127.0.0.1: each fault keeps the
last good copy, is reported with its reason, and the other sources go on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

GOOD = ("<html><head><title>{name}</title></head><body><article><h1>{name}</h1>"
        "<p>The {name} desk reported that the tribunal heard evidence about the cloud contract, the billing "
        "records and the internal memo during a long session on Tuesday afternoon in London.</p>"
        "<p>Lawyers for both sides said they expected the {name} ruling on disclosure to come later this "
        "year, after further written submissions from the parties.</p></article></body></html>")
PAYWALL = ("<html><body><article><h1>Subscribe</h1><p>To read this story, subscribe.</p>"
           "<div class='paywall'>Subscribe now</div></article></body></html>")
FAULTS = ["slow", "notfound", "broken", "paywall", "shell", "huge", "loop", "moved"]


class Site:
    mode = "good"
    requests = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        Site.requests += 1
        name = self.path.strip("/").split("?")[0]
        if Site.mode == "good" or name == "target":
            return self._send(200, GOOD.format(name=name))
        if name == "slow":
            time.sleep(4)
            return self._send(200, GOOD.format(name=name))
        if name == "notfound":
            return self._send(404, "<html><body>Not found</body></html>")
        if name == "broken":
            return self._send(500, "<html><body>Server error</body></html>")
        if name == "paywall":
            return self._send(200, PAYWALL)
        if name == "shell":
            return self._send(200, "<html><head><script src='/app.js'></script></head><body><div id='root'></div></body></html>")
        if name == "huge":
            return self._send(200, "<html><body><p>" + "filler text " * 100_000 + "</p></body></html>")
        if name == "loop":
            return self._redirect("/loop")
        if name == "moved":
            return self._redirect("/target")
        return self._send(404, "")

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Site.mode, Site.requests = "good", 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manifest(corpus: Path, urls: dict[str, str]) -> None:
    corpus.mkdir(exist_ok=True)
    (corpus / "sources.toml").write_text("".join(
        f'[[source]]\nid = "{sid}"\ntitle = "Story {sid}"\npublisher = "Desk {sid}"\nurl = "{url}"\nfetch = true\n\n'
        for sid, url in urls.items()))


def _ingest(corpus: Path, index: Path, repo_root: Path, *extra: str) -> tuple[int, dict, str]:
    env = {**os.environ, "CASE_FETCH_TIMEOUT": "2", "CASE_FETCH_MAX_BYTES": "200000"}
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index),
                          "--json", "--fetch", *extra], capture_output=True, text=True, cwd=repo_root,
                         timeout=600, env=env)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_fetch_faults_keep_last_good_copy_and_report_reason(tmp_path, repo_root, site):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    urls = {name: f"{site}/{name}" for name in FAULTS}
    _manifest(corpus, urls)
    code, report, _ = _ingest(corpus, index, repo_root, "--allow-private")
    assert code == 0 and {s["id"]: s["status"] for s in report["sources"]} == dict.fromkeys(FAULTS, "fetched")
    kept = {name: (corpus / ".fetched" / name / "text.txt").read_text() for name in FAULTS}

    Site.mode = "faulty"
    refused = _closed_port()
    urls["refused"] = f"http://127.0.0.1:{refused}/gone"
    _manifest(corpus, urls)
    started = time.monotonic()
    code, report, stderr = _ingest(corpus, index, repo_root, "--allow-private")
    assert time.monotonic() - started < 120
    assert code == 0 and "Traceback" not in stderr  # fetch failures are reported, not fatal
    status = {s["id"]: s for s in report["sources"]}
    expect = {"slow": "timed out", "notfound": "404", "broken": "500", "paywall": "no article text",
              "shell": "no article text", "huge": "larger than", "loop": "redirects",
              "refused": "ConnectError"}
    for sid, reason in expect.items():
        assert status[sid]["status"] == "failed", (sid, status[sid])
        assert reason.lower() in status[sid]["reason"].lower(), (sid, status[sid]["reason"])
    assert status["moved"]["status"] == "fetched"  # a redirect to a good page is followed
    for name in FAULTS:
        if name != "moved":
            assert (corpus / ".fetched" / name / "text.txt").read_text() == kept[name], name
    texts = json.dumps(report)
    assert report["documents"]["failed"] == 0 and "refused" in texts

    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(index), "--json",
                          "What did the paywall desk report about the tribunal?"],
                         capture_output=True, text=True, cwd=repo_root, timeout=300)
    answer = json.loads(out.stdout)
    assert any(c["source_id"] == "paywall" for c in answer["citations"])  # answered from the kept copy


def test_fetch_private_address_refused_without_flag(tmp_path, repo_root, site):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _manifest(corpus, {"local": f"{site}/target", "moved": f"{site}/moved"})
    code, report, stderr = _ingest(corpus, index, repo_root)
    assert code == 0 and Site.requests == 0  # refused before any request was sent
    for s in report["sources"]:
        assert s["status"] == "failed" and "non-public address" in s["reason"], s
    assert not (corpus / ".fetched").exists()


def test_fetch_manifest_non_http_url_rejected(tmp_path, repo_root):
    corpus = tmp_path / "corpus"
    _manifest(corpus, {"file": "file:///etc/passwd"})
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(tmp_path / "i"),
                          "--fetch"], capture_output=True, text=True, cwd=repo_root, timeout=120)
    assert out.returncode == 2 and "sources.toml" in out.stderr and "'url'" in out.stderr
