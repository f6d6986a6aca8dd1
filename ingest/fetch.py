"""Fetch cited sources over HTTP into a cache under the corpus, politely and safely.

The cache (corpus/.fetched/<id>/) keeps the raw page, the extracted text and the
validators (ETag, Last-Modified) for conditional requests. A failed fetch never
touches the last good copy.
"""

from __future__ import annotations

import json
import logging
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


def fetch_source(entry: SourceEntry, corpus_dir: Path, client: httpx.Client,
                 max_bytes: int) -> FetchResult:
    folder = _cache_dir(corpus_dir, entry.id)
    meta = _read_meta(folder)
    headers = {}
    if meta.get("etag") and (folder / "text.txt").exists():
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified") and (folder / "text.txt").exists():
        headers["If-Modified-Since"] = meta["last_modified"]
    try:
        with client.stream("GET", entry.url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(entry.id, "not modified")
            if response.status_code >= 400:
                return FetchResult(entry.id, "failed", f"HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    return FetchResult(entry.id, "failed", f"page larger than {max_bytes} bytes")
            ctype = response.headers.get("content-type", "")
            etag = response.headers.get("etag", "")
            last_modified = response.headers.get("last-modified", "")
            encoding = response.encoding or "utf-8"
    except httpx.TimeoutException:
        return FetchResult(entry.id, "failed", "timed out")
    except httpx.HTTPError as exc:
        return FetchResult(entry.id, "failed", f"{type(exc).__name__}: {exc}")
    if "html" not in ctype and "text" not in ctype:
        return FetchResult(entry.id, "failed", f"unexpected content type '{ctype}'")
    html = bytes(body).decode(encoding, errors="replace")
    text = extract_text(html)
    if len(text) < MIN_TEXT_CHARS:
        return FetchResult(entry.id, "failed", "no article text in the page (paywall or empty shell?)")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "page.html", html)
    write_atomic(folder / "text.txt", text)
    write_atomic(folder / "meta.json", json.dumps({
        "url": entry.url, "etag": etag, "last_modified": last_modified,
        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))
    return FetchResult(entry.id, "fetched")


def fetch_all(entries: list[SourceEntry], corpus_dir: Path, timeout: float,
              max_bytes: int) -> dict[str, FetchResult]:
    results: dict[str, FetchResult] = {}
    with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5,
                      headers={"User-Agent": USER_AGENT}) as client:
        for entry in entries:
            if not entry.fetch:
                results[entry.id] = FetchResult(entry.id, "skipped", "fetch = false")
                continue
            result = fetch_source(entry, corpus_dir, client, max_bytes)
            if result.status == "failed":
                log.warning("fetch %s failed: %s (keeping the last good copy, if any)", entry.id, result.reason)
            results[entry.id] = result
    return results
