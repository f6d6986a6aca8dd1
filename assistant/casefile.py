"""The case at a glance: its dated events (a timeline) and its cast (who's who), computed at
ingest from the analysed sentences (their dates, entities and speakers), never hand-written.

This module holds the records and their JSON form; ingest builds a ``Casefile`` from every
sentence of the new generation and stores it with the generation, the Assistant reads it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported for types only: the index package imports this module
    from .index.manifest import CaseProfile
    from .index.records import Mention, Passage, Sentence

from .english import english
from .roles import PLACE_LABELS, RoleKind

log = logging.getLogger(__name__)


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
    kind: str  # person | organisation | agency | place | product | group | outlet
    role: str
    aliases: tuple[str, ...] = ()
    mentions: tuple[PassageRef, ...] = ()
    party_stance: str = ""  # a party's usual stance in what it asserts ("alleges", "denies"); else ""
    speaker: str = ""  # who gives the role ("GIGAZINE" reporting it, "Forrest" alleging it)
    stance: str = ""  # how: reports | alleges | denies | states ("" without a role)
    #: What a question may call it instead of its name: every role and title the sources give
    #: it ("Employment Judge", "MP"), and what relative clauses on its name say it does
    #: ("chairs the Commons Digital Oversight Committee": "the committee chair").
    described: tuple[str, ...] = ()
    does: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["described"], d["does"] = list(self.described), list(self.does)
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
                                   "described": tuple(e.get("described", ())), "does": tuple(e.get("does", ())),
                                   "mentions": tuple(ref(m) for m in e.get("mentions", ()))})
                         for e in data.get("entities", []))
        return cls(events, entities, data.get("built_at", ""))


# --------------------------------------------------------------------------- building it
#
# Built from the mentions ingest read in each sentence's parse (a name without its titles and
# its title, the role the sentence gives it, the group a word of nationality qualifies:
# assistant.roles), with no parse here: this must stay O(n) and fast enough to run on every
# generation. A date's event is the parse's where it names who did what (or the thing the
# date qualifies); else the timeline reads the clause the date stands in by its connectives.
# All case knowledge (who is a party, which names are one) comes from the case profile.

#: A date value ingest normalised ("2022", "2024-06", "2024-06-07"); anything else is vague.
_ISO = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
#: Words that open a new clause: a dated event is told by the clause its date stands in.
_CONNECTIVES = ("after", "following", "since", "before", "when", "while", "because", "until", "that",
                "alleging", "saying", "claiming", "although", "whereas", "which", "who")
_SPLIT = re.compile(r"\s*[,;:()\u2014]\s*|\s+-\s+|\s+(?=(?:" + "|".join(_CONNECTIVES) + r")\b)", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:and|but|or|so|then|also|" + "|".join(_CONNECTIVES) + r")\b\s*)+", re.IGNORECASE)
#: Connectives after which a clause is itself an earlier event ("after the X imposed ...").
_TEMPORAL = ("after", "following", "since")
_DATE_PREPOSITIONS = r"(?:in|on|at|during|by|from|between|until|through|throughout|around|of|early|late|mid)"
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these", "those"}
_PREPOSITIONS = {"of", "to", "in", "on", "for", "with", "by", "at", "from", "into", "against", "about", "and", "or"}
_ENTITY_LABELS = {"PERSON": "person", "ORG": "organisation", "PRODUCT": "product", "NORP": "group",
                  **dict.fromkeys(PLACE_LABELS, "place")}
_MAX_WORDS = 12


def _agency_nouns() -> frozenset[str]:
    """Head nouns that make a group of people an agency (the data file's)."""
    return english().sentence.agency_nouns


def _org_agency_nouns() -> frozenset[str]:
    """...of which those that make an organisation of the words before them."""
    return english().sentence.agency_nouns - english().sentence.general_agency_nouns


def _trim(text: str, limit: int = _MAX_WORDS) -> str:
    """A phrase cleaned of edge punctuation and quotes, at most ``limit`` words."""
    text = re.sub(r"\s+", " ", text).strip(" \t,;:.'\"\u2018\u2019\u201c\u201d")
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit - 1]) + " …"  # "…" counts as a word


def _find(text: str, needle: str, start: int = 0) -> int:
    """Where ``needle`` stands as whole words in ``text`` (from ``start``), or -1."""
    m = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text[start:])
    return start + m.start() if m else -1


