"""What every web request passes through before it reaches the API or the Gradio chat.

Each guard is a small pure-ASGI middleware (Starlette's ``BaseHTTPMiddleware`` would buffer
Gradio's event streams). None imports Gradio: what they know of it (its routes, its event
ids) is handed in by ``app.py``.

- :class:`SecurityHeaders`: CSP, framing, sniffing and referrer headers on every response.
- :class:`SessionCookies`: cookies SameSite=Lax, and Secure exactly when served over TLS.
- :class:`SignInThrottle`: per-client backoff after failed sign-ins (Gradio's login form and
  HTTP Basic alike), an attempt counted from the moment it starts.
- :class:`AskRate`: questions per client per minute, through the API and the chat alike.
- :class:`BodyLimit`: bodies refused by size as they stream in, never held whole first.
- :class:`RouteAllowlist`: only the routes the chat uses reach Gradio; only its own events,
  only well-formed JSON, only sessions it knows.

Cross-origin reads are Starlette's CORSMiddleware's (app.py); the connection itself (head
size, deadlines, idle time) is bounded in :mod:`assistant.edge`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Collection, Iterable
from html.parser import HTMLParser
from typing import Any

from pydantic_core import from_json
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import ClientLimit, Credentials

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


def cookie_with_policy(cookie: bytes, secure: bool) -> bytes:
    """A Set-Cookie value with its SameSite and Secure attributes replaced by ours."""
    parts = [p.strip() for p in cookie.split(b";")]
    kept = [parts[0]] + [p for p in parts[1:] if p and p.split(b"=")[0].strip().lower() not in (b"samesite", b"secure")]
    return b"; ".join(kept + [b"SameSite=Lax"] + ([b"Secure"] if secure else []))


class SessionCookies:
    """Every cookie the app sets is ``SameSite=Lax`` and ``Secure`` exactly when the request
    came over TLS.

    Gradio sets its session cookie ``SameSite=None; Secure`` (so that the app works inside
    other sites' pages), which sends it along with requests other sites' pages make; and a
    ``Secure`` cookie over plain HTTP is kept by no browser but for localhost. The app is not
    meant to be embedded (frame-ancestors 'none'), so the session stays with its own site.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k, cookie_with_policy(v, secure) if k.lower() == b"set-cookie" else v)
                                      for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_with_policy)


# --------------------------------------------------------------------------- sign-in throttle


class SignInThrottle:
    """After ``failures`` failed sign-ins within the window, a client's sign-in attempts get
    429 with Retry-After until the window has room again; the right password then works.

    An attempt is a POST to Gradio's login form or any request carrying an Authorization
    header. It holds a place in the window from the moment it starts (``ClientLimit.begin``)
    until its answer is known, and keeps it when it failed: concurrent guesses get no more
    answers than the window has places. HTTP Basic is checked here at once; the login form
    failed when Gradio answers it 400 or 401. The client is the socket's peer, or the
    address a trusted proxy forwarded (uvicorn sets it; see :mod:`assistant.edge`).
    """

    def __init__(self, app: ASGIApp, failures: ClientLimit, credentials: Credentials | None,
                 login_paths: Collection[str] = ("/login", "/login/")) -> None:
        self.app = app
        self.failures = failures
        self.credentials = credentials
        self.login_paths = login_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.credentials is None:  # no sign-in: nothing to guess
            await self.app(scope, receive, send)
            return
        is_form = scope["method"] == "POST" and scope["path"] in self.login_paths
        authorization = Headers(scope=scope).get("authorization")
        if not is_form and authorization is None:
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        wait = self.failures.begin(client)
        if wait is not None:
            log.warning("sign-in from %s refused for %d s: too many failures", client, wait)
            await reply(send, 429, "too many failed sign-ins; try again later", {"Retry-After": str(wait)})
            return
        if not is_form:
            right = self.credentials.check_basic(authorization or "")
            self.failures.end(client, counted=not right)
            if not right:
                log.warning("failed sign-in from %s (%s)", client, scope["path"])
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            failed = status in (0, 400, 401)  # 0: it ended without an answer, which proves nothing right
            self.failures.end(client, counted=failed)
            if failed:
                log.warning("failed sign-in from %s (%s)", client, scope["path"])


