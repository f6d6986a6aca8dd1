"""What an answer is: the answer text and its numbered citations."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .index.records import Passage  # noqa: F401  (a stored passage is what an answer cites)


def speaker_label(speaker: str, stance: str) -> str:
    """Who asserts something, as every view words it: "Forrest alleges", "GIGAZINE reports"."""
    return f"{speaker} {stance}".strip()


@dataclass(frozen=True)
class Citation:
    n: int
    source_id: str
    title: str
    publisher: str
    url: str
    text: str
    quote: str
    date: str = ""
    passage_id: str = ""
    sentences: tuple[str, ...] = ()  # the quoted sentences one by one, for highlighting
    speaker: str = ""  # who asserts the cited sentence (the publisher for its own narration)
    stance: str = "reports"  # alleges | denies | states | reports
    # "passage": quoted from the source; "catalogue": what the corpus says of a source;
    # "related": offered beside a decline as near the question, answering nothing
    kind: str = "passage"
    short_span: tuple[int, int] | None = None  # where the answer's short phrase stands in ``quote``

    @property
    def label(self) -> str:
        """"Forrest alleges": who says it, as the chat shows it."""
        return speaker_label(self.speaker, self.stance)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = list(self.sentences)
        d["short_span"] = list(self.short_span) if self.short_span else None
        return d


#: An answer's citation markers as they appear in its text ("… in June 2024. [1]"); used to
#: take them out of text a client sends back (a conversation's history), never to parse our own.
MARKERS = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class AnswerPart:
    """One sentence of an answer and the number of the citation it comes from."""

    text: str
    n: int  # 0: no citation (a gap the answer names)
    speaker: str = ""
    stance: str = "reports"
    carried: bool = False  # the text does not name its speaker, so it is served with them
    short_span: tuple[int, int] | None = None  # where the answer's short phrase stands in ``text``

    @property
    def label(self) -> str:
        return speaker_label(self.speaker, self.stance)

    def marked(self) -> str:
        """The sentence and its marker; a part without a citation (n = 0: what the sources
        don't say, in a multi-part answer) has none."""
        return f"{self.text} [{self.n}]" if self.n else self.text


@dataclass(frozen=True)
class Answer:
    answer: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    parts: tuple[AnswerPart, ...] = ()  # the answer's sentences with their citation numbers
    related: list[Citation] = field(default_factory=list)  # beside a decline only: near, not an answer
    #: The thing asked for (a name, a place, a date, an amount, a sort of thing), verbatim from
    #: the first cited sentence, which the answer opens with; None for yes/no, why and how.
    short: str | None = None

    @classmethod
    def cited(cls, parts: list[AnswerPart], citations: list[Citation], short: str | None = None) -> Answer:
        body = " ".join(p.marked() for p in parts)
        return cls(f"{short} \u2014 {body}" if short else body, citations, False, tuple(parts), short=short)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "parts": [{**asdict(p), "short_span": list(p.short_span) if p.short_span else None}
                      for p in self.parts],
            "related": [c.to_dict() for c in self.related],
            "short": self.short,
        }
