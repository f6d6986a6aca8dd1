"""The Timeline and Who's who tabs, the Chatbot's clear button and the chat's widgets in a real
browser (Playwright driving Debian's Chromium against the real app): one scripted session."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser_support import ARTIFACTS, ask_in_page, open_page, settle

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTIONS = ["Who is the whistleblower?", "When did he file his claim?", "Which company is accused?"]
AFTER_CLEAR = "Which outlets reported on the case?"
LIKE = "#chat button[aria-label='Like']"


def feedback_lines(base) -> list[dict]:
    path = base / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def watch(page, answers: int, final: bool = True) -> list[tuple[int, int]]:
    """Poll until the ``answers``-th answer is final (its thumbs shown), or with ``final=False`` until
    it is on the page at all; returns the (answers on the page, thumbs-up buttons) states seen."""
    seen = []
    for _ in range(1500):
        state = (page.locator("#chat .bot").count(), page.locator(LIKE).count())
        seen.append(state)
        if state[1 if final else 0] >= answers:
            return seen
        page.wait_for_timeout(10)
    raise AssertionError(f"answer {answers} never {'finished' if final else 'started'}: {seen[-5:]}")


def ask_and_watch(page, question: str, answers: int) -> list[tuple[int, int]]:
    ask_in_page(page, question)
    return watch(page, answers)


def test_browser_session_views_clear_and_own_origin_only(browser, hostile_server):
    url, base = hostile_server
    page, errors, requests = open_page(browser, url, 1280, 800)

    # Three questions. While an answer streams, no message offers copy or thumbs; a question sent
    # before an answer is final is answered after it, not dropped.
    ask_and_watch(page, QUESTIONS[0], 1)
    ask_in_page(page, QUESTIONS[1])
    seen = watch(page, 2, final=False)
    ask_in_page(page, QUESTIONS[2])
    assert page.locator(LIKE).count() < 2  # answer 2 was not final when the third question went
    seen += watch(page, 3)
    for n in (2, 3):
        assert any(bots == n and likes < n for bots, likes in seen), seen
    asked = page.locator("#chat .user-row")
    assert [asked.nth(i).inner_text().strip() for i in range(asked.count())] == QUESTIONS
    assert page.locator("#question textarea").input_value() == ""
    like, dislike = page.evaluate("""() => ['Like', 'Dislike'].map((l) => {  // at one moment: the chat may scroll
      const r = [...document.querySelectorAll(`#chat button[aria-label='${l}']`)].pop().getBoundingClientRect();
      return {x: r.x, y: r.y}; })""")
    assert like["x"] < dislike["x"] and abs(like["y"] - dislike["y"]) < 4  # thumbs up first, same row
    # The box holds no more than the question limit (the server refuses longer ones anyway).
    page.fill("#question textarea", "Why? " * 420)
    assert len(page.locator("#question textarea").input_value()) == 2000
    page.fill("#question textarea", "")

    # A marker of the first answer opens its passage in the panel.
    settle(page)
    page.locator("#chat a.cite").first.click()
    page.wait_for_selector("#passages #passage-view:not(.empty)")

    # Every tab.
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources summary").first.wait_for()
    page.get_by_role("tab", name="Timeline").click()
    page.locator("#timeline-plot .js-plotly-plot svg.main-svg").first.wait_for(timeout=30_000)
    assert page.locator("#timeline-plot .js-plotly-plot .point, #timeline-plot .js-plotly-plot .bars path").count() >= 2
    # Hovering a point names the event, who asserts it and its source.
    box = page.locator("#timeline-plot .js-plotly-plot .point").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("#timeline-plot .hoverlayer .hovertext")
    hover.first.wait_for()
    assert any(w in hover.first.text_content() for w in ("reports", "alleges", "denies", "states"))
    events = page.locator("#timeline-events li.event")
    assert events.count() >= 2
    assert events.locator(".speaker", has_text="Forrest alleges").count() >= 1
    # The filing is the article's report; what the claim says, Forrest's allegation.
    filing = events.filter(has=page.locator(".label", has_text="filed a lawsuit"))
    assert filing.count() == 1 and filing.locator(".speaker").inner_text() == "GIGAZINE reports"
    assert events.locator(".source").count() == events.count() and events.locator("blockquote").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timeline-1280x800.png"))
    page.get_by_role("tab", name="Who's who").click()
    forrest = page.locator("#whos-who .entity", has=page.locator(".name", has_text="Charles Forrest"))
    forrest.first.wait_for()
    assert "former AWS employee" in forrest.first.locator(".role").inner_text()
    assert forrest.first.locator(".role .speaker").inner_text() == "GIGAZINE reports"
    police = page.locator("#whos-who .entity", has=page.locator(".name", has_text="British police"))
    assert police.first.locator(".role .speaker.alleges").inner_text() == "Forrest alleges"
    assert "passage" in forrest.first.locator(".count").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "whos-who-1280x800.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # the same two tabs on a phone
    page.screenshot(path=str(ARTIFACTS / "whos-who-390x844.png"))
    page.get_by_role("tab", name="Timeline").click()
    page.locator("#timeline-plot .js-plotly-plot svg.main-svg").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "timeline-390x844.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("tab", name="Chat").click()

    # The Chatbot's own clear button starts over as "New conversation" does: chat, panel and
    # the server's turns, so the next thumbs rate the next question, not a cleared one.
    before = len(feedback_lines(base))
    page.locator("#chat button[aria-label='Clear']").click()
    expect(page.locator("#chat .bot")).to_have_count(0)
    page.wait_for_selector("#passages #passage-view.empty")
    # The server's clear has run (its panel carries a reset mark): the question goes after it.
    page.wait_for_function("() => document.querySelector('#passages').innerHTML.includes('<!-- reset')")
    ask_and_watch(page, AFTER_CLEAR, 1)
    # The reader scrolls the chat down to the thumbs as soon as the answer is final: the page
    # script keeps the question at the top against Gradio's scrolling, never against the reader
    # (the chat pulled back between pointer down and up turned a click on the thumbs into a
    # click on nothing).
    chat = page.locator("#chat .bubble-wrap")
    box = chat.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    before_wheel, end = chat.evaluate("e => [e.scrollTop, e.scrollHeight - e.clientHeight]")
    assert end > 100  # there is somewhere to scroll to
    page.mouse.wheel(0, 200)
    page.wait_for_timeout(700)
    assert chat.evaluate("e => e.scrollTop") >= min(before_wheel + 100, end - 1)
    settle(page)
    page.locator(LIKE).last.click()
    page.get_by_text("feedback was saved").first.wait_for()
    added = feedback_lines(base)[before:]
    assert [e["question"] for e in added] == [AFTER_CLEAR]

    own = [r for r in requests if not r.startswith(("data:", "blob:"))]
    assert own and all(r.startswith(url + "/") or r == url for r in own), [r for r in own if not r.startswith(url)]
    assert errors == []
    page.context.close()


def test_browser_page_opened_after_ingest_shows_new_timeline_and_cast(browser, repo_root, tmp_path, ingest_here,
                                                                     fresh_real_copy):
    """A page opened after an ingest the app did not run itself (`ingest --watch`, another
    process) shows the generation its answers come from, in every tab."""
    from servers import start_app, stop_app

    corpus, index = fresh_real_copy.corpus, fresh_real_copy.index
    proc, url = start_app(repo_root, {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(index)},
                          tmp_path / "app.log")
    try:
        page, errors, _ = open_page(browser, url, 1280, 800)
        page.get_by_role("tab", name="Timeline").click()
        expect(page.locator("#timeline-events")).to_contain_text("covers the case")
        assert "Helen Marsh" not in page.locator("#timeline-events").inner_text()
        page.context.close()

        (corpus / "hearing.md").write_text("---\ntitle: Hearing note\npublisher: Court Wire\n---\n\n"
                                           "Judge Helen Marsh adjourned the hearing in March 2025.\n")
        ingest_here(corpus, index)
        page, errors, _ = open_page(browser, url, 1280, 800)
        expect(page.locator("#index-status")).to_contain_text("5 documents")
        page.get_by_role("tab", name="Timeline").click()
        expect(page.locator("#timeline-events")).to_contain_text("2025")
        page.get_by_role("tab", name="Who's who").click()
        expect(page.locator("#whos-who")).to_contain_text("Helen Marsh")
        assert errors == []
        page.context.close()
    finally:
        stop_app(proc)
