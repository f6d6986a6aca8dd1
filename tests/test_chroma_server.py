"""Server mode: ingest and the assistant on a real `chroma run`, as users who outgrow one machine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _run(args, repo_root, env, timeout=600):
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=repo_root, env=env,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_server_index_equals_embedded_and_answers(tmp_path, repo_root, chroma_server, case_index):
    import os

    env = {**os.environ, **chroma_server}
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    _run(["-m", "ingest", "--corpus", str(corpus), "--index", str(index), "-q"], repo_root, env)

    served = json.loads(_run(["-m", "assistant", "status", "--index", str(index), "--json"], repo_root, env))
    embedded = json.loads(_run(["-m", "assistant", "status", "--index", str(case_index), "--json"], repo_root,
                               {k: v for k, v in os.environ.items() if not k.startswith("CASE_CHROMA_")}))
    assert served["digest"] == embedded["digest"] and served["passages"] == embedded["passages"]
    assert not (index / served["generation"] / "chroma").exists()  # the vectors live on the server

    answer = json.loads(_run(["-m", "assistant", "ask", "--index", str(index), "--json",
                              "Who is the whistleblower?"], repo_root, env))
    assert "Forrest" in answer["answer"] and answer["citations"]

    figures = json.loads(_run(["-m", "assistant", "eval", "--index", str(index), "--json",
                               str(repo_root / "tests" / "data" / "case_qa.jsonl")], repo_root, env).splitlines()[-1])
    assert figures["concise"] >= 40 and figures["abstained_ok"] >= 12


def test_server_old_generations_dropped(tmp_path, repo_root, chroma_server):
    import os

    import chromadb

    env = {**os.environ, **chroma_server}
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    for i in range(3):
        (corpus / f"note-{i}.md").write_text(f"Note {i}: the tribunal asked for document bundle {i}.\n")
        _run(["-m", "ingest", "--corpus", str(corpus), "--index", str(index), "-q"], repo_root, env)
    client = chromadb.HttpClient(host=chroma_server["CASE_CHROMA_HOST"], port=int(chroma_server["CASE_CHROMA_PORT"]))
    generations = {d.name for d in index.glob("gen-*")}
    ours = [c.name for c in client.list_collections() if any(c.name.endswith(g) for g in generations)]
    mine = [c.name for c in client.list_collections()
            if c.name.rsplit("-gen-", 1)[0].rsplit("-", 1)[0] == ours[0].rsplit("-gen-", 1)[0].rsplit("-", 1)[0]]
    assert len(generations) <= 2 and sorted(mine) == sorted(ours)  # nothing left behind for older generations
