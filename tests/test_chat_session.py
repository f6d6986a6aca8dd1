"""The chat's server side, in process: the events of one browser session (an answer, a clear,
a rating) may run side by side in Gradio's queue; what each sees is the conversation as it is
when it runs."""

from __future__ import annotations

import copy
import json

import gradio as gr
import pytest

from assistant.service import Assistant
from assistant.ui import Conversation, build_ui


class Client:
    host = "127.0.0.1"


class Request:
    client = Client()


@pytest.fixture
def session(assistant, tmp_path):
    """The chat's event handlers over the case index, feedback written under ``tmp_path``, and
    one new session's conversation (as Gradio makes it: a deep copy of the State's value)."""
    local = Assistant(settings=assistant.settings, embeddings=assistant.embeddings,
                      feedback_file=tmp_path / "feedback.jsonl")
    handlers = {f.name: f.fn for f in build_ui(local).fns.values()}
    return handlers, copy.deepcopy(Conversation()), tmp_path / "feedback.jsonl"


def test_answer_interleaved_with_clear_keeps_only_the_new_turn(session):
    handlers, conversation, feedback = session
    for _ in handlers["respond"]("Who is the whistleblower?", conversation):
        pass
    # The next question's answer has begun (it read the turns) when the clear runs.
    answering = handlers["respond"]("Which outlets reported on the case?", conversation)
    next(answering)
    handlers["start_over"](conversation)
    *_, (chat, _sources) = answering
    shown = [m["content"] for m in chat["value"] if m["role"] == "user"]
    assert shown == ["Which outlets reported on the case?"]
    # The thumbs on the one answer shown rate that answer.
    handlers["on_feedback"](gr.LikeData(None, {"index": 1, "value": "", "liked": True}), conversation, Request())
    rated = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert [r["question"] for r in rated] == ["Which outlets reported on the case?"]

