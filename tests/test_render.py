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
