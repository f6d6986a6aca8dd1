"""The chat in a real browser: Playwright driving Debian's Chromium against the real app."""

from __future__ import annotations

import json
import shutil

import pytest
from playwright.sync_api import expect

from browser_support import ARTIFACTS, ask_in_page, open_page
from servers import start_app, stop_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.parametrize("width,height,dark", [(1280, 800, False), (390, 844, False), (1280, 800, True)])
def test_browser_answer_streams_and_marker_shows_passage(browser, hostile_server, width, height, dark):
    url, _ = hostile_server
    page, errors, _ = open_page(browser, url, width, height, dark)
    ask_in_page(page, "Who is the whistleblower?")
    # The answer grows in several steps before its markers and citations arrive.
    lengths = []
    for _ in range(200):
        text = page.locator("#chat .bot").last.inner_text() if page.locator("#chat .bot").count() else ""
        if text and (not lengths or len(text) != lengths[-1]):
            lengths.append(len(text))
        if page.locator("#chat a.cite").count():
            break
        page.wait_for_timeout(10)
    assert len(lengths) >= 2, f"answer did not stream: {lengths}"
    page.wait_for_selector("#chat a.cite[data-n='1']")
    assert "Forrest" in page.locator("#chat .bot").last.inner_text()
    page.locator("#chat a.cite[data-n='1']").first.click()
    panel = page.locator("#passages")
    panel.locator("mark").first.wait_for()
    assert "former AWS employee" in panel.inner_text()
    assert "former AWS employee" in panel.locator("mark").first.inner_text()
    link = panel.locator("a[target=_blank]")
    if link.count():
        assert link.first.get_attribute("rel") == "noopener noreferrer"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{width}x{height}{'-dark' if dark else ''}.png"))
    assert errors == []
    page.context.close()


def test_browser_hostile_source_shown_as_text(browser, hostile_server):
    url, _ = hostile_server
    page, errors, requests = open_page(browser, url, 1280, 800)
    ask_in_page(page, "What did the ombudsman office file about Amazon Rekognition tampering?")
    page.wait_for_selector("#chat a.cite")
    page.locator("#chat a.cite").first.click()
    page.locator("#passages mark").first.wait_for()
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources summary", has_text="Hostile page").click()
    doc = page.locator("#sources details[open] .doc-text")
    assert "<img src=x" in doc.inner_text()
    assert "<script>" in page.locator("#sources").inner_text()
    assert "**nothing**" in doc.inner_text()
    assert page.locator("#sources details[open] .doc-text mark").count() >= 1  # cited in this conversation
    assert "onerror" in page.locator("#chat").inner_text()  # shown, as text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat img, #passages img, #sources img").count() == 0
    assert not [r for r in requests if "/x" in r.split("?")[0][-3:] or "example.invalid" in r]
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sources-1280x800.png"))
    page.context.close()


def test_browser_empty_question_ignored_and_feedback_saved(browser, hostile_server):
    url, base = hostile_server
    page, errors, _ = open_page(browser, url, 1280, 800)
    assert page.locator("#chat .bot").count() == 0
    page.keyboard.press("Enter")  # empty: nothing sent, a hint instead
    page.get_by_text("Type a question").first.wait_for()
    assert page.locator("#chat .bot").count() == 0
    ask_in_page(page, "Why? " * 420)  # over the 2,000-character limit: refused with a message
    page.get_by_text("the limit is 2000").first.wait_for()
    assert page.locator("#chat .bot").count() == 0
    ask_in_page(page, "Where is the shell company based?")
    page.wait_for_selector("#chat a.cite")
    page.get_by_role("button", name="Like").last.click()
    page.get_by_text("feedback was saved").first.wait_for()
    entry = json.loads((base / "feedback.jsonl").read_text().splitlines()[-1])
    assert entry["rating"] == "up" and entry["question"] == "Where is the shell company based?"
    assert "Netherlands" in entry["answer"] and entry["citations"]
    page.click("#new-conversation")
    expect(page.locator("#chat .bot")).to_have_count(0)
    assert errors == []
    page.context.close()


def test_browser_refresh_sources_only_for_admin(browser, hostile_server, repo_root, tmp_path):
    url, _ = hostile_server
    page, _, _ = open_page(browser, url, 1280, 800)
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources summary").first.wait_for()
    assert page.locator("#refresh-sources").count() == 0
    page.context.close()

    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    proc, admin_url = start_app(repo_root, {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(tmp_path / "index")},
                             tmp_path / "app.log", "--admin")
    try:
        page, errors, _ = open_page(browser, admin_url, 1280, 800)
        assert "4 documents" in page.locator("#index-status").inner_text()
        (corpus / "late-news.md").write_text("---\ntitle: Late news\n---\n\nThe tribunal adjourned the hearing.\n")
        page.get_by_role("tab", name="Sources").click()
        page.click("#refresh-sources")
        page.locator("#refresh-log", has_text="1 added").wait_for(timeout=120_000)
        assert "5 documents" in page.locator("#index-status").inner_text()
        assert page.locator("#sources summary", has_text="Late news").count() == 1
        assert errors == []
        page.context.close()
    finally:
        stop_app(proc)


def test_browser_app_refuses_to_be_framed(browser, hostile_server):
    """A page on another origin that frames the chat gets nothing (frame-ancestors 'none')."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    url, _ = hostile_server

    class Framer(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = f'<html><body><iframe id="app" src="{url}/" width="800" height="600"></iframe></body></html>'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Framer)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        page = browser.newopen_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        page.wait_for_timeout(1500)
        frame = page.frame_locator("#app")
        assert frame.locator("#question").count() == 0
        assert refused, "the browser did not report the framing as refused"
        page.close()
    finally:
        other.shutdown()
