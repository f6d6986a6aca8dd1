"""The connection edge (assistant.edge) with real sockets: uvicorn serving a minimal ASGI app in a
thread of this process, configured by ``server_config`` exactly as app.py is. The whole app's
edge is checked over HTTP in test_security.py; here each bound is shown on its own, quickly."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from assistant.edge import server_config
from assistant.settings import Settings


async def hello(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"x-client", scope["client"][0].encode())]})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture
def edge(request) -> Iterator[tuple[int, Settings]]:
    """uvicorn on a free loopback port with ``request.param`` Settings overrides."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(host="127.0.0.1", **getattr(request, "param", {})).model_copy(update={"port": port})
    server = uvicorn.Server(server_config(hello, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port, settings
    server.should_exit = True
    thread.join(10)


def _closed_after(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and how long that took. A close
    with unread request bytes is a reset, which may discard the answer before it is read."""
    sock.settimeout(limit)
    start, got = time.monotonic(), b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return got, time.monotonic() - start
        got += chunk


@pytest.mark.parametrize("edge", [{"keep_alive_seconds": 0.5}], indirect=True)
def test_edge_connection_that_sends_nothing_closed_after_keep_alive(edge):
    port, _ = edge
    with socket.create_connection(("127.0.0.1", port)) as sock:
        got, took = _closed_after(sock, 5)
    assert got == b"" and took < 1.5


@pytest.mark.parametrize("edge", [{"request_timeout_seconds": 1.0, "keep_alive_seconds": 30}], indirect=True)
def test_edge_trickled_request_head_cut_off_with_408(edge):
    port, _ = edge
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.monotonic()
        try:
            for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:  # a byte every 0.1 s: 5 s in all
                sock.send(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass  # the server closed while bytes were still coming
        got, _ = _closed_after(sock, 5)
    assert got.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 3


@pytest.mark.parametrize("edge", [{"request_timeout_seconds": 1.0}], indirect=True)
def test_edge_trickled_body_cut_off(edge):
    port, _ = edge
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        start = time.monotonic()
        try:
            for _ in range(50):
                sock.send(b"x")
                time.sleep(0.1)
        except OSError:
            pass
        got, _ = _closed_after(sock, 5)
    assert b"hello" not in got and time.monotonic() - start < 3


@pytest.mark.parametrize("edge", [{"max_header_bytes": 8_192}], indirect=True)
def test_edge_oversized_head_gets_431(edge):
    port, _ = edge
    with socket.create_connection(("127.0.0.1", port)) as sock:  # a head that stops just past the limit
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9_000)
        got, took = _closed_after(sock, 5)
    assert got.startswith(b"HTTP/1.1 431") and took < 1
    with socket.create_connection(("127.0.0.1", port)) as sock:  # one that keeps coming
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
        except OSError:
            pass
        got, took = _closed_after(sock, 5)
    assert (got == b"" or got.startswith(b"HTTP/1.1 431")) and took < 1
    assert httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Fine": "a" * 4_000}).text == "hello"


@pytest.mark.parametrize("edge", [{"max_connections": 4, "keep_alive_seconds": 30}], indirect=True)
def test_edge_connections_over_limit_get_503(edge):
    port, _ = edge
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    try:
        time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 503
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200


@pytest.mark.parametrize("edge", [{}, {"trusted_proxies": "127.0.0.1"}], indirect=True, ids=["default", "proxy"])
def test_edge_forwarded_for_believed_only_from_trusted_proxy(edge):
    port, settings = edge
    r = httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.headers["x-client"] == ("203.0.113.9" if settings.trusted_proxies else "127.0.0.1")
