"""What a question is, checked once: the API parses its body with these models, and
``Assistant.ask`` (CLI, chat, Python) validates its arguments with the same ones.

The limits are Settings fields, so the model is built per set of limits (and cached).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from .errors import BadQuestionError
from .settings import Settings

# Control characters and bidirectional overrides can hide or reorder what a reader sees.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# What a question must contain: something other than blanks and invisible characters (JSON Schema).
_VISIBLE = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]"


def clean_text(text: str) -> str:
    return _INVISIBLE.sub(" ", text)


class HistoryMessage(BaseModel):
    """One earlier turn, in the chat "messages" format."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: str

    @field_validator("content", mode="after")
    @classmethod
    def _clean(cls, content: str) -> str:
        return clean_text(content)


class AskRequest(BaseModel):
    """A question and, for a follow-up, the conversation before it. Unknown fields are ignored.
    Use :func:`request_model` for the class that carries the limits."""

    model_config = ConfigDict(extra="ignore")

    question: str
    history: list[HistoryMessage] | None = None

    def messages(self) -> list[dict[str, str]]:
        return [m.model_dump() for m in self.history or []]


@lru_cache(maxsize=8)
def request_model(max_question_chars: int, max_history_messages: int, max_message_chars: int) -> type[AskRequest]:
    """AskRequest with these limits, in its validation and in its JSON Schema alike."""

    def check_question(question: str) -> str:
        q = clean_text(question).strip()
        if not q:
            raise ValueError("question is empty")
        if len(q) > max_question_chars:
            raise ValueError(f"question is {len(q)} characters; the limit is {max_question_chars}")
        return q

    message = create_model("HistoryMessage", __base__=HistoryMessage,
                           content=(Annotated[str, Field(max_length=max_message_chars)], ...))
    question = Annotated[str, AfterValidator(check_question), Field(
        description="The question, in plain words.", examples=["Who brought the claim, and when?"],
        json_schema_extra={"minLength": 1, "maxLength": max_question_chars, "pattern": _VISIBLE})]
    history = Annotated[list[message] | None, Field(  # type: ignore[valid-type]
        max_length=max_history_messages, description="Earlier turns, chat 'messages' format.")]
    return create_model("AskRequest", __base__=AskRequest, question=(question, ...), history=(history, None))


def request_model_for(settings: Settings) -> type[AskRequest]:
    return request_model(settings.max_question_chars, settings.max_history_messages, settings.max_message_chars)


def problem(exc: ValidationError) -> str:
    """The first problem of a validation error, in words that name the field."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    message = str(err.get("ctx", {}).get("error", "")) or err["msg"]
    if err["type"] == "missing":
        return f"field '{where}' is required"
    if where == "question" and err["type"] == "value_error":
        return message
    return f"{where}: {message}"


def validate(question: object, history: object, settings: Settings) -> AskRequest:
    """The question and history as the assistant takes them, or BadQuestionError saying why."""
    try:
        return request_model_for(settings).model_validate({"question": question, "history": history})
    except ValidationError as exc:
        raise BadQuestionError(problem(exc)) from None


def schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its $defs inlined: FastAPI's ``openapi_extra`` carries a
    schema as given and has nowhere to put $defs."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(raw)
