"""Ingest into the real index: metadata, re-runs, add/change/remove, batches, formats, --full.

Ingest runs in this process with the real model (as `ingest --watch` and the app's refresh
run it; the CLI's own contract is tested in test_ingest_cli.py); results are read back from
the Chroma store of the live generation (<index>/<CURRENT>/chroma), as an outside check would.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ingest.splitting import normalise

REPO = Path(__file__).resolve().parent.parent
CITATION_KEYS = {"doc_id", "title", "publisher", "url", "date", "position"}


def assert_consistent(view, report) -> None:
    """No duplicates and nothing stale: Chroma holds exactly the passages the report counts,
    each once, and exactly the sentences of those passages."""
    passages = view.rows("passages")
    assert len(passages) == report["passages"]["total"] == view.manifest()["passages"]
    assert len({r["id"] for r in passages}) == len(passages)
    places = Counter((r["meta"]["doc_id"], r["meta"]["position"]) for r in passages)
    assert max(places.values(), default=1) == 1, f"duplicate passages: {places.most_common(3)}"
    sentences = view.rows("sentences")
    assert {r["meta"]["passage_id"] for r in sentences} == {r["id"] for r in passages}
    assert len(sentences) == sum(r["meta"]["n_sentences"] for r in passages)


def counts(report) -> tuple[int, int, int]:
    """(added, changed, removed) documents."""
    return tuple(report["documents"][k] for k in ("added", "changed", "removed"))


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def sources_toml(corpus: Path) -> list[dict]:
    return tomllib.loads((corpus / "sources.toml").read_text(encoding="utf-8"))["source"]


# --------------------------------------------------------------------------- the real corpus (read-only)


@pytest.mark.slow
def test_ingest_case_passages_carry_citation_metadata(real_corpus_index, open_index):
    rows = open_index(real_corpus_index.index).rows()
    assert rows
    for r in rows:
        meta = r["meta"]
        assert CITATION_KEYS <= set(meta), (r["text"][:60], sorted(meta))
        assert all(isinstance(meta[k], str) for k in CITATION_KEYS - {"position"})
        assert meta["doc_id"] and meta["title"]
    positions: dict[str, list[int]] = {}
    for r in rows:
        positions.setdefault(r["meta"]["doc_id"], []).append(r["meta"]["position"])
    for doc_id, got in positions.items():
        assert sorted(got) == list(range(len(got))), doc_id


@pytest.mark.slow
def test_ingest_case_sources_carry_their_publisher_and_url(real_corpus_index, open_index):
    view = open_index(real_corpus_index.index)
    entries = sources_toml(real_corpus_index.corpus)
    assert {e["id"] for e in entries} == {"ft", "engadget", "telegraph"}
    for entry in entries:
        rows = view.rows(where={"doc_id": entry["id"]})
        assert rows, f"source {entry['id']} has no passage"
        for r in rows:
            assert r["meta"]["publisher"] == entry["publisher"]
            assert r["meta"]["url"] == entry["url"]
            assert r["meta"]["title"] == entry["title"]
            assert r["meta"]["date"] == str(entry.get("date", ""))
        # without fetched text, the passage still says who published what
        text = " ".join(r["text"] for r in rows)
        assert entry["publisher"] in text and entry["title"] in text


@pytest.mark.slow
def test_ingest_case_article_passages_carry_gigazine(real_corpus_index, open_index):
    meta, _ = front_matter(real_corpus_index.corpus / "case-article.md")
    rows = open_index(real_corpus_index.index).rows(where={"doc_id": "case-article.md"})
    assert rows
    for r in rows:
        assert r["meta"]["publisher"] == "GIGAZINE"
        assert r["meta"]["title"] == meta["title"]
        assert r["meta"]["date"] == str(meta["date"])


@pytest.mark.slow
def test_ingest_case_article_prose_only_front_matter_never_indexed(real_corpus_index, open_index):
    meta, body = front_matter(real_corpus_index.corpus / "case-article.md")
    rows = open_index(real_corpus_index.index).rows(where={"doc_id": "case-article.md"})
    cards = [r for r in rows if r["meta"]["headline"]]  # the catalogue entry: who published it, when
    assert len(cards) == 1 and cards[0]["text"].startswith("GIGAZINE covered the case under the headline")
    ordered = [r["text"] for r in sorted(rows, key=lambda r: r["meta"]["position"]) if not r["meta"]["headline"]]
    paragraphs = [normalise(p) for p in re.split(r"\n\s*\n", body) if p.strip()]
    assert " ".join(ordered) == " ".join(paragraphs)
    text = " ".join(ordered)
    for junk in ("What is Amazon Rekognition? - YouTube", "Posted by logu_ii", meta["title"], "cites:"):  # prose only
        assert junk not in text


@pytest.mark.slow
def test_map_case_article_chroma_offsets_to_document_body(real_corpus_index, open_index):
    _, body = front_matter(real_corpus_index.corpus / "case-article.md")
    rows = open_index(real_corpus_index.index).rows(where={"doc_id": "case-article.md"})
    for r in (r for r in rows if not r["meta"]["headline"]):
        start, end = r["meta"]["char_start"], r["meta"]["char_end"]
        assert normalise(body[start:end]) == r["text"]


@pytest.mark.slow
def test_ingest_case_counts_match_chroma_without_duplicates(real_corpus_index, open_index):
    report = real_corpus_index.run.report
    docs = {r["meta"]["doc_id"] for r in open_index(real_corpus_index.index).rows()}
    assert docs == {"case-article.md", "ft", "engadget", "telegraph"}
    assert report["documents"]["added"] == len(docs)
    assert report["passages"]["added"] == report["passages"]["total"]
    assert_consistent(open_index(real_corpus_index.index), report)


# --------------------------------------------------------------------------- re-runs


@pytest.mark.slow
def test_rerun_unchanged_corpus_is_noop(fresh_real_copy, ingest_ok, open_index):
    view = open_index(fresh_real_copy.index)
    before_gen = view.generation
    before_ids = {r["id"] for r in view.rows()}
    first = fresh_real_copy.run.report

    again = ingest_ok(fresh_real_copy.corpus, fresh_real_copy.index)
    docs = again["documents"]
    assert (docs["added"], docs["changed"], docs["removed"], docs["failed"]) == (0, 0, 0, 0)
    assert docs["unchanged"] == first["documents"]["added"]
    assert (again["passages"]["added"], again["passages"]["deleted"]) == (0, 0)
    assert again["passages"]["total"] == first["passages"]["total"]
    assert again["model_loaded"] is False
    assert view.generation == before_gen == again["generation"]
    assert {r["id"] for r in view.rows()} == before_ids


# --------------------------------------------------------------------------- add / change / remove


@pytest.mark.slow
def test_ingest_add_edit_remove_document_reflected_in_chroma(small_corpus, tmp_path, ingest_ok, open_index,
                                                            make_doc):
    index = tmp_path / "index"
    view = open_index(index)
    first = ingest_ok(small_corpus, index)
    assert first["documents"]["added"] == 3
    assert_consistent(view, first)
    others = {r["id"] for r in view.rows()}

    # add
    kept = "The reseller in Rotterdam signed its first cloud contract in the autumn."
    old = "A courier delivered the signed contract to the Amsterdam office on a Friday."
    new = "A courier delivered the cancelled contract to the Utrecht office on a Tuesday."
    doc = make_doc(small_corpus, "update.md", kept, old, title="Contract update", publisher="Dutch Desk")
    added = ingest_ok(small_corpus, index)
    assert counts(added) == (1, 0, 0)
    assert added["documents"]["unchanged"] == 3
    assert added["passages"]["added"] == 3  # its two paragraphs and its catalogue card (it names its publisher)
    rows = [r for r in view.rows(where={"doc_id": "update.md"}) if not r["meta"]["headline"]]
    assert sorted(r["text"] for r in rows) == sorted([kept, old])
    assert {r["meta"]["publisher"] for r in rows} == {"Dutch Desk"}
    assert others <= {r["id"] for r in view.rows()}
    assert_consistent(view, added)

    # edit: one paragraph and the title
    make_doc(small_corpus, "update.md", kept, new, title="Contract cancelled", publisher="Dutch Desk")
    changed = ingest_ok(small_corpus, index)
    assert counts(changed) == (0, 1, 0)
    assert changed["passages"]["deleted"] >= 1
    rows = [r for r in view.rows(where={"doc_id": "update.md"}) if not r["meta"]["headline"]]
    assert sorted(r["text"] for r in rows) == sorted([kept, new])
    assert {r["meta"]["title"] for r in rows} == {"Contract cancelled"}
    assert not any("Amsterdam" in t for t in view.texts("passages") + view.texts("sentences"))
    assert_consistent(view, changed)

    # remove
    doc.unlink()
    removed = ingest_ok(small_corpus, index)
    assert counts(removed) == (0, 0, 1)
    assert removed["passages"]["deleted"] == 3
    assert view.rows(where={"doc_id": "update.md"}) == []
    assert view.rows("sentences", where={"doc_id": "update.md"}) == []
    assert {r["id"] for r in view.rows()} == others
    assert_consistent(view, removed)


def batch_doc(i: int) -> tuple[str, str]:
    """Two one-sentence paragraphs with facts unique to document i."""
    return (f"Shipment number {i} left the warehouse in district {i % 17} on schedule.",
            f"The invoice for shipment number {i} was paid by reseller code R{i:03d}.")


@pytest.mark.slow
def test_ingest_beyond_one_batch_rerun_noop_and_delete_exact(tmp_path, ingest_ok, open_index, make_doc):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    paths = [make_doc(corpus, f"ship-{i:03d}.md", *batch_doc(i)) for i in range(150)]  # 300 passages > 128
    view = open_index(index)

    first = ingest_ok(corpus, index)
    assert first["documents"]["added"] == 150
    assert first["passages"]["added"] == first["passages"]["total"] == 300
    assert_consistent(view, first)
    assert sorted(view.texts()) == sorted(t for i in range(150) for t in batch_doc(i))

    again = ingest_ok(corpus, index)
    assert (again["documents"]["added"], again["documents"]["changed"], again["documents"]["removed"]) == (0, 0, 0)
    assert again["documents"]["unchanged"] == 150
    assert again["passages"]["added"] == again["passages"]["deleted"] == 0
    assert again["model_loaded"] is False
    assert view.count() == 300

    survivors = {r["id"] for r in view.rows() if int(r["meta"]["doc_id"][5:8]) >= 60}
    for path in paths[:60]:
        path.unlink()
    gone = ingest_ok(corpus, index)
    assert gone["documents"]["removed"] == 60 and gone["documents"]["unchanged"] == 90
    assert gone["passages"]["deleted"] == 120 and gone["passages"]["added"] == 0
    assert_consistent(view, gone)
    assert view.doc_ids() == {p.name for p in paths[60:]}
    assert view.doc_ids("sentences") == {p.name for p in paths[60:]}
    assert {r["id"] for r in view.rows()} == survivors  # the rest untouched
    assert sorted(view.texts()) == sorted(t for i in range(60, 150) for t in batch_doc(i))


@pytest.mark.slow
def test_ingest_edit_document_larger_than_one_batch_leaves_nothing_stale(tmp_path, ingest_ok, open_index, make_doc):
    """One document whose 160 sentences span several batches, edited near its start."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"

    def paragraphs(version: int) -> list[str]:
        # version 2 lengthens the first paragraph, so every later passage moves in the file
        label = {1: "one", 2: "two hundred"}[version]
        return [" ".join(f"Clause {k}.{j} of the contract, version {label if k == 0 else 'one'}, covers item {j}."
                         for j in range(4)) for k in range(40)]

    make_doc(corpus, "contract.md", *paragraphs(1), title="Contract")
    make_doc(corpus, "other.md", "An unrelated note about the weather in Leeds.")
    view = open_index(index)
    first = ingest_ok(corpus, index)
    assert view.count("sentences") == 161
    assert_consistent(view, first)

    make_doc(corpus, "contract.md", *paragraphs(2), title="Contract")
    edited = ingest_ok(corpus, index)
    assert edited["documents"]["changed"] == 1 and edited["documents"]["unchanged"] == 1
    assert_consistent(view, edited)
    assert sorted(view.texts(doc_id="contract.md")) == sorted(paragraphs(2))
    expected_sentences = [s for p in paragraphs(2) for s in re.findall(r"Clause .*?\d\.(?= |$)", p)]
    assert len(expected_sentences) == 160
    stored = [r["text"] for r in view.rows("sentences", where={"doc_id": "contract.md"})]
    assert sorted(stored) == sorted(expected_sentences)