def _segments(text: str) -> list[tuple[int, int]]:
    """The sentence cut into clauses at punctuation and connectives, as (start, end) offsets."""
    spans, pos = [], 0
    for m in _SPLIT.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _locate(text: str, mentions: Iterable[Mention]) -> list[tuple[Mention, int]]:
    """Each mention with where it stands in the sentence: the first occurrence of its text not
    already taken by an earlier mention ("Amazon" is not the start of "Amazon Web Services").
    A period may span its own dates, so periods and the rest are placed separately."""
    taken: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    out = []
    for m in mentions:
        if not m.text.strip():
            continue
        spans = taken[m.label == "PERIOD"]
        at = _find(text, m.text)
        while at >= 0 and any(a < at + len(m.text) and at < b for a, b in spans):
            at = _find(text, m.text, at + 1)
        if at >= 0:
            spans.append((at, at + len(m.text)))
            out.append((m, at))
    return out


def narrator(passage: Passage) -> str:
    """Who tells what a passage says in its own voice: its publisher (or its title)."""
    return passage.publisher or passage.title


def _ref(sentence: Sentence, passage: Passage) -> PassageRef:
    return PassageRef(passage_id=passage.id, doc_id=passage.doc_id, sentence_id=sentence.id, title=passage.title,
                      publisher=passage.publisher, url=passage.url, date=passage.date, quote=sentence.text)


def _date_events(sentence: Sentence, passage: Passage) -> Iterator[tuple[str, str, str, str, int]]:
    """(start, end, label, when, where) for each normalised date or period the sentence tells
    (``where``: the date's place in the sentence)."""
    text = sentence.text
    located = _locate(text, sentence.mentions)
    periods = [(at, at + len(m.text)) for m, at in located if m.label == "PERIOD"]
    dated: list[tuple[Mention, int, str, str]] = []
    for m, at in located:
        if m.label == "PERIOD" and "/" in m.value:
            dated.append((m, at, *m.value.split("/", 1)))
        elif m.label == "DATE" and not any(a <= at < b for a, b in periods):  # a period's own ends
            dated.append((m, at, m.value, m.value))
    segments = _segments(text)
    for mention, at, start, end in sorted(dated, key=lambda d: d[1]):
        if not (_ISO.match(start) and _ISO.match(end)):
            continue  # vague ("recently", "last year"): not a point of the timeline
        seg = next((i for i, (a, b) in enumerate(segments) if a <= at < b), None)
        if seg is None:
            continue
        a, b = segments[seg]
        clause = text[a:b]
        rel = at - a
        before, after = clause[:rel], clause[rel + len(mention.text):]
        attributive = bool(re.search(r"\b(?:the|its|their|a|an)\s+$", before, re.IGNORECASE)
                           and re.match(r"\s+[a-z]", after))
        prep = re.search(rf"\b{_DATE_PREPOSITIONS}\s+$", before, re.IGNORECASE)
        when = (prep.group(0) if prep and not attributive else "") + mention.text
        if mention.role_kind == RoleKind.EVENT:  # who did what, as the parse read it
            label = mention.role
        else:  # the clause less the date; "the 2022 invasion of Ukraine": the date names the event
            told = clause if attributive else (before[:prep.start()] if prep else before) + after
            label = _trim(_LEADING.sub("", told.strip()))
        if len(label.split()) < 2:  # "In June 2024, the claim was filed": the clause that follows
            nxt = segments[seg + 1] if seg + 1 < len(segments) else segments[seg - 1] if seg else None
            label = _trim(_LEADING.sub("", text[nxt[0]:nxt[1]].strip())) if nxt else ""
        if len(label.split()) >= 2:
            yield start, end, label, when, at
        # "after X imposed sanctions following the 2022 invasion": X happened from that date on.
        opener = clause.strip().split(" ", 1)[0].lower()
        if attributive and opener in _TEMPORAL and seg > 0:
            pa, pb = segments[seg - 1]
            prev = text[pa:pb].strip()
            if prev.split(" ", 1)[0].lower() in _TEMPORAL:
                label = _trim(_LEADING.sub("", prev))
                if len(label.split()) >= 2:
                    yield start, end, label, _trim(clause), at


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if w not in _DETERMINERS | _PREPOSITIONS)


