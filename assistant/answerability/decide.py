"""Whether a question is answered, and with which sentences: the one place that decides.

The answer model gives each candidate sentence a probability that it answers; the fitted
thresholds turn those into a choice. A question whose best candidate falls short is declined
(its nearest passages offered apart as "closest passages"); otherwise its best sentence is
served, then any other that reaches the keep threshold and adds something, and, where the
question is about a dispute, the other side's reply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import opens_quote
from ..index.records import Sentence, Stance
from ..reading import Asks, QuestionFrame
from ..retrieval import ScoredSentence, Snapshot
from .facts import asks_for_kind, defines, typed_things
from .features import asked_speaker, on_topic, own_words, same_speaker
from .model import Thresholds

#: How many of the nearest passages a decline offers apart.
CLOSEST = 2


@dataclass(frozen=True)
class Judged:
    """A candidate sentence and the model's probability that it answers the question."""

    c: ScoredSentence
    p: float
    on_topic: bool = True  # it comes near every content word and holds every name of the question
    own_words: bool = False  # the asked speaker asserts it ("What did X say ...?")


@dataclass(frozen=True)
class Judgement:
    """A question part's candidates judged: each sentence's probability (the selector's), and
    the probability that answering the part, rather than declining, is right."""

    judged: list[Judged]
    answerable: float

    @classmethod
    def of(cls, sentences: list[ScoredSentence], probabilities: np.ndarray, features: np.ndarray,
           answerable: float) -> Judgement:
        """The judgement of candidates with these features (:data:`features.FEATURES` rows)."""
        return cls([Judged(c, float(p), bool(t), bool(o))
                    for c, p, t, o in zip(sentences, probabilities, on_topic(features), own_words(features))],
                   answerable)


