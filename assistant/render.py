"""Answers and documents as safe HTML for the chat: everything from a source or a question
is shown as text (HTML and Markdown neutralised), so nothing a document carries can run or
load. Marker links carry their turn and number; the page script (``static/chat.js``) shows
the clicked passage in the ``#passages`` panel, copies an answer as plain text (from its
``data-plain``) and opens a passage in the Sources tab (by ``data-doc``/``data-passage``).

An answer reads like a briefing: the answer first, each sentence with who says it
("Forrest alleges") and its marker, then one compact card per cited document (publisher,
short title, date, link) listing the passages cited from it. A card never repeats the
answer's text: it shows a quoted sentence only when the answer does not already show it,
otherwise a short stretch of the passage around it, or nothing when the passage is that
sentence alone. The full passage, its quoted sentences highlighted, is in the card's hidden
``div.full``, which the page script shows in the panel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from .dates import human as human_date
from .index import DocumentEntry, DocumentStatus, IndexManifest, Passage
from .types import Answer, Citation, speaker_label

# One pass: HTML's specials and Markdown's become character references, so neither an
# HTML tag nor Markdown syntax in a source or a question is ever interpreted.
_LITERAL = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+!|~-=$:"})

_PANEL_HINT = "Click a marker such as [1] to see its passage here."
# The page script (static/chat.js) puts the hint back from data-empty on "New conversation".
# aria-live: a screen reader reads the passage the script puts here.
PANEL_EMPTY = (f'<div id="passage-view" class="empty" aria-live="polite" data-empty="{_PANEL_HINT}">'
               f'{_PANEL_HINT}</div>')

TITLE_WORDS = 8  # a card's short title: its first words, the whole title in its tooltip
EXCERPT_WORDS = 24  # a card's excerpt of a passage, at most


def safe_text(text: str) -> str:
    """Text that renders literally in Gradio's Markdown+HTML chat."""
    return text.translate(_LITERAL)


def safe_attr(text: str) -> str:
    """Text for our HTML, attribute values included: literal and on one line (a blank line
    would end Markdown's HTML block and let the rest be read as Markdown)."""
    return safe_text(text).replace("\r", "&#13;").replace("\n", "&#10;")


def safe_url(url: str) -> str:
    """An http(s) URL for an href, escaped like any other text of ours (HTML and Markdown
    alike); "" for anything else, a URL holding whitespace included (a blank line in it
    would end the HTML block and let the rest be read as Markdown)."""
    return safe_attr(url) if re.fullmatch(r"https?://\S+", url or "", re.I) else ""


def link(url: str, text: str, cls: str = "", title: str = "") -> str:
    """A link to the original in a new tab, or the bare text when the URL is not http(s)."""
    link = safe_url(url)
    if not link:
        return text
    extra = (f' class="{cls}"' if cls else "") + (f' title="{safe_attr(title)}"' if title else "")
    return f'<a href="{link}"{extra} target="_blank" rel="noopener noreferrer">{text}</a>'


# --------------------------------------------------------------------------- words and dates


def plural(n: int, word: str, words: str | None = None) -> str:
    """"1 passage", "2 passages"."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def _names(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    names = list(dict.fromkeys(n for n in names if n))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def coverage_line(manifest: IndexManifest) -> str:
    """What the answers come from, in plain words: the documents read in full (by kind and
    publisher) and the cited sources indexed by headline only, with what to do about them."""
    full, bare = manifest.read_in_full(), manifest.headline_only()
    kinds = {d.kind for d in full}
    noun = next(iter(kinds)) if len(kinds) == 1 and "source" not in kinds else "document"
    line = (f"Answers come from {plural(len(full), noun)} read in full "
            f"({_names([d.publisher or d.title for d in full])})") if full else "No document is read in full yet"
    if bare:
        line += (f"; {plural(len(bare), 'cited source')} {'is' if len(bare) == 1 else 'are'} indexed by headline "
                 f"only ({_names([d.publisher or d.title for d in bare])}): fetch them or attach saved copies")
    return line + "."


def documents_line(manifest: IndexManifest) -> str:
    """The indexed documents by publisher and date, those read in full first: "GIGAZINE (June
    2024), The Telegraph (7 June 2024)"."""
    docs = manifest.read_in_full() + manifest.headline_only()
    return ", ".join(f"{d.publisher or short_title(d.title)}" + (f" ({human_date(d.date)})" if d.date else "")
                     for d in docs)


