"""`ingest --fetch` against a local HTTP server: fetched, not modified, failed-but-kept."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.slow

ARTICLE = """<html><head><title>Tribunal hears AWS whistleblower</title></head><body>
<nav>Home | World | Business</nav>
<article><h1>Tribunal hears AWS whistleblower</h1>
<p>The employment tribunal heard that the disputed Rekognition contract was worth about four million pounds,
according to documents filed by the claimant's lawyers in London this week.</p>
<p>Amazon's lawyers told the tribunal that the company would contest every allegation and that its records
showed no sale of the software to the Russian firm at any point during the period in question.</p>
<p>A further hearing on the disclosure of internal emails is expected to take place later in the year,
the judge said, after both parties asked for more time to prepare their evidence.</p>
</article><footer>Copyright</footer></body></html>"""


class Page:
    status = 200
    body = ARTICLE
    etag = '"v1"'
    conditional_hits = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.headers.get("If-None-Match") == Page.etag and Page.status == 200:
            Page.conditional_hits += 1
            self.send_response(304)
            self.end_headers()
            return
        data = Page.body.encode()
        self.send_response(Page.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", Page.etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _ingest(corpus, index, repo_root, *extra):
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index),
                          "--json", *extra], capture_output=True, text=True, cwd=repo_root, timeout=600)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_ingest_fetch_caches_text_then_survives_failure(tmp_path, repo_root, site, ingest_here):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(
        f'[[source]]\nid = "wire"\ntitle = "Tribunal hears AWS whistleblower"\npublisher = "Local Wire"\n'
        f'url = "{site}/story"\nfetch = true\n')
    index = tmp_path / "index"

    offline = ingest_here(corpus, index)
    assert offline["documents"]["failed"] == 0 and offline["sources"][0]["status"] == "not fetched"

    # The CLI's --fetch once; the runs after it in this process, with the session's models.
    code, report, _ = _ingest(corpus, index, repo_root, "--fetch", "--allow-private")
    assert code == 0 and report["sources"][0]["status"] == "fetched"
    text = (corpus / ".fetched" / "wire" / "text.txt").read_text()
    assert "four million pounds" in text and "Copyright" not in text  # extracted, boilerplate gone
    assert (corpus / ".fetched" / "wire" / "page.html").exists()
    assert report["documents"]["changed"] == 1

    report = ingest_here(corpus, index, fetch=True, allow_private=True)
    assert Page.conditional_hits == 1 and report["documents"]["unchanged"] == 1

    Page.status, Page.etag = 500, '"v2"'
    try:
        report = ingest_here(corpus, index, fetch=True, allow_private=True)
    finally:
        Page.status, Page.etag = 200, '"v1"'
    assert report["sources"][0]["status"] == "failed" and "500" in report["sources"][0]["reason"]
    assert "four million pounds" in (corpus / ".fetched" / "wire" / "text.txt").read_text()
    assert report["documents"]["unchanged"] == 1  # the last good copy is still what is indexed

    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(index), "--json",
                          "How much was the disputed contract worth?"],
                         capture_output=True, text=True, cwd=repo_root, timeout=300)
    answer = json.loads(out.stdout)
    assert "four million pounds" in answer["answer"]
    assert answer["citations"][0]["publisher"] == "Local Wire"
