"""Load corpus files and cited sources into plain documents with citation metadata.

A bad file raises DocumentError naming the file and the reason; the caller reports it
and goes on with the rest.
"""

from __future__ import annotations

import importlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import yaml

from assistant.dates import human
from assistant.errors import DocumentError
from assistant.index import DocumentStatus

from .manifest import CASE_NAME, MANIFEST_NAME, DocumentMeta, SourceEntry

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
FETCHED_DIR = ".fetched"


@dataclass
class SourceDocument:
    """A document as loaded: its text and how to cite it. ``headline`` is a cited source's
    headline card (what sources.toml says of it), indexed as a passage of its own."""

    doc_id: str
    title: str
    body: str
    publisher: str = ""
    url: str = ""
    date: str = ""
    kind: str = "document"
    origin: str = ""  # the file it came from, for messages
    status: DocumentStatus = DocumentStatus.ON_DISK
    headline: str = ""


def discover_files(corpus_dir: Path, skip: set[str] = frozenset()) -> tuple[list[Path], dict[str, str]]:
    """Document files under the corpus (but those in ``skip``, corpus-relative), and those
    refused (links that leave it), with why."""
    root = corpus_dir.resolve()
    found: list[Path] = []
    refused: dict[str, str] = {}
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.name in (MANIFEST_NAME, CASE_NAME) or path.suffix.lower() not in DOCUMENT_SUFFIXES \
                or rel.as_posix() in skip:
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            refused[rel.as_posix()] = "symbolic link to outside the corpus, not followed"
            continue
        if path.is_file():
            found.append(path)
    return found, refused


def _decode(raw: bytes, where: str) -> str:
    if not raw.strip():
        raise DocumentError(where, "empty file")
    if b"\x00" in raw:
        raise DocumentError(where, "binary content (NUL bytes) in a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(where, f"not valid UTF-8 (byte {exc.start})") from None


def split_front_matter(text: str, where: str) -> tuple[dict[str, object], str]:
    """YAML front matter between '---' lines, if any; the body keeps its own offsets."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):  # at the line's start: an indented one is YAML content
            header = "\n".join(lines[1:i])
            body = "\n".join(lines[i + 1:])
            break
    else:
        raise DocumentError(where, "front matter starts with '---' but never ends")
    try:
        meta = yaml.safe_load(header) if header.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 2}" if mark is not None else ""
        raise DocumentError(where, f"front matter is not valid YAML{line}") from None
    except ValueError as exc:  # a well-formed but impossible value, such as date: 2024-02-30
        raise DocumentError(where, f"front matter is not valid YAML ({exc})") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(where, "front matter must be a mapping of fields (key: value)")
    return meta, body


def _import_parser(module: str, where: str) -> ModuleType:
    """The parser a kind of file needs; if it cannot be imported (a broken install), every file
    of that kind fails with the reason and the rest of the corpus is indexed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DocumentError(where, f"its parser ({module}) cannot be imported: {exc}; "
                                   "reinstall the project (pip install -e .)") from None


def html_text(html: str, where: str) -> tuple[str, dict[str, str]]:
    """A page's article text, one paragraph per block, and what it says of itself."""
    trafilatura = _import_parser("trafilatura", where)
    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False,
                                   favor_precision=True, with_metadata=False)
        meta = trafilatura.extract_metadata(html)
    except Exception as exc:  # trafilatura raises many kinds on hostile markup
        raise DocumentError(where, f"HTML could not be parsed ({type(exc).__name__})") from None
    info = {}
    text = blocks_to_paragraphs(text or "")
    if meta is not None:
        for key in ("title", "sitename", "date", "url"):
            if getattr(meta, key, None):
                info[key] = str(getattr(meta, key))
    return text, info