def _events(sentences: list[Sentence], passages: dict[str, Passage]) -> list[Event]:
    """Dated events in date order: each normalised date of a sentence, and each source's own date."""
    events: dict[tuple[str, str, str], Event] = {}
    order: dict[tuple[str, str, str], int] = {}

    def add(event: Event, rank: int) -> None:
        key = (event.start, event.end, event.label.lower())
        # The same event told twice ("Russia began its invasion of Ukraine", and "the 2022
        # invasion of Ukraine" inside an allegation): one whose words the other holds goes,
        # and of a reported fact and an allegation that mentions it, the allegation goes.
        said = _content_words(event.label)
        for other in [k for k in events if k[:2] == key[:2]]:
            held = _content_words(events[other].label)
            if not (said <= held or held < said):
                continue
            reported = (event.stance == "reports") - (events[other].stance == "reports")
            if reported < 0 or reported == 0 and said <= held:
                return
            rank = min(rank, order.pop(other))
            del events[other]
        events[key], order[key] = event, rank

    covered: set[str] = set()
    for rank, s in enumerate(sentences):
        p = passages.get(s.passage_id)
        if p is None:
            continue
        a = s.attribution
        if p.doc_id not in covered and p.date and _ISO.match(p.date) and (p.headline or p.position == 0):
            covered.add(p.doc_id)  # the source's own date: when it covered the case
            who = narrator(p)
            add(Event(p.date, p.date, f"{who} covers the case", p.date, who, "reports", _ref(s, p)), rank)
        if p.headline:
            continue  # a headline card's date is its coverage date, told above
        for start, end, label, when, at in _date_events(s, p):
            # A date in the narrator's frame of someone's claim ("X filed a claim in June 2024,
            # alleging ...") is the narrator's report; one inside the claim is the speaker's.
            speaker, stance = (a.speaker, str(a.stance)) if a.asserts_at(at) else (narrator(p), "reports")
            add(Event(start, end, label, when, speaker, stance, _ref(s, p)), rank)
    return sorted(events.values(), key=lambda e: (e.start, e.end, order[(e.start, e.end, e.label.lower())]))


def _bare(name: str) -> str:
    """A publisher's name as running text writes it: without "the" before it or a bracketed
    note after it ("the Harbour Street Journal" for "Harbour Street Journal (test fixture)")."""
    return re.sub(r"^the\s+|\s*\([^)]*\)$", "", name.strip().lower())


