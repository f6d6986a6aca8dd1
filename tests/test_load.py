"""Bounded load on loopback: 16 clients x 10 questions all answered; beyond the queue, a
quick 429 with a message, and the server keeps answering."""

from __future__ import annotations

import threading

import httpx
import pytest

from servers import start_app, stop_app

pytestmark = pytest.mark.slow

QUESTIONS = ["Who is the whistleblower?", "Where is the shell company based?", "Why did Amazon fire Forrest?",
             "What is Amazon Rekognition?", "Which outlets reported on the case?",
             "What did Amazon say about its moratorium?", "When was the lawsuit filed?",
             "What is the capital of Australia?", "Did British police use Rekognition?",
             "What does Amazon say about the allegations?"]


def _burst(base: str, clients: int, per_client: int) -> tuple[list[int], list[tuple[str, dict]]]:
    """Status codes, and each answered (question, answer), from ``clients`` at once."""
    codes: list[int] = []
    answers: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(timeout=120) as http:
            for i in range(per_client):
                q = QUESTIONS[(k + i) % len(QUESTIONS)]
                try:
                    r = http.post(base + "/api/ask", json={"question": q})
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                with lock:
                    codes.append(status)
                    if status == 200:
                        answers.append((q, r.json()))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return codes, answers


def test_load_16_clients_10_questions_all_answered(case_server):
    """Under load every question is answered, and answered exactly as when asked alone: no
    question ever gets another's answer or a half-built one."""
    alone = {q: httpx.post(case_server.url + "/api/ask", json={"question": q}, timeout=60).json() for q in QUESTIONS}
    codes, answers = _burst(case_server.url, clients=16, per_client=10)
    assert len(codes) == 160
    assert codes.count(200) == 160, {c: codes.count(c) for c in set(codes)}
    assert all(answer == alone[q] for q, answer in answers)


def test_load_beyond_queue_gets_429_not_a_crash(case_index, repo_root, tmp_path):
    env = {"CASE_INDEX_DIR": str(case_index), "CASE_API_CONCURRENCY": "1", "CASE_API_QUEUE": "2"}
    proc, base = start_app(repo_root, env, tmp_path / "app.log")
    try:
        codes, _ = _burst(base, clients=24, per_client=3)
        assert set(codes) <= {200, 429}, {c: codes.count(c) for c in set(codes)}
        assert codes.count(429) > 0 and codes.count(200) > 0
        r = httpx.post(base + "/api/ask", json={"question": "Who is the whistleblower?"}, timeout=60)
        assert r.status_code == 200 and "Forrest" in r.json()["answer"]
        too_many = httpx.Client(timeout=60)
        assert proc.poll() is None
        too_many.close()
    finally:
        stop_app(proc)