def blocks_to_paragraphs(text: str) -> str:
    """Extracted HTML text puts each block (headline, paragraph) on its own line: make each
    line a paragraph, so a headline is never glued onto the sentence after it."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _pdf_text(raw: bytes, where: str) -> str:
    pypdf = _import_parser("pypdf", where)
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(where, f"corrupt or unreadable PDF ({exc.__class__.__name__})") from None
    return "\n\n".join(pages)


def _read(path: Path, rel: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(rel, f"file is {size:,} bytes; the limit is {max_bytes:,} (CASE_MAX_DOCUMENT_BYTES)")
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(rel, f"cannot be read ({exc.strerror})") from None


def _text_and_meta(raw: bytes, suffix: str, rel: str) -> tuple[str, DocumentMeta]:
    """A file's text and what it says of itself (front matter, or an HTML page's metadata)."""
    if suffix == ".pdf":
        if not raw:
            raise DocumentError(rel, "empty file")
        return _pdf_text(raw, rel), DocumentMeta()
    if suffix in (".html", ".htm"):
        body, info = html_text(_decode(raw, rel), rel)
        return body, DocumentMeta.of_page({"title": info.get("title"), "publisher": info.get("sitename"),
                                           "date": info.get("date"), "url": info.get("url")}, rel)
    meta, body = split_front_matter(_decode(raw, rel), rel)
    return body, DocumentMeta.of(meta, rel)


def load_file(path: Path, corpus_dir: Path, max_bytes: int = 5_000_000) -> SourceDocument:
    rel = path.relative_to(corpus_dir).as_posix()
    body, meta = _text_and_meta(_read(path, rel, max_bytes), path.suffix.lower(), rel)
    if not body.strip():
        raise DocumentError(rel, "no text in the document")
    title = meta.title or path.stem.replace("-", " ").replace("_", " ")
    return SourceDocument(
        doc_id=rel,
        title=title,
        body=body,
        headline=catalogue_card(meta.publisher, title, meta.date or "") if meta.publisher else "",
        publisher=meta.publisher or "",
        url=meta.url or "",
        date=meta.date or "",
        kind=meta.kind or "document",
        origin=rel,
    )


def headline_card(entry: SourceEntry) -> str:
    """What the manifest itself tells about a source: who published what, and when. A
    catalogue entry, not a quotation: nothing in it is the source's own text but its title."""
    return catalogue_card(entry.publisher, entry.title, entry.date)


def catalogue_card(publisher: str, title: str, date: str) -> str:
    """Who published what, and when: indexed for every document that names its publisher (a
    corpus article as much as a cited source), so "which outlets covered the case?" finds
    every outlet whose text is indexed, not only the cited ones."""
    when = f" ({human(date)})" if date else ""
    return f'{publisher} covered the case under the headline "{title}"{when}.'


def fetched_text_path(corpus_dir: Path, source_id: str) -> Path:
    return corpus_dir / FETCHED_DIR / source_id / "text.txt"


def load_source(entry: SourceEntry, corpus_dir: Path, max_bytes: int = 5_000_000) -> SourceDocument:
    """A cited source: its headline card, and its text from the saved copy its entry names
    (``file``) or else from a fetched copy on disk, when there is one."""
    doc = SourceDocument(doc_id=entry.id, title=entry.title, body="", publisher=entry.publisher, url=entry.url,
                         date=entry.date, kind="source", origin=f"{MANIFEST_NAME} [{entry.id}]",
                         status=DocumentStatus.NOT_FETCHED, headline=headline_card(entry))
    if entry.file is not None:
        path = corpus_dir / entry.file
        if not path.resolve().is_relative_to(corpus_dir.resolve()):
            raise DocumentError(entry.id, f"its saved copy {entry.file} is outside the corpus folder")
        if not path.is_file():
            raise DocumentError(entry.id, f"its saved copy {entry.file} does not exist")
        try:
            text, _ = _text_and_meta(_read(path, entry.id, max_bytes), path.suffix.lower(), entry.id)
        except DocumentError as exc:
            raise DocumentError(entry.id, f"its saved copy {entry.file}: {exc.reason}") from None
        doc.body, doc.status = blocks_to_paragraphs(text), DocumentStatus.SAVED_COPY
        if not doc.body:
            raise DocumentError(entry.id, f"its saved copy {entry.file} has no text")
        return doc
    text_path = fetched_text_path(corpus_dir, entry.id)
    if text_path.exists():
        doc.body = blocks_to_paragraphs(text_path.read_text(encoding="utf-8", errors="replace"))
        if doc.body:
            doc.status = DocumentStatus.ON_DISK
    return doc


def saved_copies(entries: list[SourceEntry]) -> set[str]:
    """Corpus paths that are a source's saved copy: indexed as that source, not on their own."""
    return {entry.file for entry in entries if entry.file is not None}
