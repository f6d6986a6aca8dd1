"""`python -m ingest [--corpus DIR] [--index DIR] [--fetch] [--full] [--json]`: the interface
outside checks call. The last stdout line with --json is one JSON object; exit 1 when any
document failed, else 0; CASE_CORPUS_DIR / CASE_INDEX_DIR apply when the flags are absent."""

from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

DOCUMENT_COUNTS = {"added", "changed", "removed", "unchanged", "failed"}
SOURCE_STATUSES = {"fetched", "on disk", "saved copy", "not fetched", "failed"}  # as the README lists them


@pytest.mark.slow
def test_run_ingest_json_last_line_is_the_report(real_corpus_index):
    run = real_corpus_index.run
    assert run.returncode == 0, run.stderr
    report = run.report  # the last stdout line
    assert isinstance(report, dict)
    assert DOCUMENT_COUNTS <= set(report["documents"])
    assert all(isinstance(report["documents"][k], int) for k in DOCUMENT_COUNTS)
    assert {"added", "deleted"} <= set(report["passages"])
    assert report["documents"]["failed"] == 0 and report["failures"] == []
    entries = tomllib.loads((real_corpus_index.corpus / "sources.toml").read_text())["source"]
    assert [s["id"] for s in report["sources"]] == [e["id"] for e in entries]
    for source in report["sources"]:
        assert source["status"] in SOURCE_STATUSES
        assert source["status"] == "not fetched"  # the test corpus has no fetched copies
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_run_ingest_without_json_prints_summary_on_stdout(fresh_real_copy, run_ingest):
    run = run_ingest(fresh_real_copy.corpus, fresh_real_copy.index, json_out=False)
    assert run.returncode == 0, run.stderr
    unchanged = fresh_real_copy.run.report["documents"]["added"]
    assert f"{unchanged} unchanged" in run.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(run.stdout.strip().splitlines()[-1])


def write_bad_files(corpus: Path) -> dict[str, str]:
    """Bad files, each with a word its failure reason should contain."""
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait was served at the tribunal.".encode("latin-1"))
    (corpus / "bad-yaml.md").write_text("---\ntitle: [unclosed\npublisher: Wire\n---\n\nThe body is fine.\n")
    (corpus / "corrupt.pdf").write_bytes(random.Random(7).randbytes(4096))
    return {"empty.md": "empty", "binary.txt": "binary", "latin1.txt": "UTF-8",
            "bad-yaml.md": "YAML", "corrupt.pdf": "PDF"}


@pytest.mark.slow
def test_run_ingest_bad_files_exit_1_named_and_good_ones_indexed(small_corpus, tmp_path, run_ingest, open_index):
    bad = write_bad_files(small_corpus)
    index = tmp_path / "index"
    run = run_ingest(small_corpus, index)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    report = run.report
    failures = {f["document"]: f["reason"] for f in report["failures"]}
    assert set(failures) == set(bad)
    for name, word in bad.items():
        assert word.lower() in failures[name].lower(), (name, failures[name])
        assert name in run.stderr, name
    assert report["documents"]["failed"] == len(bad)
    assert report["documents"]["added"] == 3
    view = open_index(index)
    assert view.doc_ids() == {"hearing.md", "billing.md", "notes/memo.md"}
    assert view.count() == report["passages"]["total"]

    # fixing the files makes the next run clean: exit 0
    for name in bad:
        (small_corpus / name).unlink()
    again = run_ingest(small_corpus, index)
    assert again.returncode == 0 and again.report["failures"] == []


@pytest.mark.slow
def test_run_ingest_env_settings_used_without_flags(fresh_real_copy, run_ingest, open_index, ingest_env):
    """CASE_CORPUS_DIR and CASE_INDEX_DIR pick the corpus and index when no flag is given."""
    corpus, index = fresh_real_copy.corpus, fresh_real_copy.index
    repo_index_existed = (REPO / "data" / "index").exists()
    (corpus / "case-article.md").unlink()  # only the env corpus lacks it
    run = run_ingest(None, None, flags=False, env=ingest_env(CASE_CORPUS_DIR=corpus, CASE_INDEX_DIR=index))
    assert run.returncode == 0, run.stderr
    docs = run.report["documents"]
    assert (docs["removed"], docs["unchanged"]) == (1, 3)  # it updated the env index from the env corpus
    assert "case-article.md" not in open_index(index).doc_ids()
    if not repo_index_existed:
        assert not (REPO / "data" / "index").exists()


@pytest.mark.slow
def test_run_ingest_flags_override_env_settings(fresh_real_copy, tmp_path, run_ingest, ingest_env):
    elsewhere = tmp_path / "elsewhere"
    env = ingest_env(CASE_CORPUS_DIR=elsewhere / "corpus", CASE_INDEX_DIR=elsewhere / "index")
    run = run_ingest(fresh_real_copy.corpus, fresh_real_copy.index, env=env)
    assert run.returncode == 0, run.stderr
    assert run.report["documents"]["unchanged"] == fresh_real_copy.run.report["documents"]["added"]
    assert not elsewhere.exists()


def test_run_ingest_missing_corpus_clear_error(tmp_path, run_ingest):
    missing = tmp_path / "no-such-corpus"
    index = tmp_path / "index"
    run = run_ingest(missing, index)
    assert run.returncode != 0
    assert str(missing) in run.stderr and "Traceback" not in run.stderr
    assert "error" in run.report
    assert not (index / "CURRENT").exists()
