"""The list of cited sources (corpus/sources.toml): what to fetch and how to cite it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ManifestError

MANIFEST_NAME = "sources.toml"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class SourceEntry:
    id: str
    title: str
    publisher: str
    url: str
    date: str = ""
    fetch: bool = False


def load_manifest(corpus_dir: Path) -> list[SourceEntry]:
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ManifestError(f"{path}: 'source' must be an array of tables ([[source]])")
    entries: list[SourceEntry] = []
    seen: set[str] = set()
    for i, table in enumerate(tables, start=1):
        where = f"{path}: [[source]] #{i}"
        if not isinstance(table, dict):
            raise ManifestError(f"{where}: must be a table")
        for key in ("id", "title", "publisher", "url"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise ManifestError(f"{where}: field '{key}' is required and must be a non-empty string")
        if not _ID.match(table["id"]):
            raise ManifestError(f"{where}: field 'id' must be letters, digits, '.', '_' or '-'")
        if table["id"] in seen:
            raise ManifestError(f"{where}: field 'id' repeats '{table['id']}'")
        if not re.match(r"^https?://", table["url"]):
            raise ManifestError(f"{where}: field 'url' must be an http or https URL")
        date = table.get("date", "")
        if not isinstance(date, str):
            date = str(date)  # TOML dates parse to datetime.date
        fetch = table.get("fetch", False)
        if not isinstance(fetch, bool):
            raise ManifestError(f"{where}: field 'fetch' must be true or false")
        seen.add(table["id"])
        entries.append(
            SourceEntry(table["id"], table["title"].strip(), table["publisher"].strip(),
                        table["url"].strip(), date, fetch)
        )
    return entries
