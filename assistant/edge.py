"""The server's edge: how much of the server one connection may hold, enforced where bytes arrive.

uvicorn bounds open connections (``limit_concurrency``), the idle time between requests
(``timeout_keep_alive``) and, with h11, the size of a request's head. It has no deadline for
a request that trickles in, never closes a connection that sends nothing at all, and answers
an oversized head with a 400. :class:`GuardedH11Protocol` is uvicorn's own h11 protocol with
those three added; :func:`server_config` builds uvicorn's configuration from Settings, the
proxy headers believed only from the proxies named there.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import h11
from uvicorn import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import Settings

log = logging.getLogger(__name__)


def _plain_response(status: int, reason: str) -> bytes:
    body = reason.encode("ascii")
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode("ascii") + body


REQUEST_TIMEOUT = _plain_response(408, "Request Timeout")
HEADERS_TOO_LARGE = _plain_response(431, "Request Header Fields Too Large")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus:

    - a connection that sends nothing is closed after the keep-alive time, as an idle one
      between requests is (uvicorn arms that timer only after a response);
    - a request must arrive whole (head and body) within ``request_timeout`` of its first
      byte, else 408 and the connection is closed: one byte a second no longer holds a
      connection open for ever;
    - a head over ``max_header_bytes`` gets 431 (h11 refuses it; uvicorn would say 400).
    """

    def __init__(self, *args: Any, request_timeout: float, max_header_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout
        self.max_header_bytes = max_header_bytes
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # the head of a request is arriving
            if self._deadline is None:
                self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)
            self._head_bytes += len(data)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_bytes = 0
        if self.conn.their_state in (h11.DONE, h11.ERROR, h11.CLOSED, h11.MUST_CLOSE):
            self._cancel_deadline()

    def send_400_response(self, msg: str) -> None:
        if self._head_bytes > self.max_header_bytes:
            log.warning("request head from %s over %d bytes: refused", self._peer(), self.max_header_bytes)
            self.transport.write(HEADERS_TOO_LARGE)
            self.transport.close()
            return
        super().send_400_response(msg)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.warning("request from %s not complete within %g s: connection closed", self._peer(), self.request_timeout)
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(REQUEST_TIMEOUT)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's receive() sees a disconnect; its sends go nowhere
            self.cycle.message_event.set()
        self.transport.close()

    def _peer(self) -> str:
        return self.client[0] if self.client else "unknown"


def server_config(app: Any, settings: Settings) -> Config:
    """uvicorn's configuration for ``app``: every bound at the edge comes from Settings.

    X-Forwarded-For (and -Proto) are believed only from ``trusted_proxies``; by default from
    no one, so a client picks no address of its own for the per-client limits.
    """
    trusted = settings.trusted_proxies
    protocol = functools.partial(GuardedH11Protocol, request_timeout=settings.request_timeout_seconds,
                                 max_header_bytes=settings.max_header_bytes)
    return Config(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5,
                  http=protocol,  # type: ignore[arg-type]  (uvicorn calls it as it would the class)
                  h11_max_incomplete_event_size=settings.max_header_bytes,
                  timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
                  limit_concurrency=settings.max_connections,
                  proxy_headers=bool(trusted), forwarded_allow_ips=",".join(trusted) if trusted else None)