@dataclass(frozen=True)
class Near:
    """No sentence answers; these came nearest (offered apart). ``far``: nothing in the sources
    is even close: the question is outside the case."""

    sentences: list[ScoredSentence]
    far: bool = False


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up ("When did he file it?") borrows from the last exchange."""

    context: str  # the last question and answer, to resolve what the question refers to
    said: frozenset[str]  # terms of the last answer, which the new answer should not repeat


#: The most items a list answer ("which outlets covered it?") names; the word budget ends it sooner.
LIST_SENTENCES = 8


class Decider:
    def __init__(self, thresholds: Thresholds, max_sentences: int) -> None:
        self.t = thresholds
        self.max_sentences = max_sentences

    def choose(self, frame: QuestionFrame, judgement: Judgement, prior: FollowUp | None,
               snap: Snapshot) -> list[ScoredSentence] | Near:
        """The sentences that answer ``frame``, in the order they answer it; or what came nearest."""
        if not judgement.judged:
            return Near([], far=True)
        judged = sorted(judgement.judged, key=lambda j: (-j.p, j.c.sentence.id))
        if frame.asks == Asks.DEFINITION:
            # A definition is answered first by a sentence that says what the thing is ("the
            # Russian company X", "Long Name (X)"), of those the model finds near enough.
            subject = frame.names or frame.content
            judged.sort(key=lambda j: not (j.p >= self.t.keep and defines(j.c.sentence, subject)))
        if frame.speaker and frame.asks not in (Asks.YES_NO, Asks.REASON) and not frame.both_sides \
                and not asks_for_kind(frame):
            judged = self._own_words_first(judged)
        elif frame.alleged and frame.asks == Asks.THING and not frame.both_sides:
            judged = self._allegation_first(judged)
        best = judged[0]
        if judgement.answerable < (self.t.answer_typed if asks_for_kind(frame) else self.t.answer):
            closest = max(max(j.c.dense, j.c.dense_passage) for j in judged)
            if closest < self.t.far:
                return Near([], far=True)
            return Near(self._near([j.c for j in judged]))
        if frame.both_sides and prior is not None and prior.said and frame.asks != Asks.YES_NO:
            # "What did they say in response?": the claim is the allegation the last answer
            # repeated most; the answer is the other side's reply to it.
            claim = max(judged[:10], key=lambda j: (j.c.sentence.attribution.stance == Stance.ALLEGES,
                                                   j.c.repeat_penalty, j.p))
            reply = self._reply(claim, judged, snap, follow_up=True)
            if reply is not None:
                # ...with the rest of its quotation: a general denial ("without merit") often goes
                # on to deny the claim itself in its next sentence.
                return self._with_opener([reply.c, *self._continuation(reply.c, snap)][:self.max_sentences], snap)
        chosen = [best.c]
        if frame.asks in (Asks.YES_NO, Asks.REASON) or frame.both_sides:
            # A dispute: the claim, then the other side's answer to it (or the answer, then
            # the claim it answers). An outlet's headline only reports one side's claim: the
            # dispute is then the nearest sentence that takes a side, and its reply.
            anchor = best if not best.c.passage.headline else next(
                (j for j in judged if not j.c.passage.headline and j.p >= self.t.side
                 and j.c.sentence.attribution.stance != Stance.REPORTS), best)
            reply = self._reply(anchor, judged, snap)
            if reply is not None:
                claim_first = reply.c.sentence.attribution.stance == Stance.ALLEGES
                pair = [reply.c, anchor.c] if claim_first else [anchor.c, reply.c]
                # "Why does X say ...?": X's reason first, the other side's after it.
                asked = asked_speaker(frame, snap) if frame.asks == Asks.REASON else ""
                if asked and same_speaker(pair[1].sentence.attribution.speaker, asked) \
                        and not same_speaker(pair[0].sentence.attribution.speaker, asked):
                    pair.reverse()
                return pair[:1] + self._with_opener(pair[1:], snap, exclude=pair[0])
            return chosen
        asked = set(snap.lexicon.terms(frame.text))
        typed = asks_for_kind(frame)
        have = typed_things(best.c, frame, snap, asked) if typed else set()
        said = set(snap.lexicon.terms(best.c.sentence.text))
        if frame.speaker and not typed and best.c.sentence.attribution.stance != Stance.REPORTS:
            # "What did X say about Y?": the rest of X's quotation comes with its sentence.
            chosen += self._continuation(best.c, snap)[:self.max_sentences - 1]
            said |= {t for c in chosen[1:] for t in snap.lexicon.terms(c.sentence.text)}
        # A list ("which outlets") runs to the word budget (the composer's), not to a few sentences.
        most = LIST_SENTENCES if frame.plural and typed else self.max_sentences
        for j in judged[1:]:
            if len(chosen) >= most or j.p < min(self.t.keep, self.t.side if frame.plural else 1.0):
                break
            if typed:
                # One answer of a kind takes a second sentence only for something of that kind
                # the first lacks; a list ("which two outlets") takes each one down to the side
                # threshold.
                new = typed_things(j.c, frame, snap, asked) - have
                if new and (frame.plural or j.p >= self.t.keep):
                    chosen.append(j.c)
                    have |= new
                continue
            terms = set(snap.lexicon.terms(j.c.sentence.text))
            if j.p >= self.t.keep and terms - said:
                chosen.append(j.c)
                said |= terms
        return chosen

    def _own_words_first(self, judged: list[Judged]) -> list[Judged]:
        """"What did X say about Y?" asks for X's words: X's likeliest sentence leads when the
        model admits it and it speaks of Y, before another speaker's claim about Y (which may
        follow as context)."""
        if judged[0].c.sentence.attribution.stance == Stance.REPORTS:
            return judged
        return self._first(judged, next((j for j in judged if j.own_words), None))

    def _allegation_first(self, judged: list[Judged]) -> list[Judged]:
        """"What is X accused of?" asks what is alleged: the likeliest allegation leads, before
        a denial of it (which the words of accusing draw near as well)."""
        return self._first(judged, next((j for j in judged if j.c.sentence.attribution.stance == Stance.ALLEGES
                                         and not j.c.passage.headline), None))

    def _first(self, judged: list[Judged], lead: Judged | None) -> list[Judged]:
        """``lead`` first, when the model admits it and it speaks of what is asked."""
        if lead is None or lead is judged[0] or lead.p < self.t.keep or not lead.on_topic:
            return judged
        return [lead, *(j for j in judged if j is not lead)]

    @staticmethod
    def _near(ranked: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentences of the nearest passages (sources' own text, not headline cards)."""
        out: list[ScoredSentence] = []
        for c in sorted(ranked, key=lambda c: -max(c.dense, c.dense_passage)):
            if not c.passage.headline and all(c.passage.id != x.passage.id for x in out):
                out.append(c)
            if len(out) == CLOSEST:
                break
        return out

    def _reply(self, claim: Judged, judged: list[Judged], snap: Snapshot, follow_up: bool = False) -> Judged | None:
        """The other side of a disputed claim: of the sentences someone else asserts (and the
        model finds near enough to the question), the one nearest the claim, in meaning and in
        the rarer words they share; news prints a reply after what it replies to, so the first
        such statement after the claim in its document counts more (and before it, where the
        anchor is itself a reply). A follow-up that asks only
        for the reply ("what did they say back?") has no words of its own to weigh: the first
        statement of the other side after the claim is the reply, when there is one."""
        a = claim.c.sentence.attribution
        others = [j for j in judged
                  if (b := j.c.sentence.attribution).stance != Stance.REPORTS and b.speaker != a.speaker
                  and j.p >= self.t.side and not j.c.passage.headline]
        if not others:
            return None
        order = snap.reading_order
        later = [j for j in others if j.c.sentence.doc_id == claim.c.sentence.doc_id
                 and order[j.c.sentence.id] > order[claim.c.sentence.id]]
        following = min(later, key=lambda j: order[j.c.sentence.id]) if later else None
        if follow_up and following is not None:
            return following
        if a.stance != Stance.ALLEGES:
            # A sentence that itself replies (a denial, a statement against a claim) answers what
            # was said before it: of the other side, what its document prints earlier counts more.
            favoured = {id(j) for j in others if j.c.sentence.doc_id == claim.c.sentence.doc_id
                        and order[j.c.sentence.id] < order[claim.c.sentence.id]}
        else:
            favoured = {id(following)} if following is not None else set()
        claim_terms = set(snap.lexicon.terms(claim.c.sentence.text))
        claim_weight = sum(snap.term_weight(t) for t in claim_terms) or 1.0
        claim_row = snap.sentence_matrix[snap.sentence_pos[claim.c.sentence.id]]

        def fit(j: Judged) -> float:
            shared = claim_terms & set(snap.lexicon.terms(j.c.sentence.text))
            overlap = sum(snap.term_weight(t) for t in shared) / claim_weight
            sim = float(np.dot(snap.sentence_matrix[snap.sentence_pos[j.c.sentence.id]], claim_row))
            return j.p + sim + overlap + 0.25 * (id(j) in favoured)

        return max(others, key=fit)

    def _with_opener(self, reply: list[ScoredSentence], snap: Snapshot,
                     exclude: ScoredSentence | None = None) -> list[ScoredSentence]:
        """A reply inside a quotation comes with the sentence that says who replied and opened
        the quotation ("a spokesperson denied the allegations, saying ...")."""
        opener = self._opener(reply[0], snap)
        if opener is None or exclude is not None and opener.sentence.id == exclude.sentence.id:
            return reply
        return [opener, *reply]

    @staticmethod
    def _continuation(c: ScoredSentence, snap: Snapshot) -> list[ScoredSentence]:
        """The sentences after ``c`` in its passage that go on with its speaker's quotation
        (they start inside it, or carry the speaker on with a quotation no one else is named
        for): one utterance, which news splits into sentences."""
        out: list[ScoredSentence] = []
        speaker = c.sentence.attribution.speaker
        for sid in snap.by_passage.get(c.sentence.passage_id, [])[c.sentence.index + 1:]:
            s = snap.sentences[snap.sentence_pos[sid]]
            a = s.attribution
            if a.speaker != speaker or not (a.quote_open or a.carried and opens_quote(s.text)):
                break
            out.append(_beside(c, s))
        return out

    @staticmethod
    def _opener(c: ScoredSentence, snap: Snapshot) -> ScoredSentence | None:
        """The sentence that opened the quotation ``c`` is carried in, when it is the one before."""
        if not c.sentence.attribution.carried or c.sentence.index == 0:
            return None
        before = snap.by_passage.get(c.sentence.passage_id, [])[c.sentence.index - 1: c.sentence.index]
        if not before:
            return None
        s = snap.sentences[snap.sentence_pos[before[0]]]
        if s.attribution.speaker != c.sentence.attribution.speaker:
            return None
        return _beside(c, s)


def _beside(c: ScoredSentence, s: Sentence) -> ScoredSentence:
    """A sentence of ``c``'s passage served with it (its quotation's opener or continuation),
    carrying ``c``'s scores: it was chosen for ``c``, not retrieved."""
    return ScoredSentence(s, c.passage, c.dense, c.dense_passage, c.lexical, c.coverage, c.score)
