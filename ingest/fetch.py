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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx

from assistant.store import write_atomic

from .documents import FETCHED_DIR
from .manifest import SourceEntry

log = logging.getLogger(__name__)

USER_AGENT = "CaseAssistant/0.1 (+https://example.invalid/case-assistant)"
MIN_TEXT_CHARS = 200


@dataclass
class FetchResult:
    source_id: str
    status: str  # fetched | not modified | failed | skipped
    reason: str = ""


MAX_REDIRECTS = 5


class UnsafeURL(Exception):
    pass


def check_url(url: str, allow_private: bool) -> None:
    """Only http(s) to public addresses: a manifest must not make ingest probe the local network."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURL(f"invalid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL(f"scheme '{parsed.scheme}' is not allowed (http and https only)")
    if not parsed.host:
        raise UnsafeURL("URL has no host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise UnsafeURL(f"cannot resolve {parsed.host} ({exc.strerror})") from None
    except (UnicodeError, ValueError) as exc:  # a host no resolver accepts (e.g. a label over 63 characters)
        raise UnsafeURL(f"invalid host {parsed.host!r} ({exc})") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            raise UnsafeURL(f"{parsed.host} resolves to a non-public address ({ip}); use --allow-private to permit")


def _cache_dir(corpus_dir: Path, source_id: str) -> Path:
    return corpus_dir / FETCHED_DIR / source_id


def _read_meta(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def extract_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_precision=True) or ""


class FetchTimeout(Exception):
    pass


def _download(client: httpx.Client, url: str, headers: dict[str, str], max_bytes: int,
              allow_private: bool, timeout: float) -> tuple[int, bytes, httpx.Headers, str]:
    """GET with redirects followed by hand, so every hop passes the address check; the
    whole fetch, all hops and a trickling body included, must end within ``timeout``."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url, allow_private)
        if time.monotonic() > deadline:
            raise FetchTimeout
        with client.stream("GET", url, headers=headers) as response:
            if response.is_redirect and "location" in response.headers:
                url = str(response.url.join(response.headers["location"]))
                continue
            body = bytearray()
            if response.status_code == 200:
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise UnsafeURL(f"page larger than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise FetchTimeout
            return response.status_code, bytes(body), response.headers, response.encoding or "utf-8"
    raise UnsafeURL(f"more than {MAX_REDIRECTS} redirects")


def fetch_source(entry: SourceEntry, corpus_dir: Path, client: httpx.Client,
                 max_bytes: int, allow_private: bool = False, timeout: float = 20.0) -> FetchResult:
    folder = _cache_dir(corpus_dir, entry.id)
    meta = _read_meta(folder)
    headers = {}
    if (folder / "text.txt").exists():
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    try:
        status, body, response_headers, encoding = _download(client, entry.url, headers, max_bytes, allow_private,
                                                             timeout)
    except UnsafeURL as exc:
        return FetchResult(entry.id, "failed", f"refused: {exc}")
    except (httpx.TimeoutException, FetchTimeout):
        return FetchResult(entry.id, "failed", f"timed out (limit {timeout:g} s)")
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
    text = extract_text(html)
    if len(text) < MIN_TEXT_CHARS:
        return FetchResult(entry.id, "failed", "no article text in the page (paywall or empty shell?)")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "page.html", html)
    write_atomic(folder / "text.txt", text)
    write_atomic(folder / "meta.json", json.dumps({
        "url": entry.url, "etag": response_headers.get("etag", ""),
        "last_modified": response_headers.get("last-modified", ""),
        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))
    return FetchResult(entry.id, "fetched")


def fetch_all(entries: list[SourceEntry], corpus_dir: Path, timeout: float,
              max_bytes: int, allow_private: bool = False) -> dict[str, FetchResult]:
    results: dict[str, FetchResult] = {}
    with httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}) as client:
        for entry in entries:
            if not entry.fetch:
                results[entry.id] = FetchResult(entry.id, "skipped", "fetch = false")
                continue
            result = fetch_source(entry, corpus_dir, client, max_bytes, allow_private, timeout)
            if result.status == "failed":
                log.warning("fetch %s failed: %s (keeping the last good copy, if any)", entry.id, result.reason)
            results[entry.id] = result
    return results
