"""The Gradio chat: wires the Assistant to widgets and nothing more."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from .auth import ClientLimit
from .errors import CaseError
from .feedback import FeedbackLog
from .index import CaseProfile
from .casefile import PassageRef
from .errors import BadQuestionError
from .render import (PANEL_EMPTY, answer_html, cited_sentences, coverage_line, document_html, documents_line, human_time,
                     plural, safe_text, sources_html)
from .service import Assistant
from .types import Answer
from .views import events_html, plot_value, timeline_figure, whos_who_html

log = logging.getLogger(__name__)

#: The page script and anything else the app serves itself (app.py mounts it).
STATIC_DIR = Path(__file__).parent / "static"

STREAM_WORDS = 4  # words added per streamed update
STREAM_PAUSE = 0.03  # seconds between updates: a pace the eye can follow

def page_css() -> str:
    """The page's style sheet, kept beside the page script."""
    return (STATIC_DIR / "case.css").read_text(encoding="utf-8")


#: Markdown showing our HTML as built. Not gr.HTML: Gradio 6 renders that through a JavaScript
#: template compiled with Function(), which a CSP without 'unsafe-eval' refuses. Everything in
#: it is escaped by render.py; no LaTeX, so no math renderer runs over source text.
RAW_HTML = {"sanitize_html": False, "latex_delimiters": []}


#: Signing out is a POST (a link or an image elsewhere cannot sign the user out); the session
#: cookie is SameSite=Lax, so another site's form cannot either.
SIGN_OUT = '<form method="post" action="logout"><button type="submit" class="sign-out">Sign out</button></form>'


def status_line(assistant: Assistant) -> str:
    manifest = assistant.manifest()
    if manifest is None:
        return "No index yet."
    return (f"Indexed: {plural(len(manifest.documents), 'document')}: {safe_text(documents_line(manifest))} · last ingest "
            f"{safe_text(human_time(manifest.built_at))}")


