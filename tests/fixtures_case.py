"""Fixtures for answer, app and eval tests (merged into conftest.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def case_index(tmp_path_factory) -> Path:
    """One index of the real case corpus, built by the real ingest CLI, shared read-only."""
    base = tmp_path_factory.mktemp("case")
    corpus = base / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = base / "index"
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "--json"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    return index


@pytest.fixture(scope="session")
def case_questions() -> list[dict]:
    path = REPO_ROOT / "tests" / "data" / "case_qa.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
