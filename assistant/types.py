"""What an answer is: the answer text and its numbered citations."""

from __future__ import annotations

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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = list(self.sentences)
        return d


@dataclass(frozen=True)
class Answer:
    answer: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
        }
