"""Fetch cited sources over HTTP into a cache under the corpus, politely and safely.

The cache (corpus/.fetched/<id>/) keeps the raw page, the extracted text and the
validators (ETag, Last-Modified) for conditional requests. A failed fetch never
touches the last good copy.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpcore
import httpx

from assistant.errors import DocumentError
from assistant.index import write_atomic
from assistant.settings import Settings

from .documents import FETCHED_DIR, html_text
from .manifest import SourceEntry

log = logging.getLogger(__name__)

USER_AGENT = "CaseAssistant/0.1 (+https://example.invalid/case-assistant)"
MIN_TEXT_CHARS = 200


@dataclass
class FetchResult:
    source_id: str
    status: str  # fetched | not modified | failed | skipped
    reason: str = ""




class UnsafeURL(Exception):
    pass


def check_url(url: str) -> None:
    """Only http(s) URLs with a host; where they may connect is GuardedBackend's to decide."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURL(f"invalid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL(f"scheme '{parsed.scheme}' is not allowed (http and https only)")
    if not parsed.host:
        raise UnsafeURL("URL has no host")


#: ``resolve(host, port)``: the addresses to connect to, in order. Tests substitute their own.
Resolver = Callable[[str, int], list[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: IPv6 ranges that Python's ``is_global`` may still call public: IPv4-compatible (::a.b.c.d,
#: deprecated), IPv4-translated (::ffff:0:a.b.c.d), local-use NAT64 and site-local (deprecated).
_NON_PUBLIC_V6 = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "fec0::/10"))


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeURL(f"cannot resolve {host} ({exc.strerror})") from None
    except (UnicodeError, ValueError) as exc:  # a host no resolver accepts (e.g. a label over 63 characters)
        raise UnsafeURL(f"invalid host {host!r} ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def non_public(address: str) -> bool:
    """Anything but a global unicast address: loopback, private, link-local (169.254/16, cloud
    metadata), shared (100.64/10), reserved, multicast, and IPv6 forms that carry an IPv4
    address (mapped, NAT64, 6to4, Teredo) of those kinds."""
    ip = ipaddress.ip_address(address.partition("%")[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NON_PUBLIC_V6):
            return True
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None,
                    ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None]
        candidates += [e for e in embedded if e is not None]
    return any(not c.is_global or c.is_multicast for c in candidates)


#: When the fetch under way must have ended (time.monotonic()); None outside a fetch.
_DEADLINE: ContextVar[float | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def fetch_deadline(seconds: float) -> Iterator[None]:
    """Every connect, read and write inside must end within ``seconds`` of now, in all."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the fetch's time is up")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write is cut to the time left of the fetch under way.

    httpx's timeouts hold per read: a server that sends one byte of its headers a second
    never trips them. The deadline is read when each call starts, so a pooled connection
    serves the next fetch with that fetch's deadline.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self.stream.start_tls(ssl_context, server_hostname,
                                                    _time_left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Opens every connection of a fetch, redirects included: the host is resolved once,
    every address it resolves to is checked, and the socket connects to a checked address,
    so a name cannot answer the check with one address and the connection with another
    (DNS rebinding). TLS and the Host header still use the name (httpcore takes them from
    the URL, not from the address connected to). Each connection is a :class:`DeadlineStream`."""

    def __init__(self, resolve: Resolver = system_resolver, allow_private: bool = False) -> None:
        self.resolve = resolve
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = self.resolve(host, port)
        if not addresses:
            raise UnsafeURL(f"{host} resolves to no address")
        if not self.allow_private:
            for address in addresses:
                if non_public(address):
                    raise UnsafeURL(f"{host} resolves to a non-public address ({address}); "
                                    "use --allow-private to permit")
        for address in addresses[:-1]:  # the next checked address if one refuses, as create_connection would
            try:
                return self._connect(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return self._connect(addresses[-1], port, timeout, local_address, socket_options)

    def _connect(self, address: str, port: int, timeout: float | None, local_address: str | None,
                 socket_options: Iterable[Any] | None) -> httpcore.NetworkStream:
        timeout = _time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(super().connect_tcp(address, port, timeout, local_address, socket_options))


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with its connections opened by :class:`GuardedBackend`.

    httpx has no argument for httpcore's network backend, so the connection pool it built
    is replaced by an equal one that has ours; HTTPTransport still maps every request and
    response. Proxies from the environment are not used (the guard must see the real peer).
    """

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=backend)


def _cache_dir(corpus_dir: Path, source_id: str) -> Path:
    return corpus_dir / FETCHED_DIR / source_id


def _read_meta(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def extract_text(html: str, where: str = "fetched page") -> str:
    """What --fetch stores as text.txt: the article text, as a corpus .html file gives it."""
    return html_text(html, where)[0]


class TooLarge(UnsafeURL):
    pass


class BoundedDecoder:
    """A body's Content-Encoding undone as it arrives, never producing more than ``limit``
    bytes in all.

    httpx undoes an encoding a chunk at a time but each chunk whole: 809 bytes of brotli can
    come out as gigabytes in one call, before any size check sees them. So the fetcher asks
    for gzip or nothing (``Accept-Encoding: gzip``), refuses any other encoding, and inflates
    gzip with zlib's ``max_length``, which stops at the limit however much the input holds.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        encoding = content_encoding.strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            raise UnsafeURL(f"content encoding '{content_encoding}' was not asked for (only gzip is)")
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if "gzip" in encoding else None
        self.limit = limit
        self.size = 0

    def decode(self, data: bytes) -> bytes:
        if self._inflate is None:
            return self._counted(data)
        parts = []
        while data:
            try:
                part = self._inflate.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise UnsafeURL(f"gzip body is corrupt ({exc})") from None
            parts.append(self._counted(part))
            data = self._inflate.unconsumed_tail
        return b"".join(parts)

    def _counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"too large: the page is over {self.limit:,} bytes (CASE_FETCH_MAX_BYTES)")
        return data


def _download(client: httpx.Client, url: str, headers: dict[str, str],
              settings: Settings) -> tuple[int, bytes, httpx.Headers, str]:
    """GET with redirects followed by hand, so every hop's URL is checked (and its connection
    goes through the client's GuardedBackend); the whole fetch, every hop's connection,
    headers and body included, must end within the fetch timeout."""
    with fetch_deadline(settings.fetch_timeout):
        for _ in range(settings.fetch_max_redirects + 1):
            check_url(url)
            with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    url = str(response.url.join(response.headers["location"]))
                    continue
                body = bytearray()
                if response.status_code == 200:
                    decoder = BoundedDecoder(response.headers.get("content-encoding", ""), settings.fetch_max_bytes)
                    for chunk in response.iter_raw():
                        body.extend(decoder.decode(chunk))
                return response.status_code, bytes(body), response.headers, response.encoding or "utf-8"
    raise UnsafeURL(f"more than {settings.fetch_max_redirects} redirects")


def fetch_source(entry: SourceEntry, corpus_dir: Path, client: httpx.Client, settings: Settings) -> FetchResult:
    folder = _cache_dir(corpus_dir, entry.id)
    meta = _read_meta(folder)
    headers = {}
    if (folder / "text.txt").exists():
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    try:
        status, body, response_headers, encoding = _download(client, entry.url, headers, settings)
    except TooLarge as exc:
        return FetchResult(entry.id, "failed", str(exc))
    except UnsafeURL as exc:
        return FetchResult(entry.id, "failed", f"refused: {exc}")
    except httpx.TimeoutException:
        return FetchResult(entry.id, "failed", f"timed out (limit {settings.fetch_timeout:g} s)")
    except httpx.HTTPError as exc:
        return FetchResult(entry.id, "failed", f"{type(exc).__name__}: {exc}")
    if status == 304:
        if not headers:  # nothing was cached, so there is nothing it could be "not modified" from
            return FetchResult(entry.id, "failed", "HTTP 304 without a cached copy")
        return FetchResult(entry.id, "not modified")
    if status != 200:
        return FetchResult(entry.id, "failed", f"HTTP {status}")
    ctype = response_headers.get("content-type", "")
    if "html" not in ctype and "text" not in ctype:
        return FetchResult(entry.id, "failed", f"unexpected content type '{ctype}'")
    html = body.decode(encoding, errors="replace")
    try:
        text = extract_text(html, entry.id)
    except DocumentError as exc:
        return FetchResult(entry.id, "failed", exc.reason)
    if len(text) < MIN_TEXT_CHARS:
        return FetchResult(entry.id, "failed", "no article text in the page (paywall or empty shell?): save the "
                                               "page from a browser under the corpus and name it in this source's "
                                               f'entry, file = "saved/{entry.id}.html"')
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "page.html", html)
    write_atomic(folder / "text.txt", text)
    write_atomic(folder / "meta.json", json.dumps({
        "url": entry.url, "etag": response_headers.get("etag", ""),
        "last_modified": response_headers.get("last-modified", ""),
        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))
    return FetchResult(entry.id, "fetched")


def fetch_client(timeout: float, backend: GuardedBackend) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},  # see BoundedDecoder
                        transport=GuardedTransport(backend), trust_env=False)


def fetch_all(entries: list[SourceEntry], corpus_dir: Path, settings: Settings, allow_private: bool = False,
              resolve: Resolver = system_resolver) -> dict[str, FetchResult]:
    results: dict[str, FetchResult] = {}
    with fetch_client(settings.fetch_timeout, GuardedBackend(resolve, allow_private)) as client:
        for entry in entries:
            if not entry.fetch:
                results[entry.id] = FetchResult(entry.id, "skipped", "fetch = false")
                continue
            result = fetch_source(entry, corpus_dir, client, settings)
            if result.status == "failed":
                log.warning("fetch %s failed: %s (keeping the last good copy, if any)", entry.id, result.reason)
            results[entry.id] = result
    return results
