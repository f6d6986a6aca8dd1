"""Shared fixtures.

The ingest fixtures below run the real CLI (``python -m ingest``) in a subprocess with the
real embedding model, and read the result back from the real Chroma store the CLI wrote.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures_case import *  # noqa: F401,F403  (answer, app and eval fixtures)
from shared_support import need_shared
from browser_support import browser, hostile_server  # noqa: F401  (session-wide Chromium and app)

REPO = Path(__file__).resolve().parent.parent
#: The copy of the case article the user gave us, layout damage and all.
RAW_ARTICLE = REPO.parent / "shared" / "case" / "case-article.txt"
INGEST_TIMEOUT = 900


# --------------------------------------------------------------------------- no traffic off this machine

_REAL_CONNECT = socket.socket.connect
_REAL_CONNECT_EX = socket.socket.connect_ex


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:  # a name the C library would resolve on its own: anywhere
        return False


@pytest.fixture(autouse=True)
def outbound_connections(monkeypatch) -> list[tuple[str, int]]:
    """Every test runs with connections outside 127.0.0.0/8 and ::1 refused before any packet
    is sent; the refused (address, port) pairs are returned for tests that expect some."""
    refused: list[tuple[str, int]] = []

    def guarded(real):
        def connect(sock: socket.socket, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(str(address[0])):
                refused.append((str(address[0]), int(address[1])))
                raise ConnectionRefusedError(f"test guard: no connections off this machine ({address[0]})")
            return real(sock, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(_REAL_CONNECT))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(_REAL_CONNECT_EX))
    return refused


# --------------------------------------------------------------------------- running ingest


@dataclass
class IngestRun:
    """One finished ``python -m ingest`` process."""

    returncode: int
    stdout: str
    stderr: str
    args: list[str]

    @property
    def report(self) -> dict[str, Any]:
        """The JSON object on the last line of stdout (``--json``)."""
        lines = self.stdout.strip().splitlines()
        assert lines, f"no stdout from {self.args}; stderr:\n{self.stderr}"
        return json.loads(lines[-1])


def ingest_env(**case_vars: str | Path) -> dict[str, str]:
    """The caller's environment without any CASE_* setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASE_")}
    env.update({k: str(v) for k, v in case_vars.items()})
    return env


def run_ingest_cli(corpus: Path | None, index: Path | None, *extra: str, flags: bool = True,
                   env: dict[str, str] | None = None, json_out: bool = True) -> IngestRun:
    """Run the CLI from the repository root.

    By default the corpus and index are given both as flags and as CASE_* variables (so the
    run never touches the checkout's own corpus or data/); ``flags=False`` passes only the
    environment, ``env`` replaces it entirely.
    """
    args = [sys.executable, "-m", "ingest", *extra]
    if json_out:
        args.append("--json")
    if flags:
        if corpus is not None:
            args += ["--corpus", str(corpus)]
        if index is not None:
            args += ["--index", str(index)]
    if env is None:
        case_vars = {}
        if corpus is not None:
            case_vars["CASE_CORPUS_DIR"] = corpus
        if index is not None:
            case_vars["CASE_INDEX_DIR"] = index
        env = ingest_env(**case_vars)
    out = subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env, timeout=INGEST_TIMEOUT)
    return IngestRun(out.returncode, out.stdout, out.stderr, args)


@pytest.fixture(name="ingest_env", scope="session")
def ingest_env_fixture() -> Callable[..., dict[str, str]]:
    """``ingest_env(CASE_X=value, ...)``: this environment without CASE_* settings, plus those."""
    return ingest_env


@pytest.fixture(scope="session")
def run_ingest() -> Callable[..., IngestRun]:
    """``run_ingest(corpus, index, *extra_args, flags=True, env=None, json_out=True)``."""
    return run_ingest_cli


@pytest.fixture(scope="session")
def shared_embedder():
    """The project's model, loaded once for every in-process ingest and query of the session."""
    from assistant.embedding import Embedder
    from assistant.settings import Settings

    return Embedder.for_settings(Settings())


@pytest.fixture(scope="session")
def shared_analyzer():
    """The spaCy pipeline, loaded once for every in-process ingest (each run gives it its corpus's
    case profile, as a watching ingest does)."""
    from assistant.analysis import Analyzer
    from assistant.index import CaseProfile
    from assistant.settings import Settings

    return Analyzer(Settings().spacy_model, CaseProfile())


@pytest.fixture(scope="session")
def ingest_here(shared_embedder, shared_analyzer) -> Callable[..., dict[str, Any]]:
    """``ingest_here(corpus, index, full=False, fetch=False, allow_private=False, **settings)``:
    ingest in this process, as the app's refresh and ``ingest --watch`` do, and return the report
    as the CLI prints it. For tests of what gets indexed; the CLI's own contract is tested through
    the CLI."""
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    def run(corpus: Path, index: Path, full: bool = False, fetch: bool = False, allow_private: bool = False,
            **settings: Any) -> dict[str, Any]:
        config = Settings.load(corpus_dir=Path(corpus), index_dir=Path(index), **settings)
        return run_ingest(config, full=full, fetch=fetch, allow_private=allow_private, embeddings=shared_embedder,
                          analyzer=shared_analyzer).to_dict()

    return run


@pytest.fixture(scope="session")
def ingest_ok(ingest_here) -> Callable[..., dict[str, Any]]:
    """Ingest in this process, require no failed document (the CLI's exit 0), return the report."""

    def ok(corpus: Path, index: Path, full: bool = False, **settings: Any) -> dict[str, Any]:
        report = ingest_here(corpus, index, full=full, **settings)
        assert report["documents"]["failed"] == 0, report["failures"]
        return report

    return ok


