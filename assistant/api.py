"""HTTP API beside the chat: ``POST /api/ask`` answers with the Answer's dict.

Bad requests get a 4xx with a message; the core's own errors map to their status.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import from_json

from .answering import MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS
from .auth import Credentials
from .errors import CaseError
from .service import Assistant
from .types import Answer
from .web_guard import BodyTooLarge

log = logging.getLogger(__name__)

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


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _sign_in_required() -> JSONResponse:
    return _error(401, "sign in required (HTTP Basic, the same user as the web UI)",
                  {"WWW-Authenticate": 'Basic realm="case-assistant"'})


def _parse_json(raw: bytes) -> tuple[Any, JSONResponse | None]:
    """The body as JSON, parsed by jiter (pydantic's parser): nesting deeper than 200 levels or
    a number over 4,300 digits stops it with a ValueError instead of a RecursionError or a
    server-side error from ``int()``, and invalid UTF-8 is refused."""
    try:
        return from_json(raw), None
    except ValueError as exc:
        reason = str(exc)
        if "recursion limit" in reason:
            return None, _error(422, "body is nested too deeply (the limit is 200 levels)")
        if "number out of range" in reason:
            return None, _error(422, "body holds a number too long to read")
        return None, _error(400, "body must be JSON: {\"question\": \"...\", \"history\": [...]}")


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


def build_router(assistant: Assistant, credentials: Credentials | None = None) -> APIRouter:
    """``/api/ask`` and ``/api/health``, and the OpenAPI schema at ``/openapi.json``, which is
    behind the sign-in like everything else when there is one (the app is created without
    FastAPI's own schema and docs routes; see app.py)."""
    router = APIRouter()
    admission = Admission(assistant.settings.api_concurrency, assistant.settings.api_queue)

    def signed_in(request: Request) -> bool:
        return credentials is None or credentials.check_basic(request.headers.get("authorization", ""))

    @router.post("/api/ask", response_model=Answer,
                 responses={status: {"model": ErrorOut} for status in (400, 401, 413, 415, 422, 429, 503)},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": ask_schema(assistant.settings.max_question_chars)}}}})
    async def ask(request: Request) -> Any:
        if not signed_in(request):
            return _sign_in_required()
        # Only JSON: a form or text/plain body is what another site's page can make a browser
        # send without asking (no CORS preflight), so accepting it would let any page ask here.
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return _error(415, "send the question as JSON (Content-Type: application/json)")
        try:
            raw = await request.body()  # the size limit is applied as it streams in (web_guard.BodyLimit)
        except BodyTooLarge as exc:
            return _error(413, exc.detail)
        body, problem = _parse_json(raw)
        if problem is not None:
            return problem
        if not isinstance(body, dict):
            return _error(422, "body must be a JSON object with a 'question' field")
        if "question" not in body:
            return _error(422, "field 'question' is required")
        if not admission.try_enter():
            return _error(429, "too many questions at once; try again in a moment", {"Retry-After": "1"})
        try:
            async with admission.slots:
                answer = await run_in_threadpool(assistant.ask, body["question"], body.get("history"))
        except CaseError as exc:
            if exc.http_status >= 500:
                log.error("/api/ask: %s", exc)
            return _error(exc.http_status, exc.client_message)
        finally:
            admission.leave()
        return answer.to_dict()

    @router.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> Any:
        if not signed_in(request):
            return _sign_in_required()
        return request.app.openapi()

    return router
