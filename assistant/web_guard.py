"""What every web request passes through before it reaches the API or the Gradio chat.

Each guard is a small pure-ASGI middleware (Starlette's ``BaseHTTPMiddleware`` would buffer
Gradio's event streams). None imports Gradio: what they know of it (its routes, its event
ids) is handed in by ``app.py``.

- :class:`SecurityHeaders`: CSP, framing, sniffing and referrer headers on every response.
- :class:`SignInThrottle`: per-client backoff after failed sign-ins (Gradio's login form and
  HTTP Basic alike).
- :class:`BodyLimit`: bodies refused by size as they stream in, never held whole first.
- :class:`RouteAllowlist`: only the routes the chat uses reach Gradio; only its own events.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Collection, Iterable
from html.parser import HTMLParser
from typing import Any

from pydantic_core import from_json
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import ClientLimit

log = logging.getLogger(__name__)


async def reply(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """A short JSON error, the same shape as the API's own (``{"error": ...}``)."""
    body = json.dumps({"error": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


# --------------------------------------------------------------------------- headers


#: The page's policy. 'unsafe-inline' for styles only: Gradio injects the app's CSS, its theme
#: variables and Svelte's component styles as <style> elements and style attributes at run
#: time. Scripts: the app's own files, plus the inline scripts of the page being served, each
#: allowed by its hash (see SecurityHeaders); no 'unsafe-inline' and no 'unsafe-eval', so an
#: event handler attribute or a javascript: URL that slipped into a message would not run.
CSP_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),  # Gradio sets the page's <base> to the app's own address
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    directives = dict(CSP_DIRECTIVES)
    directives["script-src"] += tuple(f"'sha256-{h}'" for h in script_hashes)
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class _InlineScripts(HTMLParser):
    """The text of every <script> without a src, exactly as served (script content is CDATA
    to the parser, so it comes through unaltered)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self._parts = []

    def handle_data(self, data: str) -> None:
        if self._parts is not None:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._parts is not None:
            self.scripts.append("".join(self._parts))
            self._parts = None


def inline_script_hashes(html: str) -> list[str]:
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return [base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() for s in parser.scripts]


class SecurityHeaders:
    """Adds the headers above to every response.

    Gradio's page carries inline scripts whose text varies by request (its config, the
    address it was reached at), so an HTML response is held until complete and its CSP
    allows exactly the inline scripts in it, by SHA-256. Other responses stream through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._plain_policy = content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        held: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if headers.get("content-type", "").startswith("text/html"):
                    start = message  # sent with the body, once the page's scripts are known
                    return
                headers["Content-Security-Policy"] = self._plain_policy
            elif message["type"] == "http.response.body" and start is not None:
                held.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(held)
                hashes = inline_script_hashes(body.decode("utf-8", errors="replace"))
                MutableHeaders(scope=start)["Content-Security-Policy"] = content_security_policy(hashes)
                await send(start)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------- sign-in throttle


class SignInThrottle:
    """After ``failures`` failed sign-ins within the window, a client's sign-in attempts get
    429 with Retry-After until the window has room again; the right password then works.

    An attempt is a POST to Gradio's login form or any request carrying an Authorization
    header; it failed when the login form answers 400/401 or an API route answers 401.
    """

    def __init__(self, app: ASGIApp, failures: ClientLimit, login_paths: Collection[str] = ("/login", "/login/")) -> None:
        self.app = app
        self.failures = failures
        self.login_paths = login_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_form = scope["method"] == "POST" and scope["path"] in self.login_paths
        if not is_form and "authorization" not in Headers(scope=scope):
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        wait = self.failures.retry_after(client)
        if wait is not None:
            log.warning("sign-in from %s refused for %d s: too many failures", client, wait)
            await reply(send, 429, "too many failed sign-ins; try again later", {"Retry-After": str(wait)})
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == 401 or (is_form and status == 400):
            self.failures.hit(client)
            log.warning("failed sign-in from %s (%s)", client, scope["path"])