def coverage_note(assistant: Assistant) -> str:
    """Under the chat: what the answers come from, in plain words."""
    manifest = assistant.manifest()
    return safe_text(coverage_line(manifest)) if manifest is not None else ""


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, kept on the server (Gradio session state): the chat
    shown to the client is rendered from these, never taken back from the client."""

    question: str
    answer: Answer


class Conversation:
    """One browser session's turns, shared by its events by reference (a ``gr.State`` value
    is handed to each event as the object itself).

    Gradio runs a session's events side by side (one queue per event), so a clear, an answer
    and a rating may overlap. Each reads and changes the turns under the lock at the moment it
    runs, never a copy taken when it was queued: an answer queued just after a clear would
    otherwise write the cleared turns back, and a rating look for its turn in a stale list.
    """

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> Conversation:
        # Gradio deep-copies a State's initial value for each new session: a new session
        # starts with no turns and a lock of its own.
        return Conversation()

    def snapshot(self) -> list[Turn]:
        with self.lock:
            return list(self.turns)

    def add(self, turn: Turn) -> list[Turn]:
        """The turns with the new one."""
        with self.lock:
            self.turns.append(turn)
            return list(self.turns)

    def clear(self) -> None:
        with self.lock:
            self.turns = []


def history_of(turns: list[Turn]) -> list[dict[str, str]]:
    return [m for t in turns for m in ({"role": "user", "content": t.question},
                                       {"role": "assistant", "content": t.answer.answer})]


def chat_of(turns: list[Turn]) -> list[dict[str, str]]:
    return [m for i, t in enumerate(turns) for m in ({"role": "user", "content": safe_text(t.question)},
                                                     {"role": "assistant", "content": answer_html(t.answer, i)})]


def render_sources(assistant: Assistant, turns: list[Turn]) -> str:
    cited = cited_sentences(t.answer for t in turns)
    docs = assistant.documents()
    texts = {d.doc_id: document_html(assistant.document_passages(d.doc_id), cited) for d in docs}
    return sources_html(docs, texts)


def passage_lookup(assistant: Assistant):
    """A passage's text by its reference, each document's passages read once per render."""
    cache: dict[str, dict[str, str]] = {}

    def lookup(ref: PassageRef) -> str | None:
        if ref.doc_id not in cache:
            cache[ref.doc_id] = {p.id: p.text for p in assistant.document_passages(ref.doc_id)}
        return cache[ref.doc_id].get(ref.passage_id)

    return lookup


def render_views(assistant: Assistant) -> tuple:
    """The Timeline tab's figure and event list and the Who's who tab, from the casefile."""
    casefile = assistant.casefile()
    lookup = passage_lookup(assistant)
    return (plot_value(timeline_figure(casefile)), events_html(casefile, lookup),
            whos_who_html(casefile, lookup))


#: The Chatbot's buttons: shown on finished answers only (see ``respond``).
CHAT_BUTTONS = ["copy"]
FEEDBACK_OPTIONS = ("Like", "Dislike")
#: While an answer streams in, its message has neither copy nor thumbs: half an answer is
#: not what a reader should copy or rate.
STREAMING = {"buttons": [], "feedback_options": []}
FINISHED = {"buttons": CHAT_BUTTONS, "feedback_options": FEEDBACK_OPTIONS}



def build_ui(assistant: Assistant, admin: bool = False,
             refresh: Callable[[Callable[[float, str], None]], str] | None = None,
             signed_in: bool = False) -> gr.Blocks:
    """``refresh`` re-runs ingest (given a progress callback); offered only to admins.
    ``signed_in``: the page is behind a login, and offers to sign out (a form POST).

    No event takes the Chatbot's value as an input: the conversation lives in server-side
    state, so nothing a client sends comes back as an output (Gradio would copy any file
    path in an output into its cache and serve it).
    """
    settings = assistant.settings
    manifest = assistant.manifest()
    case = manifest.case if manifest else CaseProfile()
    examples = case.examples
    feedback = FeedbackLog(settings.feedback_file, settings.feedback_max_bytes, settings.feedback_backups)
    feedback_limit = ClientLimit(settings.feedback_per_minute, 60)

    def take_question(question: str) -> tuple[str, str]:
        # The box empties as the question is sent: what the reader types next, even while this
        # answer is worked out, stays in it.
        return "", question if isinstance(question, str) else ""

    def respond(question: str, conversation: Conversation) -> Iterator[tuple]:
        question = question.strip()
        if not question:
            gr.Info("Type a question about the case first, or pick an example.")
            yield gr.update(), gr.update()
            return
        turns = conversation.snapshot()
        try:
            answer = assistant.ask(question, history_of(turns))
        except CaseError as exc:
            if exc.about_server:
                log.error("chat: %s", exc)
            gr.Warning(exc.client_message)
            yield gr.update(), gr.update()
            return
        shown = chat_of(turns) + [{"role": "user", "content": safe_text(question)}]
        total = len(answer.answer.split())
        for n in range(STREAM_WORDS, total, STREAM_WORDS):
            partial = shown + [{"role": "assistant", "content": answer_html(answer, len(turns), words=n)}]
            yield gr.update(value=partial, **STREAMING), gr.update()
            time.sleep(STREAM_PAUSE)
        # The conversation as it is now: a clear that ran meanwhile leaves this answer alone in it.
        turns = conversation.add(Turn(question, answer))
        yield gr.update(value=chat_of(turns), **FINISHED), render_sources(assistant, turns)

    def on_feedback(data: gr.LikeData, conversation: Conversation, request: gr.Request) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = index // 2 if isinstance(index, int) else -1
        turns = conversation.snapshot()
        if not 0 <= turn < len(turns):
            # Not silent: a rating that lands nowhere would read as saved.
            log.warning("feedback: message %r is not a turn of this conversation (%d turns)", index, len(turns))
            gr.Warning("That answer is no longer in this conversation, so its rating was not saved.")
            return
        client = request.client.host if request.client else "unknown"
        if not feedback_limit.hit(client):
            gr.Warning("That is a lot of feedback at once: please wait a minute.")
            return
        rating = "up" if data.liked is True else "down" if data.liked is False else "none"
        feedback.record(rating, turns[turn].question, turns[turn].answer)
        gr.Info("Thanks: your feedback was saved.")

    def pick_example(evt: gr.SelectData) -> str:
        # By position in our own list: the client's copy of the example text is not echoed.
        index = evt.index if isinstance(evt.index, int) else -1
        return examples[index] if 0 <= index < len(examples) else ""

    resets = itertools.count(1)

    def start_over(conversation: Conversation) -> tuple:
        """"New conversation" and the Chatbot's own clear button alike: no turns on the server
        (so feedback, which goes by turn index, has nothing left to rate), an empty question,
        the panel's hint back and no highlights in Sources.

        The panel's value is PANEL_EMPTY plus a comment that differs each time: the page script
        fills the panel in the page itself, so the component's value is still PANEL_EMPTY and
        Gradio would not redraw it for the same value again."""
        conversation.clear()
        return [], "", render_sources(assistant, []), f"{PANEL_EMPTY}<!-- reset {next(resets)} -->"

    def ask_api(question: str, history: list) -> dict:
        """Answer a question about the case. `history` is the conversation so far in the chat
        "messages" format ([{"role": "user"|"assistant", "content": "..."}], or []); returns
        the answer with its numbered citations (the same object as POST /api/ask)."""
        try:
            return assistant.ask(question, history).to_dict()
        except BadQuestionError as exc:
            raise gr.Error(exc.client_message, title="Bad question", print_exception=False) from None
        except CaseError as exc:
            if exc.about_server:
                log.error("api: %s", exc)
            raise gr.Error(exc.client_message) from None

    with gr.Blocks(title="Case Assistant") as demo:
        about = f"{safe_text(case.title)}. " if case.title else ""
        gr.Markdown(f"## Case Assistant\n{about}Every claim points to the passage it came from: "
                    "click a marker to check it.")
        status = gr.Markdown(status_line(assistant), elem_id="index-status")
        if signed_in:
            gr.Markdown(SIGN_OUT, elem_id="sign-out", **RAW_HTML)
        conversation = gr.State(Conversation())
        asked = gr.State("")  # the question sent, held from the box until its turn
        with gr.Tab("Chat", elem_id="tab-chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    # Gradio's sanitizer would strip the markers' data attributes; every message is
                    # built by render.py, which escapes all text from sources and questions.
                    chat = gr.Chatbot(elem_id="chat", height=560, sanitize_html=False, buttons=CHAT_BUTTONS,
                                      feedback_options=FEEDBACK_OPTIONS, show_label=False,
                                      examples=[{"text": q} for q in examples] or None,
                                      placeholder="Ask about the case, or start from an example:")
                    with gr.Row():
                        question = gr.Textbox(elem_id="question", label="Ask about the case", show_label=False,
                                              scale=8, autofocus=True, placeholder="Ask about the case…", max_lines=4,
                                              max_length=settings.max_question_chars)
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    new = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                    coverage = gr.Markdown(coverage_note(assistant), elem_id="coverage")
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("#### Cited passage")
                    passages = gr.Markdown(PANEL_EMPTY, elem_id="passages", **RAW_HTML)
        with gr.Tab("Sources", elem_id="tab-sources"):
            sources = gr.Markdown(render_sources(assistant, []), elem_id="sources", **RAW_HTML)
            if admin and refresh is not None:
                refresh_button = gr.Button("Refresh sources", elem_id="refresh-sources")
                refresh_log = gr.Markdown(elem_id="refresh-log")

                def run_refresh(conversation: Conversation, progress: gr.Progress = gr.Progress()) -> tuple:
                    try:
                        summary = refresh(lambda f, msg: progress(f, desc=msg))
                    except CaseError as exc:
                        log.error("refresh: %s", exc)
                        gr.Warning(exc.client_message)
                        return tuple(gr.update() for _ in range(7))
                    return (f"```\n{summary}\n```", status_line(assistant), coverage_note(assistant),
                            render_sources(assistant, conversation.snapshot()), *render_views(assistant))

        figure, events, people = render_views(assistant)
        with gr.Tab("Timeline", elem_id="tab-timeline"):
            gr.Markdown("Dated events the sources tell, each with who asserts it. A point is a single "
                        "date, a bar a period; hover for the event and its source. The list below gives "
                        "each event's quote and source.")
            timeline = gr.Plot(figure, elem_id="timeline-plot", show_label=False)
            timeline_list = gr.Markdown(events, elem_id="timeline-events", **RAW_HTML)
        with gr.Tab("Who's who", elem_id="tab-whos-who"):
            whos_who = gr.Markdown(people, elem_id="whos-who", **RAW_HTML)

        if admin and refresh is not None:
            refresh_button.click(run_refresh, conversation, [refresh_log, status, coverage, sources, timeline, timeline_list,
                                                      whos_who],
                                 concurrency_limit=1, api_visibility="private")

        def on_load() -> tuple:
            # The index may have moved on since the page was built (`ingest --watch`, another
            # process's ingest): a page opened now shows the generation answers come from.
            return (status_line(assistant), coverage_note(assistant), render_sources(assistant, []),
                    *render_views(assistant))

        demo.load(on_load, None, [status, coverage, sources, timeline, timeline_list, whos_who],
                  api_visibility="private", show_progress="hidden")  # no timer over what is already shown

        # The UI's events are private (the page calls them; no client library does): the one
        # API endpoint is /ask, below.
        # A question sent before the last answer is final (its thumbs show a moment before the
        # event ends) is answered after it: Gradio's default for a submit ("once") drops it. Enter
        # and Send are one event, so neither runs beside the other on the same turns.
        answer_asked = dict(fn=respond, inputs=[asked, conversation], outputs=[chat, sources],
                            trigger_mode="always_last", concurrency_limit=settings.ui_concurrency,
                            api_visibility="private")
        gr.on([question.submit, send.click], take_question, question, [question, asked],
              show_progress="hidden", api_visibility="private").then(**answer_asked)
        chat.example_select(pick_example, None, asked, api_visibility="private").then(**answer_asked)
        chat.like(on_feedback, conversation, None, api_visibility="private")
        for trigger in (new.click, chat.clear):
            trigger(start_over, conversation, [chat, question, sources, passages], api_visibility="private")
        gr.api(ask_api, api_name="ask", concurrency_limit=settings.ui_concurrency)
    return demo
