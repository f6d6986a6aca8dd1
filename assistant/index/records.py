"""One typed record per stored thing, and the only place Chroma metadata keys are spelled.

A passage and a sentence each convert to and from the metadata Chroma keeps beside their
text; ids are content hashes, so the same text in the same place is the same record.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

#: Chroma metadata values are flat scalars.
Metadata = dict[str, str | int | float | bool]

#: The metadata key of a record's document, for filters (``where``) on either collection.
DOC_ID = "doc_id"


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


class DocumentStatus(StrEnum):
    """Where a document's text came from, as the Sources view and the ingest report say it."""

    ON_DISK = "on disk"  # a corpus file, or a source's fetched copy already on disk
    FETCHED = "fetched"  # fetched (or confirmed unchanged) by this run
    SAVED_COPY = "saved copy"  # a source's text from the file its [[source]] names
    NOT_FETCHED = "not fetched"  # a source with no text yet: only its headline card
    FAILED = "failed"  # unreadable this time; its last good version stays indexed


@dataclass(frozen=True)
class Passage:
    """A retrievable stretch of one document, with everything needed to cite it.

    ``headline`` marks a source's headline card (what sources.toml says of it), which
    answers questions about coverage and nothing else.
    """

    id: str
    doc_id: str
    text: str
    title: str
    publisher: str = ""
    url: str = ""
    date: str = ""
    position: int = 0
    kind: str = ""
    headline: bool = False
    char_start: int = 0
    char_end: int = 0
    n_sentences: int = 0

    @classmethod
    def new(cls, doc_id: str, text: str, **fields: Any) -> Passage:
        """A passage whose id hashes everything it says and where it stands."""
        probe = cls("", doc_id, text, **fields)
        meta = probe.metadata()
        meta.pop("passage_id")
        return cls(content_hash(*(f"{k}={meta[k]}" for k in sorted(meta)), text), doc_id, text, **fields)

    def metadata(self) -> Metadata:
        return {DOC_ID: self.doc_id, "passage_id": self.id, "title": self.title, "publisher": self.publisher,
                "url": self.url, "date": self.date, "kind": self.kind, "position": self.position,
                "headline": self.headline, "char_start": self.char_start, "char_end": self.char_end,
                "n_sentences": self.n_sentences}

    @classmethod
    def from_chroma(cls, id: str, text: str, meta: dict[str, Any]) -> Passage:
        return cls(id=id, doc_id=meta[DOC_ID], text=text, title=meta.get("title", ""),
                   publisher=meta.get("publisher", ""), url=meta.get("url", ""), date=meta.get("date", ""),
                   position=int(meta.get("position", 0)), kind=meta.get("kind", ""),
                   headline=bool(meta.get("headline", False)), char_start=int(meta.get("char_start", 0)),
                   char_end=int(meta.get("char_end", 0)), n_sentences=int(meta.get("n_sentences", 0)))


class Stance(StrEnum):
    """How a sentence's speaker asserts it."""

    ALLEGES = "alleges"  # a claim against someone: "Forrest claims that ..."
    DENIES = "denies"  # "Amazon denied the allegations"
    STATES = "states"  # a neutral statement by a named speaker: "Amazon stated that ..."
    REPORTS = "reports"  # the publisher's own narration


@dataclass(frozen=True)
class Mention:
    """A named thing in a sentence: spaCy's entity label, for a date or period its value
    normalised ("2024-06", "2022", "2022-11/2023-05"), and for a name what the sentence calls
    it, read from the parse at ingest (assistant.roles). A name's text is as the source
    writes it without the titles before it; a titled name is a person's."""

    text: str
    label: str
    value: str = ""
    role: str = ""  # what the sentence calls it (assistant.roles): "a former AWS employee"; or what a date dates
    role_kind: str = ""  # "apposition", "descriptor" or "predicate"; for a date "event": what it dates
    title: str = ""  # the titles the source gives a name: "Employment Judge", "MP"
    group: str = ""  # for a word of nationality, the group it qualifies: "British police"
    event_words: str = ""  # the event it belongs to (assistant.roles): "dismiss he company" for "dismissed ... in 2023"
    clause: str = ""  # what a relative clause on it says it does: "chairs the Commons Digital Oversight Committee"
    acts: bool = False  # the sentence has it do something: its verb's subject, or a passive's agent
    holder: str = ""  # the noun the verb above it qualifies: "company" for the place of "a company based in X"


