"""The chat in a real browser: Playwright driving Debian's Chromium against the real app."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser_support import ARTIFACTS, ask_in_page, open_page, settle
from servers import PASSWORD, USER, start_app, stop_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


#: The contrast ratio (WCAG 2) of an element's text against what is behind it: its own and its
#: ancestors' background colours blended from the page down. Run with page.evaluate (the page's
#: CSP refuses Playwright's string-evaluating waits).
CONTRAST_JS = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const parse = (c) => { const v = c.match(/[\\d.]+/g).map(Number); return v.length === 3 ? [...v, 1] : v; };
  const lum = (rgb) => rgb.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; })
    .reduce((s, x, i) => s + x * [0.2126, 0.7152, 0.0722][i], 0);
  const chain = [];
  for (let e = el; e; e = e.parentElement) chain.unshift(e);
  let bg = [255, 255, 255];
  for (const e of chain) { const c = parse(getComputedStyle(e).backgroundColor); bg = bg.map((v, i) => v * (1 - c[3]) + c[i] * c[3]); }
  const f = parse(getComputedStyle(el).color);
  const fg = bg.map((v, i) => v * (1 - f[3]) + f[i] * f[3]);
  const [a, b] = [lum(fg), lum(bg)];
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), background: lum(bg)};
}"""

#: Where the newest answer's first line is against the top of what shows it (the chat's own
#: scroll box, or the window on a phone): >= 0 when it shows.
ANSWER_TOP_JS = """(question) => {
  const b = [...document.querySelectorAll('#chat .answer-block')].pop();
  let row = b.closest('.message-row') || b;
  if (question) { let r = row.previousElementSibling; while (r && !r.classList.contains('message-row')) r = r.previousElementSibling; row = r || row; }
  const box = document.querySelector('#chat .bubble-wrap');
  const scrolls = box && box.scrollHeight > box.clientHeight + 1;
  return row.getBoundingClientRect().top - (scrolls ? box.getBoundingClientRect().top : 0);
}"""


def wait_final_answer(page, count=1):
    """Until ``count`` answers are complete (their cards and markers on the page)."""
    for _ in range(600):
        if page.locator("#chat .answer-block[data-final]").count() >= count:
            settle(page)
            return
        page.wait_for_timeout(20)
    raise AssertionError("no complete answer")


@pytest.mark.parametrize("width,height,dark", [(1280, 800, False), (390, 844, False), (1280, 800, True)])
def test_browser_answer_streams_and_marker_shows_passage(browser, hostile_server, width, height, dark):
    url, _ = hostile_server
    page, errors, requests = open_page(browser, url, width, height, dark)
    page.wait_for_timeout(300)  # the question box's autofocus
    if width >= 1280:  # the question box, Ask and New conversation show without scrolling
        for sel in ("#question textarea", "#ask", "#new-conversation"):
            box = page.locator(sel).bounding_box()
            assert box and 0 <= box["y"] and box["y"] + box["height"] <= height, sel
    else:  # a phone opens at the top, its question box not focused
        assert page.evaluate("window.scrollY") == 0
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
    wait_final_answer(page)
    assert "Forrest" in page.locator("#chat .bot").last.inner_text()
    # The short answer first, in bold, and marked where it stands in its cited sentence.
    short = page.locator("#chat .answer .short-answer").last
    assert short.inner_text() == page.locator("#chat .answer mark.short").last.inner_text() == "Charles Forrest"
    assert page.evaluate("getComputedStyle(document.querySelector('#chat .short-answer')).fontWeight") == "700"
    # Who says it, beside the sentence and on its source's card; one card per document.
    assert page.locator("#chat .answer .speaker.alleges").first.inner_text() == "Forrest alleges"
    card = page.locator("#chat .source-card").first
    assert card.locator("li.citation > .speaker.alleges").count() == 1
    title = card.locator(".card-head .title-link")
    assert title.get_attribute("title").startswith("Former AWS employee accuses Amazon")
    assert title.inner_text().endswith("…") and title.get_attribute("rel") == "noopener noreferrer"
    page.wait_for_timeout(400)  # past Gradio's own scroll to the bottom
    assert page.evaluate(ANSWER_TOP_JS, False) >= -2, "the answer's first line is scrolled away"

    scroll_before = page.evaluate("window.scrollY")
    page.locator("#chat a.cite[data-n='1']").first.click()
    panel = page.locator("#passages")
    panel.locator("mark").first.wait_for()
    assert "former AWS employee" in panel.inner_text()
    assert "former AWS employee" in panel.locator("mark").first.inner_text()
    assert page.locator("#passage-view").get_attribute("aria-live") == "polite"
    link = panel.locator("a[target=_blank]")
    if link.count():
        assert link.first.get_attribute("rel") == "noopener noreferrer"
    if width <= 640:  # a bottom sheet over the chat: the reader stays at the answer
        sheet = page.locator("#passage-view").bounding_box()
        assert page.evaluate("getComputedStyle(document.querySelector('#passage-view')).position") == "fixed"
        assert abs(sheet["y"] + sheet["height"] - height) <= 1 and sheet["height"] < height * 0.7
        assert page.evaluate("window.scrollY") == scroll_before
    if dark:  # readable in the dark: AA contrast, no light highlight, no bright blue title
        for sel in ("#passage-view mark", "#passage-view a.show-source", "#passage-view a.title-link",
                    "#chat .answer a.cite", "#chat .answer .speaker", "#chat .source-card .card-head",
                    "#chat .answer .short-answer", "#chat .answer mark.short"):
            measured = page.evaluate(CONTRAST_JS, sel)
            assert measured and measured["ratio"] >= 4.5, (sel, measured)
        assert page.evaluate(CONTRAST_JS, "#passage-view mark")["background"] < 0.2
    # Fonts: the system's; nothing from another host, never Gradio's partial SemiBold.
    assert not [r for r in requests if not r.startswith((url, "data:", "blob:"))]
    assert not [r for r in requests if "SemiBold" in r]
    assert "Source Sans" not in page.evaluate("getComputedStyle(document.querySelector('#chat .answer')).fontFamily")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{width}x{height}{'-dark' if dark else ''}.png"))
    if width <= 640:
        page.locator("#passage-view .close-panel").click()
        expect(page.locator("#passage-view")).to_have_class("empty")
    assert errors == []
    page.context.close()