class AskRate:
    """At most ``limit`` questions per client in its window through ``paths`` (the API's
    /api/ask and the chat's queue, which every chat event joins); beyond it, 429 with
    Retry-After. Feedback and sign-ins have limits of their own."""

    def __init__(self, app: ASGIApp, limit: ClientLimit, paths: Collection[str]) -> None:
        self.app = app
        self.limit = limit
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            client = client_of(scope)
            if not self.limit.hit(client):
                wait = self.limit.retry_after(client) or 1
                log.warning("questions from %s refused for %d s: over the rate", client, wait)
                await reply(send, 429, "too many questions at once from here; try again in a moment",
                            {"Retry-After": str(wait)})
                return
        await self.app(scope, receive, send)


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
        ("POST", r"/logout/?"),  # a POST (Gradio's is a GET, which any link or image could trigger)
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
EVENT_STREAM = "/gradio_api/queue/data"
#: Gradio's routes that read a JSON body (whatever the Content-Type says).
JSON_BODIES = frozenset({EVENT_JOIN, "/gradio_api/cancel"})
LOGOUT = re.compile(r"/logout/?")
#: The longest name a path segment may have: a file system's NAME_MAX (Gradio's static
#: routes answered a longer one with a 500 from the OS).
MAX_SEGMENT = 255


class RouteAllowlist:
    """Requests outside our own paths (``own_prefixes``) must match :data:`GRADIO_ROUTES`.

    Besides: a JSON body must be strict JSON (no NaN or Infinity, no number beyond a float,
    no lone surrogate: Gradio answered each with a 500); a queued event must name one of the
    app's events (``event_ids``: Gradio answers an unknown ``fn_index`` with a KeyError) and
    carry no file reference; the event stream must be for a session the queue knows
    (``known_session``: Gradio starts the stream, then fails inside it with a traceback);
    no path segment is longer than a file name can be. ``POST /logout`` reaches Gradio's
    logout as the GET it expects.
    """

    def __init__(self, app: ASGIApp, own_prefixes: tuple[str, ...], event_ids: Collection[int],
                 known_session: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.own_prefixes = own_prefixes
        self.event_ids = frozenset(event_ids)
        self.known_session = known_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the chat uses none: closed before accepting, a 403
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if any(len(segment) > MAX_SEGMENT for segment in path.split("/")):
            await reply(send, 404, "not found")
            return
        if path.startswith(self.own_prefixes):
            await self.app(scope, receive, send)
            return
        if not any(method in methods and pattern.fullmatch(path) for methods, pattern in GRADIO_ROUTES):
            await reply(send, 404, "not found")
            return
        if path == EVENT_STREAM and self.known_session is not None:
            session = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("session_hash", "")
            if not self.known_session(session):
                log.info("event stream refused: no such session")
                await reply(send, 404, "no such session: join an event first")
                return
        if method == "POST" and LOGOUT.fullmatch(path):
            scope = {**scope, "method": "GET"}
        elif method == "POST" and path in JSON_BODIES:
            body = await _read_body(receive)  # already bounded by BodyLimit
            problem = self._json_problem(body, event=path == EVENT_JOIN)
            if problem:
                await reply(send, 422, problem)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _json_problem(self, body: bytes, event: bool) -> str | None:
        try:
            value: Any = from_json(body, allow_inf_nan=False)
        except ValueError:
            return "body must be strict JSON (UTF-8, no NaN or Infinity, no lone surrogate)"
        if not _finite(value):
            return "body holds a number beyond the range of a float"
        if not event:
            return None
        if not isinstance(value, dict):
            return "event body must be a JSON object"
        fn_index = value.get("fn_index")
        if type(fn_index) is not int or fn_index not in self.event_ids:
            return "unknown event"
        if _carries_file(value):
            return "this app takes no files"
        return None


def _finite(value: Any) -> bool:
    """No float in ``value`` is infinite (JSON's 1e999 parses to one). Depth is bounded by
    the parser (200)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


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