# --------------------------------------------------------------------------- body size


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit. An HTTPException, so FastAPI and
    Starlette (Gradio's routes included) answer it as a 413 rather than a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is too large (the limit is {limit:,} bytes)")


class BodyLimit:
    """Refuses a body over ``max_bytes``: at once when Content-Length says so, else (chunked
    bodies) as soon as the running count passes it, so no more than the limit is ever read.

    Starlette has no such limit and uvicorn none for HTTP/1.1 bodies; the app reads bodies
    through ``receive``, which this wraps.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await reply(send, 413, BodyTooLarge(self.max_bytes).detail)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as exc:
            if started:
                raise
            await reply(send, 413, exc.detail)


# --------------------------------------------------------------------------- Gradio's routes


#: (methods, path pattern) of every Gradio route the chat's page uses, found by recording a
#: whole session in Chromium (page, questions, feedback, sign-in, Sources, New conversation).
#: Everything else Gradio serves (file=, proxy=, upload, stream, run history, the REST and
#: client-library API, monitoring, MCP …) is a 404: the app shows no files and takes none.
GRADIO_ROUTES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = tuple(
    (frozenset(methods.split()), re.compile(pattern)) for methods, pattern in (
        ("GET HEAD", r"/"),
        ("GET", r"/config/?"),
        ("GET", r"/theme\.css"),
        ("GET", r"/(assets|static|svelte)/[^?#]+"),  # the files in Gradio's own package
        ("GET", r"/(favicon\.ico|manifest\.json|robots\.txt)"),
        ("POST", r"/login/?"),
        ("GET", r"/logout/?"),
        # The API description gradio_client reads before it calls the one public endpoint,
        # /ask (through the queue below); it lists no UI handler, they are all private.
        ("GET", r"/gradio_api/info/?"),
        ("GET", r"/gradio_api/heartbeat/[\w-]+"),
        ("POST", r"/gradio_api/queue/join"),
        ("GET", r"/gradio_api/queue/data"),
        ("POST", r"/gradio_api/cancel"),
    )
)

EVENT_JOIN = "/gradio_api/queue/join"


class RouteAllowlist:
    """Requests outside our own paths (``own_prefixes``) must match :data:`GRADIO_ROUTES`; a
    queued event must name one of the app's events (``event_ids``: Gradio answers an unknown
    ``fn_index`` with a KeyError, a 500) and carry no file reference."""

    def __init__(self, app: ASGIApp, own_prefixes: tuple[str, ...], event_ids: Collection[int]) -> None:
        self.app = app
        self.own_prefixes = own_prefixes
        self.event_ids = frozenset(event_ids)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the chat uses none: closed before accepting, a 403
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or scope["path"].startswith(self.own_prefixes):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if not any(method in methods and pattern.fullmatch(path) for methods, pattern in GRADIO_ROUTES):
            await reply(send, 404, "not found")
            return
        if path == EVENT_JOIN:
            body = await _read_body(receive)  # already bounded by BodyLimit
            problem = self._event_problem(body)
            if problem:
                await reply(send, 422, problem)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _event_problem(self, body: bytes) -> str | None:
        try:
            event: Any = from_json(body)
        except ValueError:
            return "event body must be JSON"
        if not isinstance(event, dict):
            return "event body must be a JSON object"
        fn_index = event.get("fn_index")
        if type(fn_index) is not int or fn_index not in self.event_ids:
            return "unknown event"
        if _carries_file(event):
            return "this app takes no files"
        return None


def _carries_file(value: Any) -> bool:
    """Whether an event holds a file reference as Gradio recognises one (a dict whose meta says
    gradio.FileData): the chat takes text only, so any such reference is refused before
    Gradio could copy the file it names into its cache. Depth is bounded by the parser (200)."""
    if isinstance(value, dict):
        meta = value.get("meta")
        if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
            return True
        return any(_carries_file(v) for v in value.values())
    if isinstance(value, list):
        return any(_carries_file(v) for v in value)
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then listens as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