# --------------------------------------------------------------------------- a file turns bad


@pytest.mark.slow
def test_ingest_file_turned_bad_keeps_last_good_passages(small_corpus, tmp_path, ingest_here, ingest_ok,
                                                         open_index, make_doc):
    index = tmp_path / "index"
    view = open_index(index)
    ingest_ok(small_corpus, index)
    billing = small_corpus / "billing.md"
    good = {r["id"]: r["text"] for r in view.rows(where={"doc_id": "billing.md"})}
    assert good

    billing.write_bytes(b"Invoices \xff\xfe from the reseller.\n")  # not UTF-8 any more
    alone = ingest_here(small_corpus, index)
    assert [f["document"] for f in alone["failures"]] == ["billing.md"]
    assert {r["id"]: r["text"] for r in view.rows(where={"doc_id": "billing.md"})} == good
    assert_consistent(view, alone)

    # still bad while another document arrives: the new generation keeps it too
    make_doc(small_corpus, "late.md", "A late filing about the reseller arrived on Thursday evening.")
    with_new = ingest_here(small_corpus, index)
    assert with_new["documents"]["failed"] == 1 and with_new["documents"]["added"] == 1
    assert {r["id"]: r["text"] for r in view.rows(where={"doc_id": "billing.md"})} == good
    assert view.texts(doc_id="late.md") == ["A late filing about the reseller arrived on Thursday evening."]
    assert_consistent(view, with_new)

    billing.unlink()
    gone = ingest_ok(small_corpus, index)
    assert gone["documents"]["removed"] == 1 and gone["failures"] == []
    assert view.rows(where={"doc_id": "billing.md"}) == []
    assert_consistent(view, gone)


