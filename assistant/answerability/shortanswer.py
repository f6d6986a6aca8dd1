"""The short answer: which phrase of the answering sentences an answer opens with.

A question asking for a thing of a kind (a date, a place, a company, a sort of thing) is
answered by a phrase one of its sentences holds, and a sentence often holds several of the
kind ("filed a lawsuit in June 2024 ..., dismissed ... in 2023"). Each phrase is weighed by a
logistic regression fitted on the train split (``python -m assistant train``) over general
features: how near the question's words stand to it, in form and in meaning; whether the
event the parse ties it to is the one asked about; whether the sentence calls it what the
question calls the thing ("the Russian company X" for "which Russian firm"); how likely its
sentence is to answer; whether the other answering sentences give it too. None names a word
of any one case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..english import english
from ..index.records import Mention
from ..reading import Asks, QuestionFrame
from ..retrieval import ScoredSentence, Snapshot
from ..roles import PLACE_LABELS
from ..text import words
from .facts import LABELS, Found, WordMeaning, asks_for_kind, typed_spans, year_for_count

#: The longest short answer an answer opens with; a longer phrase is no short answer.
SHORT_WORDS = 8
#: How many words either side of a phrase the question's words are looked for as written...
WINDOW = 6
#: ...and in meaning (a clause's words that say what happened stand further off: "conducted
#: transactions with X through what appeared to be a shell company").
MEANING_WINDOW = 10
_TOKEN = re.compile(r"[\w'-]+")
#: Labels whose mentions ingest gives a value in time (dates.py) where it can place them.
DATED_LABELS = frozenset({"DATE", "PERIOD"})

SHORT_FEATURES: tuple[str, ...] = (
    # the question's words around the phrase: how many, how near the nearest, how close in meaning
    "near", "distance", "near_meaning",
    # what the parse says of the phrase: the event it belongs to, what the sentence calls it,
    # whether it acts, whether it is of the kind's first label, whether it is a mention at all
    "event_meaning", "role_meaning", "acts", "primary", "mention",
    # the sentence holding it: the likeliest answer of them or another, the likeliest to hold a
    # phrase of the kind, the selector's logit for it
    "top", "first_holder", "logit",
    # the other answering sentences giving it too; its length and where it stands
    "agree", "words", "position",
    # a place written before the larger place it lies in ("London, England"), or that larger place
    "narrower", "broader",
    # a date or period ingest could not place in time ("today", "last Tuesday", "Wednesday")
    "undated",
)


@dataclass(frozen=True)
class Phrase:
    """A candidate short answer: which of the answering sentences holds it, and where."""

    holder: int
    span: tuple[int, int]
    value: str


def wants_short(frame: QuestionFrame) -> bool:
    """A question asking for a thing of a kind, or a sort of something, opens with a phrase
    (an outlet is answered by its card, yes/no, why and how by sentences)."""
    return frame.asks != Asks.SOURCE and (asks_for_kind(frame) or bool(frame.sort_of))


class ShortAnswers:
    """Finds the phrases a short answer may be and their :data:`SHORT_FEATURES`."""

    def __init__(self, meaning: WordMeaning) -> None:
        self.meaning = meaning

    def phrases(self, frame: QuestionFrame, sentences: list[ScoredSentence], logits: list[float],
                snap: Snapshot) -> tuple[list[Phrase], np.ndarray]:
        """The phrases of the kind asked for in ``sentences`` (the answer's, each with the
        selector's logit) and one feature row per phrase. A headline card gives one only
        when it answers first: beside a later answer its date is when it was published."""
        if not wants_short(frame) or not sentences:
            return [], np.zeros((0, len(SHORT_FEATURES)))
        asked = set(snap.lexicon.terms(frame.text))
        # what the question says happened (its main clause's content words, else all of them), or
        # where it has none ("what year did they let him go?") its plain words
        plain = [w for w in dict.fromkeys(words(frame.text)) if w not in english().stopwords and not w.isdigit()]
        question_words = list(frame.core or frame.content) or plain
        targets = self.meaning.targets(question_words, snap)
        head_words = [*frame.head_adjectives, frame.head] if frame.head else []
        head = self.meaning.targets(head_words, snap) if head_words else None
        labels = LABELS.get(frame.asks, ())
        found = [_offered(c, frame, snap, asked) if i == 0 or not c.passage.headline else []
                 for i, c in enumerate(sentences)]
        # likeliest by the selector, whatever order the answer serves them in (a dispute's claim
        # comes before the reply that answers the question)
        top = max(range(len(sentences)), key=lambda i: (logits[i], -i))
        first_holder = max((i for i, fs in enumerate(found) if fs), key=lambda i: (logits[i], -i), default=-1)
        holding: dict[str, int] = {}
        for fs in found:
            for value in {f.value for f in fs}:
                holding[value] = holding.get(value, 0) + 1

        def cover(t, text: str) -> float:
            if t is None or not t.words or not text.strip():
                return 0.0
            return float(self.meaning.coverage(t, self.meaning.of(text, snap)).mean())

        phrases, rows = [], []
        for i, (c, fs) in enumerate(zip(sentences, found)):
            text = c.sentence.text
            places = [m.text for m in c.sentence.mentions if m.label in PLACE_LABELS]
            tokens = list(_TOKEN.finditer(text))
            hits = [k for k, t in enumerate(tokens) if set(snap.lexicon.terms(t.group(0))) & asked]
            for f in fs:
                assert f.span is not None
                inside = [k for k, t in enumerate(tokens) if f.span[0] <= t.start() < f.span[1]] or [0]
                first, last = inside[0], inside[-1]
                around = [k for k in range(max(0, first - WINDOW), min(len(tokens), last + WINDOW + 1))
                          if not first <= k <= last]
                near = {tokens[k].group(0).lower() for k in hits if k in around}
                wide = [k for k in range(max(0, first - MEANING_WINDOW), min(len(tokens), last + MEANING_WINDOW + 1))
                        if not first <= k <= last]
                outside = [min(abs(k - first), abs(k - last)) for k in hits if not first <= k <= last]
                m: Mention | None = f.mention
                # a speaker's phrase ("Who leaked it?") belongs to its verb of saying: "has leaked
                # that", not "stated that"
                event = m.event_words if m is not None else _saying_words(c, f.span)
                row = {
                    "near": float(len(near)),
                    "distance": float(np.log1p(min(outside, default=len(tokens)))),
                    "near_meaning": cover(targets, " ".join(tokens[k].group(0) for k in wide)),
                    "event_meaning": cover(targets, event),
                    "role_meaning": cover(head, " ".join((m.role, m.group, m.title))) if m is not None else 0.0,
                    "acts": float(m is not None and m.acts),
                    "primary": float(m is None or bool(labels) and m.label == labels[0]),
                    "mention": float(m is not None),
                    "top": float(i == top),
                    "first_holder": float(i == first_holder),
                    "logit": float(np.clip(logits[i], -10.0, 10.0)),
                    "agree": float(holding[f.value] - 1),
                    "words": float(len(text[f.span[0]:f.span[1]].split())),
                    "position": f.span[0] / max(len(text), 1),
                    "narrower": float(m is not None and m.label in PLACE_LABELS
                                      and any(text.startswith(", " + x, f.span[1]) for x in places)),
                    "broader": float(m is not None and m.label in PLACE_LABELS
                                     and any(text[:f.span[0]].endswith(x + ", ") for x in places)),
                    "undated": float(m is not None and m.label in DATED_LABELS and not m.value),
                }
                phrases.append(Phrase(i, f.span, f.value))
                rows.append([row[name] for name in SHORT_FEATURES])
        return phrases, np.asarray(rows, dtype=np.float64).reshape(-1, len(SHORT_FEATURES))


def _saying_words(c: ScoredSentence, span: tuple[int, int]) -> str:
    """The words between a sentence's speaker phrase (``span``, where it is that) and the
    words it asserts: its verb of saying ("has leaked that", ", an Amazon spokesperson said")."""
    a = c.sentence.attribution
    if span != (a.speaker_start, a.speaker_end) or not a.claim_end:
        return ""
    text = c.sentence.text
    return text[a.speaker_end:a.claim_start] if a.claim_start >= a.speaker_end else text[a.claim_end:a.speaker_start]


def logit(p: float) -> float:
    """The selector's probability back as a logit (what the phrase features read)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def best(phrases: list[Phrase], scores: np.ndarray) -> Phrase | None:
    """The phrase the model weighs highest; the earliest among equals."""
    if not phrases:
        return None
    order = sorted(range(len(phrases)), key=lambda k: (-scores[k], phrases[k].holder, phrases[k].span[0]))
    return phrases[order[0]]


def _offered(c: ScoredSentence, frame: QuestionFrame, snap: Snapshot, asked: set[str]) -> list[Found]:
    """The phrases of the kind asked for that a sentence offers as a short answer: short enough,
    written where they stand, no year for a count (:func:`facts.year_for_count`), a name rather
    than the description standing right before it ("the Russian company VisionLabs": the
    description only says what the name is), and the sentence's speaker only for a question
    about someone's words (``frame.about_words``: "Who imposed sanctions?" is not answered by
    who reported it)."""
    text = c.sentence.text
    a = c.sentence.attribution
    speaker = (a.speaker_start, a.speaker_end) if a.speaker_end and not frame.about_words else None
    found = [f for f in typed_spans(c, frame, snap, asked) if f.span is not None and f.span != speaker
             and len(text[f.span[0]:f.span[1]].split()) <= SHORT_WORDS and not year_for_count(f, c, frame)]
    names_at = {f.span[0] for f in found if f.mention is not None and f.mention.label != "NORP"}
    return [f for f in found if f.mention is None or f.mention.label != "NORP"
            or not any(at > f.span[1] and not text[f.span[1]:at].strip() for at in names_at)]
