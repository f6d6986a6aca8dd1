"""What the chat shows: escaped text, working markers, highlighted quotes."""

from __future__ import annotations

import re

from assistant.render import answer_html, safe_text
from assistant.types import Answer, AnswerPart, Citation


def _citation(**kw) -> Citation:
    base = dict(n=1, source_id="doc.md", title="T", publisher="P", url="https://example.org/a",
                text="First sentence. Second one here.", quote="Second one here.",
                sentences=("Second one here.",))
    return Citation(**{**base, **kw})


def test_render_source_html_shown_as_text():
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script> **bold** [link](http://x)'
    out = answer_html(Answer.cited([AnswerPart(evil, 1)], [_citation(title=evil, text=evil, quote=evil, sentences=(evil,))]))
    assert "<img" not in out and "<script" not in out and "**" not in out and "](" not in out
    assert "&#60;script&#62;" in out


def test_render_markers_link_to_known_citations_only():
    out = answer_html(Answer.cited([AnswerPart("A claim.", 1), AnswerPart("Another.", 7)], [_citation()]))
    assert re.search(r'<a class="cite"[^>]* data-n="1"', out)
    assert 'data-n="7"' not in out and "[7]" not in out  # a marker with no citation is dropped, never dangling


def test_render_streaming_shows_markers_only_after_their_whole_sentence():
    answer = Answer.cited([AnswerPart("One two three.", 1), AnswerPart("Four five.", 1)], [_citation()])
    early = answer_html(answer, words=2)
    assert "One two" in early and "three" not in early and "&#91;1&#93;" not in early and "cite" not in early
    mid = answer_html(answer, words=4)
    assert mid.count("&#91;1&#93;") == 1 and "Four" in mid and "five" not in mid and '<a class="cite"' not in mid
    assert answer_html(answer).count('<a class="cite"') == 2 and '<ol class="citations">' in answer_html(answer)


def test_render_quote_highlighted_inside_passage():
    out = answer_html(Answer.cited([AnswerPart("Second one here.", 1)], [_citation()]))
    assert "First sentence. <mark>Second one here.</mark>" in out.replace("&#46;", ".")


def test_render_link_opens_new_tab_safely_and_drops_javascript_urls():
    out = answer_html(Answer.cited([AnswerPart("x", 1)], [_citation()]))
    assert 'target="_blank" rel="noopener noreferrer"' in out
    out = answer_html(Answer.cited([AnswerPart("x", 1)], [_citation(url="javascript:alert(1)")]))
    assert "javascript:" not in out


def test_render_abstention_has_no_citations():
    out = answer_html(Answer("The sources don't say.", [], abstained=True))
    assert "citations" not in out and "abstained" in out


def test_safe_text_keeps_plain_words():
    assert safe_text("Charles Forrest, a former AWS employee.") == "Charles Forrest, a former AWS employee."


# ------------------------------------------------------------------ a briefing: cards, copy, sources

import html as _html
from datetime import datetime, timezone

from assistant.index import DocumentEntry, DocumentStatus, Passage
from assistant.render import (PANEL_EMPTY, STATUS_NOTES, answer_plain, cited_sentences, document_html, human_date,
                              plural, short_title, sources_html, time_ago)

LONG_TITLE = "Former AWS employee accuses Amazon of violating sanctions by providing facial recognition"


def _visible(out: str) -> str:
    """The answer as shown: without the hidden full passages meant for the panel."""
    out = re.sub(r' data-plain="[^"]*"', "", out)
    return re.sub(r'<div class="full" hidden>.*?</div></li>', "</li>", out)


def _briefing() -> Answer:
    a = _citation(n=1, source_id="a.md", title=LONG_TITLE, text="Forrest sued. He said X. Later Y.",
                  quote="He said X.", sentences=("He said X.",), speaker="Forrest", stance="alleges", passage_id="p1")
    b = _citation(n=2, source_id="a.md", title=LONG_TITLE, text="Amazon denies it.", quote="Amazon denies it.",
                  sentences=("Amazon denies it.",), speaker="Amazon", stance="denies", passage_id="p2")
    c = _citation(n=3, source_id="b.md", title="Short one", publisher="Q", url="", date="2024-06-07",
                  text="Police used it.", quote="Police used it.", sentences=("Police used it.",), passage_id="p3")
    parts = [AnswerPart("He said X.", 1, "Forrest", "alleges"), AnswerPart("Amazon denies it.", 2, "Amazon", "denies"),
             AnswerPart("Police used it.", 3)]
    return Answer.cited(parts, [a, b, c])


def test_render_citations_grouped_one_card_per_document():
    out = answer_html(_briefing())
    shown = _visible(out)
    assert shown.count('class="source-card"') == 2
    assert re.search(r'data-doc="a\.md"[^>]*>.*data-n="1".*data-n="2".*data-doc="b\.md"', shown)
    # The short title once per card, the whole one in its tooltip, none per passage.
    assert shown.count("Former AWS employee accuses Amazon of violating sanctions…") == 1
    assert f'title="{LONG_TITLE}"' in shown and shown.count(LONG_TITLE) == 1
    assert "7 June 2024" in shown and "June 2024" in shown
    # Who says it, beside the answer's sentences and in the cards.
    assert shown.count('<span class="speaker alleges">Forrest alleges</span>') == 2
    assert shown.count('<span class="speaker denies">Amazon denies</span>') == 2


def test_render_card_never_repeats_answer_text():
    shown = _visible(answer_html(_briefing()))
    for sentence in ("He said X.", "Amazon denies it.", "Police used it."):
        assert shown.count(sentence) == 1, sentence  # a one-sentence passage: the answer shows it all
    assert "Later Y." in shown  # a longer passage: its context, not the quote again


def test_render_card_passage_opens_full_passage_with_quote_highlighted():
    out = answer_html(_briefing())
    full = re.search(r'<li class="citation passage" data-turn="0" data-n="1">.*?<div class="full" hidden>(.*?)</div></li>',
                     out).group(1)
    assert "Forrest sued. <mark>He said X.</mark> Later Y." in full
    assert 'class="show-source" href="#sources" data-doc="a.md" data-passage="p1"' in full
    assert LONG_TITLE in full  # the panel gives the whole title


def test_render_abstention_lists_related_quotes():
    related = [_citation(n=1, kind="related")]
    out = answer_html(Answer("The sources don't say.", [], abstained=True, related=related))
    assert "Second one here." in _visible(out) and 'class="related"' in out


def test_render_plain_text_for_copy_has_markers_and_numbered_sources():
    answer = _briefing()
    plain = answer_plain(answer)
    # Each sentence keeps its speaker in words, outside the quotation marks; the narrator's as it is.
    assert plain.startswith("Forrest alleges: \u201cHe said X.\u201d [1] Amazon denies: \u201cAmazon denies it.\u201d [2] "
                            "Police used it. [3]\n\nSources:\n")
    assert f"[1] P, \u201c{LONG_TITLE}\u201d https://example.org/a" in plain
    assert "[3] Q, \u201cShort one\u201d, 7 June 2024" in plain and "<" not in plain
    out = answer_html(answer)
    attr = re.search(r'data-plain="([^"]*)"', out).group(1)
    assert _html.unescape(attr) == plain and "\n" not in out  # one HTML block for Markdown


def test_render_short_answer_opens_in_bold_and_is_marked_in_its_sentence():
    sentence = "Forrest filed a claim in June 2024 in London."
    part = AnswerPart(sentence, 1, short_span=(25, 34))
    cited = _citation(n=1, quote=sentence, sentences=(sentence,), short_span=(25, 34))
    answer = Answer.cited([part], [cited], short="June 2024")
    out = answer_html(answer)
    assert '<p class="answer"><strong class="short-answer">June 2024</strong> \u2014 ' in out
    assert 'in <mark class="short">June 2024</mark> in London.' in out
    assert answer.answer.startswith("June 2024 \u2014 Forrest filed") and answer_plain(answer).startswith("June 2024 \u2014 ")
    assert "short-answer" not in answer_html(Answer.cited([AnswerPart(sentence, 1)], [cited]))


def test_render_plain_text_of_hostile_source_stays_text():
    evil = '<img src=x onerror="alert(1)"> **b**\n\n<script>x</script>'
    answer = Answer.cited([AnswerPart(evil, 1)], [_citation(title=evil, text=evil, quote=evil, sentences=(evil,))])
    out = answer_html(answer)
    assert "<img" not in out and "<script" not in out and "\n" not in out
    assert _html.unescape(re.search(r'data-plain="([^"]*)"', out).group(1)) == answer_plain(answer)
    assert answer_html(answer, words=2).count("data-plain") == 0  # a streaming answer is not for copying


def test_render_document_highlights_only_cited_sentences():
    passages = [Passage(id="p1", doc_id="d", text="First one. Cited one. Last one.", title="T"),
                Passage(id="p2", doc_id="d", text="Not cited.", title="T")]
    out = document_html(passages, cited_sentences([_briefing_with(passage_id="p1", sentences=("Cited one.",))]))
    assert '<p class="passage cited" data-passage="p1">First one. <mark>Cited one.</mark> Last one.</p>' in out
    assert '<p class="passage" data-passage="p2">Not cited.</p>' in out
    # Given passage ids only, or sentences not found in it: the whole passage.
    assert '<mark>First one. Cited one. Last one.</mark>' in document_html(passages, {"p1"})
    assert '<mark>First one. Cited one. Last one.</mark>' in document_html(passages, {"p1": ("Elsewhere.",)})


def _briefing_with(**kw) -> Answer:
    return Answer.cited([AnswerPart("x", 1)], [_citation(**kw)])


def test_render_dates_human():
    assert human_date("2024-06-07") == "7 June 2024"
    assert human_date("2024-06") == "June 2024" and human_date("2022") == "2022"
    assert human_date("2026-11-29T14:37:50+00:00") == "29 November 2026"
    assert human_date("spring 2024") == "spring 2024" and human_date("2024-13") == "2024-13" and human_date("") == ""
    now = datetime(2026, 11, 29, 15, 0, tzinfo=timezone.utc)
    assert time_ago("2026-11-29T14:59:40+00:00", now) == "just now"
    assert time_ago("2026-11-29T14:55:00+00:00", now) == "5 min ago"
    assert time_ago("2026-11-29T14:00:00+00:00", now) == "1 hour ago"
    assert time_ago("2026-11-29T10:00:00+00:00", now) == "5 hours ago"
    assert time_ago("2026-11-28T10:00:00+00:00", now) == "yesterday"
    assert time_ago("2026-11-25T10:00:00+00:00", now) == "4 days ago"
    assert time_ago("2024-06-07T10:00:00+00:00", now) == "7 June 2024"
    assert time_ago("2026-11-29T14:55:00", now) == "5 min ago"  # no zone: UTC, as ingest writes
    assert time_ago("not a time", now) == "not a time"


def test_render_plurals_and_short_titles():
    assert plural(1, "passage") == "1 passage" and plural(2, "passage") == "2 passages"
    assert plural(0, "passage") == "0 passages"
    assert short_title("One two three") == "One two three"
    assert short_title("a b c d e f g h i j") == "a b c d e f g h…"
    assert short_title("a b c d e f g h, i") == "a b c d e f g h…"


def _doc(status: DocumentStatus, passages: int = 1, reason: str = "") -> DocumentEntry:
    return DocumentEntry(doc_id=f"d-{status.name}", title=f"Doc {status.value}", publisher="Pub", url="https://e.org/x",
                         date="2024-06-07", hash="h", passages=passages, status=status, reason=reason,
                         ingested_at="2026-11-29T14:55:00+00:00")


def test_render_sources_badges_dates_and_plurals():
    docs = [_doc(s, passages=i) for i, s in enumerate(DocumentStatus, start=1)]
    docs[-1] = _doc(DocumentStatus.FAILED, 2, reason="HTTP 503 <b>busy</b>")
    out = sources_html(docs, {}, now=datetime(2026, 11, 29, 15, 0, tzinfo=timezone.utc))
    classes = re.findall(r'class="status (status-[a-z-]+)"', out)
    assert len(classes) == len(set(classes)) == len(DocumentStatus)
    assert all(safe_text(STATUS_NOTES[s]) in out for s in DocumentStatus if s is not DocumentStatus.FAILED)
    assert "HTTP 503 &#60;b&#62;busy&#60;/b&#62;" in out and "<b>" not in out
    assert "1 passage ·" in out and "2 passages ·" in out and "1 passages" not in out
    assert "ingested 5 min ago" in out and "Pub · 7 June 2024" in out


def test_render_passage_panel_announces_politely():
    assert 'id="passage-view"' in PANEL_EMPTY and 'aria-live="polite"' in PANEL_EMPTY


def test_render_human_time_day_and_minute_in_utc():
    from assistant.render import human_time

    assert human_time("2026-11-29T17:12:35+01:00") == "29 November 2026, 16:12 UTC"
    assert human_time("not a time") == "not a time"


def _manifest(docs: list[tuple[str, str, str, bool]]):
    """A manifest of (id, publisher, kind, has text) documents; sources are those of kind "source"."""
    from assistant.index import IndexManifest, SourceState

    entries = {i: DocumentEntry(doc_id=i, title=f"T {i}", publisher=p, kind=k, hash="h", passages=1,
                                status=DocumentStatus.ON_DISK if text else DocumentStatus.NOT_FETCHED,
                                date="2024-06" if text else "", ingested_at="2026-11-29T14:55:00+00:00")
               for i, p, k, text in docs}
    sources = [SourceState(id=i, status=entries[i].status, has_text=text, url="https://e.org/x")
               for i, _, k, text in docs if k == "source"]
    return IndexManifest(model="m", built_at="2026-11-29T14:55:00+00:00", documents=entries, sources=sources)


def test_render_coverage_says_what_is_read_in_full_and_what_is_headline_only():
    from assistant.render import coverage_line, documents_line

    m = _manifest([("ft", "FT", "source", False), ("a", "GIGAZINE", "article", True), ("t", "Telegraph", "source", False)])
    assert coverage_line(m) == ("Answers come from 1 article read in full (GIGAZINE); 2 cited sources are indexed by "
                                "headline only (FT and Telegraph): fetch them or attach saved copies.")
    assert documents_line(m) == "GIGAZINE (June 2024), FT, Telegraph"  # read in full first, one date format
    fetched = _manifest([("ft", "FT", "source", True), ("a", "GIGAZINE", "article", True)])
    assert coverage_line(fetched) == "Answers come from 2 documents read in full (FT and GIGAZINE)."
