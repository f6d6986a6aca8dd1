"""The general features of a (question, candidate sentence) pair that the answer model weighs.

Every feature is a number the model learns a weight for (``python -m assistant train``); none
is a rule by itself and none names a word of any one case. Question-level features (the same
for every candidate of a question) let the model decline a question whatever its nearest
sentence looks like: a name the sources never mention, a speaker they never quote, a thing no
retrieved passage speaks of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..english import english
from ..index.records import Stance
from ..reading import Asks, QuestionFrame
from ..retrieval import ScoredSentence, Snapshot
from ..text import Lexicon, initials, words
from .facts import TextWords, WordMeaning, asks_for_kind, defines, gives_reason, said, typed_things

_NAME = re.compile(r"(?<![\w'])([A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*)*)")
_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_HOW_DO_I = re.compile(r"^\s*how (do|can|should|could|would) (i|we)\b", re.I)

#: The kinds of question, as the model tells them apart (a kind and its narrower forms together).
KINDS: dict[str, tuple[Asks, ...]] = {
    "person": (Asks.PERSON,), "organisation": (Asks.ORGANISATION, Asks.PRODUCT, Asks.NAMED),
    "place": (Asks.PLACE, Asks.COUNTRY, Asks.CITY), "date": (Asks.DATE,), "number": (Asks.NUMBER, Asks.MONEY),
    "reason": (Asks.REASON,), "manner": (Asks.MANNER,), "yes_no": (Asks.YES_NO,),
    "definition": (Asks.DEFINITION,), "source": (Asks.SOURCE,), "thing": (Asks.THING,),
}

FEATURES: tuple[str, ...] = (
    # closeness in meaning, of the sentence and of its passage, and against the best candidate
    "dense", "dense_passage", "dense_gap", "soft_coverage",
    # words shared with the question
    "lexical", "coverage",
    # what the question is about: its content words, in the sentence and in its passage; its focus
    # words; the object a yes/no question asks about; its names
    "content_min", "content_mean", "content_low", "content_passage", "core_min", "core_mean", "focus_min",
    "focus_mean", "must", "names",
    "names_passage",
    # the kind of thing asked for
    "typed_found", "typed_missing", "reason_found", "reason_missing", "defines", "card_source", "card_other",
    # who asserts the sentence
    "speaker_asked", "speaker_other", "alleged_match", "alleges", "denies", "states",
    # the conversation
    "follow_up", "repeat", "context_held",
    # the question as a whole
    "q_unseen_names", "q_unquoted_speaker", "q_how_to", "q_things_held",
    *(f"asks_{kind}" for kind in KINDS),
)


@dataclass(frozen=True)
class QuestionFacts:
    """What the question itself tells, whatever the candidates."""

    unseen_names: tuple[str, ...]  # names it gives that the sources never mention
    unquoted_speaker: bool  # it asks for the words of someone the sources never quote
    how_to: bool  # "How do I ...?": news coverage is no manual


def unseen_names(question: str, lexicon: Lexicon, vocabulary: set[str]) -> list[str]:
    """Names in the question (capitalised phrases, not a sentence's first word) the sources never
    mention: one of whose words (titles and one-letter words aside) the sources never use ("the
    2022 FIFA World Cup" is not mentioned because "world" is)."""
    out = []
    skip = {"of", "the", "i"} | english().sentence.titles
    for sentence in _SENTENCE.split(question):
        body = sentence.lstrip("¿¡\"'“‘( ")
        first = re.match(r"\S+", body)
        for m in _NAME.finditer(body, first.end() if first else 0):
            ws = [w.removesuffix("'s") for w in words(m.group(1)) if w not in skip and len(w) > 1]
            if ws and not all(lexicon.seen(w, vocabulary) for w in ws):
                out.append(m.group(1))
    return out


def same_speaker(label: str, asked: str) -> bool:
    """Whether a sentence's speaker label ("Calloway", "Amazon") is the one a question names
    ("Assistant Chief Constable Ruth Calloway"): one shares a name word with the other (titles
    and function words aside), or one is the other's initials ("FT")."""
    skip = english().stopwords | english().sentence.titles
    a, b = set(words(label)) - skip, set(words(asked)) - skip
    # a name and its initials ("the FT" for "Financial Times")
    short = {form for form in (initials(label.title()), initials(asked.title())) if form}
    return label.lower() == asked.lower() or bool(a & b) or bool(short & (a | b))


def never_quoted(frame: QuestionFrame, snap: Snapshot) -> bool:
    """"How has X responded?": someone named whom the sources never quote said nothing in them
    (a party of the case, or a description such as "the article", aside)."""
    return bool(frame.speaker) and snap.manifest is not None \
        and snap.manifest.case.party_of(frame.speaker) is None \
        and any(x[:1].isupper() for x in frame.speaker.split()) \
        and not any(same_speaker(s, frame.speaker) for s in snap.speakers)


def question_facts(frame: QuestionFrame, snap: Snapshot) -> QuestionFacts:
    return QuestionFacts(tuple(unseen_names(frame.text, snap.lexicon, snap.vocabulary)), never_quoted(frame, snap),
                         bool(_HOW_DO_I.search(frame.text)))


def described_speaker(phrase: str, snap: Snapshot) -> str:
    """The speaker label of the one entity the sources describe in all of ``phrase``'s words,
    by its roles and titles ("the MP", "the judge") or else by what relative clauses on its
    name say it does ("the committee chair" for "..., who chairs the ... Committee"); "" where
    none or several are."""
    wanted = set(snap.lexicon.terms(phrase))
    if not wanted:
        return ""
    for by_titles in (True, False):  # roles and titles first, then with what the entity does
        found = [d.entity for d in snap.described if wanted <= (d.titled if by_titles else d.doing)]
        if len(found) == 1:
            forms = (found[0].name, *found[0].aliases)
            return next((form.lower() for form in forms if form.lower() in snap.speakers), "")
        if found:
            return ""
    return ""


def asked_speaker(frame: QuestionFrame, snap: Snapshot) -> str:
    """The label (lowercase) of the speaker whose words the question asks for, or "" when it
    names a text or both sides rather than someone ("according to the filing", "the article",
    "both sides") and no speaker of the sources is so called: no sentence is then anyone else's.
    A description the sources give one speaker ("the committee chair" for "Gareth Penhallow
    MP, who chairs the ... Committee") is that speaker. (Someone the sources never quote
    stays: every sentence is then someone else's words.)"""
    if not frame.speaker:
        return ""
    party = snap.manifest.case.party_of(frame.speaker) if snap.manifest is not None else None
    if party is not None:
        return party.label.lower()
    if frame.speaker.lower() not in snap.speakers and (described := described_speaker(frame.speaker, snap)):
        return described
    if any(same_speaker(s, frame.speaker) for s in snap.speakers):
        return frame.speaker.lower()
    said_by = words(frame.speaker)
    if frame.both_sides or said_by and said_by[-1] in english().question.words.documents:
        return ""
    return frame.speaker.lower()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


#: A content word counts as missing from a sentence below this closeness (a word's own synonyms
#: come out above it with MiniLM, unrelated words below).
LOW = 0.5


def on_topic(rows: np.ndarray) -> np.ndarray:
    """Per candidate row: whether it comes near every content word of the question (none below
    :data:`LOW`) and holds every name the question gives."""
    return (rows[:, FEATURES.index("content_low")] == 0) & (rows[:, FEATURES.index("names")] == 1)


def own_words(rows: np.ndarray) -> np.ndarray:
    """Per candidate row: whether it is the words of the speaker the question asks for (their
    own assertion, not the narrator's report)."""
    asserted = rows[:, [FEATURES.index(f) for f in ("alleges", "denies", "states")]].sum(axis=1) > 0
    return (rows[:, FEATURES.index("speaker_asked")] == 1) & asserted


def eligible(frame: QuestionFrame, facts: QuestionFacts, typed: bool, found: bool) -> bool:
    """The general checks a candidate must pass before the model weighs it:

    - a question asking for a thing of a kind (a person, an organisation, a place, a date, a
      number, an outlet) is answered only by a sentence holding one it does not already give;
    - a question asking for the words of someone the sources never quote is answered by none;
    - a question about a name the sources never mention is answered by none;
    - "How do I ...?" is answered by none: news coverage is no manual.
    """
    return not (typed and not found) and not facts.unquoted_speaker and not facts.unseen_names \
        and not facts.how_to


class Featurizer:
    def __init__(self, meaning: WordMeaning) -> None:
        self.meaning = meaning

    def matrix(self, frame: QuestionFrame, cands: list[ScoredSentence], snap: Snapshot, facts: QuestionFacts,
               context: str | None) -> tuple[np.ndarray, np.ndarray]:
        """One row of :data:`FEATURES` per candidate, and whether each passes the general checks
        (:func:`eligible`). ``context``: a follow-up's last exchange."""
        if not cands:
            return np.zeros((0, len(FEATURES))), np.zeros(0, dtype=bool)
        lex = snap.lexicon
        meaning = self.meaning
        asked = set(lex.terms(frame.text))
        case = snap.manifest.case if snap.manifest is not None else None
        # A word that names a party ("the claimant's accusations") is a name, not a focus.
        focus = meaning.targets([f for f in frame.focus if case is None or case.party_of(f) is None], snap)
        content = meaning.targets(list(frame.content), snap)
        core = meaning.targets(list(frame.core), snap)
        must = meaning.targets(list(frame.must), snap)
        names = [set(lex.terms(n)) for n in frame.names if all(lex.seen(w, snap.vocabulary) for w in words(n))]
        names = [n for n in names if n]
        speaker = asked_speaker(frame, snap)
        subject = frame.names or frame.content  # what a definition defines: its name, else its words
        best_dense = max(c.dense for c in cands)
        closeness = self._closeness(frame, snap)
        kind = next(k for k, group in KINDS.items() if frame.asks in group)
        typed = asks_for_kind(frame)
        asks = {f"asks_{k}": float(k == kind) for k in KINDS}

        def cover(targets, held) -> list[float]:  # small lists: Python's min and sum beat NumPy's overhead
            return meaning.coverage(targets, held).tolist() if targets.words else [1.0]

        # What the last exchange was about, beyond the follow-up's own words: "And what does X
        # say?" after a claim about the police asks for X's words on the police.
        borrowed = {t: snap.term_weight(t) for t in lex.terms(context or "") if t not in asked}
        borrowed_total = sum(borrowed.values())
        things = meaning.targets(list(frame.things), snap)
        arounds = [meaning.of(c.passage.text + " " + c.sentence.attribution.speaker, snap) for c in cands]
        # Each thing the question speaks of, in the nearest passage that holds it: a question about
        # "the ruling" where no passage retrieved speaks of one presumes what the sources lack.
        things_held = min(np.max([cover(things, around) for around in arounds], axis=0)) if things.words else 1.0
        rows, ok = [], []
        for c, around in zip(cands, arounds):
            held = meaning.of(said(c), snap)
            in_content = cover(content, held)
            found = typed and bool(typed_things(c, frame, snap, asked))
            reason = gives_reason(c.sentence.text) if frame.asks == Asks.REASON else False
            a = c.sentence.attribution
            by = a.speaker.lower()
            by_asked = bool(speaker) and same_speaker(by, speaker)
            focus_cover = cover(focus, held)
            core_cover = cover(core, held)
            row = {
                "dense": c.dense, "dense_passage": c.dense_passage, "dense_gap": c.dense - best_dense,
                "soft_coverage": closeness(held), "lexical": c.lexical, "coverage": c.coverage,
                "content_min": min(in_content), "content_mean": _mean(in_content),
                "content_low": _mean([float(v < LOW) for v in in_content]),
                "content_passage": _mean(cover(content, around)),
                "core_min": min(core_cover), "core_mean": _mean(core_cover),
                "focus_min": min(focus_cover), "focus_mean": _mean(focus_cover),
                "must": min(cover(must, held)),
                "names": sum(n <= held.terms for n in names) / len(names) if names else 1.0,
                "names_passage": sum(n <= around.terms for n in names) / len(names) if names else 1.0,
                "typed_found": float(typed and found), "typed_missing": float(typed and not found),
                "reason_found": float(reason), "reason_missing": float(frame.asks == Asks.REASON and not reason),
                "defines": float(frame.asks == Asks.DEFINITION and defines(c.sentence, subject)),
                "card_source": float(c.passage.headline and frame.asks == Asks.SOURCE),
                "card_other": float(c.passage.headline and frame.asks != Asks.SOURCE),
                "speaker_asked": float(by_asked),
                "speaker_other": float(bool(speaker) and not by_asked and a.stance != Stance.REPORTS),
                "alleged_match": float(frame.alleged and a.stance == Stance.ALLEGES),
                "alleges": float(a.stance == Stance.ALLEGES), "denies": float(a.stance == Stance.DENIES),
                "states": float(a.stance == Stance.STATES),
                "follow_up": float(context is not None), "repeat": c.repeat_penalty,
                "context_held": sum(w for t, w in borrowed.items() if t in held.terms) / borrowed_total
                if borrowed_total else 0.0,
                "q_unseen_names": float(bool(facts.unseen_names)), "q_unquoted_speaker": float(facts.unquoted_speaker),
                "q_how_to": float(facts.how_to), "q_things_held": float(things_held), **asks,
            }
            rows.append([row[f] for f in FEATURES])
            ok.append(eligible(frame, facts, typed, found))
        return np.asarray(rows, dtype=np.float64), np.array(ok, dtype=bool)

    def _closeness(self, frame: QuestionFrame, snap: Snapshot) -> Callable[[TextWords], float]:
        """How close a sentence's words come to the question's rarer words: each question word
        against the sentence's nearest word, weighted by rarity; a name is met only by itself
        or an alias ("hard to establish" finds "difficult to determine"; a country is not met
        by the word "country")."""
        qw = [x for x in dict.fromkeys(words(frame.text)) if x not in english().stopwords and not x.isdigit()]
        if not qw:
            return lambda held: 0.0
        targets = self.meaning.targets(qw, snap)
        rarity = np.array([snap.term_weight(t[0]) if (t := snap.lexicon.terms(x)) else 0.0 for x in qw])
        named = np.array([x in frame.names for x in qw], dtype=bool)
        total = rarity.sum() or 1.0

        def closeness(held: TextWords) -> float:
            near = self.meaning.coverage(targets, held)
            if named.any():  # a name counts only when held exactly
                near = np.where(named, [float(bool(t) and t <= held.terms) for t in targets.terms], near)
            return float((near * rarity).sum() / total)

        return closeness