class _Union:
    """Names found to be one entity (alias group, acronym, shorter form of a longer name)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Cast:
    """One entity while it is being gathered."""

    kind: str
    forms: Counter = field(default_factory=Counter)
    roles: list[tuple[int, int, str, str, str]] = field(default_factory=list)  # (priority, rank, role, speaker, stance)
    refs: dict[str, PassageRef] = field(default_factory=dict)
    described: dict[str, None] = field(default_factory=dict)  # in the order first read
    does: dict[str, None] = field(default_factory=dict)


def _entities(sentences: list[Sentence], passages: dict[str, Passage], case: CaseProfile | None) -> list[Entity]:
    """Named things grouped into entities (alias groups, bracketed acronyms, shorter forms of a
    longer name), each with its kind, the role the sources give it and the passages naming it."""
    from .analysis import quoted_spans  # the index package imports this module; analysis imports the index
    alias_of: dict[str, str] = {}
    for group in (case.aliases if case else []):
        for form in group:
            alias_of.setdefault(form.lower(), group[0].lower())
    union = _Union()
    casts: dict[str, _Cast] = {}
    kind_of: dict[str, str] = {}
    publishers = {p.publisher for p in passages.values() if p.publisher}

    def key_of(name: str, kind: str) -> str:
        low = re.sub(r"^the\s+", "", name.lower()) if kind == "outlet" else name.lower()
        group = alias_of.get(low)
        if group is None and kind == "organisation":  # "Amazon Web Services" with "amazon" a term
            group = alias_of.get(low.split()[0]) if " " in low else None
        if group is not None and kind in ("organisation", "place", "group"):
            k = f"{'place' if kind == 'group' else kind}:={group}"
        else:
            k = f"{kind}:{low}"
        kind_of.setdefault(k, "place" if kind == "group" and group is not None else kind)
        return union.find(k)

    records: list[tuple[str, str, int, Sentence, Passage]] = []  # (key, form, rank, sentence, passage)
    read_as: Counter[tuple[str, str]] = Counter()  # (name as written, kind) -> how often the parser read it so
    for rank, s in enumerate(sentences):
        p = passages.get(s.passage_id)
        if p is None:
            continue
        text = s.text
        quoted = quoted_spans(text)
        spans: list[tuple[int, int, str, str, Mention]] = []  # (start, end, form, kind, mention)
        titled: dict[int, str] = {}  # where a name starts -> the title the source gives it
        for m, at in _locate(text, s.mentions):
            kind = _ENTITY_LABELS.get(m.label)
            if kind is None:
                continue
            form = m.text
            if m.title:
                titled[at] = m.title
            end = at + len(form)
            if m.group:  # "British police": the group the adjective qualifies
                if any(o.role_kind == RoleKind.DESCRIPTOR and m.group in o.role for o in s.mentions):
                    continue  # "the Russian company VisionLabs": a descriptor of the name after it
                form, end = m.group, at + len(m.group)
                nouns = m.group[len(m.text):].split()
                kind = "agency" if {w.lower() for w in nouns} & _agency_nouns() else "group"
            elif kind == "organisation" and form.split()[-1].lower() in _org_agency_nouns():
                kind = "agency"
            if kind == "organisation" and any(form.lower() in pub.lower().split() or _bare(form) == _bare(pub)
                                              for pub in publishers):
                kind = "outlet"
            spans.append((at, end, form, kind, m))
        for at, end, form, kind, m in spans:
            key = key_of(form, kind)
            records.append((key, form, rank, s, p))
            read_as[form, kind] += 1
            cast = casts.setdefault(key, _Cast(kind_of[key]))
            if not p.headline:
                for description in (m.role if m.role_kind in (RoleKind.APPOSITION, RoleKind.DESCRIPTOR) else "",
                                    titled.get(at, "")):
                    if description:
                        cast.described.setdefault(description)
                if m.clause:
                    cast.does.setdefault(m.clause)
            # Only a better kind of role than the one already found can win (earliest first).
            best = min(cast.roles)[0] if cast.roles else 4
            if not p.headline and best > 0:
                # What the sources call it (an apposition, a title, a descriptor), else what
                # they say it did, with its name ("British police continued to use ..."); never
                # the clause it happens to stand in.
                finders = ((0, lambda: (m.role if m.role_kind == RoleKind.APPOSITION else "") or titled.get(at, "")),
                           (1, lambda: m.role if m.role_kind == RoleKind.DESCRIPTOR else ""),
                           (2, lambda: _trim(f"{form} {m.role}") if m.role_kind == RoleKind.PREDICATE else ""))
                for priority, find in finders[:best]:
                    role = find()
                    if role:
                        # Who gives the role: what the entity did, the speaker where it stands in
                        # their claim; what it is (an apposition, a descriptor: how the writer
                        # identifies it), the narrator, unless it stands in someone's quoted words.
                        a = s.attribution
                        theirs = a.asserts_at(at) and (priority > 1 or any(q0 <= at < q1 for q0, q1 in quoted))
                        by = (a.speaker, str(a.stance)) if theirs else (narrator(p), "reports")
                        cast.roles.append((priority, rank, _trim(role), *by))
                        break
            # "Amazon Web Services (AWS)": the bracketed name is the same one
            for a2, _e2, form2, kind2, _m2 in spans:
                if kind2 == kind and text[end:a2] == " (":
                    union.join(key, key_of(form2, kind2))
    # A shorter name whose words all stand in exactly one longer name is that one ("Halloran",
    # "Priya Halloran"), across people and organisations, which the parser confuses ("Penhallow"
    # taken for an organisation); two longer names sharing it keep it apart.
    names: dict[str, set[str]] = {}
    for key, form, *_ in records:
        names.setdefault(kind_of.get(key, "") or key.split(":", 1)[0], set()).add(form)
    named = [(k, f) for k in ("person", "organisation") for f in names.get(k, ())]
    for kind, forms in names.items():
        pool = named if kind in ("person", "organisation") else [(kind, f) for f in forms]
        for short in forms:
            words = set(re.sub(r"[^\w\s-]", " ", short.lower()).split())
            longer = {union.find(key_of(f, k)) for k, f in pool
                      if f != short and len(f.split()) > len(short.split())
                      and words <= set(re.sub(r"[^\w\s-]", " ", f.lower()).split())}
            if len(longer) == 1:
                root = longer.pop()
                longer_kind = kind_of.get(root, kind)
                union.join(key_of(short, kind), root)
                kind_of[union.find(root)] = longer_kind
    # A name the sources use for a place at least as often as for the person or organisation
    # it names is that place ("Rotterdam", once misread as a person); one read as a place now
    # and then ("anyone at Dijkstein", with "Dijkstein Analytics B.V." told often) stays what it
    # mostly is.
    places = {f.lower() for f in names.get("place", ())}
    for kind in ("person", "organisation"):
        for form in names.get(kind, ()):
            low = form.lower()
            if low in places:
                root = key_of(form, kind)
                mostly = kind_of.get(root, kind)
                as_named = sum(n for (f, k), n in read_as.items() if k == kind and key_of(f, k) == root)
                union.join(root, key_of(form, "place"))
                as_place = sum(n for (f, k), n in read_as.items() if k == "place" and f.lower() == low)
                kind_of[union.find(root)] = "place" if as_place >= as_named else mostly
    merged: dict[str, _Cast] = {}
    for key, form, rank, s, p in records:
        root = union.find(key)
        cast = merged.setdefault(root, _Cast(kind_of.get(root, "group")))
        cast.forms[form] += 1
        cast.refs.setdefault(p.id, _ref(s, p))
    for key, cast in casts.items():
        into = merged[union.find(key)]
        into.roles.extend(cast.roles)
        into.described.update(cast.described)
        into.does.update(cast.does)
    # Outlets: every publisher is one, cited by its headline card or its document's first passage.
    first_sentence: dict[str, Sentence] = {}
    for s in sentences:
        first_sentence.setdefault(s.passage_id, s)
    for p in passages.values():
        if p.publisher and (p.headline or p.position == 0):
            union.join(key_of(p.publisher, "outlet"), key_of(_bare(p.publisher), "outlet"))
            root = union.find(key_of(p.publisher, "outlet"))
            cast = merged.setdefault(root, _Cast("outlet"))
            cast.kind = "outlet"
            cast.forms[p.publisher] += 0
            first = first_sentence.get(p.id)
            if first is not None:
                cast.refs.setdefault(p.id, _ref(first, p))
    stances = _party_stances(sentences)
    out: list[Entity] = []
    for cast in merged.values():
        forms = sorted(cast.forms, key=lambda f: (-len(f.split()), -cast.forms[f], f)) if cast.kind == "person" \
            else sorted(cast.forms, key=lambda f: (-cast.forms[f], -len(f), f))
        name = next((f for f in forms if f in publishers), forms[0]) if cast.kind == "outlet" else forms[0]
        _, _, role, role_by, role_stance = min(cast.roles) if cast.roles else (
            0, 0, "outlet covering the case" if cast.kind == "outlet" else "", name if cast.kind == "outlet" else "",
            "reports" if cast.kind == "outlet" else "")
        lows = {f.lower() for f in forms}
        party = next((pt for pt in (case.parties if case else []) if lows & set(pt.names)), None)
        stance = stances.get(party.label, "") if party else ""
        refs = sorted(cast.refs.values(), key=lambda r: (r.doc_id, r.passage_id))
        out.append(Entity(name=name, kind=cast.kind, role=role, aliases=tuple(f for f in forms if f != name),
                          mentions=tuple(refs), party_stance=stance, speaker=role_by, stance=role_stance,
                          described=tuple(cast.described), does=tuple(cast.does)))
    return sorted(out, key=lambda e: (-len(e.mentions), e.name.lower()))


def _party_stances(sentences: list[Sentence]) -> dict[str, str]:
    """Each speaker's usual stance in the sentences it asserts itself ("alleges", "denies")."""
    counts: dict[str, Counter] = {}
    for s in sentences:
        a = s.attribution
        if a.speaker and not a.carried and str(a.stance) != "reports":
            counts.setdefault(a.speaker, Counter())[str(a.stance)] += 1
    return {who: c.most_common(1)[0][0] for who, c in counts.items()}


def build_casefile(sentences: Iterable[Sentence], passages: Iterable[Passage], case: CaseProfile | None = None,
                   built_at: str = "") -> Casefile:
    """The timeline and who's who of every sentence of a generation. Pure and linear in the
    sentences (plus a small quadratic step over distinct names), so ingest can afford it on
    every generation it writes."""
    by_id = {p.id: p for p in passages}
    ordered = sorted((s for s in sentences if s.passage_id in by_id),
                     key=lambda s: (by_id[s.passage_id].headline, s.doc_id, s.position, s.index))
    casefile = Casefile(tuple(_events(ordered, by_id)), tuple(_entities(ordered, by_id, case)), built_at)
    log.info("casefile: %d events, %d entities", len(casefile.events), len(casefile.entities))
    return casefile
