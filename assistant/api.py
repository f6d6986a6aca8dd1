"""HTTP API beside the chat: ``POST /api/ask`` answers with the Answer's dict.

Bad requests get a 4xx with a message; the core's own errors map to their status.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .answering import MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS
from .errors import CaseError
from .service import Assistant
from .types import Answer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * MAX_HISTORY_MESSAGES * MAX_MESSAGE_CHARS  # room for a full history, escaped


# Text a question must contain: something other than blanks and invisible characters.
_VISIBLE = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]"


def ask_schema(max_chars: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": _VISIBLE,
                         "description": "The question, in plain words.", "example": "Who is the whistleblower?"},
            "history": {
                "type": ["array", "null"], "maxItems": MAX_HISTORY_MESSAGES,
                "description": "Earlier turns, chat 'messages' format.",
                "items": {"type": "object", "required": ["role", "content"], "properties": {
                    "role": {"type": "string", "enum": ["user", "assistant"]},
                    "content": {"type": "string", "maxLength": MAX_MESSAGE_CHARS}}},
            },
        },
    }


class ErrorOut(BaseModel):
    error: str


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _authorised(request: Request, credentials: tuple[str, str] | None) -> bool:
    """HTTP Basic with the same user and password as the UI's login."""
    if credentials is None:
        return True
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user, credentials[0]) & hmac.compare_digest(password, credentials[1])


class Admission:
    """A bounded queue in front of the answerer: overload gets a quick 429, not a pile-up."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._limit = concurrency + queue
        self._inside = 0

    def try_enter(self) -> bool:
        if self._inside >= self._limit:
            return False
        self._inside += 1
        return True

    def leave(self) -> None:
        self._inside -= 1

    @property
    def slots(self) -> asyncio.Semaphore:
        return self._slots


def build_router(assistant: Assistant, credentials: tuple[str, str] | None = None) -> APIRouter:
    router = APIRouter(prefix="/api")
    admission = Admission(assistant.settings.api_concurrency, assistant.settings.api_queue)

    @router.post("/ask", response_model=Answer,
                 responses={400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 429: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut},
                            503: {"model": ErrorOut}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": ask_schema(assistant.settings.max_question_chars)}}}})
    async def ask(request: Request) -> Any:
        if not _authorised(request, credentials):
            return JSONResponse({"error": "sign in required (HTTP Basic, the same user as the web UI)"},
                                status_code=401, headers={"WWW-Authenticate": 'Basic realm="case-assistant"'})
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, "request body is too large")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "body must be JSON: {\"question\": \"...\", \"history\": [...]}")
        if not isinstance(body, dict):
            return _error(422, "body must be a JSON object with a 'question' field")
        if "question" not in body:
            return _error(422, "field 'question' is required")
        if not admission.try_enter():
            return JSONResponse({"error": "too many questions at once; try again in a moment"},
                                status_code=429, headers={"Retry-After": "1"})
        try:
            async with admission.slots:
                answer = await run_in_threadpool(assistant.ask, body["question"], body.get("history"))
        except CaseError as exc:
            return _error(exc.http_status, str(exc))
        finally:
            admission.leave()
        return answer.to_dict()

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return router
