"""Browser fixtures shared by the browser test modules: Chromium per module and one app
server (the real corpus plus a hostile document) for the whole session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from servers import start_app, stop_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
HOSTILE = """---
title: "Hostile page <script>alert('t')</script>"
publisher: Test Wire
---

Amazon Rekognition tampering note <img src=x onerror="window.__pwned=1"> was filed by the ombudsman office.

<script>window.__pwned = 2</script> The ombudsman office also said **nothing** in [this link](http://example.invalid) matters.
"""


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and asyncio code in later tests (LangChain's async contract tests) fails.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs Debian's chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def hostile_server(repo_root, tmp_path_factory, real_corpus_index, ingest_ok):
    """The real corpus plus a document full of markup, served by the real app. Its index starts
    from the session's and takes the document in this process (the app's own first-start
    ingest is test_app's to prove)."""
    from assistant.index.layout import LOCK

    base = tmp_path_factory.mktemp("hostile")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(real_corpus_index.corpus, corpus)
    shutil.copytree(real_corpus_index.index, index, ignore=shutil.ignore_patterns(LOCK))
    (corpus / "hostile.md").write_text(HOSTILE)
    ingest_ok(corpus, index)
    env = {"CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(index),
           "CASE_FEEDBACK_FILE": str(base / "feedback.jsonl")}
    proc, url = start_app(repo_root, env, base / "app.log")
    yield url, base
    stop_app(proc)


def sign_in(page, user: str, password: str) -> None:
    """Through Gradio's own login page, as a person would."""
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def open_page(browser, url, width, height, dark=False, login: tuple[str, str] | None = None):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  color_scheme="dark" if dark else "light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The app's CSP is strict (no inline or eval'd script): anything it blocks is a broken page.
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url + ("/?__theme=dark" if dark else "/"))
    if login is not None:
        sign_in(page, *login)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page, errors, requests


#: The chat's last event is running (Gradio's status tracker over the Chatbot) and how far its
#: list is scrolled.
_CHAT_STATE = """() => [document.querySelectorAll('#chat .wrap.translucent:not(.hide)').length,
  (document.querySelector('#chat .bubble-wrap') || {}).scrollTop || 0]"""


def settle(page, quiet_ms: int = 500, timeout_ms: int = 15_000) -> None:
    """Until the chat's event has ended and its list has stopped moving. An answer is on the
    page before its event ends; Gradio then scrolls the list to its end and the page script
    brings the question back to the top: a pointer click meanwhile lands on whatever has moved
    under it (under load, a marker click opened nothing and a copy click copied nothing)."""
    last, still = None, 0
    for _ in range(timeout_ms // 50):
        busy, top = page.evaluate(_CHAT_STATE)
        still = 0 if busy or top != last else still + 50
        if still >= quiet_ms:
            return
        last = top
        page.wait_for_timeout(50)
    raise AssertionError("the chat never settled")


def ask_in_page(page, question):
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