def short_title(title: str, words: int = TITLE_WORDS) -> str:
    """The first ``words`` words of a title and "…" when there are more."""
    parts = title.split()
    return title.strip() if len(parts) <= words else " ".join(parts[:words]).rstrip(",;:–-") + "…"


def _parse_time(value: str) -> datetime | None:
    try:
        t = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def human_time(value: str) -> str:
    """"29 Nov 2026, 16:12 UTC" for an ISO timestamp (for a page that stays open, where "5 min
    ago" would go stale); anything else as it is."""
    t = _parse_time(value)
    if t is None:
        return (value or "").strip()
    t = t.astimezone(timezone.utc)
    return f"{human_date(t.date().isoformat())}, {t:%H:%M} UTC"


def time_ago(value: str, now: datetime | None = None) -> str:
    """"just now", "5 min ago", "3 hours ago", "yesterday", "4 days ago", then the day
    ("7 Jun 2024"), for an ISO timestamp; anything else as it is."""
    t = _parse_time(value)
    if t is None:
        return (value or "").strip()
    now = now or datetime.now(timezone.utc)
    seconds = (now - t).total_seconds()
    if seconds < -60:  # a clock ahead of ours: say the day, not "in the future"
        return human_date(t.date().isoformat())
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 24:
        return f"{plural(hours, 'hour')} ago"
    days = hours // 24
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return human_date(t.date().isoformat())


# --------------------------------------------------------------------------- answers


def _norm(text: str) -> str:
    return " ".join(text.split())


def highlight(text: str, sentences: Iterable[str]) -> str:
    out = safe_attr(text)
    for sentence in sentences:
        q = safe_attr(sentence.strip())
        if q:
            out = out.replace(q, f"<mark>{q}</mark>", 1)
    return out


def _quoted(c: Citation) -> list[str]:
    return [s for s in (c.sentences or (c.quote,)) if s and s.strip()]


def _words(text: str, n: int, last: bool = False) -> str:
    """At most ``n`` words of ``text``, "…" where it is cut: its first words, or its last."""
    words = text.split()
    if len(words) <= n:
        return " ".join(words)
    return "…" + " ".join(words[-n:]) if last else " ".join(words[:n]) + "…"


def _excerpt(c: Citation, shown: str) -> str:
    """What a card shows of a cited passage, never what the answer (``shown``) already says:
    the quoted sentences the answer does not show; else a short stretch of the passage around
    them; else nothing (the passage is the quoted sentence alone)."""
    quoted = _quoted(c)
    if c.kind == "catalogue":
        text = _norm(c.text)
        return "" if text in shown else f'<p class="catalogue">{safe_attr(_words(text, EXCERPT_WORDS))}</p>'
    new = [s for s in quoted if _norm(s) not in shown]
    if new:
        return f'<q class="quote">{safe_attr(_words(" ".join(_norm(s) for s in new), EXCERPT_WORDS))}</q>'
    text = _norm(c.text)
    first = min((i for i in (text.find(_norm(s)) for s in quoted) if i >= 0), default=-1)
    if first < 0:
        return ""
    last = max(text.find(_norm(s)) + len(_norm(s)) for s in quoted if _norm(s) in text)
    before, after = text[:first].strip(), text[last:].strip()
    if not before and not after:
        return ""  # a one-sentence passage: the answer shows it all
    # The passage around the quote: what follows it if anything, else what precedes it.
    context = f"… {_words(after, EXCERPT_WORDS)}" if after else f"{_words(before, EXCERPT_WORDS, last=True)} …"
    return (f'<span class="context" title="The passage around the quoted sentence">'
            f'{safe_attr(context)}</span>')