def test_browser_copy_answer_plain_text_and_open_cited_sentence(browser, hostile_server):
    """Answer first in a short chat box, a marker opened from the keyboard, copy as plain text,
    and "Show in source" landing on the cited sentence in the Sources tab."""
    url, _ = hostile_server
    page, errors, _ = open_page(browser, url, 1280, 560)  # a chat box too short for the answer
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    ask_in_page(page, "Who is the whistleblower?")
    wait_final_answer(page)  # and past Gradio's own scroll to the bottom
    assert page.evaluate("document.querySelector('#chat .bubble-wrap').scrollTop") > 0  # it did overflow
    # The question stays at the top, its answer right under it from its first line.
    assert abs(page.evaluate(ANSWER_TOP_JS, True)) <= 8, "the question is not kept at the top"
    assert 0 < page.evaluate(ANSWER_TOP_JS, False) < 200
    assert page.get_by_role("textbox", name="Ask about the case").count() == 1  # the box's accessible name
    arrow = page.locator("#chat .scroll-down-button-container")
    if arrow.count() and arrow.is_visible():  # Gradio's "scroll down": in the corner, off the text
        chat, box = page.locator("#chat").bounding_box(), arrow.bounding_box()
        assert box["x"] > chat["x"] + chat["width"] - 80

    page.locator("#chat .answer a.cite").first.focus()
    page.keyboard.press("Enter")
    page.locator("#passage-view mark").first.wait_for()
    assert "former AWS employee" in page.locator("#passage-view mark").first.inner_text()
    # Enter moves focus into the panel, "Show in source" first; thumbs up before thumbs down.
    assert page.evaluate("document.activeElement.classList.contains('show-source')")
    page.locator('#chat button[aria-label="Copy message"]').last.focus()
    order = []
    for _ in range(2):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert order == ["Like", "Dislike"], order

    page.bring_to_front()
    copy = page.locator('#chat button[aria-label="Copy message"]').last
    # The page marks a successful copy for 1.5 s only: watch for the mark from before the click,
    # so a slow poll under load cannot miss it.
    copy.evaluate("""b => { window.__copied = false;
        new MutationObserver(() => { if (b.dataset.copied === '1') window.__copied = true; })
            .observe(b, {attributes: true, attributeFilter: ['data-copied']}); }""")
    copy.click()
    page.wait_for_function("window.__copied === true")  # the page's copy ran and said it succeeded
    copied = ""
    for _ in range(250):  # the clipboard is read asynchronously
        copied = page.evaluate("navigator.clipboard.readText()")
        if copied:
            break
        page.wait_for_timeout(40)
    assert "<" not in copied and "&#" not in copied
    assert "former AWS employee" in copied and "[1]" in copied
    # Each sentence keeps its speaker in words, outside the quotation marks.
    assert "Forrest alleges: \u201cCharles Forrest, a former AWS employee" in copied
    assert "\nSources:\n[1] GIGAZINE" in copied and "https://" in copied

    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#passage-view a.show-source").click()
    # (the panel keeps this answer's passage; a new answer clears it: below)
    target = page.locator("#sources .doc-text .passage.target")
    target.wait_for()
    assert page.locator("#sources details[open]").count() == 1
    assert "former AWS employee" in target.locator("mark").first.inner_text()
    box = target.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + min(box["height"], 40) <= 800  # scrolled to it
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sources-1280x800.png"))
    page.get_by_role("tab", name="Chat").click()
    ask_in_page(page, "Where is the shell company based?")
    wait_final_answer(page, 2)
    expect(page.locator("#passage-view")).to_have_class("empty")  # the panel belonged to the first answer
    # A marker of an earlier answer clicked as a new answer arrives keeps its passage.
    page.evaluate("""() => { const obs = new MutationObserver(() => {
        if (document.querySelectorAll('#chat .answer-block').length < 3) return;
        obs.disconnect();
        document.querySelector('#chat a.cite').click();
        window.clickedDuringAnswer = true; });
      obs.observe(document.querySelector('#chat'), {childList: true, subtree: true}); }""")
    ask_in_page(page, "Who is the whistleblower?")
    wait_final_answer(page, 3)
    page.wait_for_function("window.clickedDuringAnswer === true")
    page.wait_for_timeout(500)  # past the page script's look at the new answer
    expect(page.locator("#passage-view")).not_to_have_class("empty")
    assert errors == []
    page.context.close()


