"""What an answer is: the answer text and its numbered citations."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .index.records import Passage  # noqa: F401  (a stored passage is what an answer cites)


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

    @property
    def label(self) -> str:
        """"Forrest alleges": who says it, as the chat shows it."""
        return f"{self.speaker} {self.stance}".strip()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = list(self.sentences)
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

    @property
    def label(self) -> str:
        return f"{self.speaker} {self.stance}".strip()

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

    @classmethod
    def cited(cls, parts: list[AnswerPart], citations: list[Citation]) -> Answer:
        return cls(" ".join(p.marked() for p in parts), citations, False, tuple(parts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "parts": [asdict(p) for p in self.parts],
            "related": [c.to_dict() for c in self.related],
        }
