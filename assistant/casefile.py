"""The case at a glance: its dated events (a timeline) and its cast (who's who), computed at
ingest from the analysed sentences (their dates, entities and speakers), never hand-written.

This module holds the records and their JSON form; ingest builds a ``Casefile`` from every
sentence of the new generation and stores it with the generation, the Assistant reads it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PassageRef:
    """Where something is said: enough to link to the passage and cite it."""

    passage_id: str
    doc_id: str
    sentence_id: str
    title: str
    publisher: str
    url: str = ""
    date: str = ""
    quote: str = ""  # the sentence itself


@dataclass(frozen=True)
class Event:
    """One dated thing the sources tell, normalised: ``start``/``end`` are ISO prefixes
    ("2022", "2022-11", "2024-06-07"); a single date has ``end == start``."""

    start: str
    end: str
    label: str  # what happened, in the source's words, short
    when: str  # the date as the source writes it ("June 2024", "between November 2022 and May 2023")
    speaker: str  # who asserts it ("Forrest", "GIGAZINE")
    stance: str  # alleges | denies | states | reports
    source: PassageRef

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Entity:
    """Someone or something the case is about, with its role as the sources put it."""

    name: str
    kind: str  # person | organisation | agency | place | product | group
    role: str
    aliases: tuple[str, ...] = ()
    mentions: tuple[PassageRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["mentions"] = [asdict(m) for m in self.mentions]
        return d


@dataclass(frozen=True)
class Casefile:
    events: tuple[Event, ...] = ()
    entities: tuple[Entity, ...] = ()
    built_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"events": [e.to_dict() for e in self.events],
                "entities": [e.to_dict() for e in self.entities], "built_at": self.built_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Casefile:
        def ref(d: dict[str, Any]) -> PassageRef:
            return PassageRef(**d)

        events = tuple(Event(**{**e, "source": ref(e["source"])}) for e in data.get("events", []))
        entities = tuple(Entity(**{**e, "aliases": tuple(e.get("aliases", ())),
                                   "mentions": tuple(ref(m) for m in e.get("mentions", ()))})
                         for e in data.get("entities", []))
        return cls(events, entities, data.get("built_at", ""))