def speaker_chip(speaker: str, stance: str) -> str:
    """The coloured speaker label the chat, the Timeline and Who's who put before what is said."""
    return (f'<span class="speaker {safe_attr(stance)}">{safe_attr(speaker_label(speaker, stance))}</span>'
            if speaker else "")


def _speaker(c_or_part) -> str:
    return speaker_chip(c_or_part.speaker, c_or_part.stance)


def passage_panel_html(c: Citation) -> str:
    """What the ``#passages`` panel shows for citation ``c``: title, publisher, date, who says
    it, the whole passage with the quoted sentences highlighted, and links to the passage in
    the Sources tab and to the original."""
    meta = " · ".join(safe_attr(x) for x in (c.publisher, human_date(c.date)) if x)
    title = safe_attr(c.title or c.source_id)
    head = f'<strong class="title">{link(c.url, title, "title-link")}</strong>'
    body = (f'<p class="catalogue">{safe_attr(c.text)}</p>' if c.kind == "catalogue"
            else f'<blockquote>{highlight(c.text, _quoted(c))}</blockquote>')
    links = [f'<a class="show-source" href="#sources" data-doc="{safe_attr(c.source_id)}" '
             f'data-passage="{safe_attr(c.passage_id)}">Show in source</a>'] if c.source_id else []
    if safe_url(c.url):
        links.append(link(c.url, "Original&#160;&#8599;", "original"))
    return (f'<div class="panel-head"><span class="n">[{c.n}]</span> {head}</div>'
            + (f'<div class="meta">{meta}</div>' if meta else "")
            + (f'<div class="who">{_speaker(c)}</div>' if c.speaker else "")
            + body + (f'<div class="panel-links">{" · ".join(links)}</div>' if links else ""))


def _item_html(c: Citation, turn: int, shown: str) -> str:
    excerpt = _excerpt(c, shown)
    who = _speaker(c)
    return (f'<li class="citation {safe_attr(c.kind)}" data-turn="{turn}" data-n="{c.n}">'
            f'<a class="n cite" data-turn="{turn}" data-n="{c.n}" href="#passages" '
            f'title="Show passage {c.n}">[{c.n}]</a>'
            + (f" {who}" if who else "") + (f" {excerpt}" if excerpt else "")
            + f'<div class="full" hidden>{passage_panel_html(c)}</div></li>')


def citation_html(c: Citation, turn: int = 0, shown: str = "") -> str:
    """One source card holding one citation (see :func:`citations_html`)."""
    return citations_html([c], turn, shown)


def citations_html(citations: list[Citation], turn: int = 0, shown: str = "") -> str:
    """One card per cited document, in order of first citation: publisher, short title (the
    whole in its tooltip), date and a link to the original; under it the passages cited from
    it, each with its marker, who says it and an excerpt that repeats nothing of ``shown``
    (the answer's text)."""
    if not citations:
        return ""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.source_id or f"#{c.n}", []).append(c)
    shown = _norm(shown)
    cards = []
    for doc, cs in groups.items():
        first = cs[0]
        title = first.title or first.source_id
        short = safe_attr(short_title(title))
        head = (link(first.url, short, "title-link", title) if safe_url(first.url)
                else f'<span class="title-text" title="{safe_attr(title)}">{short}</span>')
        bits = [f'<span class="publisher">{safe_attr(first.publisher)}</span>' if first.publisher else "",
                f'<strong class="title">{head}</strong>',
                f'<span class="date">{safe_attr(human_date(first.date))}</span>' if first.date else ""]
        items = "".join(_item_html(c, turn, shown) for c in cs)
        cards.append(f'<li class="source-card" data-doc="{safe_attr(doc)}"><div class="card-head">'
                     + " · ".join(b for b in bits if b)
                     + f'</div><ol class="card-passages">{items}</ol></li>')
    return '<ol class="citations">' + "".join(cards) + "</ol>"


