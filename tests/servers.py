"""The real app in a subprocess, on a free loopback port: how the server tests start it.

Two servers of the case index are shared by the whole session (``case_server`` and, with a
login, ``login_server``, in fixtures_case.py); a test starts its own only when it needs other
settings or another corpus.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

#: The login server's user; a non-ASCII password, which used to fail every API call.
USER, PASSWORD = "alice", "s3crét"
#: Seconds of the login server's sign-in failure window, and the feedback limit of both.
LOGIN_WINDOW = 2
FEEDBACK_PER_MINUTE = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(repo_root: Path, env_extra: dict[str, str], log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # The suite asks one server hundreds of questions from 127.0.0.1: the per-client question
    # rate is lifted unless a test sets it.
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "CASE_ASKS_PER_MINUTE": "100000", **env_extra}
    proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=repo_root, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("app did not start: " + log.read_text()[-2000:])


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@dataclass
class Server:
    url: str
    pid: int
    dir: Path
    login: bool

    @property
    def log(self) -> str:
        return (self.dir / "app.log").read_text(errors="replace")

    def client(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, cookies=cookies)


def serve(index: Path, repo_root: Path, base: Path, **env: str) -> Iterator[Server]:
    """A server of ``index`` with its feedback file and Gradio's cache in ``base``."""
    env = {"CASE_INDEX_DIR": str(index), "CASE_FEEDBACK_FILE": str(base / "feedback.jsonl"),
           "GRADIO_TEMP_DIR": str(base / "gradio-cache"), "CASE_FEEDBACK_PER_MINUTE": str(FEEDBACK_PER_MINUTE),
           **env}
    proc, url = start_app(repo_root, env, base / "app.log")
    try:
        yield Server(url, proc.pid, base, login="CASE_AUTH" in env)
    finally:
        stop_app(proc)
