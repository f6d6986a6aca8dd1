"""Answers and documents as safe HTML for the chat: everything from a source or a question
is shown as text (HTML and Markdown neutralised), so nothing a document carries can run or
load. Marker links carry their turn and number; the page script (``static/chat.js``) shows
the clicked passage in the ``#passages`` panel."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from .index import DocumentEntry, Passage
from .types import Answer, Citation

# One pass: HTML's specials and Markdown's become character references, so neither an
# HTML tag nor Markdown syntax in a source or a question is ever interpreted.
_LITERAL = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+!|~-=$:"})

_PANEL_HINT = "Click a marker such as [1] to see its passage here."
# The page script (static/chat.js) puts the hint back from data-empty on "New conversation".
PANEL_EMPTY = f'<div id="passage-view" class="empty" data-empty="{_PANEL_HINT}">{_PANEL_HINT}</div>'


def safe_text(text: str) -> str:
    """Text that renders literally in Gradio's Markdown+HTML chat."""
    return text.translate(_LITERAL)


def safe_url(url: str) -> str:
    return html.escape(url, quote=True) if re.match(r"^https?://", url or "", re.I) else ""


def answer_html(answer: Answer, turn: int = 0, words: int | None = None) -> str:
    """The answer with linked markers and, under it, its cited passages.

    ``words`` renders only the first words, for streaming; citations come with the whole.
    """
    if answer.abstained:
        declined = f'<p class="abstained">{safe_text(answer.answer)}</p>'
        if not answer.related or words is not None:
            return declined
        # Apart from the decline and labelled as what they are: near the question, no answer to it.
        return (declined + '<details class="related"><summary>Related passages (they do not answer the question)'
                '</summary>' + citations_html(answer.related, turn) + '</details>')
    known = {c.n for c in answer.citations}
    left = words
    sentences = []
    for part in answer.parts:
        text, complete = part.text, True
        if left is not None:
            shown = text.split()[:max(left, 0)]
            complete = len(shown) == len(text.split())
            left -= len(shown)
            if not shown:
                break
            text = " ".join(shown)
        marker = ""
        if part.n in known and complete:  # a marker with no citation is never shown
            marker = (f' <a class="cite" data-turn="{turn}" data-n="{part.n}" href="#passages">[{part.n}]</a>'
                      if words is None  # while streaming, the passage it points to is not on the page yet
                      else f' <span class="cite-pending">&#91;{part.n}&#93;</span>')
        # Who says it, before what they say: "Forrest alleges", "Amazon denies". The
        # narrator's own sentences and catalogue entries need no tag.
        tag = (f'<span class="speaker {safe_text(part.stance)}">{safe_text(part.label)}</span> '
               if part.stance != "reports" and part.speaker and not part.carried else "")
        sentences.append(tag + safe_text(text) + marker)
    body = f'<p class="answer">{" ".join(sentences)}</p>'
    return body if words is not None else body + citations_html(answer.citations, turn)


def _highlight(text: str, sentences: Iterable[str]) -> str:
    out = safe_text(text)
    for sentence in sentences:
        q = safe_text(sentence)
        out = out.replace(q, f"<mark>{q}</mark>", 1)
    return out


def citation_html(c: Citation, turn: int = 0) -> str:
    meta = " · ".join(safe_text(x) for x in (c.publisher, c.date) if x)
    link = safe_url(c.url)
    title = safe_text(c.title)
    head = f'<a href="{link}" target="_blank" rel="noopener noreferrer">{title}</a>' if link else title
    who = f' <span class="speaker {safe_text(c.stance)}">{safe_text(c.label)}</span>' if c.speaker else ""
    # A catalogue entry is what the corpus says of a source, not a quotation from it.
    body = (f'<p class="catalogue">{safe_text(c.text)}</p>' if c.kind == "catalogue"
            else f'<blockquote>{_highlight(c.text, c.sentences or (c.quote,))}</blockquote>')
    return (f'<li class="citation {safe_text(c.kind)}" data-turn="{turn}" data-n="{c.n}"><span class="n">[{c.n}]</span> '
            f'<strong class="title">{head}</strong>' + (f' <span class="meta">{meta}</span>' if meta else "")
            + who + body + '</li>')


def citations_html(citations: list[Citation], turn: int = 0) -> str:
    if not citations:
        return ""
    return '<ol class="citations">' + "".join(citation_html(c, turn) for c in citations) + "</ol>"


def document_html(passages: list[Passage], cited: set[str]) -> str:
    """A document's indexed text, passages cited in the conversation highlighted."""
    paragraphs = []
    for p in passages:
        text = safe_text(p.text)
        paragraphs.append(f'<p class="passage cited"><mark>{text}</mark></p>' if p.id in cited
                          else f'<p class="passage">{text}</p>')
    return "".join(paragraphs) or "<p><em>No indexed text.</em></p>"


def _status(d: DocumentEntry) -> str:
    label = f"{d.status.value}: {d.reason}" if d.reason else d.status.value
    return f'<span class="status status-{d.status.name.lower().replace("_", "-")}">{safe_text(label)}</span>'


def sources_html(docs: list[DocumentEntry], texts: dict[str, str]) -> str:
    """Every indexed document; each opens to its full text (``texts``, already safe HTML)."""
    rows = []
    for d in docs:
        link = safe_url(d.url)
        url = f'<a href="{link}" target="_blank" rel="noopener noreferrer">{safe_text(d.url)}</a>' if link else ""
        rows.append(
            f'<details class="source" data-doc="{html.escape(d.doc_id, quote=True)}">'
            f'<summary><strong>{safe_text(d.title or d.doc_id)}</strong> '
            f'<span class="meta">{safe_text(" · ".join(x for x in (d.publisher, d.date) if x))}</span>'
            f'{_status(d)}'
            f'<span class="count">{d.passages} passages · ingested {safe_text(d.ingested_at)}</span>'
            f'</summary><div class="source-url">{url}</div>'
            f'<div class="doc-text">{texts.get(d.doc_id, "")}</div></details>')
    return '<div class="sources">' + "".join(rows) + "</div>" if rows else "<p>No documents indexed yet.</p>"
