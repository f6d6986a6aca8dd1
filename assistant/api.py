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
from pydantic import BaseModel, ValidationError

from .auth import Credentials
from .errors import BadQuestionError, CaseError, IndexMissingError, ModelLoadError, ModelMismatchError, SettingsError
from .question import AskRequest, problem, request_model_for, schema
from .service import Assistant
from .types import Answer
from .web_guard import BodyTooLarge

log = logging.getLogger(__name__)

#: The HTTP status of each of the core's errors; any other CaseError is a 400.
HTTP_STATUS: dict[type[CaseError], int] = {
    BadQuestionError: 422, IndexMissingError: 503, ModelMismatchError: 503, ModelLoadError: 503, SettingsError: 500,
}


def http_status(exc: CaseError) -> int:
    return next((status for cls, status in HTTP_STATUS.items() if isinstance(exc, cls)), 400)


class ErrorOut(BaseModel):
    error: str


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _sign_in_required() -> JSONResponse:
    return _error(401, "sign in required (HTTP Basic, the same user as the web UI)",
                  {"WWW-Authenticate": 'Basic realm="case-assistant"'})


def _parse(model: type[AskRequest], raw: bytes) -> AskRequest | JSONResponse:
    """The body parsed and validated in one step by pydantic (its JSON parser, jiter, stops at
    200 levels of nesting or a number over 4,300 digits with an error instead of a
    RecursionError or a server-side error from ``int()``, and refuses invalid UTF-8)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        if err["type"] != "json_invalid":
            return _error(422, problem(exc))
        reason = str(err.get("ctx", {}).get("error", ""))
        if "recursion limit" in reason:
            return _error(422, "body is nested too deeply (the limit is 200 levels)")
        if "number out of range" in reason:
            return _error(422, "body holds a number too long to read")
        return _error(400, "body must be JSON: {\"question\": \"...\", \"history\": [...]}")


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
    request_model = request_model_for(assistant.settings)

    def signed_in(request: Request) -> bool:
        return credentials is None or credentials.check_basic(request.headers.get("authorization", ""))

    @router.post("/api/ask", response_model=Answer,
                 responses={status: {"model": ErrorOut} for status in (400, 401, 413, 415, 422, 429, 503)},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": schema(request_model)}}}})
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
        body = _parse(request_model, raw)
        if isinstance(body, JSONResponse):
            return body
        if not admission.try_enter():
            return _error(429, "too many questions at once; try again in a moment", {"Retry-After": "1"})
        try:
            async with admission.slots:
                answer = await run_in_threadpool(assistant.answer, body)
        except CaseError as exc:
            if exc.about_server:
                log.error("/api/ask: %s", exc)
            return _error(http_status(exc), exc.client_message)
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
