"""Compose a short extractive answer from retrieved sentences, or say the sources don't say.

Every sentence of an answer is a sentence of a passage, followed by that passage's marker;
nothing is generated, so nothing can be invented. Whether to answer and with which
sentences is the answer model's (assistant.answerability); this module reads the question,
asks the model about each part of it, and composes what it chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .answerability import (AnswerModel, Decider, Featurizer, FollowUp, Judgement, Near, WordMeaning,
                            question_facts)
from .answerability.facts import asks_for_kind, served, typed_things
from .answerability.model import Logistic
from .answerability.shortanswer import ShortAnswers, best, logit
from .language import LanguageGate
from .question import AskRequest, validate
from .reading import QuestionFrame, QuestionReader
from .retrieval import Retriever, ScoredSentence, Snapshot
from .settings import Settings
from .text import Lexicon
from .types import MARKERS, Answer, AnswerPart, Citation

NOT_IN_SOURCES = "The sources don't say."
OUTSIDE_CASE = "That is outside what the sources cover{about}; they do not answer it."
ENGLISH_ONLY = ("This assistant reads and answers questions in English only (its sources are in English); "
                "the question looks like {language}. Please ask it in English.")
#: The longest clause a decline names what is missing with ("... don't say where the case is heard").
GAP_WORDS = 10


def follow_up(question: str, history: list[dict[str, str]], lexicon: Lexicon, dependent: bool) -> FollowUp | None:
    """What the last exchange lends a question that depends on it (``dependent``: a pronoun,
    "that", an ellipsis, or one of the corpus's follow-up nouns); a standalone question gets
    nothing, so it is answered the same whatever came before."""
    if not history or not (dependent or lexicon.points_back(question)):
        return None
    last_user = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
    answers = [MARKERS.sub("", m["content"]) for m in history if m["role"] == "assistant"]
    last_answer = answers[-1] if answers else ""
    context = " ".join(x for x in (last_user, last_answer[:400]) if x)
    said = frozenset(t for a in answers for t in lexicon.terms(a))
    return FollowUp(context, said) if context else None


def gap(frame: QuestionFrame) -> str:
    """"The sources don't say where the case is heard.": what is missing named in the
    question's own words, when its shape gives one short clause; else the bare sentence."""
    phrase = frame.phrase
    ws = phrase.split()
    repeated = any(a.lower() == b.lower() for a, b in zip(ws, ws[1:]))
    if not phrase or len(ws) > GAP_WORDS or repeated:
        return NOT_IN_SOURCES
    return f"The sources don't say {phrase}."


@dataclass(frozen=True)
class Candidates:
    """A question part's candidates with their features (what training labels and fits on),
    and whether each passes the general checks (one that does not answers nothing)."""

    sentences: list[ScoredSentence]
    features: np.ndarray
    eligible: np.ndarray


class Answerer:
    def __init__(self, retriever: Retriever, settings: Settings, model: AnswerModel | None = None,
                 reader: QuestionReader | None = None, language: LanguageGate | None = None,
                 featurizer: Featurizer | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.model = model or AnswerModel.load(settings.answer_model)
        self.decider = Decider(self.model.thresholds, settings.max_answer_sentences)
        self.reader = reader or QuestionReader.for_settings(settings)
        self.language = language or LanguageGate()
        self.featurizer = featurizer or Featurizer(WordMeaning(retriever.embeddings.vectors))
        self.shorts = ShortAnswers(self.featurizer.meaning)

    def ask(self, question: object, history: object = None) -> Answer:
        return self.answer(validate(question, history, self.settings))

    def answer(self, request: AskRequest) -> Answer:
        """An already validated request (see question.validate)."""
        snap = self.retriever.snapshot()
        refused = self.not_english(request.question, snap)
        if refused is not None:
            return refused
        history = request.messages()[-self.settings.follow_up_messages:]
        return self.respond(self.read(request.question, history, snap), history, snap)

    def read(self, question: str, history: list[dict[str, str]], snap: Snapshot) -> QuestionFrame:
        """The question read with its spelling mended and a bare question word ("Why?") asked
        of the last question."""
        return self.reader.read(self.reader.complete(snap.speller.correct(question), history))

    def not_english(self, question: str, snap: Snapshot) -> Answer | None:
        """The answer to a question in another language: that it is English only."""
        language = self.language.foreign_language(question, snap.vocabulary, snap.speller.correct)
        return None if language is None else Answer(ENGLISH_ONLY.format(language=language), [], abstained=True)

    def respond(self, frame: QuestionFrame, history: list[dict[str, str]], snap: Snapshot,
                weigh: Callable[[int, QuestionFrame, FollowUp | None], Judgement] | None = None,
                decider: Decider | None = None, short_model: Logistic | None = None) -> Answer:
        """Each part of the question weighed (``weigh``: by default retrieval and the model; fitting
        thresholds passes judgements it already has) and decided (``decider``: by default the
        fitted one), then assembled (``short_model``: what weighs the short answer, by default
        the fitted one)."""
        weigh = weigh or (lambda i, part, prior: self.weigh(part, prior, snap))
        decider = decider or self.decider
        chosen: list[ScoredSentence] = []
        probability: dict[str, float] = {}  # each candidate's, as the selector judged it
        leads: set[str] = set()  # each part's answer: its first sentence, and the other side's reply
        missing: list[tuple[QuestionFrame, Near]] = []
        for i, part in enumerate(frame.parts or (frame,)):
            prior = self.prior(frame, part, i, history, chosen, snap)
            judged = weigh(i, part, prior)
            for j in judged.judged:
                probability.setdefault(j.c.sentence.id, j.p)
            got = decider.choose(part, judged, prior, snap)
            if isinstance(got, Near):
                asked = set(snap.lexicon.terms(part.text))
                if not (asks_for_kind(part) and any(typed_things(c, part, snap, asked) for c in chosen)):
                    missing.append((part, got))
                # else "Who filed the claim, and when?": the earlier part's sentence gives the date too
                continue
            seen = {x.sentence.id for x in chosen}
            new = [c for c in got if c.sentence.id not in seen]
            # A claim and the other side's reply to it are one answer: both lead.
            two_sides = len(new) > 1 and new[0].sentence.attribution.speaker != new[1].sentence.attribution.speaker
            leads.update(c.sentence.id for c in new[:2 if two_sides else 1])
            chosen += new
        return self.assemble(frame, chosen, missing, snap, leads, probability, short_model)

    def assemble(self, frame: QuestionFrame, chosen: list[ScoredSentence],
                 missing: list[tuple[QuestionFrame, Near]], snap: Snapshot, leads: set[str] | None = None,
                 probability: dict[str, float] | None = None, short_model: Logistic | None = None) -> Answer:
        """The answer from what the parts chose: each part the sources hold answered, each they
        do not named as a gap; a decline when none is answered. A question of one part asking
        for a thing of a kind opens with that thing (the short answer) and the sentence it is
        taken from. ``leads``: each part's answer (its first sentence, with the reply of a
        dispute), which the word budget holds before any part's further sentences;
        ``probability``: the selector's, of each sentence."""
        if not chosen:
            part, near = missing[0] if len(missing) == 1 else (frame, _nearest(m for _, m in missing))
            return self.decline(part, near)
        gaps = [gap(part) for part, _ in missing]
        reserve = sum(len(g.split()) for g in gaps)  # the gaps are said within the word budget too
        fitted = self._fit(chosen, reserve, leads)
        short = self.short(frame, fitted, snap, probability or {}, short_model or self.model.short) \
            if len(frame.parts) < 2 else None
        if short is not None:
            holder = fitted[short[0]].sentence
            opening = len(holder.text[short[1][0]:short[1][1]].split()) + 1  # the answer opens with it
            fitted = self._fit(chosen, reserve + opening)
            at = next((i for i, c in enumerate(fitted) if c.sentence.id == holder.id), None)
            if at is not None:  # the sentence that holds the short answer follows it at once
                fitted.insert(0, fitted.pop(at))
            short = (0, short[1]) if at is not None else None
        answer = self.compose(fitted, short)
        if not missing:
            return answer
        parts = answer.parts + tuple(AnswerPart(g, 0) for g in gaps)
        return Answer(" ".join(p.marked() for p in parts), answer.citations, False, parts)

    def prior(self, frame: QuestionFrame, part: QuestionFrame, i: int, history: list[dict[str, str]],
              chosen: list[ScoredSentence], snap: Snapshot) -> FollowUp | None:
        """What a part leans on: the conversation when it depends on it, and for a later part of
        a multi-part question ("..., and what does X say happened?") the question's other parts,
        wanting something the earlier parts' answer did not say."""
        prior = follow_up(part.text, history, snap.lexicon, part.dependent or frame.dependent)
        if not i or part.text == frame.text:
            return prior
        others = " ".join(p.text for p in frame.parts if p is not part)
        said = frozenset(t for c in chosen for t in snap.lexicon.terms(c.sentence.text))
        return FollowUp(" ".join(x for x in (others, prior.context if prior else "") if x),
                        said | (prior.said if prior else frozenset()))

    def candidates(self, frame: QuestionFrame, prior: FollowUp | None, snap: Snapshot) -> Candidates:
        """The retrieval's candidates for one question (part) and their features."""
        _, cands = self.retriever.search(frame.text, prior.context if prior else None)
        for c in cands:
            if prior is not None and prior.said:
                ts = set(snap.lexicon.terms(c.sentence.text))
                c.repeat_penalty = len(ts & prior.said) / (len(ts) or 1)
        return Candidates(cands, *self.featurizer.matrix(frame, cands, snap, question_facts(frame, snap),
                                                         prior.context if prior is not None else None))

    def weigh(self, frame: QuestionFrame, prior: FollowUp | None, snap: Snapshot) -> Judgement:
        got = self.candidates(frame, prior, snap)
        return judgement(self.model, got)

    def ranked(self, question: str) -> list[ScoredSentence]:
        """Candidates for a standalone question, the likeliest answer first."""
        snap = self.retriever.snapshot()
        judged = self.weigh(self.read(question, [], snap), None, snap).judged
        return [j.c for j in sorted(judged, key=lambda j: (-j.p, j.c.sentence.id))]

    def decline(self, frame: QuestionFrame, near: Near) -> Answer:
        """"The sources don't say ...", with no citation. The passages nearest the question, if
        it is about the case at all, go apart as closest passages, never as the answer."""
        if near.far:
            manifest = self.retriever.snapshot().manifest
            title = manifest.case.title if manifest is not None else ""
            about = f" (they are about {title[:1].lower() + title[1:] if title.startswith('The ') else title})" \
                if title else ""
            return Answer(OUTSIDE_CASE.format(about=about), [], abstained=True)
        related = [replace(c, kind="related") for c in self.compose(list(near.sentences)).citations] \
            if near.sentences else []
        return Answer(gap(frame), [], abstained=True, related=related)

    # ------------------------------------------------------------------ composing

    def short(self, frame: QuestionFrame, chosen: list[ScoredSentence], snap: Snapshot,
              probability: dict[str, float], model: Logistic) -> tuple[int, tuple[int, int]] | None:
        """Which answering sentence holds the short answer and where, if the question asks for
        a thing of a kind: the phrase the short-answer model weighs highest (shortanswer.py)."""
        phrases, rows = self.shorts.phrases(frame, chosen, [logit(probability.get(c.sentence.id, 0.5))
                                                            for c in chosen], snap)
        chosen_phrase = best(phrases, model.logits(rows))
        return None if chosen_phrase is None else (chosen_phrase.holder, chosen_phrase.span)

    def _fit(self, chosen: list[ScoredSentence], reserve: int = 0, leads: set[str] | None = None) -> list[ScoredSentence]:
        """As many of the chosen sentences as the word budget (less ``reserve``) holds, in the
        order they answer: each part's answer (``leads``) before any further sentence, so one
        part's extra sentences never crowd out another part's answer."""
        leads = leads or set()
        kept, budget = set(), self.settings.max_answer_words - reserve
        for first in (True, False):
            for c in chosen:  # as many as the decider chose (a list may run longer than an answer)
                if (c.sentence.id in leads) != first or c.sentence.id in kept:
                    continue
                n = len(served(c).split()) + 1
                if kept and n > budget:
                    continue
                kept.add(c.sentence.id)
                budget -= n
        return [c for c in chosen if c.sentence.id in kept]

    def compose(self, chosen: list[ScoredSentence], short: tuple[int, tuple[int, int]] | None = None) -> Answer:
        """The chosen sentences as an answer, each with its passage's marker; ``short``: which
        sentence holds the short answer and where, which the answer opens with and highlights."""
        numbers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        parts = []
        quote_span: tuple[str, tuple[int, int]] | None = None
        phrase = None
        for i, c in enumerate(chosen):
            pid = c.passage.id
            if pid not in numbers:
                numbers[pid] = len(numbers) + 1
                quotes[pid] = []
            at = len(" ".join(quotes[pid])) + (1 if quotes[pid] else 0)  # where the sentence starts in the quote
            quotes[pid].append(c.sentence.text)
            a = c.sentence.attribution
            text = _clip(served(c), self.settings.max_answer_words - 1)
            part_span = None
            if short is not None and short[0] == i:
                (a0, a1) = short[1]
                start = text.find(c.sentence.text[a0:a1], a0)  # served text may open with its speaker
                if start >= 0:
                    phrase = c.sentence.text[a0:a1]
                    part_span, quote_span = (start, start + len(phrase)), (pid, (at + a0, at + a1))
            parts.append(AnswerPart(text, numbers[pid], speaker=a.speaker, stance=str(a.stance), carried=c.sentence.served_with_speaker,
                                    short_span=part_span))
        passages = {c.passage.id: c.passage for c in chosen}
        first = {}
        for c in chosen:
            first.setdefault(c.passage.id, c.sentence.attribution)
        citations = [
            Citation(n=n, source_id=passages[pid].doc_id, title=passages[pid].title,
                     publisher=passages[pid].publisher, url=passages[pid].url,
                     text=passages[pid].text, quote=" ".join(quotes[pid]),
                     date=passages[pid].date, passage_id=pid, sentences=tuple(quotes[pid]),
                     speaker=first[pid].speaker, stance=str(first[pid].stance),
                     kind="catalogue" if passages[pid].headline else "passage",
                     short_span=quote_span[1] if quote_span and quote_span[0] == pid else None)
            for pid, n in numbers.items()
        ]
        return Answer.cited(parts, citations, phrase)


def judgement(model: AnswerModel, got: Candidates) -> Judgement:
    """The model's judgement of a part's candidates: 0 for a candidate that failed a general check."""
    probabilities = np.where(got.eligible, model.probabilities(got.features), 0.0)
    for c, p in zip(got.sentences, probabilities):
        c.score = float(p)
    return Judgement.of(got.sentences, probabilities, got.features, model.answerability(got.features, got.eligible))


def _nearest(nears) -> Near:
    """Several parts declined: what came nearest to any of them."""
    nears = list(nears)
    sentences = [c for n in nears for c in n.sentences]
    return Near(sentences[:2], far=all(n.far for n in nears))


def _clip(sentence: str, max_words: int) -> str:
    ws = sentence.split()
    return sentence if len(ws) <= max_words else " ".join(ws[:max_words]) + " …"
