"""Ingest: splitting the case article as given, and a bad sources.toml through the CLI.
(What gets indexed, re-runs and formats: test_ingest.py; the CLI's contract: test_ingest_cli.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from shared_support import need_shared

from ingest.splitting import normalise, split_passages, split_sentences

RAW_ARTICLE = Path(__file__).resolve().parent.parent.parent / "shared" / "case" / "case-article.txt"
REPO = Path(__file__).resolve().parent.parent


def _raw_article() -> str:
    return need_shared(RAW_ARTICLE, "the raw case article").read_text()


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


def test_ingest_bad_manifest_clear_error(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text('[[source]]\nid = "x"\ntitle = "T"\npublisher = "P"\nurl = "ftp://x"\n')
    out = subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index", str(tmp_path / "i")],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "sources.toml" in out.stderr and "'url'" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "i" / "CURRENT").exists()