def test_browser_hostile_source_shown_as_text(browser, hostile_server):
    url, _ = hostile_server
    page, errors, requests = open_page(browser, url, 1280, 800)
    ask_in_page(page, "What did the ombudsman office file about Amazon Rekognition tampering?")
    wait_final_answer(page)
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
    page.screenshot(path=str(ARTIFACTS / "sources-hostile-1280x800.png"))
    page.context.close()


def test_browser_empty_question_ignored_and_feedback_saved(browser, hostile_server):
    url, base = hostile_server
    page, errors, _ = open_page(browser, url, 1280, 800)
    assert page.locator("#chat .bot").count() == 0
    page.keyboard.press("Enter")  # empty: nothing sent, a hint instead
    page.get_by_text("Type a question").first.wait_for()
    assert page.locator("#chat .bot").count() == 0
    # Over the 2,000-character limit: the box takes no more (the server refuses more: test_bad_input).
    page.fill("#question textarea", "Why? " * 420)
    assert len(page.input_value("#question textarea")) <= 2000
    assert page.locator("#chat .bot").count() == 0
    ask_in_page(page, "Where is the shell company based?")
    wait_final_answer(page)
    page.get_by_role("button", name="Like").last.click()
    page.get_by_text("feedback was saved").first.wait_for()
    entry = json.loads((base / "feedback.jsonl").read_text().splitlines()[-1])
    assert entry["rating"] == "up" and entry["question"] == "Where is the shell company based?"
    assert "Netherlands" in entry["answer"] and entry["citations"]
    page.click("#new-conversation")
    expect(page.locator("#chat .bot")).to_have_count(0)
    assert errors == []
    page.context.close()


def test_browser_refresh_sources_only_for_admin(browser, hostile_server, repo_root, tmp_path, fresh_real_copy):
    url, _ = hostile_server
    page, _, _ = open_page(browser, url, 1280, 800)
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources summary").first.wait_for()
    assert page.locator("#refresh-sources").count() == 0
    page.context.close()

    corpus = fresh_real_copy.corpus  # indexed already, so the app starts without a first ingest
    proc, admin_url = start_app(repo_root, {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(fresh_real_copy.index),
                                            "CASE_AUTH": f"{USER}:{PASSWORD}"}, tmp_path / "app.log", "--admin")
    try:
        page, errors, _ = open_page(browser, admin_url, 1280, 800, login=(USER, PASSWORD))
        assert "4 documents" in page.locator("#index-status").inner_text()
        # What the answers come from, under the chat: the article read in full, three headline cards.
        expect(page.locator("#coverage")).to_contain_text(
            "Answers come from 1 article read in full (GIGAZINE); 3 cited sources are indexed by headline only")
        (corpus / "late-news.md").write_text("---\ntitle: Late news\n---\n\nThe tribunal adjourned the hearing.\n")
        page.get_by_role("tab", name="Sources").click()
        page.click("#refresh-sources")
        page.locator("#refresh-log", has_text="1 added").wait_for(timeout=120_000)
        assert "5 documents" in page.locator("#index-status").inner_text()
        expect(page.locator("#coverage")).to_contain_text("2 documents read in full (GIGAZINE and Late news)")
        assert page.locator("#sources summary", has_text="Late news").count() == 1
        page.locator("#sign-out button").click()  # a POST; the page is the login form again
        page.get_by_role("button", name="Login").wait_for()
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
        page = browser.new_page()
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