def answer_plain(answer: Answer) -> str:
    """The answer as plain text, for copying: its sentences with their markers, then the
    numbered sources with their URLs."""
    known = {c.n for c in answer.citations}
    if answer.abstained or not answer.parts:
        text = answer.answer.strip()
    else:
        # Each sentence keeps its speaker in words, outside the quotation marks around what
        # they say; the narrator's sentences, and those served with their speaker, as they are.
        text = " ".join((f"{p.label}: \u201c{p.text.strip()}\u201d" if p.stance != "reports" and p.speaker
                         and not p.carried else p.text.strip()) + (f" [{p.n}]" if p.n in known else "")
                        for p in answer.parts)
        text = f"{answer.short} \u2014 {text}" if answer.short else text
    listed = answer.citations or answer.related
    if not listed:
        return text
    lines = [text, "", "Closest passages:" if answer.abstained else "Sources:"]
    for c in listed:
        bits = [c.publisher, f"\u201c{c.title or c.source_id}\u201d", human_date(c.date)]
        line = f"[{c.n}] " + ", ".join(b for b in bits if b)
        lines.append(line + (f" {c.url}" if safe_url(c.url) else ""))
    return "\n".join(lines)


def answer_html(answer: Answer, turn: int = 0, words: int | None = None) -> str:
    """The answer with linked markers and, under it, its sources as cards.

    ``words`` renders only the first words, for streaming; citations come with the whole,
    in a ``div.answer-block`` whose ``data-plain`` holds the answer as plain text (for the
    copy button) and whose ``data-final`` tells the page script the answer is complete.
    """
    if words is None:
        wrap = (f'<div class="answer-block" data-turn="{turn}" data-final="1" '
                f'data-plain="{safe_attr(answer_plain(answer))}">')
    else:
        wrap = f'<div class="answer-block streaming" data-turn="{turn}">'
    if answer.abstained:
        declined = f'<p class="abstained">{safe_attr(answer.answer)}</p>'
        if not answer.related or words is not None:
            return wrap + declined + "</div>"
        # Apart from the decline and labelled as what they are: near the question, no answer to it.
        return (wrap + declined + '<details class="related"><summary>Closest passages'
                '</summary>' + citations_html(answer.related, turn) + '</details></div>')
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
            marker = (f' <a class="cite" data-turn="{turn}" data-n="{part.n}" href="#passages" '
                      f'aria-label="Passage {part.n}">[{part.n}]</a>'
                      if words is None  # while streaming, the passage it points to is not on the page yet
                      else f' <span class="cite-pending">&#91;{part.n}&#93;</span>')
        # Who says it, before what they say: "Forrest alleges", "Amazon denies". The
        # narrator's own sentences and catalogue entries need no tag.
        tag = (speaker_chip(part.speaker, part.stance) + " "
               if part.stance != "reports" and part.speaker and not part.carried else "")
        span = part.short_span if complete and words is None else None
        body_text = (safe_attr(text[:span[0]]) + f'<mark class="short">{safe_attr(text[span[0]:span[1]])}</mark>'
                     + safe_attr(text[span[1]:])) if span else safe_attr(text)
        sentences.append(tag + body_text + marker)
    opener = f'<strong class="short-answer">{safe_attr(answer.short)}</strong> \u2014 ' if answer.short else ""
    body = f'<p class="answer">{opener}{" ".join(sentences)}</p>'
    if words is not None:
        return wrap + body + "</div>"
    shown = " ".join(p.text for p in answer.parts)
    cards = citations_html(answer.citations, turn, shown)
    heading = f'<p class="sources-heading">{plural(len({c.source_id for c in answer.citations}), "source")}</p>' \
        if cards else ""
    return wrap + body + heading + cards + "</div>"


# --------------------------------------------------------------------------- the Sources tab