# --------------------------------------------------------------------------- formats


PDF_LINES = ["The claimant filed a witness statement of forty pages.",
             "It describes meetings with the reseller in Rotterdam during 2023."]
HTML_PAGE = """<!doctype html><html><head><title>Tribunal listing for the Forrest claim</title>
<meta property="og:site_name" content="Court Watch"></head><body>
<nav><a href="/">Home</a> | <a href="/sections">Menu of sections</a></nav>
<article>
<p>The preliminary hearing in the whistleblowing claim is listed for three days
at the London Central employment tribunal.</p>
<p>The judge is expected to rule on the disclosure of billing records before the full hearing begins in the spring.</p>
</article>
<footer>Copyright Court Watch. All rights reserved.</footer></body></html>
"""


@pytest.mark.slow
def test_ingest_pdf_and_html_documents_searchable(tmp_path, ingest_ok, open_index, make_doc, make_pdf, query_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_pdf(corpus / "filing.pdf", PDF_LINES)
    (corpus / "listing.html").write_text(HTML_PAGE, encoding="utf-8")
    make_doc(corpus, "weather.md", "Heavy rain flooded the car park next to the stadium on Saturday.")
    report = ingest_ok(corpus, index)
    assert report["documents"]["added"] == 3 and report["failures"] == []
    view = open_index(index)
    assert_consistent(view, report)

    pdf_text = " ".join(view.texts(doc_id="filing.pdf"))
    assert all(line in pdf_text for line in PDF_LINES)

    html_rows = view.rows(where={"doc_id": "listing.html"})
    html_text = " ".join(r["text"] for r in html_rows)
    assert "listed for three days at the London Central employment tribunal" in html_text
    assert "disclosure of billing records" in html_text
    for boilerplate in ("Menu of sections", "Copyright", "<p>", "</"):
        assert boilerplate not in html_text
    assert {r["meta"]["title"] for r in html_rows} == {"Tribunal listing for the Forrest claim"}
    assert {r["meta"]["publisher"] for r in html_rows} == {"Court Watch"}

    passages = view.collection("passages")
    for question, doc_id in [("How many pages is the witness statement?", "filing.pdf"),
                             ("How many days will the preliminary hearing last?", "listing.html"),
                             ("What happened to the car park in the rain?", "weather.md")]:
        hit = passages.query(query_embeddings=[query_embedder.embed_query(question)], n_results=1,
                             include=["metadatas"])
        assert hit["metadatas"][0][0]["doc_id"] == doc_id, question


@pytest.mark.slow
def test_ingest_fetched_source_text_carries_source_citation(tmp_path, ingest_ok, open_index):
    """A source whose fetched text is on disk (corpus/.fetched/<id>/text.txt) is indexed with
    the publisher and URL from sources.toml on every passage."""
    from ingest.fetch import extract_text

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(
        '[[source]]\nid = "courtwatch"\ntitle = "Forrest claim listed"\npublisher = "Court Watch"\n'
        'url = "https://courtwatch.example/forrest"\ndate = "2024-06-10"\n', encoding="utf-8")
    cache = corpus / ".fetched" / "courtwatch"
    cache.mkdir(parents=True)
    text = extract_text(HTML_PAGE)  # what --fetch stores
    assert "three days" in text
    (cache / "text.txt").write_text(text, encoding="utf-8")

    report = ingest_ok(corpus, index)
    assert [(s["id"], s["status"]) for s in report["sources"]] == [("courtwatch", "on disk")]
    rows = open_index(index).rows(where={"doc_id": "courtwatch"})
    assert "listed for three days" in " ".join(r["text"] for r in rows)
    for r in rows:
        assert (r["meta"]["publisher"], r["meta"]["url"], r["meta"]["date"]) == (
            "Court Watch", "https://courtwatch.example/forrest", "2024-06-10")


@pytest.mark.parametrize("kind", ["html document", "fetched source"])
def test_split_html_headline_not_glued_to_first_sentence(tmp_path, kind):
    from ingest.documents import load_file, load_source
    from ingest.fetch import extract_text
    from ingest.manifest import SourceEntry
    from ingest.splitting import split_passages

    page = HTML_PAGE.replace("<article>", "<article><h1>Tribunal listing for the Forrest claim</h1>")
    if kind == "html document":
        (tmp_path / "listing.html").write_text(page, encoding="utf-8")
        body = load_file(tmp_path / "listing.html", tmp_path).body
    else:
        (tmp_path / ".fetched" / "cw").mkdir(parents=True)
        (tmp_path / ".fetched" / "cw" / "text.txt").write_text(extract_text(page), encoding="utf-8")
        body = load_source(SourceEntry(id="cw", title="Listing", publisher="Court Watch", url="https://courtwatch.example/"), tmp_path).body
    sentences = [s.text for p in split_passages(body) for s in p.sentences]
    assert ("The preliminary hearing in the whistleblowing claim is listed for three days at the "
            "London Central employment tribunal.") in sentences
    assert not any("Tribunal listing for the Forrest claim" in s for s in sentences)


# --------------------------------------------------------------------------- --full


@pytest.mark.slow
def test_rebuild_full_same_passages_and_digest_as_incremental(fresh_real_copy, ingest_ok, open_index, make_doc):
    corpus, index = fresh_real_copy.corpus, fresh_real_copy.index
    view = open_index(index)
    # an incremental history: the session build, then one run that adds and edits
    make_doc(corpus, "hearing.md", "The full hearing is expected to last two weeks in the spring.",
             title="Hearing", publisher="Court Watch")
    article = corpus / "case-article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("shell company", "front company"),
                       encoding="utf-8")
    step = ingest_ok(corpus, index)
    assert (step["documents"]["added"], step["documents"]["changed"]) == (1, 1)
    incremental = {r["id"]: (r["text"], r["meta"]) for r in view.rows()}
    incremental_manifest = view.manifest()
    incremental_gen = view.generation

    full = ingest_ok(corpus, index, full=True)
    assert full["documents"]["added"] == len(incremental_manifest["documents"])
    assert full["passages"]["added"] == full["passages"]["total"] == len(incremental)
    assert view.generation != incremental_gen
    manifest = view.manifest()
    assert manifest["passages"] == incremental_manifest["passages"]
    assert manifest["digest"] == incremental_manifest["digest"]
    assert {r["id"]: (r["text"], r["meta"]) for r in view.rows()} == incremental
    assert_consistent(view, full)


