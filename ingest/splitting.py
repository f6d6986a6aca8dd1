"""Turn a document body into prose paragraphs, sentences and passages.

Spans index the original body so every passage maps back to its place in the source.
Layout damage seen in copied web articles is repaired here, not by hand: a paragraph
broken mid-sentence across a blank line is rejoined, and lines that are not prose
(link lines, headlines, video titles, bylines, captions) are never served as answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
_URL_LINE = re.compile(r"^\s*(<)?(https?://|www\.)\S+(>)?\s*$", re.I)
_WS = re.compile(r"\s+")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and
# whitespace, before something that can start a sentence.
_SENTENCE_END = re.compile(r"""[.!?]+['"”’)\]]*(?=\s+['"“‘(\[]?[A-Z0-9])""")
_TERMINAL = re.compile(r"""[.!?:]['"”’)\]]*\s*$|[.!?]\s*['"”’)\]]+\s*$""")
# Words a sentence does not end on: a paragraph ending with one was broken mid-sentence.
_CONNECTORS = frozenset("""
a an the of in on at to for with by from and or but nor that which who whom whose as is was were are be
been being has had have its his her their our your my said says into onto than about after before
between under over through against during without within via per
""".split())
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co",
    "corp", "no", "fig", "gen", "gov", "sen", "rep", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e",
}
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str  # whitespace-normalised text of body[start:end] (joined spans keep one space)


@dataclass(frozen=True)
class SplitPassage:
    position: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _raw_paragraphs(body: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _BLANK_LINES.finditer(body):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(body)))
    return [(s, e) for s, e in spans if body[s:e].strip()]


def _drop_link_lines(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a paragraph around URL lines; a line just before a URL line is its link title."""
    lines, pos = [], start
    for line in body[start:end].split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    keep = [True] * len(lines)
    for i, (s, e) in enumerate(lines):
        if _URL_LINE.match(body[s:e]):
            keep[i] = False
            if i > 0:
                keep[i - 1] = False
        elif _MARKDOWN_HEADING.match(body[s:e]):
            keep[i] = False
    chunks: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for k, span in zip(keep, lines):
        if k and body[span[0]:span[1]].strip():
            run.append(span)
        elif run:
            chunks.append((run[0][0], run[-1][1]))
            run = []
    if run:
        chunks.append((run[0][0], run[-1][1]))
    return chunks


def _is_prose(text: str) -> bool:
    return bool(_TERMINAL.search(text)) and len(text.split()) >= 3


def prose_paragraphs(body: str) -> list[list[tuple[int, int]]]:
    """Paragraphs as lists of body spans (more than one when a broken sentence was rejoined)."""
    pieces: list[tuple[int, int]] = []
    for s, e in _raw_paragraphs(body):
        pieces.extend(_drop_link_lines(body, s, e))
    merged: list[list[tuple[int, int]]] = []
    for s, e in pieces:
        text = body[s:e].strip()
        if merged:
            prev_text = normalise(" ".join(body[a:b] for a, b in merged[-1]))
            last_word = prev_text.rsplit(" ", 1)[-1]
            if not _TERMINAL.search(prev_text) and (text[:1].islower() or last_word in _CONNECTORS):
                merged[-1].append((s, e))
                continue
        merged.append([(s, e)])
    return [p for p in merged if _is_prose(normalise(" ".join(body[a:b] for a, b in p)))]


def _sentence_cuts(text: str) -> list[int]:
    cuts = []
    for m in _SENTENCE_END.finditer(text):
        word = re.search(r"(\S+)$", text[: m.start() + 1])
        token = word.group(1).rstrip(".!?").lstrip("'\"“‘(").lower() if word else ""
        if text[m.start()] == "." and (token in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", token)):
            continue
        cuts.append(m.end())
    return cuts


def split_sentences(text: str) -> list[str]:
    out, prev = [], 0
    for cut in _sentence_cuts(text) + [len(text)]:
        piece = text[prev:cut].strip()
        if piece:
            out.append(piece)
        prev = cut
    return out


def _paragraph_sentences(body: str, spans: list[tuple[int, int]]) -> list[Span]:
    """Sentences of one (possibly rejoined) paragraph, each with its body offsets."""
    # Map every character of the normalised paragraph text back to a body offset.
    chars: list[str] = []
    offsets: list[int] = []
    for a, b in spans:
        if chars and chars[-1] != " ":
            chars.append(" ")
            offsets.append(a)
        for i in range(a, b):
            c = body[i]
            if c.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    offsets.append(i)
            else:
                chars.append(c)
                offsets.append(i)
    text = "".join(chars)
    lead = len(text) - len(text.lstrip())
    sentences, prev = [], lead
    for cut in _sentence_cuts(text) + [len(text)]:
        raw = text[prev:cut]
        piece = raw.strip()
        if piece:
            s = prev + (len(raw) - len(raw.lstrip()))
            e = s + len(piece)
            sentences.append(Span(offsets[s], offsets[e - 1] + 1, piece))
        prev = cut
    return sentences


def split_passages(body: str, max_words: int = 120) -> list[SplitPassage]:
    """Passages follow paragraphs; a long paragraph is cut between sentences, never inside one."""
    passages: list[SplitPassage] = []
    for spans in prose_paragraphs(body):
        group: list[Span] = []
        words = 0
        for sentence in _paragraph_sentences(body, spans):
            n = len(sentence.text.split())
            if group and words + n > max_words:
                passages.append(_make_passage(len(passages), group))
                group, words = [], 0
            group.append(sentence)
            words += n
        if group:
            passages.append(_make_passage(len(passages), group))
    return passages


def _make_passage(position: int, sentences: list[Span]) -> SplitPassage:
    return SplitPassage(
        position=position,
        start=sentences[0].start,
        end=sentences[-1].end,
        text=" ".join(s.text for s in sentences),
        sentences=tuple(sentences),
    )
