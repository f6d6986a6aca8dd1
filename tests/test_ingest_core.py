"""Ingest: splitting the case article, metadata in Chroma, re-runs, formats, settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.splitting import normalise, split_passages, split_sentences
from synthetic import write_corpus

RAW_ARTICLE = Path(__file__).resolve().parent.parent.parent / "shared" / "case" / "case-article.txt"
REPO = Path(__file__).resolve().parent.parent


def _raw_article() -> str:
    if RAW_ARTICLE.exists():
        return RAW_ARTICLE.read_text()
    pytest.skip("shared/case/case-article.txt is not beside this checkout")


def test_split_article_broken_sentence_rejoined():
    passages = split_passages(_raw_article())
    sentences = [s.text for p in passages for s in p.sentences]
    assert sentences[0].startswith("Since Russia began its invasion of Ukraine in 2022, the country has been subject")
    assert not any(s.strip() == "Since Russia began its" for s in sentences)


def test_split_article_non_prose_never_in_passages():
    text = " ".join(p.text for p in split_passages(_raw_article()))
    for junk in ("https://", "www.ft.com", "- YouTube", "Posted by logu_ii",
                 "Amazon breaches UK's Russia sanctions, claims ex-employee at tribunal",
                 "Former AWS employee accuses Amazon of violating sanctions"):
        assert junk not in text, junk
    assert "Charles Forrest, a former AWS employee, filed a lawsuit in June 2024" in text


def test_split_passages_map_back_to_source():
    body = _raw_article()
    for p in split_passages(body):
        for s in p.sentences:
            assert normalise(body[s.start:s.end]) == s.text
        assert p.text == " ".join(s.text for s in p.sentences)


def test_split_long_paragraph_between_sentences():
    body = " ".join(f"Sentence number {i} says something about the tribunal hearing." for i in range(60))
    passages = split_passages(body, max_words=50)
    assert len(passages) > 1
    assert all(len(p.text.split()) <= 50 for p in passages)
    assert sum(len(p.sentences) for p in passages) == 60


def test_split_sentences_abbreviations_kept_whole():
    assert split_sentences("Mr. Forrest met Dr. Smith in the U.S. on Monday. Then he left.") == [
        "Mr. Forrest met Dr. Smith in the U.S. on Monday.", "Then he left."]


def _ingest(corpus: Path, index: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    cmd = [sys.executable, "-m", "ingest", "--json", *extra]
    if corpus is not None:
        cmd += ["--corpus", str(corpus)]
    if index is not None:
        cmd += ["--index", str(index)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=900, env=env)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def _collection(index: Path, name: str):
    """The live generation's collection, opened as the assistant opens it (one client per path)."""
    from assistant.settings import Settings
    from assistant.index.layout import chroma_client

    gen = (index / "CURRENT").read_text().strip()
    return chroma_client(Settings(index_dir=index), index / gen).get_collection(name)


@pytest.mark.slow
def test_ingest_passages_carry_citation_metadata(case_index):
    got = _collection(case_index, "passages").get(include=["metadatas", "documents"])
    metas = got["metadatas"]
    assert metas and all({"doc_id", "title", "publisher", "url", "date", "position"} <= set(m) for m in metas)
    article = [m for m in metas if m["doc_id"] == "case-article.md"]
    assert article and all(m["publisher"] == "GIGAZINE" for m in article)
    assert sorted(m["position"] for m in article) == list(range(len(article)))
    sources = {m["doc_id"]: m for m in metas if m["doc_id"] in ("ft", "engadget", "telegraph")}
    assert sources["ft"]["publisher"] == "Financial Times" and sources["ft"]["url"].startswith("https://www.ft.com/")
    assert sources["telegraph"]["date"] == "2024-06-07"


@pytest.mark.slow
def test_ingest_beyond_one_batch_rerun_and_delete_exact(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    paths = write_corpus(corpus, 150, sentences=6)  # 300 passages, 900 sentences: several batches
    code, first = _ingest(corpus, index)
    assert code == 0 and first["documents"]["added"] == 150
    assert _collection(index, "passages").count() == first["passages"]["total"] == 300
    code, again = _ingest(corpus, index)
    assert (again["documents"]["unchanged"], again["passages"]["added"], again["model_loaded"]) == (150, 0, False)
    for p in paths[:60]:
        p.unlink()
    code, report = _ingest(corpus, index)
    assert report["documents"]["removed"] == 60 and report["passages"]["deleted"] == 120
    passages = _collection(index, "passages")
    assert passages.count() == 180 == report["passages"]["total"]
    left = {m["doc_id"] for m in passages.get(include=["metadatas"])["metadatas"]}
    assert left == {p.name for p in paths[60:]}
    assert _collection(index, "sentences").count() == 90 * 6


@pytest.mark.slow
def test_ingest_pdf_html_indexed_and_turned_bad_keeps_old(tmp_path):
    from reportlab.pdfgen import canvas

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    pdf = canvas.Canvas(str(corpus / "filing.pdf"))
    pdf.drawString(72, 720, "The claimant filed a witness statement of forty pages.")
    pdf.save()
    (corpus / "page.html").write_text(
        "<html><head><title>Court listing</title></head><body><nav>Menu</nav><article>"
        "<p>The preliminary hearing is listed for three days at the London Central tribunal, "
        "with the judge expected to rule on disclosure before the full hearing begins.</p>"
        "</article></body></html>")
    note = corpus / "note.md"
    note.write_text("The respondent's counsel asked for an adjournment of two weeks.\n")
    code, report = _ingest(corpus, index)
    assert code == 0 and report["documents"]["added"] == 3
    texts = " ".join(_collection(index, "passages").get(include=["documents"])["documents"])
    assert "witness statement of forty pages" in texts
    assert "listed for three days" in texts and "Menu" not in texts

    note.write_bytes(b"\xff\xfe broken \x00")
    code, report = _ingest(corpus, index)
    assert code == 1 and report["failures"][0]["document"] == "note.md"
    texts = " ".join(_collection(index, "passages").get(include=["documents"])["documents"])
    assert "adjournment of two weeks" in texts  # the last good version is kept


@pytest.mark.slow
def test_ingest_full_rebuild_same_digest_and_env_settings(tmp_path, repo_root):
    corpus = tmp_path / "corpus"
    shutil.copytree(repo_root / "corpus", corpus, ignore=shutil.ignore_patterns(".fetched"))
    env = {**os.environ, "CASE_CORPUS_DIR": str(corpus), "CASE_INDEX_DIR": str(tmp_path / "index")}
    code, first = _ingest(None, None, env=env)
    assert code == 0 and (tmp_path / "index" / "CURRENT").exists()
    before = json.loads(((tmp_path / "index") / (tmp_path / "index" / "CURRENT").read_text().strip()
                         / "manifest.json").read_text())
    code, full = _ingest(None, None, "--full", env=env)
    assert code == 0 and full["documents"]["added"] == first["documents"]["added"]
    after = json.loads(((tmp_path / "index") / (tmp_path / "index" / "CURRENT").read_text().strip()
                        / "manifest.json").read_text())
    assert after["digest"] == before["digest"] and after["passages"] == before["passages"]


def test_ingest_bad_manifest_clear_error(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text('[[source]]\nid = "x"\ntitle = "T"\npublisher = "P"\nurl = "ftp://x"\n')
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(tmp_path / "i")],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "sources.toml" in out.stderr and "'url'" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "i" / "CURRENT").exists()