# --------------------------------------------------------------------------- a saved copy of a source

SAVED_PAGE = """<html><head><title>Amazon breaches UK's Russia sanctions</title></head><body>
<nav>Home | Companies | Tech</nav>
<article><h1>Amazon breaches UK's Russia sanctions, claims ex-employee at tribunal</h1>
<p>Documents seen by the paper show the disputed reseller agreement was countersigned in Riga in March 2022,
two weeks after the sanctions took effect, according to the claimant's filing.</p>
<p>Amazon said it would contest the claim and that its billing records showed no such sale.</p>
</article><footer>Subscribe to read more</footer></body></html>"""


@pytest.mark.slow
def test_ingest_source_saved_copy_answers_cited_as_that_source(tmp_path, ingest_ok, ingest_here, shared_embedder):
    """A paywalled source saved from a browser and named by its [[source]] entry (`file`): its
    text answers, cited with the entry's title, publisher and URL; it is not a document of its own."""
    from assistant import Assistant

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    (corpus / "saved").mkdir(parents=True)
    (corpus / "saved" / "ft.html").write_text(SAVED_PAGE, encoding="utf-8")
    (corpus / "sources.toml").write_text(
        '[[source]]\nid = "ft"\ntitle = "Amazon breaches UK\'s Russia sanctions, claims ex-employee at tribunal"\n'
        'publisher = "Financial Times"\nurl = "https://www.ft.com/content/f28377a1"\ndate = "2024-06-07"\n'
        'file = "saved/ft.html"\n', encoding="utf-8")
    report = ingest_ok(corpus, index)
    assert report["documents"]["added"] == 1  # the source; its saved page is not a second document
    assert [(s["id"], s["status"], s["has_text"]) for s in report["sources"]] == [("ft", "saved copy", True)]

    answer = Assistant(index_dir=index).ask("Where was the disputed reseller agreement countersigned?")
    assert "Riga" in answer.answer
    cited = answer.citations[0]
    assert (cited.source_id, cited.publisher, cited.url, cited.date) == (
        "ft", "Financial Times", "https://www.ft.com/content/f28377a1", "2024-06-07")
    assert "Subscribe" not in cited.text and "Home | Companies" not in cited.text

    (corpus / "saved" / "ft.html").unlink()  # the copy goes missing: reported, the last good text kept
    gone = ingest_here(corpus, index)
    assert gone["failures"] == [{"document": "ft", "reason": "its saved copy saved/ft.html does not exist"}]
    assert "Riga" in Assistant(index_dir=index).ask("Where was the disputed reseller agreement countersigned?").answer


def test_summarise_ingest_counts_failed_sources():
    """The refresh log and the CLI count a source that could not be fetched as failed."""
    from assistant.index.manifest import SourceState
    from assistant.index.records import DocumentStatus
    from ingest.cli import human_summary
    from ingest.indexing import IngestReport

    report = IngestReport(sources=[SourceState(id=i, status=DocumentStatus.FAILED, has_text=False, url="https://x.test/",
                                               reason="HTTP 403") for i in ("ft", "engadget")]
                          + [SourceState(id="telegraph", status=DocumentStatus.FETCHED, has_text=True, url="https://y.test/")])
    summary = human_summary(report)
    assert "sources: 2 failed, 1 fetched" in summary or "sources: 1 fetched, 2 failed" in summary
