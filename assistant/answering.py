"""Compose a short extractive answer from retrieved sentences, or say the sources don't say.

Every sentence of an answer is a sentence of a passage, followed by that passage's
marker; nothing is generated, so nothing can be invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .question import AskRequest, validate
from .retrieval import Retriever, ScoredSentence, Snapshot
from .settings import Settings
from .text import Lexicon, words
from .types import MARKERS, Answer, AnswerPart, Citation

NOT_IN_SOURCES = "The sources don't say: nothing in the indexed documents answers that question."

_WANTS_DATE = re.compile(
    r"\b(when|since when|how long ago|(what|which|in what) (year|month|date|day|period|time ?span|time)|"
    r"what time)\b", re.I)
_WANTS_NUMBER = re.compile(r"\b(how (much|many)|what (price|amount|number|percentage|sum)|cost|costs)\b", re.I)
_WANTS_SOURCE = re.compile(
    r"\b(outlets?|newspapers?|publications?|media|press|websites?|site|headlines?|reported|reporting|"
    r"covered|coverage|journalists?|publishers?|news)\b", re.I)
_HAS_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\b", re.I)
_HAS_NUMBER = re.compile(r"(\d|[$€£¥]|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|"
                         r"thousand|million|billion)\b)", re.I)
_HOW_DO_I = re.compile(r"^\s*how (do|can|should|could|would) (i|we)\b", re.I)
_NAME = re.compile(r"(?<![\w'])([A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*)*)")


@dataclass(frozen=True)
class Weights:
    """How candidate features combine; set on the project's question set, never per question."""

    dense: float = 1.0
    dense_passage: float = 1.0
    lexical: float = 0.25
    coverage: float = 0.3
    answer_type: float = 0.3  # a date for "when", a number for "how much", an outlet for "who reported"
    headline_card: float = 0.25  # a source's headline card answers questions about coverage only
    repeat: float = 1.0  # a follow-up wants something the last answer did not already say
    # Abstain unless the best sentence is this close in meaning...
    min_dense: float = 0.30
    # ...or nearly so and shares enough of the question's rarer terms.
    min_dense_with_terms: float = 0.2
    min_coverage: float = 0.5
    # A question about a name the sources never mention is out of scope unless this close.
    unseen_name_dense: float = 0.6
    # A further sentence joins the answer when it scores this close to the best one.
    keep_ratio: float = 0.75