# --------------------------------------------------------------------------- reading an index


class IndexView:
    """The live generation of an index folder, read the way an outside check would:
    ``<index>/CURRENT`` names the generation, its Chroma store is ``<gen>/chroma``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def generation(self) -> str:
        return (self.root / "CURRENT").read_text(encoding="utf-8").strip()

    @property
    def gen_dir(self) -> Path:
        return self.root / self.generation

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.gen_dir / "manifest.json").read_text(encoding="utf-8"))

    def collection(self, name: str = "passages") -> Any:
        import chromadb

        client = chromadb.PersistentClient(
            path=str(self.gen_dir / "chroma"),
            settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=False),
        )
        return client.get_collection(name)

    def rows(self, name: str = "passages", where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every stored item as {"id", "text", "meta"}, optionally filtered by metadata."""
        got = self.collection(name).get(where=where, include=["documents", "metadatas"])
        rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        return [{"id": i, "text": t, "meta": m} for i, t, m in rows]

    def texts(self, name: str = "passages", doc_id: str | None = None) -> list[str]:
        return [r["text"] for r in self.rows(name, where={"doc_id": doc_id} if doc_id else None)]

    def count(self, name: str = "passages") -> int:
        return self.collection(name).count()

    def doc_ids(self, name: str = "passages") -> set[str]:
        return {r["meta"]["doc_id"] for r in self.rows(name)}


@pytest.fixture(scope="session")
def open_index() -> Callable[[Path], IndexView]:
    return IndexView


# --------------------------------------------------------------------------- corpora


@dataclass
class BuiltIndex:
    corpus: Path
    index: Path
    run: IngestRun


def copy_real_corpus(dest: Path) -> Path:
    """The project's corpus as checked in (never the fetch cache, so the run is offline)."""
    shutil.copytree(REPO / "corpus", dest, ignore=shutil.ignore_patterns(".fetched"))
    return dest


@pytest.fixture(scope="session")
def real_corpus_index(tmp_path_factory) -> BuiltIndex:
    """ONE index of the real case corpus, built once by the real CLI; tests only read it
    (or copy it to their own tmp_path before changing anything)."""
    base = tmp_path_factory.mktemp("real-corpus")
    corpus = copy_real_corpus(base / "corpus")
    index = base / "index"
    run = run_ingest_cli(corpus, index)
    assert run.returncode == 0, f"building the case index failed:\n{run.stderr}"
    return BuiltIndex(corpus, index, run)


@pytest.fixture
def fresh_real_copy(real_corpus_index, tmp_path) -> BuiltIndex:
    """A private copy of the session corpus and its index, free to change."""
    from assistant.index.layout import LOCK

    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(real_corpus_index.corpus, corpus)
    shutil.copytree(real_corpus_index.index, index, ignore=shutil.ignore_patterns(LOCK))
    return BuiltIndex(corpus, index, real_corpus_index.run)


def write_doc(corpus: Path, name: str, *paragraphs: str, title: str | None = None,
              publisher: str | None = None, url: str | None = None, date: str | None = None) -> Path:
    """A Markdown document: optional YAML front matter, then paragraphs split by blank lines."""
    meta = {"title": title, "publisher": publisher, "url": url, "date": date}
    header = "".join(f'{k}: "{v}"\n' for k, v in meta.items() if v is not None)
    text = (f"---\n{header}---\n\n" if header else "") + "\n\n".join(paragraphs) + "\n"
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def make_doc() -> Callable[..., Path]:
    """``make_doc(corpus, name, *paragraphs, title=, publisher=, url=, date=)``."""
    return write_doc


#: Three tiny documents about distinct, made-up facts: (file name, title, publisher, paragraphs).
SMALL_DOCS = [
    ("hearing.md", "Hearing listed", "Court Watch", [
        "The preliminary hearing in the whistleblowing claim is listed for three days in Croydon.",
        "The judge asked both parties to exchange witness statements by the end of March.",
    ]),
    ("billing.md", "Billing records", "Ledger Weekly", [
        "An auditor reviewed four hundred invoices from the Dutch reseller during the spring.",
    ]),
    ("notes/memo.md", "Internal memo", "Staff Bulletin", [
        "The memo warned managers that the export licence would expire in October.",
        "Staff were told to stop signing new contracts until the licence was renewed.",
    ]),
]


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, title, publisher, paragraphs in SMALL_DOCS:
        write_doc(corpus, name, *paragraphs, title=title, publisher=publisher,
                  url=f"https://example.org/{name.replace('/', '-')}")
    return corpus


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[Path, list[str]], Path]:
    """A real, valid PDF (reportlab), one line of text per given line."""

    def make(path: Path, lines: list[str]) -> Path:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        path.parent.mkdir(parents=True, exist_ok=True)
        pdf = canvas.Canvas(str(path), pagesize=A4)
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.save()
        return path

    return make


@pytest.fixture(scope="session")
def raw_article() -> str:
    return need_shared(RAW_ARTICLE, "the raw case article").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def repaired_article_body() -> str:
    """The hand-repaired article in corpus/case-article.md, without its front matter."""
    text = (REPO / "corpus" / "case-article.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    _, _, rest = text.partition("\n---\n")
    return rest


@pytest.fixture(scope="session")
def query_embedder(shared_embedder):
    """The project's embedding model (the code resolves and loads it), for semantic queries
    against a built index."""
    return shared_embedder