@dataclass(frozen=True)
class Attribution:
    """Who asserts a sentence and how. ``carried`` is set when the sentence does not name its
    speaker itself (it continues someone's quotation, or its subject is a pronoun): served
    alone it would read as the narrator's fact, so it is served with its speaker."""

    speaker: str = ""
    stance: Stance = Stance.REPORTS
    carried: bool = False
    quote_open: bool = False  # it starts inside a quotation opened by an earlier sentence
    #: Where what the speaker asserts stands in the sentence (characters; end 0: to the end).
    #: Outside it is the narrator's frame: "X filed a claim in June 2024, alleging that ..."
    #: reports the filing and its date; only what follows "alleging" is X's allegation.
    claim_start: int = 0
    claim_end: int = 0
    #: Where the sentence names its own speaker ("an Amazon spokesperson denied ..."): the
    #: answer to "who denied it?" when no name stands there (end 0: it names none itself).
    speaker_start: int = 0
    speaker_end: int = 0

    def passed_on(self, **changes: Any) -> Attribution:
        """The attribution as a later sentence carries it: its spans were the earlier sentence's."""
        return replace(self, claim_start=0, claim_end=0, speaker_start=0, speaker_end=0, **changes)

    def asserts_at(self, at: int) -> bool:
        """Whether what stands at character ``at`` is the speaker's, not the narrator's frame."""
        return self.claim_start <= at and (not self.claim_end or at < self.claim_end)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: what an answer quotes, with what ingest read in it."""

    id: str
    passage_id: str
    doc_id: str
    index: int  # within its passage
    text: str
    position: int = 0  # its passage's position in the document
    char_start: int = 0
    char_end: int = 0
    mentions: tuple[Mention, ...] = ()
    attribution: Attribution = Attribution()

    @classmethod
    def new(cls, passage: Passage, index: int, text: str, char_start: int = 0, char_end: int = 0) -> Sentence:
        return cls(content_hash(passage.id, str(index), text), passage.id, passage.doc_id, index, text,
                   passage.position, char_start, char_end)

    @property
    def served_with_speaker(self) -> bool:
        """Whether an answer serves the sentence after its speaker's label: it does not name its
        speaker (``carried``), or someone other than the narrator asserts it under another name
        than the one a reader is shown ("A former employee ... has leaked that ..." is the
        claimant's): every served sentence says whose claim it is, in the answer's own words."""
        a = self.attribution
        if a.carried:
            return True
        if a.stance == Stance.REPORTS or not a.speaker:
            return False
        return re.search(r"(?<!\w)" + re.escape(a.speaker) + r"(?!\w)", self.text, re.IGNORECASE) is None

    def metadata(self) -> Metadata:
        a = self.attribution
        return {DOC_ID: self.doc_id, "passage_id": self.passage_id, "sentence_id": self.id, "sentence": self.index,
                "position": self.position, "char_start": self.char_start, "char_end": self.char_end,
                "mentions": json.dumps([[m.text, m.label, m.value, m.role, m.role_kind, m.title, m.group,
                                         m.event_words, m.clause, m.acts, m.holder] for m in self.mentions],
                                       ensure_ascii=False),
                "speaker": a.speaker, "stance": str(a.stance), "carried": a.carried, "quote_open": a.quote_open,
                "claim_start": a.claim_start, "claim_end": a.claim_end,
                "speaker_start": a.speaker_start, "speaker_end": a.speaker_end}

    @classmethod
    def from_chroma(cls, id: str, text: str, meta: dict[str, Any]) -> Sentence:
        mentions = tuple(Mention(*m) for m in json.loads(meta.get("mentions") or "[]"))
        attribution = Attribution(speaker=meta.get("speaker", ""), stance=Stance(meta.get("stance", "reports")),
                                  carried=bool(meta.get("carried", False)),
                                  quote_open=bool(meta.get("quote_open", False)),
                                  claim_start=int(meta.get("claim_start", 0)), claim_end=int(meta.get("claim_end", 0)),
                                  speaker_start=int(meta.get("speaker_start", 0)),
                                  speaker_end=int(meta.get("speaker_end", 0)))
        return cls(id=id, passage_id=meta["passage_id"], doc_id=meta[DOC_ID], index=int(meta["sentence"]), text=text,
                   position=int(meta.get("position", 0)), char_start=int(meta.get("char_start", 0)),
                   char_end=int(meta.get("char_end", 0)), mentions=mentions, attribution=attribution)


@dataclass(frozen=True)
class DocumentRecords:
    """Everything one document puts in the index."""

    doc_id: str
    passages: tuple[Passage, ...]
    sentences: tuple[Sentence, ...]

    @property
    def hash(self) -> str:
        """Equal exactly when the document would be stored the same."""
        return content_hash(*(p.id for p in self.passages))
