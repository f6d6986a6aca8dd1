"""What a candidate sentence holds for a question, in general English: the things of the kind
asked for, the question's words met exactly or in meaning, a name defined, a reason given.

Each check serves a class of questions and says which in its docstring; none names a word of
any one case (what a case needs comes from its case.toml through the snapshot's lexicon).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..analysis import balance_quotes
from ..english import english
from ..index.records import Mention, Sentence
from ..roles import RoleKind
from ..reading import Asks, QuestionFrame
from ..retrieval import ScoredSentence, Snapshot
from ..text import initials, words

#: What the answer must hold, per kind of question: spaCy entity labels (and PERIOD).
LABELS: dict[Asks, tuple[str, ...]] = {
    Asks.PERSON: ("PERSON",),
    Asks.ORGANISATION: ("ORG",),
    Asks.PRODUCT: ("PRODUCT", "ORG"),
    Asks.PLACE: ("GPE", "LOC", "FAC", "NORP"),
    Asks.COUNTRY: ("GPE", "NORP"),
    Asks.CITY: ("GPE", "LOC"),
    Asks.DATE: ("DATE", "PERIOD", "EVENT"),
    Asks.NUMBER: ("CARDINAL", "MONEY", "QUANTITY", "PERCENT"),
    Asks.MONEY: ("MONEY",),
    Asks.NAMED: ("PERSON", "ORG", "GPE", "NORP"),
}
TYPED = frozenset(LABELS)
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
#: Kinds of name asked for by a noun ("which company", "which product") that a sentence gives beside it.
NAMED_BY_NOUN = frozenset({Asks.ORGANISATION, Asks.PRODUCT, Asks.NAMED})
#: What answers "who ...?" with no noun to say what kind of someone.
WHO = ("PERSON", "ORG", "NORP", "GPE")
#: How near the noun a name must stand to be its name ("the Russian company X", "X, a global company").
BESIDE_WORDS = 5
#: A word that opens a clause of its own: a name after it is that clause's, not the noun's
#: ("told the judge that X had raised ...": X is no judge).
_CLAUSE_OPENER = re.compile(r"\b(?:that|whether|if|because|although|when|while|after|before|since)\b", re.I)


def said(c: ScoredSentence) -> str:
    """The sentence with its speaker: what the checks read ("It further stated ..." holds its
    speaker's name through its attribution)."""
    return c.sentence.text + " " + c.sentence.attribution.speaker


def served(c: ScoredSentence) -> str:
    """The sentence as an answer serves it: quotation marks paired, and the speaker named where
    the sentence does not name them itself."""
    a = c.sentence.attribution
    text = balance_quotes(c.sentence.text, a.quote_open)
    return f"{a.speaker} {a.stance}: {text}" if c.sentence.served_with_speaker else text


def content_words(text: str) -> list[str]:
    stop = english().stopwords
    return sorted({w for w in words(text) if w not in stop and not w.isdigit()})


@lru_cache(maxsize=4096)
def is_country(name: str) -> bool:
    """A country by its name, ISO codes and common names (pycountry), by the name English
    usually gives it (CLDR's, through Babel: "Russia", not only "Russian Federation"), or a
    short or informal form neither has (the data file's country aliases)."""
    import pycountry

    name = name.removeprefix("the ").strip()
    try:
        pycountry.countries.lookup(name)
        return True
    except LookupError:
        return name.lower() in _english_country_names() or name.lower() in english().places.country_aliases


@lru_cache(maxsize=1)
def _english_country_names() -> frozenset[str]:
    """CLDR's English names of the territories the ISO register counts as countries ("Russia",
    "South Korea", "Myanmar" of "Myanmar (Burma)"): pycountry has only ISO's names and a few
    common ones."""
    import pycountry
    from babel import Locale

    names = set()
    for code, label in Locale("en").territories.items():
        if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
            names |= {label.lower(), re.sub(r"\s*\(.*\)", "", label).lower()}
    return frozenset(names)


@lru_cache(maxsize=4096)
def is_region(name: str) -> bool:
    """A country's constituent nation (pycountry's subdivisions of that type)."""
    import pycountry

    return any(s.name.lower() == name.lower() for s in pycountry.subdivisions if s.type in ("Country", "Nation"))


@lru_cache(maxsize=1024)
def noun_forms(noun: str) -> tuple[str, ...]:
    """A noun and its plural ("agency", "agencies"), by lemminflect."""
    from lemminflect import getAllInflections

    forms = {noun} | {f for fs in getAllInflections(noun, upos="NOUN").values() for f in fs}
    return tuple(sorted(forms, key=len, reverse=True))


def asks_for_kind(frame: QuestionFrame) -> bool:
    """It asks for a thing of a kind (a person, a place, a date, an amount, an outlet): a
    sentence answers it only by holding one. (A sort of something, "what kind of court", is
    often answered without the noun, "an employment tribunal": a feature, not a check.)"""
    return frame.asks in TYPED or frame.asks == Asks.SOURCE


def typed_things(c: ScoredSentence, frame: QuestionFrame, snap: Snapshot, asked: set[str]) -> set[str]:
    """For questions that ask for a thing of a kind (a person, a place, a date, a number, an
    outlet, a sort of something): what in the sentence is of that kind and not already in the
    question."""
    if frame.asks == Asks.SOURCE:  # an outlet the question does not name already ("besides X, which ...")
        named = set(snap.lexicon.terms(c.passage.publisher)) <= asked if c.passage.publisher else False
        return {c.passage.doc_id} if c.passage.headline and not named else set()
    return {found.value for found in typed_spans(c, frame, snap, asked)}


@dataclass(frozen=True)
class Found:
    """A thing of the kind asked for in a sentence: where it stands (characters; None where the
    parser read it apart from the text as written), its value (a date's normalised form, else
    its text) and the mention it is, when it is one (not a sort's modifiers, not a speaker's
    own description)."""

    span: tuple[int, int] | None
    value: str
    mention: Mention | None = None


def typed_spans(c: ScoredSentence, frame: QuestionFrame, snap: Snapshot, asked: set[str]) -> list[Found]:
    """Where in the sentence the things of the kind asked for stand.

    Where the sentence brings in the kind of thing asked for without naming it ("a shell
    company based in ..."), a name elsewhere in it is someone else's; where the question asks
    for the name beside a noun ("which judge"), only a name beside that noun counts.
    """
    text = c.sentence.text
    if frame.sort_of:
        return [Found(span, text[span[0]:span[1]].lower()) for span in sort_spans(text, frame.sort_of, asked, snap)]
    labels = LABELS.get(frame.asks, ())
    if frame.asks == Asks.PERSON and not frame.head:
        labels = WHO  # "who denied it?": a person, or a body that speaks
    out: list[Found] = []
    head = "|".join(re.escape(form) for form in noun_forms(frame.head)) if frame.head else ""
    if frame.head_named or frame.asks in NAMED_BY_NOUN:
        # Where the sentence uses the noun the question asks a name for ("the Russian company
        # X", "Judge Y"), the name is the one beside it: one elsewhere is someone else's.
        beside = [m.start() for m in re.finditer(rf"\b(?:{head})\b", text, re.I)] if head else []
    else:
        # "Who is the X?" asks for whoever the sources call that; only an X they bring in
        # without naming ("an X said ...") makes a name elsewhere someone else's.
        beside = [m.start(1) for m in re.finditer(rf"\b(?:a|an)\s+(?:[\w'-]+\s+){{0,3}}?({head})\b", text,
                                                  re.I)] if head else []
    if beside and frame.head_adjectives:
        # "Which Russian company": the company the sentence calls Russian; where it calls its
        # companies something else ("a global technology company"), none is the one asked for.
        before = [re.findall(r"[\w'-]+", text[:b].lower())[-3:] for b in beside]
        beside = [b for b, words_before in zip(beside, before) if set(frame.head_adjectives) <= set(words_before)]
        if not beside:
            return out
    if frame.head_named and not beside:
        return out
    year = _YEAR.search(frame.text) if frame.asks == Asks.DATE else None
    units = english().question.words.time_units
    written = set(words(frame.text))

    # the question's words but those that say which kind of thing it asks for ("Russian agencies")
    restated = asked - set(snap.lexicon.terms(" ".join((frame.head, *frame.head_adjectives))))

    def given(m: Mention) -> bool:
        """The question names it: all its words, its value, its initials ("AWS"), or a short form
        of it besides the thing asked for (its last word and another: "the Commons committee"
        for "the Commons Digital Oversight Committee")."""
        ts = snap.lexicon.terms(m.text)
        if not ts or set(ts) <= asked or bool(m.value and m.value in frame.text) or initials(m.text) in written:
            return True
        if m.label == "PERSON" and ts[-1] in asked:
            return True  # a person the question names by surname ("Forrest" for "Charles Forrest")
        return len(ts) > 1 and ts[-1] in restated and bool(set(ts[:-1]) & restated)

    # A name the question gives is who the event is about, not its answer; a date it gives is
    # the event's time told coarser ("which month of 2023"), so it still says which event.
    kinds = [m for m in _of_kind(c, frame, labels) if frame.asks == Asks.DATE or not given(m)]
    about = _event_terms(frame, snap)
    kinds = _governed_first(kinds, about, snap)
    if frame.asks in (Asks.PLACE, Asks.COUNTRY, Asks.CITY) and any(
            m.label not in LABELS[Asks.PLACE] and given(m) for m in c.sentence.mentions):
        # "Where is X based?", X named in the sentence: a place the parse gives to an act of
        # things the question never speaks of ("... with X through a shell company based in
        # the Netherlands") is their place, not X's.
        kinds = [m for m in kinds if not (parts := set(snap.lexicon.terms(" ".join([*m.event_words.split()[1:],
                                                                                     m.holder]))))
                 or not parts.isdisjoint(asked)]
    if labels is WHO and frame.object_asked:
        # "Who did Amazon sell it to?": who undergoes the act, where the sentence has names that
        # do not act; a place is whom it was done to only within the act asked about ("sold it
        # to Russia"), not where something else happened ("a tribunal in London").
        kinds = [m for m in kinds if m.label != "GPE" or _in_event(m, about, snap)]
        kinds = [m for m in kinds if not m.acts] or kinds
    elif labels is WHO:
        # "Who ...?" asks who did it: the names the sentence has act, where it has any; a place
        # answers only where it acts ("Russia denied it", not "a tribunal in London").
        kinds = [m for m in kinds if m.acts] or [m for m in kinds if m.label != "GPE"]
    for m in kinds:
        if given(m):
            continue
        if frame.asks == Asks.COUNTRY and m.label == "GPE" and not is_country(m.text):
            continue
        if frame.asks == Asks.CITY and (is_country(m.text) or is_region(m.text)):
            continue
        if frame.duration and m.label != "PERIOD" and not units & set(words(m.text)):
            continue  # "how long": "two years", "between May and June", not "2023"
        if year and not (m.value.startswith(year.group(0)) and len(m.value) > 4):
            continue  # "which month of 2023": a date within that year, and finer than it
        spots = [x.start() for x in re.finditer(re.escape(m.text), text)]
        if beside:
            spots = [at for at in spots if any(len(between := text[min(at, b):max(at, b)].split()) <= BESIDE_WORDS
                                               and not _CLAUSE_OPENER.search(" ".join(between[1:]))
                                               for b in beside)]
            if not spots:
                continue
        length = len(m.text)
        if m.label == "NORP" and m.group and frame.asks not in (Asks.PLACE, Asks.COUNTRY):
            # "who got it?": "Russian state security agencies", the group the word qualifies
            spots = [at for at in spots if text.startswith(m.group, at)] or spots
            length = len(m.group) if spots and text.startswith(m.group, spots[0]) else length
        out.append(Found((spots[0], spots[0] + length) if spots else None, m.value or m.text.lower(), m))
    # A sentence's speaker is who said it, not whom it was done to; "which person", "the man"
    # ask for a person as "who" does, of whom the phrase naming a speaker is one.
    anyone = frame.asks == Asks.PERSON and frame.head in english().question.words.anyone
    if (labels is WHO or anyone) and not frame.object_asked:
        out += _speaker_span(c, asked, snap)
    return out


def _of_kind(c: ScoredSentence, frame: QuestionFrame, labels: tuple[str, ...]) -> list[Mention]:
    """The sentence's mentions of the kind asked for."""
    # The parser takes a bare four-digit number for a year: a number all the same, unless the
    # question counts time ("how many years").
    return [m for m in c.sentence.mentions if m.label in labels or (
        frame.asks == Asks.NUMBER and m.label == "DATE" and m.text.isdigit() and not frame.counts_time)]


#: Bare numbers in this range are years in news text: a count this size is written "1,950".
MODERN_YEARS = range(1900, 2100)


def year_for_count(found: Found, c: ScoredSentence, frame: QuestionFrame) -> bool:
    """Whether a bare number :func:`typed_spans` offers for a count is a year all the same: one
    of :data:`MODERN_YEARS`, or one a preposition of time stands before ("in 1850"). A sentence
    holding one may still answer ("city number 1107" is tagged a date too), but the year is no
    count to open the answer with."""
    m = found.mention
    if frame.asks != Asks.NUMBER or m is None or m.label != "DATE" or not m.text.isdigit():
        return False
    if int(m.text) in MODERN_YEARS:
        return True
    text, before = c.sentence.text, english().sentence.time_prepositions
    return any(ws and ws[-1] in before for ws in (
        words(text[:at.start()]) for at in re.finditer(rf"\b{re.escape(m.text)}\b", text)))


def _governed_first(mentions: list[Mention], about: set[str], snap: Snapshot) -> list[Mention]:
    """Where some of the things belong to an event the question's words name ("dismissed ...
    in 2023" for "when was he dismissed?"), those only: a sentence's other dates and names go
    with other events ("engaged in misconduct between November 2022 and May 2023"). ``about``:
    the question's :func:`_event_terms`."""
    governed = [m for m in mentions if _in_event(m, about, snap)]
    return governed or mentions


def _event_terms(frame: QuestionFrame, snap: Snapshot) -> set[str]:
    """The terms of the question's words that name an event (its content words)."""
    return set(snap.lexicon.terms(" ".join(frame.content)))


def _in_event(m: Mention, about: set[str], snap: Snapshot) -> bool:
    """Whether the parse ties the mention to an event named by ``about`` (:func:`_event_terms`)."""
    return bool(m.event_words) and not about.isdisjoint(snap.lexicon.terms(m.event_words))


def _speaker_span(c: ScoredSentence, asked: set[str], snap: Snapshot) -> list[Found]:
    """"Who denied it?": the phrase a sentence names its own speaker by ("an Amazon spokesperson
    denied ..."), when it names no person (a person's name is the answer then) and says more
    than the question does."""
    a = c.sentence.attribution
    if not a.speaker_end:
        return []
    phrase = c.sentence.text[a.speaker_start:a.speaker_end]
    if any(m.label == "PERSON" and m.text in phrase for m in c.sentence.mentions) \
            or set(snap.lexicon.terms(phrase)) <= asked:
        return []
    return [Found((a.speaker_start, a.speaker_end), phrase.lower())]


#: What a sort of thing may be called before its noun ("a shell company", "facial recognition
#: technology"): at most this many modifiers.
SORT_MODIFIERS = 3


def sort_spans(text: str, noun: str, asked: set[str], snap: Snapshot) -> list[tuple[int, int]]:
    """For "what kind of X": each place the sentence calls something an X with words that say
    which sort ("a shell company"), the modifiers and the noun; modifiers the question gives
    itself say nothing new. (The sentence's parse is not stored; the run of content words
    right before the noun is what English puts there.)"""
    stop = english().stopwords
    forms = "|".join(re.escape(f) for f in noun_forms(noun))
    out = []
    for m in re.finditer(rf"\b(?:{forms})\b", text, re.I):
        before = list(re.finditer(r"[\w'-]+", text[:m.start()]))
        mods = []
        for w in reversed(before[-SORT_MODIFIERS:]):
            if w.group(0).lower() in stop or text[w.end():m.start() if not mods else mods[-1].start()].strip():
                break
            mods.append(w)
        new = [w for w in mods if not set(snap.lexicon.terms(w.group(0))) <= asked]
        if new:
            out.append((mods[-1].start(), m.end()))
    return out


def defines(sentence: Sentence, names: tuple[str, ...]) -> bool:
    """For "what is X" and "who is X": the sentence says what X is rather than only naming it:
    the parse gave X an apposition or a descriptor ("X, a former employee", "the Russian
    company X", "its facial recognition technology, X"), or it says "X is a ..." or "Long Name (X)"."""
    lows = {n.lower() for n in names} | {" ".join(names).lower()}  # "amazon rekognition": one name
    if any((m.text.lower() in lows or m.text.lower().rsplit(" ", 1)[-1] in lows)  # "Amazon Rekognition"
           and m.role_kind in (RoleKind.APPOSITION, RoleKind.DESCRIPTOR) for m in sentence.mentions):
        return True
    text = sentence.text
    for name in names:
        n = re.escape(name)
        if re.search(rf"\b{n}\w*, (a|an|the|its) |\b{n}\w* (is|was|are) (a|an|the) ", text, re.I):
            return True
        if re.search(rf"[A-Z][\w-]*(?: [A-Z][\w-]*)+ \((?i:{n})\)", text):
            return True
    return False


def gives_reason(text: str) -> bool:
    """For "why" questions: the sentence holds a word that gives a reason ("because", "for",
    "after", "citing" ...: the data file's causal words)."""
    return not english().sentence.causal.isdisjoint(words(text))


@dataclass(frozen=True)
class TextWords:
    """A text's words as the checks read them: its terms (stemmed, aliases as one) and the
    vectors of its content words."""

    terms: frozenset[str]
    vectors: np.ndarray  # one row per content word


@dataclass(frozen=True)
class Targets:
    """Words of a question a sentence should cover, each with its terms and its vector."""

    words: tuple[str, ...]
    terms: tuple[frozenset[str], ...]
    vectors: np.ndarray


class WordMeaning:
    """Words compared in meaning by the embedding model (as written: it knows "provided",
    not "provid"). Each word's vector, and each text's words, are worked out once and kept."""

    def __init__(self, vectors: Callable[[list[str]], np.ndarray], limit: int = 50_000) -> None:
        self._embed = vectors
        self._known: dict[str, np.ndarray] = {}
        self._texts: dict[str, TextWords] = {}
        self._limit = limit

    def vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            if len(self._known) > self._limit:
                self._known.clear()
            self._known.update(zip(missing, self._embed(missing)))
        known = self._known
        return np.stack([known[t] if t in known else self._embed([t])[0] for t in texts])

    def of(self, text: str, snap: Snapshot) -> TextWords:
        got = self._texts.get(text)
        if got is None:
            if len(self._texts) > self._limit:
                self._texts.clear()
            found = content_words(text)
            got = self._texts[text] = TextWords(frozenset(snap.lexicon.terms(text)),
                                                self.vectors(found) if found else np.zeros((0, 1)))
        return got

    def targets(self, words_: list[str], snap: Snapshot) -> Targets:
        return Targets(tuple(words_), tuple(frozenset(snap.lexicon.terms(w)) for w in words_),
                       self.vectors(list(words_)) if words_ else np.zeros((0, 1)))

    @staticmethod
    def coverage(targets: Targets, held: TextWords) -> np.ndarray:
        """For each target word: 1 when the text holds the same term (stemmed, aliases as one),
        else its closest word's similarity (0 when the text has none)."""
        same = np.array([t <= held.terms for t in targets.terms], dtype=bool)
        if held.vectors.shape[0] == 0 or targets.vectors.shape[0] == 0:
            return same.astype(float)
        return np.where(same, 1.0, (targets.vectors @ held.vectors.T).max(axis=1))
