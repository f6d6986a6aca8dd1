"""Sources change, ingest runs again, the next answer follows: add, edit, remove; on the
embedded store and on a Chroma server, with one assistant running throughout."""

from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.slow

QUESTION = "Where will the tribunal hearing take place?"


def test_ingest_add_edit_remove_reflected_in_next_answer(tmp_path, repo_root, backend_settings, ingest_ok):
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    index = tmp_path / "index"
    ingest_ok(corpus, index, **backend_settings)
    assistant = Assistant(index_dir=index, **backend_settings)
    assert "Croydon" not in assistant.ask(QUESTION).answer

    update = corpus / "hearing-update.md"
    update.write_text("---\ntitle: Hearing update\npublisher: Test Wire\n---\n\n"
                      "The full tribunal hearing in the Forrest case will take place in Croydon next spring.\n")
    report = ingest_ok(corpus, index, **backend_settings)
    assert report["documents"]["added"] == 1
    answer = assistant.ask(QUESTION)
    assert "Croydon" in answer.answer
    assert any(c.source_id == "hearing-update.md" and c.publisher == "Test Wire" for c in answer.citations)

    update.write_text("---\ntitle: Hearing update\npublisher: Test Wire\n---\n\n"
                      "The full tribunal hearing in the Forrest case will take place in Reading next spring.\n")
    report = ingest_ok(corpus, index, **backend_settings)
    assert report["documents"]["changed"] == 1 and report["passages"]["deleted"] >= 1
    answer = assistant.ask(QUESTION)
    assert "Reading" in answer.answer
    assert "Croydon" not in json.dumps(answer.to_dict())  # the stale passage is never cited

    update.unlink()
    report = ingest_ok(corpus, index, **backend_settings)
    assert report["documents"]["removed"] == 1
    answer = json.dumps(assistant.ask(QUESTION).to_dict())
    assert "Reading" not in answer and "Croydon" not in answer

    report = ingest_ok(corpus, index, **backend_settings)
    assert (report["documents"]["added"], report["documents"]["changed"], report["documents"]["removed"]) == (0, 0, 0)
    assert report["model_loaded"] is False
