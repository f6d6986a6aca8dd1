"""Compose a short extractive answer from retrieved sentences, or say the sources don't say.

Every sentence of an answer is a sentence of a passage, followed by that passage's
marker; nothing is generated, so nothing can be invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadQuestionError
from .retrieval import Retriever, ScoredSentence
from .settings import Settings
from .text import terms, words
from .types import Answer, Citation

NOT_IN_SOURCES = "The sources in this case don't say. I found nothing about that in the indexed documents."

_FOLLOW_UP = re.compile(
    r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|this|that|these|those|there|then|"
    r"the company|the firm|the man|the employee|the claim|the case)\b", re.I)
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Weights:
    """How candidate features combine; set from the project's question set, not per question."""

    dense: float = 1.0
    dense_passage: float = 0.5
    lexical: float = 0.35
    coverage: float = 0.6
    # Abstain unless the best sentence is this close in meaning...
    min_dense: float = 0.30
    # ...or nearly so and shares enough of the question's rarer terms.
    min_dense_with_terms: float = 0.18
    min_coverage: float = 0.34
    # A further sentence joins the answer when it scores this close to the best one.
    keep_ratio: float = 0.85


def check_question(question: object, history: object, max_chars: int) -> tuple[str, list[dict[str, str]]]:
    if not isinstance(question, str):
        raise BadQuestionError("question must be a string")
    q = question.strip()
    if not q:
        raise BadQuestionError("question is empty")
    if len(q) > max_chars:
        raise BadQuestionError(f"question is {len(q)} characters; the limit is {max_chars}")
    if history is None:
        return q, []
    if not isinstance(history, list):
        raise BadQuestionError("history must be a list of {role, content} messages")
    out = []
    for i, m in enumerate(history):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
            raise BadQuestionError(
                f"history[{i}] must be an object with role 'user' or 'assistant' and string content")
        out.append({"role": m["role"], "content": m["content"]})
    return q, out


def contextual_query(question: str, history: list[dict[str, str]]) -> str:
    """A follow-up ("When did he file it?") borrows the last exchange to say what it means."""
    if not history:
        return question
    content = [w for w in words(question) if terms(w)]
    if not (_FOLLOW_UP.search(question) or len(content) <= 2 or question.lower().startswith(("and ", "what about"))):
        return question
    last_user = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
    last_answer = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
    last_answer = _MARKER.sub("", last_answer)[:400]
    return " ".join(x for x in (question, last_user, last_answer) if x)


class Answerer:
    def __init__(self, retriever: Retriever, settings: Settings, weights: Weights | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.weights = weights or Weights()

    def ask(self, question: object, history: object = None) -> Answer:
        q, hist = check_question(question, history, self.settings.max_question_chars)
        query = contextual_query(q, hist)
        focus = query if query != q else q
        _, cands = self.retriever.search(query, focus=focus)
        ranked = self.rank(cands)
        if not ranked or not self.relevant(ranked[0]):
            return Answer(NOT_IN_SOURCES, [], abstained=True)
        return self.compose(self.select(ranked))

    def rank(self, cands: list[ScoredSentence]) -> list[ScoredSentence]:
        w = self.weights
        for c in cands:
            c.score = (w.dense * c.dense + w.dense_passage * c.dense_passage
                       + w.lexical * c.lexical + w.coverage * c.coverage)
        return sorted(cands, key=lambda c: (-c.score, c.sentence.id))

    def relevant(self, best: ScoredSentence) -> bool:
        w = self.weights
        closeness = max(best.dense, best.dense_passage)
        return closeness >= w.min_dense or (closeness >= w.min_dense_with_terms and best.coverage >= w.min_coverage)

    def select(self, ranked: list[ScoredSentence]) -> list[ScoredSentence]:
        best = ranked[0]
        chosen = [best]
        budget = self.settings.max_answer_words - len(words(best.sentence.text)) - 1
        for c in ranked[1:]:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if c.score < self.weights.keep_ratio * best.score:
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
            parts.append(f"{c.sentence.text} [{numbers[pid]}]")
        passages = {c.passage.id: c.passage for c in chosen}
        citations = [
            Citation(n=n, source_id=passages[pid].doc_id, title=passages[pid].title,
                     publisher=passages[pid].publisher, url=passages[pid].url,
                     text=passages[pid].text, quote=" ".join(quotes[pid]),
                     date=passages[pid].date, passage_id=pid)
            for pid, n in numbers.items()
        ]
        return Answer(" ".join(parts), citations, abstained=False)
