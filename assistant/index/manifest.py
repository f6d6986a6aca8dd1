"""A generation's table of contents: the model that built it and one entry per document.

Written last into a generation, read first by ingest (its per-document hashes say what
changed before anything heavy is imported) and by the UI (titles, statuses, counts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .records import DocumentStatus

FORMAT_VERSION = 3


class DocumentEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    doc_id: str
    title: str
    publisher: str = ""
    url: str = ""
    date: str = ""
    kind: str = "document"
    hash: str
    passages: int
    status: DocumentStatus
    reason: str = ""  # why it failed, when status is FAILED
    origin: str = ""  # the file it came from, for messages
    ingested_at: str


class SourceState(BaseModel):
    """What became of one [[source]] in the run that built the generation."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: DocumentStatus
    has_text: bool
    url: str
    reason: str = ""

    def to_report(self) -> dict[str, object]:
        """As the ingest report and ``assistant status`` show it (no empty reason)."""
        return self.model_dump(mode="json", exclude={"reason"} if not self.reason else set())


_Lower = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1)]


class Party(BaseModel):
    """Someone who speaks in the case: the sources' names for them, and the label a sentence
    they assert is served with ("Forrest alleges")."""

    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    names: list[_Lower] = Field(min_length=1)
    #: The stance of the party's plain statements ("said", "according to"): a claimant's are allegations.
    asserts: Literal["alleges", "states"] = "states"
    #: Whether it is a person or an organisation: a later "he" or "she" never means an
    #: organisation speaking in its own name ("Amazon said"). Unset: read from the text.
    kind: Literal["person", "organisation"] | None = None


class KnownEntity(BaseModel):
    """A name the language model may not know, and its kind (a spaCy entity label)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    label: Literal["PERSON", "ORG", "GPE", "LOC", "NORP", "PRODUCT", "LAW", "EVENT", "FAC"]


class CaseProfile(BaseModel):
    """What the corpus's case.toml says of the case beyond its documents (see that file)."""

    model_config = ConfigDict(extra="forbid")

    title: str = ""
    examples: list[str] = Field(default_factory=list)
    #: Names written in several ways, one group each; a group's first form is its term.
    aliases: list[list[_Lower]] = Field(default_factory=list)
    #: Nouns a follow-up uses for something already named ("the company").
    follow_up_nouns: list[_Lower] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    entities: list[KnownEntity] = Field(default_factory=list)

    def party_of(self, phrase: str) -> Party | None:
        """The party a phrase names ("an Amazon spokesperson", "the whistleblower"), if any."""
        text = phrase.lower()
        for party in self.parties:
            if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in party.names):
                return party
        return None


class IndexManifest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str
    built_at: str
    digest: str = ""
    passages: int = 0
    documents: dict[str, DocumentEntry] = Field(default_factory=dict)
    sources: list[SourceState] = Field(default_factory=list)
    case: CaseProfile = Field(default_factory=CaseProfile)
    #: The language analysis the sentences were read with (its pipeline and version).
    analysis: str = ""
    format: int = FORMAT_VERSION

    @classmethod
    def read(cls, path: Path) -> IndexManifest | None:
        """The manifest, or None when it is of an older format (ingest then rebuilds)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION:
                return None
            return cls.model_validate(data)
        except (json.JSONDecodeError, ValidationError):
            return None

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)

    def headline_only(self) -> list[DocumentEntry]:
        """The documents indexed by their headline card alone: cited sources with no text yet
        (not fetched, fetching failed, no saved copy)."""
        bare = {s.id for s in self.sources if not s.has_text}
        return [d for d in self.documents.values() if d.doc_id in bare]

    def read_in_full(self) -> list[DocumentEntry]:
        """The documents whose text is indexed."""
        bare = {d.doc_id for d in self.headline_only()}
        return [d for d in self.documents.values() if d.doc_id not in bare and d.passages]
