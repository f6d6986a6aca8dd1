"""Small result records shared by ingest, retrieval and answering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrievable stretch of one document, with enough metadata to cite it."""

    id: str
    doc_id: str
    text: str
    title: str
    publisher: str = ""
    url: str = ""
    date: str = ""
    position: int = 0
    kind: str = ""


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
