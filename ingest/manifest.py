"""The corpus's own description of itself: its cited sources (sources.toml: what to fetch
and how to cite it) and its case profile (case.toml: names, follow-up nouns, examples).

Each ``[[source]]`` table is parsed by :class:`SourceEntry`, case.toml by the index's
``CaseProfile``; an error names the file, the entry (its number and id) and the field.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError,
                      field_validator)

from assistant.errors import DocumentError, ManifestError
from assistant.index import CaseProfile

MANIFEST_NAME = "sources.toml"
CASE_NAME = "case.toml"
#: What a saved copy of a source may be: a page saved from a browser, a PDF or plain text.
SAVED_COPY_SUFFIXES = (".html", ".htm", ".pdf", ".txt")

def _one_line(value: str) -> str:
    if len(value.splitlines()) > 1:
        raise ValueError("must be one line")
    return value


#: A title, a publisher, a kind: shown on cards, in links' tooltips and in lists, so one line.
_Line = Annotated[str, AfterValidator(_one_line)]
_Text = Annotated[_Line, StringConstraints(strip_whitespace=True, min_length=1)]
#: Where a citation links to: one absolute http(s) URL, no whitespace anywhere in it.
_URL = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")]
URL_DESCRIPTION = "one absolute http or https URL, without spaces or line breaks"


class SourceEntry(BaseModel):
    """One cited source. Unknown fields are refused, so a misspelt one is not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] = Field(
        description="letters, digits, '.', '_' or '-'")
    title: _Text
    publisher: _Text
    url: _URL = Field(description=URL_DESCRIPTION)
    date: str = ""
    fetch: StrictBool = False
    #: A copy of the source saved under the corpus (e.g. "saved/ft.html"): its text is the source's.
    file: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return value.isoformat() if isinstance(value, date) else value  # TOML dates parse to datetime.date

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = PurePosixPath(value.strip())
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ValueError("must be a path inside the corpus folder, like saved/ft.html")
        if path.suffix.lower() not in SAVED_COPY_SUFFIXES:
            raise ValueError(f"must be a {', '.join(SAVED_COPY_SUFFIXES)} file")
        return path.as_posix()


class DocumentMeta(BaseModel):
    """What a corpus document says of itself (Markdown front matter, or a page's metadata),
    checked like a [[source]]'s fields: the same values reach the same cards, links and lists.
    Other keys are the author's own and ignored; an empty value is no value."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: _Line | None = None
    publisher: _Line | None = None
    url: _URL | None = Field(default=None, description=URL_DESCRIPTION)
    date: _Line | None = None
    kind: _Line | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _scalar_as_text(cls, value: object) -> object:
        if isinstance(value, date):  # YAML dates parse to datetime.date (or datetime)
            value = value.isoformat()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            return value.strip() or None
        return value

    @classmethod
    def of(cls, fields: dict[str, object], where: str) -> DocumentMeta:
        """``fields`` checked; a DocumentError names the file and the field."""
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = ".".join(str(p) for p in err["loc"])
            known = cls.model_fields.get(field)
            reason = (known.description if err["type"] == "string_pattern_mismatch" and known and known.description
                      else err.get("ctx", {}).get("error") or err["msg"])
            raise DocumentError(where, f"front matter field '{field}': {reason}") from None

    @classmethod
    def of_page(cls, fields: dict[str, str | None], where: str) -> DocumentMeta:
        """A web page's own metadata, which its author did not write for us: whitespace runs
        become one space and a URL that is not one is dropped, instead of failing the page."""
        tidy = {k: " ".join(v.split()) for k, v in fields.items() if v}
        if tidy.get("url") and not re.fullmatch(r"https?://\S+", tidy["url"]):
            del tidy["url"]
        return cls.of(tidy, where)


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
    for i, table in enumerate(tables, start=1):
        name = f"[[source]] #{i}" + (f" ('{table['id']}')" if isinstance(table, dict) and "id" in table else "")
        if not isinstance(table, dict):
            raise ManifestError(f"{path}: {name}: must be a table")
        try:
            entry = SourceEntry.model_validate(table)
        except ValidationError as exc:
            raise ManifestError(f"{path}: {name}: {_problem(exc)}") from None
        if any(e.id == entry.id for e in entries):
            raise ManifestError(f"{path}: {name}: field 'id' repeats '{entry.id}'")
        entries.append(entry)
    return entries


def load_case_profile(corpus_dir: Path) -> CaseProfile:
    """The corpus's case.toml; without one, an empty profile (no aliases, no examples)."""
    path = corpus_dir / CASE_NAME
    if not path.exists():
        return CaseProfile()
    try:
        return CaseProfile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ManifestError(f"{path}: field '{field}': {err['msg']}") from None


def _problem(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"])
    if err["type"] == "missing":
        return f"field '{field}' is required"
    if err["type"] == "extra_forbidden":
        return f"field '{field}' is not a source field (known: {', '.join(SourceEntry.model_fields)})"
    known = SourceEntry.model_fields.get(field)
    if err["type"] == "string_pattern_mismatch" and known is not None and known.description:
        return f"field '{field}' must be {known.description} (got {err['input']!r})"
    return f"field '{field}': {err.get('ctx', {}).get('error') or err['msg']}"
