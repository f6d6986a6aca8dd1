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
def case_index(real_corpus_index) -> Path:
    """The one index of the real case corpus (built once by the real ingest CLI), read-only."""
    return real_corpus_index.index


@pytest.fixture(scope="session")
def assistant(case_index):
    """One Assistant of the case index for every test that only asks it things (the model and
    the language pipelines load once)."""
    from assistant.service import Assistant

    return Assistant(index_dir=case_index)


@pytest.fixture(scope="session")
def case_server(case_index, repo_root, tmp_path_factory):
    """The app serving the case index, shared by every test that only asks it things."""
    from servers import serve

    yield from serve(case_index, repo_root, tmp_path_factory.mktemp("case-server"))


@pytest.fixture(scope="session")
def login_server(case_index, repo_root, tmp_path_factory):
    """The same behind a login (servers.USER / PASSWORD), with a short sign-in failure window."""
    from servers import LOGIN_WINDOW, PASSWORD, USER, serve

    yield from serve(case_index, repo_root, tmp_path_factory.mktemp("login-server"), CASE_AUTH=f"{USER}:{PASSWORD}",
                     CASE_LOGIN_FAILURES="10", CASE_LOGIN_WINDOW_SECONDS=str(LOGIN_WINDOW))


@pytest.fixture(scope="session")
def case_questions() -> list[dict]:
    path = REPO_ROOT / "tests" / "data" / "case_qa.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> dict[str, str]:
    """A real Chroma server on loopback: the one `make test` started, or one of our own."""
    import os
    import socket
    import time

    import httpx

    port = os.environ.get("CASE_TEST_CHROMA_PORT")
    proc = None
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = str(s.getsockname()[1])
        chroma = Path(sys.executable).with_name("chroma")
        proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path_factory.mktemp("chroma")),
                                 "--host", "127.0.0.1", "--port", port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no Chroma server answered on 127.0.0.1:{port}")
        time.sleep(0.3)
    yield {"CASE_CHROMA_HOST": "127.0.0.1", "CASE_CHROMA_PORT": port}
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(params=["embedded", "server"])
def backend_settings(request) -> dict[str, object]:
    """Settings for in-process ingest and assistants: the embedded store, or a Chroma server."""
    if request.param == "embedded":
        return {}
    server = request.getfixturevalue("chroma_server")
    return {"chroma_host": server["CASE_CHROMA_HOST"], "chroma_port": int(server["CASE_CHROMA_PORT"])}
