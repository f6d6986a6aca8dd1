"""Server mode: ingest and the assistant on a real `chroma run`, as users who outgrow one machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_server_index_equals_embedded_and_answers(tmp_path, repo_root, chroma_server, case_index, case_questions):
    """The CLI configured by CASE_CHROMA_* alone builds on the server what the embedded store holds."""
    from assistant import Assistant
    from assistant.cli import status_figures
    from assistant.evaluation import EvalResult, score_answer
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(index), "-q"],
                         capture_output=True, text=True, cwd=repo_root, env={**os.environ, **chroma_server}, timeout=600)
    assert out.returncode == 0, out.stderr

    server = {"chroma_host": chroma_server["CASE_CHROMA_HOST"], "chroma_port": int(chroma_server["CASE_CHROMA_PORT"])}
    served = status_figures(Settings(index_dir=index, **server))
    embedded = status_figures(Settings(index_dir=case_index))
    assert served["digest"] == embedded["digest"] and served["passages"] == embedded["passages"]
    assert not (index / served["generation"] / "chroma").exists()  # the vectors live on the server

    assistant = Assistant(index_dir=index, **server)
    answer = assistant.ask("Who is the whistleblower?")
    assert "Forrest" in answer.answer and answer.citations
    result = EvalResult(max_words=100)
    for item in case_questions:
        score_answer(item, assistant.ask(item["question"], item.get("history")), result)
    assert result.concise >= 40 and result.abstained_ok >= 12


def test_server_old_generations_dropped(tmp_path, repo_root, chroma_server, ingest_ok):
    import chromadb

    server = {"chroma_host": chroma_server["CASE_CHROMA_HOST"], "chroma_port": int(chroma_server["CASE_CHROMA_PORT"])}
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    for i in range(3):
        (corpus / f"note-{i}.md").write_text(f"Note {i}: the tribunal asked for document bundle {i}.\n")
        ingest_ok(corpus, index, **server)
    from assistant.index.layout import PASSAGES, SENTENCES, collection_name
    from assistant.settings import Settings

    settings = Settings(index_dir=index, **server)
    generations = sorted(index.glob("gen-*"))
    expected = {collection_name(settings, g, kind) for g in generations for kind in (PASSAGES, SENTENCES)}
    prefix = collection_name(settings, generations[0], PASSAGES).split("-passages-")[0]
    client = chromadb.HttpClient(host=server["chroma_host"], port=server["chroma_port"])
    mine = {c.name for c in client.list_collections() if c.name.startswith(prefix + "-")}
    assert len(generations) <= 2 and mine == expected  # nothing left behind for older generations
