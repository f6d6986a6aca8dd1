"""The Gradio chat: wires the Assistant to widgets and nothing more."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from .errors import CaseError
from .render import answer_html, safe_text
from .service import Assistant

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who is the whistleblower?",
    "What does Amazon say about the allegations?",
    "Which Russian company is involved?",
    "Which outlets reported on the case?",
]

CSS = """
#passages, .citations { font-size: 0.92em; }
.citations { margin: 0.6em 0 0 1.2em; padding: 0; }
.citations blockquote { margin: 0.3em 0 0.6em 0; padding-left: 0.6em; border-left: 3px solid #c8c8c8; }
.citations mark { background: #fff3a3; color: inherit; }
.dark .citations mark { background: #6b5d00; }
.citations .meta { opacity: 0.75; }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
.abstained { font-style: italic; }
"""


def status_line(assistant: Assistant) -> str:
    manifest = assistant.manifest()
    if manifest is None:
        return "No index yet."
    return (f"Index: {len(manifest.documents)} documents, {manifest.passages} passages · "
            f"model {safe_text(manifest.model)} · last ingest {safe_text(manifest.built_at)}")


def build_ui(assistant: Assistant) -> gr.Blocks:
    def respond(question: str, chat: list[dict[str, Any]], history: list[dict[str, str]]):
        question = (question or "").strip()
        if not question:
            gr.Info("Type a question about the case first.")
            return gr.update(), chat, history
        try:
            answer = assistant.ask(question, history)
        except CaseError as exc:
            gr.Warning(str(exc))
            return gr.update(), chat, history
        chat = chat + [{"role": "user", "content": safe_text(question)},
                       {"role": "assistant", "content": answer_html(answer)}]
        history = history + [{"role": "user", "content": question},
                             {"role": "assistant", "content": answer.answer}]
        return "", chat, history

    with gr.Blocks(title="Case Assistant") as demo:
        gr.Markdown("## Case Assistant\nQuestions about the Amazon Rekognition / VisionLabs sanctions case. "
                    "Every claim points to the passage it came from.")
        gr.Markdown(status_line(assistant), elem_id="index-status")
        history = gr.State([])
        chat = gr.Chatbot(elem_id="chat", height=520, sanitize_html=True, buttons=["copy"],
                          placeholder="Ask about the case, e.g. *Who is the whistleblower?*")
        with gr.Row():
            question = gr.Textbox(elem_id="question", show_label=False, scale=8, autofocus=True,
                                  placeholder="Ask a question about the case…", max_lines=4)
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        gr.Examples(EXAMPLES, inputs=question)
        new = gr.Button("New conversation", size="sm", elem_id="new-conversation")
        for trigger in (question.submit, send.click):
            trigger(respond, [question, chat, history], [question, chat, history],
                    concurrency_limit=assistant.settings.ui_concurrency)
        new.click(lambda: ([], [], ""), None, [chat, history, question])
    return demo
