"""Answers as safe HTML for the chat: everything from a source or a question is shown as
text (HTML escaped, Markdown neutralised), so nothing a document carries can run or load."""

from __future__ import annotations

import html
import re

from .types import Answer, Citation

# One pass: HTML's specials and Markdown's become character references, so neither
# an HTML tag nor Markdown syntax in a source or a question is ever interpreted.
_LITERAL = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+!|~-=$"})
_MARKER = re.compile(r"\[(\d+)\]")


def safe_text(text: str) -> str:
    """Text that renders literally in Gradio's Markdown+HTML chat."""
    return text.translate(_LITERAL)


def safe_url(url: str) -> str:
    return html.escape(url, quote=True) if re.match(r"^https?://", url or "", re.I) else ""


def answer_html(answer: Answer) -> str:
    if answer.abstained:
        return f'<p class="abstained">{safe_text(answer.answer)}</p>'
    known = {c.n for c in answer.citations}
    pieces = []
    for i, part in enumerate(_MARKER.split(answer.answer)):
        if i % 2 == 0:
            pieces.append(safe_text(part))
        elif int(part) in known:
            pieces.append(f'<a class="cite" data-n="{part}" href="#cite-{part}">[{part}]</a>')
    return f'<p class="answer">{"".join(pieces)}</p>' + citations_html(answer.citations)


def citation_html(c: Citation) -> str:
    text = safe_text(c.text)
    for sentence in c.sentences or (c.quote,):
        q = safe_text(sentence)
        text = text.replace(q, f"<mark>{q}</mark>", 1)
    meta = " · ".join(safe_text(x) for x in (c.publisher, c.date) if x)
    link = safe_url(c.url)
    title = safe_text(c.title)
    head = (f'<a href="{link}" target="_blank" rel="noopener noreferrer">{title}</a>' if link else title)
    return (f'<li class="citation" id="cite-{c.n}" data-n="{c.n}"><span class="n">[{c.n}]</span> '
            f'<strong>{head}</strong>' + (f' <span class="meta">{meta}</span>' if meta else "")
            + f'<blockquote>{text}</blockquote></li>')


def citations_html(citations: list[Citation]) -> str:
    if not citations:
        return ""
    return '<ol class="citations">' + "".join(citation_html(c) for c in citations) + "</ol>"