def cited_sentences(answers: Iterable[Answer]) -> dict[str, tuple[str, ...]]:
    """The passages cited by ``answers`` and the sentences quoted from each, for
    :func:`document_html`."""
    cited: dict[str, tuple[str, ...]] = {}
    for a in answers:
        for c in a.citations:
            if c.passage_id:
                cited[c.passage_id] = tuple(dict.fromkeys(cited.get(c.passage_id, ()) + tuple(_quoted(c))))
    return cited


def document_html(passages: list[Passage], cited: set[str] | Mapping[str, Iterable[str]]) -> str:
    """A document's indexed text, one paragraph per passage (``data-passage``, for the page
    script's "Show in source"). ``cited``: the passage ids cited in the conversation, or
    (better) a mapping of them to their quoted sentences (:func:`cited_sentences`): only
    those sentences are highlighted, the whole passage when none of them is found in it."""
    paragraphs = []
    for p in passages:
        attrs = f'class="passage{" cited" if p.id in cited else ""}" data-passage="{safe_attr(p.id)}"'
        if p.id not in cited:
            paragraphs.append(f'<p {attrs}>{safe_attr(p.text)}</p>')
            continue
        sentences = list(cited[p.id]) if isinstance(cited, Mapping) else []
        text = highlight(p.text, sentences)
        if "<mark>" not in text:
            text = f"<mark>{safe_attr(p.text)}</mark>"
        paragraphs.append(f'<p {attrs}>{text}</p>')
    return "".join(paragraphs) or "<p><em>No indexed text.</em></p>"


#: Each status as the Sources tab says it: the badge's words and one line on what it means.
STATUS_NOTES: dict[DocumentStatus, str] = {
    DocumentStatus.FETCHED: "Fetched from its web address by the last ingest.",
    DocumentStatus.ON_DISK: "Read from a file on disk: a corpus file or a copy fetched before.",
    DocumentStatus.SAVED_COPY: "Read from a saved copy of the page named in the source list.",
    DocumentStatus.NOT_FETCHED: "Not fetched yet: only its headline is indexed.",
    DocumentStatus.FAILED: "Could not be read this time; its last good version stays indexed.",
}


def _status(d: DocumentEntry) -> tuple[str, str]:
    """The status badge and its one-line explanation."""
    name = d.status.name.lower().replace("_", "-")
    note = STATUS_NOTES.get(d.status, "")
    if d.status is DocumentStatus.FAILED and d.reason:
        note = f"Could not be read this time ({d.reason}); its last good version stays indexed."
    return (f'<span class="status status-{name}" title="{safe_attr(note)}">{safe_attr(d.status.value)}</span>',
            f'<span class="status-note">{safe_attr(note)}</span>')


def sources_html(docs: list[DocumentEntry], texts: dict[str, str], now: datetime | None = None) -> str:
    """Every indexed document; each opens to its full text (``texts``, already safe HTML)."""
    rows = []
    for d in docs:
        link = safe_url(d.url)
        url = f'<a href="{link}" target="_blank" rel="noopener noreferrer">{safe_attr(d.url)}</a>' if link else ""
        ingested = time_ago(d.ingested_at, now)
        badge, note = _status(d)
        rows.append(
            f'<details class="source" data-doc="{safe_attr(d.doc_id)}">'
            f'<summary><strong>{safe_attr(d.title or d.doc_id)}</strong> '
            f'<span class="meta">{safe_attr(" · ".join(x for x in (d.publisher, human_date(d.date)) if x))}</span>'
            f'{badge}'
            f'<span class="count">{plural(d.passages, "passage")} · '
            f'<span title="{safe_attr(d.ingested_at)}">ingested {safe_attr(ingested)}</span></span>'
            f'{note}</summary><div class="source-url">{url}</div>'
            f'<div class="doc-text">{texts.get(d.doc_id, "")}</div></details>')
    return '<div class="sources">' + "".join(rows) + "</div>" if rows else "<p>No documents indexed yet.</p>"