@dataclass(frozen=True)
class QuestionKind:
    wants_date: bool
    wants_number: bool
    wants_source: bool
    personal_how_to: bool  # "How do I ...?": news coverage is no manual

    @classmethod
    def of(cls, question: str) -> QuestionKind:
        return cls(bool(_WANTS_DATE.search(question)), bool(_WANTS_NUMBER.search(question)),
                   bool(_WANTS_SOURCE.search(question)), bool(_HOW_DO_I.search(question)))


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up ("When did he file it?") borrows from the last exchange."""

    context: str  # the last question and answer, to resolve what the question refers to
    said: frozenset[str]  # terms of the last answer, which the new answer should not repeat


def follow_up(question: str, history: list[dict[str, str]], lexicon: Lexicon) -> FollowUp | None:
    if not history:
        return None
    content = [w for w in words(question) if lexicon.terms(w)]
    if not (lexicon.points_back(question) or len(content) <= 2
            or question.lower().startswith(("and ", "what about", "how about"))):
        return None
    last_user = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
    answers = [MARKERS.sub("", m["content"]) for m in history if m["role"] == "assistant"]
    last_answer = answers[-1] if answers else ""
    context = " ".join(x for x in (last_user, last_answer[:400]) if x)
    said = frozenset(t for a in answers for t in lexicon.terms(a))
    return FollowUp(context, said) if context else None


def unseen_names(question: str, lexicon: Lexicon, vocabulary: set[str]) -> list[str]:
    """Names in the question (capitalised phrases, not its first word) the sources never mention."""
    body = question.lstrip("¿¡\"'“‘( ")
    first = re.match(r"\S+", body)
    start = first.end() if first else 0
    out = []
    for m in _NAME.finditer(body, start):
        ws = [w.removesuffix("'s") for w in words(m.group(1)) if w not in ("of", "the", "i")]
        if ws and not any(lexicon.seen(w, vocabulary) for w in ws):
            out.append(m.group(1))
    return out


class Answerer:
    def __init__(self, retriever: Retriever, settings: Settings, weights: Weights | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.weights = weights or Weights()

    def ask(self, question: object, history: object = None) -> Answer:
        return self.answer(validate(question, history, self.settings))

    def answer(self, request: AskRequest) -> Answer:
        """An already validated request (see question.validate)."""
        q = request.question
        prior = follow_up(q, request.messages()[-self.settings.follow_up_messages:], self.retriever.snapshot().lexicon)
        snap, ranked = self._ranked(q, prior)
        if not ranked or not self.relevant(ranked, QuestionKind.of(q), unseen_names(q, snap.lexicon, snap.vocabulary)):
            return Answer(NOT_IN_SOURCES, [], abstained=True)
        return self.compose(self.select(ranked))

    def ranked(self, question: str) -> list[ScoredSentence]:
        """Candidates for a standalone question, best first."""
        return self._ranked(question, None)[1]

    def _ranked(self, question: str, prior: FollowUp | None) -> tuple[Snapshot, list[ScoredSentence]]:
        snap, cands = self.retriever.search(question, prior.context if prior else None)
        return snap, self.rank(cands, QuestionKind.of(question), snap.lexicon, prior)

    def rank(self, cands: list[ScoredSentence], kind: QuestionKind, lexicon: Lexicon,
             prior: FollowUp | None = None) -> list[ScoredSentence]:
        w = self.weights
        for c in cands:
            repeated = 0.0
            if prior is not None and prior.said:
                ts = set(lexicon.terms(c.sentence.text))
                repeated = len(ts & prior.said) / (len(ts) or 1)
            text = c.sentence.text
            is_card = c.passage.headline
            typed = ((kind.wants_date and bool(_HAS_DATE.search(text)))
                     + (kind.wants_number and bool(_HAS_NUMBER.search(text)))
                     + (kind.wants_source and is_card))
            c.score = (w.dense * c.dense + w.dense_passage * c.dense_passage + w.lexical * c.lexical
                       + w.coverage * c.coverage + w.answer_type * typed
                       - w.headline_card * (is_card and not kind.wants_source) - w.repeat * repeated)
        return sorted(cands, key=lambda c: (-c.score, c.sentence.id))

    def relevant(self, ranked: list[ScoredSentence], kind: QuestionKind, unseen: list[str]) -> bool:
        w = self.weights
        best = ranked[0]
        closeness = max(best.dense, best.dense_passage)
        if (unseen or kind.personal_how_to) and closeness < w.unseen_name_dense:
            return False
        if kind.wants_number and not any(_HAS_NUMBER.search(c.sentence.text) for c in ranked[:3]):
            return False
        return closeness >= w.min_dense or (closeness >= w.min_dense_with_terms and best.coverage >= w.min_coverage)

    def select(self, ranked: list[ScoredSentence]) -> list[ScoredSentence]:
        best = ranked[0]
        chosen = [best]
        budget = self.settings.max_answer_words - len(best.sentence.text.split()) - 1
        for c in ranked[1:]:
            if len(chosen) >= self.settings.max_answer_sentences or c.score < self.weights.keep_ratio * best.score:
                break
            n = len(c.sentence.text.split()) + 1
            if n <= budget and c.sentence.text not in {x.sentence.text for x in chosen}:
                chosen.append(c)
                budget -= n
        # Read in document order, as the sources tell it.
        return sorted(chosen, key=lambda c: (c.passage.doc_id, c.passage.position, c.sentence.index))

    def compose(self, chosen: list[ScoredSentence]) -> Answer:
        numbers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        parts = []
        for c in chosen:
            pid = c.passage.id
            if pid not in numbers:
                numbers[pid] = len(numbers) + 1
                quotes[pid] = []
            quotes[pid].append(c.sentence.text)
            parts.append(AnswerPart(_clip(c.sentence.text, self.settings.max_answer_words - 1), numbers[pid]))
        passages = {c.passage.id: c.passage for c in chosen}
        citations = [
            Citation(n=n, source_id=passages[pid].doc_id, title=passages[pid].title,
                     publisher=passages[pid].publisher, url=passages[pid].url,
                     text=passages[pid].text, quote=" ".join(quotes[pid]),
                     date=passages[pid].date, passage_id=pid, sentences=tuple(quotes[pid]))
            for pid, n in numbers.items()
        ]
        return Answer.cited(parts, citations)


def _clip(sentence: str, max_words: int) -> str:
    ws = sentence.split()
    return sentence if len(ws) <= max_words else " ".join(ws[:max_words]) + " …"
