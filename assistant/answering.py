"""Compose a short extractive answer from retrieved sentences, or say the sources don't say.

Every sentence of an answer is a sentence of a passage, followed by that passage's
marker; nothing is generated, so nothing can be invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from functools import lru_cache

import numpy as np

from .analysis import balance_quotes
from .index.records import Stance
from .language import LanguageGate
from .question import AskRequest, validate
from .reading import Asks, QuestionFrame, QuestionReader
from .retrieval import Retriever, ScoredSentence, Snapshot
from .settings import Settings
from .text import STOPWORDS, Lexicon, words
from .types import MARKERS, Answer, AnswerPart, Citation

NOT_IN_SOURCES = "The sources don't say: nothing in the indexed documents answers that question."
ENGLISH_ONLY = ("This assistant reads and answers questions in English only (its sources are in English); "
                "the question looks like {language}. Please ask it in English.")

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
    # A word of the question's focus counts as covered by a sentence's word this close in meaning.
    focus_similarity: float = 0.6
    # An answering sentence further down than this, against the best candidate, is no answer.
    answer_floor: float = 0.55
    # The other side of a disputed claim joins when this close to the claim...
    response_ratio: float = 0.45
    # ...the first of its statements after the claim in the same document counting this much more.
    following: float = 0.25
    # Two sentences this close in score are both served: the ranking cannot tell them apart.
    tie_ratio: float = 0.9
    # How far down the ranking an answering sentence is looked for.
    answer_depth: int = 10
    # How many related passages a decline offers apart (0: none).
    related: int = 2
    # Of the answering sentences of a standalone question, the one whose words come closest in
    # meaning to the question's rarer words comes first (each question word against the
    # sentence's nearest word, weighted by rarity): "hard to establish" finds "difficult to determine".
    soft_coverage: float = 2.0
    # ...and one by the speaker whose words the question asks for comes this much higher.
    speaker: float = 1.0
    # A sentence answering a date or number question comes at least this close to its words.
    typed_closeness: float = 0.45


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
class Near:
    """No sentence answers; these came nearest (offered apart as related reading)."""

    sentences: list[ScoredSentence]


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up ("When did he file it?") borrows from the last exchange."""

    context: str  # the last question and answer, to resolve what the question refers to
    said: frozenset[str]  # terms of the last answer, which the new answer should not repeat


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
    def __init__(self, retriever: Retriever, settings: Settings, weights: Weights | None = None,
                 reader: QuestionReader | None = None, language: LanguageGate | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.weights = weights or Weights()
        self.reader = reader or QuestionReader.for_settings(settings)
        self.language = language or LanguageGate()
        self._word_vectors: dict[str, np.ndarray] = {}

    def ask(self, question: object, history: object = None) -> Answer:
        return self.answer(validate(question, history, self.settings))

    def answer(self, request: AskRequest) -> Answer:
        """An already validated request (see question.validate)."""
        q = request.question
        snap = self.retriever.snapshot()
        language = self.language.foreign_language(q, snap.vocabulary)
        if language is not None:
            return Answer(ENGLISH_ONLY.format(language=language), [], abstained=True)
        frame = self.reader.read(q)
        history = request.messages()[-self.settings.follow_up_messages:]
        frames = frame.parts or (frame,)
        chosen: list[ScoredSentence] = []
        for i, part in enumerate(frames):
            prior = follow_up(part.text, history, snap.lexicon, part.dependent or frame.dependent)
            if i and part.text != frame.text:
                # A later part ("..., and what does Forrest say happened?") leans on the
                # question's other parts, and wants something the earlier parts' answer did not say.
                others = " ".join(p.text for p in frames if p is not part)
                said = frozenset(t for c in chosen for t in snap.lexicon.terms(c.sentence.text))
                prior = FollowUp(" ".join(x for x in (others, prior.context if prior else "") if x),
                                 said | (prior.said if prior else frozenset()))
            got = self._choose(part, prior)
            if isinstance(got, Near):
                return self.decline(part if frame.parts else frame, got.sentences)
            seen = {x.sentence.id for x in chosen}
            chosen += [c for c in got if c.sentence.id not in seen]
        return self.compose(self._fit(chosen))

    def decline(self, frame: QuestionFrame, near: list[ScoredSentence] = ()) -> Answer:
        """"The sources don't say ...", with no citation; the passages nearest the question,
        if it is about the case at all, go apart as related reading, never as the answer."""
        phrase = frame.phrase
        text = f"The sources don't say {phrase}." if phrase else NOT_IN_SOURCES
        related = [replace(c, kind="related") for c in self.compose(list(near)).citations] if near else []
        return Answer(text, [], abstained=True, related=related)

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
            c.repeat_penalty = w.repeat * repeated
            c.score = (w.dense * c.dense + w.dense_passage * c.dense_passage + w.lexical * c.lexical
                       + w.coverage * c.coverage + w.answer_type * typed
                       - w.headline_card * (is_card and not kind.wants_source) - c.repeat_penalty)
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

    # ------------------------------------------------------------------ answerability

    def _choose(self, frame: QuestionFrame, prior: FollowUp | None) -> list[ScoredSentence] | Near:
        """The sentences that answer ``frame``, or, when none does, what came nearest."""
        snap, ranked = self._ranked(frame.text, prior)
        q = frame.text
        if not ranked or not self.relevant(ranked, QuestionKind.of(q), unseen_names(q, snap.lexicon, snap.vocabulary)):
            return Near([])  # not about the case: nothing to offer as related
        w = self.weights
        # What the question itself gives (not the turn it leans on: "When did he file?" after
        # an answer that already said "June 2024" still asks for that date).
        asked = set(snap.lexicon.terms(q))
        # Saying again what the last answer said ranks a sentence lower, but never stops it
        # from answering: the reach and floor go by the score before that penalty.
        def merit(c: ScoredSentence) -> float:
            return c.score + c.repeat_penalty

        reach = {id(c) for c in sorted(ranked, key=merit, reverse=True)[: w.answer_depth]}
        top = max(merit(c) for c in ranked)
        answering = [c for c in ranked if id(c) in reach and merit(c) >= w.answer_floor * top
                     and self.answers(c, frame, snap, asked, prior is not None)]
        if self._never_quoted(frame, snap):
            return Near(self._near(ranked))
        # Closeness to a standalone question's words, measured once per sentence for both uses below.
        close = self._closeness(frame, snap) if prior is None else None
        if answering and close is not None and frame.asks in (Asks.DATE, Asks.NUMBER):
            # A date or a number fits many sentences; one that answers must also be about what
            # the question is about ("In what year did Amazon introduce its moratorium?" is not
            # answered by the year of the invasion).
            answering = [c for c in answering if close(c) >= w.typed_closeness]
        if not answering:
            return Near(self._near(ranked))
        preference = self._preference(frame, snap, close)
        answering.sort(key=lambda c: -preference(c))
        if frame.asks == Asks.DEFINITION:
            # A sentence that says what the thing is ("the Russian company VisionLabs",
            # "Charles Forrest, a former AWS employee,") before one that only names it.
            answering.sort(key=lambda c: not _defines(c.sentence.text, frame.names))
        best = answering[0]
        chosen = [best]
        if frame.both_sides and prior is not None and prior.said and frame.asks != Asks.YES_NO:
            # "What did they say in response?": the claim is the allegation the last answer
            # repeated most; the answer is the other side's reply to it.
            claim = max(ranked[: w.answer_depth], key=lambda c: (
                c.sentence.attribution.stance == Stance.ALLEGES, c.repeat_penalty, c.score))
            response = self._response(claim, ranked[: w.answer_depth * 2], snap)
            if response is not None:
                return self._with_opener([response], snap)
        if frame.asks == Asks.YES_NO or frame.both_sides:
            response = self._response(best, ranked[: w.answer_depth * 2], snap)
            if response is not None:
                # The claim first, then the answer to it.
                claim_first = response.sentence.attribution.stance == Stance.ALLEGES
                chosen = [response, best] if claim_first else [best, response]
                chosen = chosen[:1] + self._with_opener(chosen[1:], snap, exclude=chosen[0])
        else:
            have = self._fitting(best, frame, snap, asked)
            said = set(snap.lexicon.terms(best.sentence.text)) & asked
            for c in answering[1:]:
                close = c.score >= w.keep_ratio * best.score
                if frame.asks in _TYPED or frame.asks == Asks.SOURCE:
                    # A list takes every sentence with something new of the kind asked; one
                    # answer takes a second only when it holds what the first lacks.
                    new = self._fitting(c, frame, snap, asked) - have
                    if new and (frame.plural or close):
                        chosen.append(c)
                        have |= new
                    continue
                # Untyped ("how", "why", "what did X say"): a second sentence joins when it
                # covers part of the question the first does not, or when the ranking
                # cannot tell the two apart.
                covers = set(snap.lexicon.terms(c.sentence.text)) & asked - said
                if close and (covers or c.score >= w.tie_ratio * best.score):
                    chosen.append(c)
                    said |= covers
        return chosen

    def _near(self, ranked: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best-ranked sentences of the nearest passages (sources' own text, not headline cards)."""
        out: list[ScoredSentence] = []
        for c in ranked:
            if not c.passage.headline and all(c.passage.id != x.passage.id for x in out):
                out.append(c)
            if len(out) == self.weights.related:
                break
        return out

    def _closeness(self, frame: QuestionFrame, snap: Snapshot) -> Callable[[ScoredSentence], float]:
        """How close a sentence's words come to the question's rarer words: each question word
        against the sentence's nearest word (as written, by MiniLM), weighted by rarity, a name
        met only by itself or an alias ("hard to establish" finds "difficult to determine";
        "Britain" is not met by "country")."""
        qw = [x for x in dict.fromkeys(words(frame.text)) if x not in STOPWORDS and not x.isdigit()]
        if not qw:
            return lambda c: 0.0
        rarity = np.array([snap.term_weight(t[0]) if (t := snap.lexicon.terms(x)) else 0.0 for x in qw])
        qv = self._vectors(qw)
        qterms = [snap.lexicon.terms(x) for x in qw]
        named = np.array([x in frame.names for x in qw], dtype=bool)

        known: dict[str, float] = {}

        def closeness(c: ScoredSentence) -> float:
            if c.sentence.id not in known:
                known[c.sentence.id] = measure(c)
            return known[c.sentence.id]

        def measure(c: ScoredSentence) -> float:
            said = _said(c)
            sw = sorted({x for x in words(said) if x not in STOPWORDS})
            if not sw:
                return 0.0
            near = (qv @ self._vectors(sw).T).max(axis=1)
            if named.any():
                held = set(snap.lexicon.terms(said))
                near = np.where(named, [float(bool(t) and set(t) <= held) for t in qterms], near)
            return float((near * rarity).sum() / (rarity.sum() or 1))

        return closeness

    def _preference(self, frame: QuestionFrame, snap: Snapshot,
                    close: Callable[[ScoredSentence], float] | None) -> Callable[[ScoredSentence], float]:
        """How the answering sentences are ordered: the ranking's score, plus (for a standalone
        question, ``close``) their closeness to its words, plus whether the speaker is the one whose
        words are asked for ("How does Amazon describe ...") or, where the question says
        "allegedly", whether it is an allegation."""
        w = self.weights
        close = close if w.soft_coverage else None
        label = ""
        if frame.speaker and snap.manifest is not None:
            party = snap.manifest.case.party_of(frame.speaker)
            label = (party.label if party else frame.speaker).lower()

        def preference(c: ScoredSentence) -> float:
            value = c.score + (w.soft_coverage * close(c) if close is not None else 0.0)
            if label and c.sentence.attribution.speaker.lower() == label:
                value += w.speaker
            elif frame.alleged and not label and c.sentence.attribution.stance == Stance.ALLEGES:
                value += w.speaker
            return value

        return preference

    @staticmethod
    def _never_quoted(frame: QuestionFrame, snap: Snapshot) -> bool:
        """"How has VisionLabs responded?": someone named whom the sources never quote said
        nothing in them (a party of the case, or a description such as "the article", aside)."""
        return bool(frame.speaker) and snap.manifest is not None \
            and snap.manifest.case.party_of(frame.speaker) is None \
            and any(x[:1].isupper() for x in frame.speaker.split()) \
            and frame.speaker.lower() not in snap.speakers

    def _with_opener(self, reply: list[ScoredSentence], snap: Snapshot,
                     exclude: ScoredSentence | None = None) -> list[ScoredSentence]:
        """A reply inside a quotation comes with the sentence that says who replied and opened
        the quotation ("an Amazon spokesperson denied the allegations, saying ...")."""
        opener = self._opener(reply[0], snap)
        if opener is None or exclude is not None and opener.sentence.id == exclude.sentence.id:
            return reply
        return [opener, *reply]

    def _opener(self, c: ScoredSentence, snap: Snapshot) -> ScoredSentence | None:
        """The sentence that opened the quotation ``c`` is carried in, when it is the one before."""
        if not c.sentence.attribution.carried or c.sentence.index == 0:
            return None
        before = snap.by_passage.get(c.sentence.passage_id, [])[c.sentence.index - 1: c.sentence.index]
        if not before:
            return None
        s = snap.sentences[snap.sentence_pos[before[0]]]
        if s.attribution.speaker != c.sentence.attribution.speaker:
            return None
        return ScoredSentence(s, c.passage, c.dense, c.dense_passage, c.lexical, c.coverage, c.score)

    def _response(self, claim: ScoredSentence, ranked: list[ScoredSentence], snap: Snapshot) -> ScoredSentence | None:
        """The other side of a disputed claim: of the sentences someone else asserts, the one
        closest to the question and to the claim (in meaning, and in the rarer words they share)."""
        a = claim.sentence.attribution
        others = [c for c in ranked
                  if (b := c.sentence.attribution).stance != Stance.REPORTS and b.speaker != a.speaker
                  and c.score >= self.weights.response_ratio * claim.score and not c.passage.headline]
        if not others:
            return None
        # News prints a reply after what it replies to: the first statement of the other side
        # that follows the claim in its document is the likeliest answer to it.
        order = snap.reading_order
        later = [c for c in others if c.sentence.doc_id == claim.sentence.doc_id
                 and order[c.sentence.id] > order[claim.sentence.id]]
        following = min(later, key=lambda c: order[c.sentence.id]) if later else None
        claim_terms = set(snap.lexicon.terms(claim.sentence.text))
        claim_weight = sum(snap.term_weight(t) for t in claim_terms) or 1.0
        claim_row = snap.sentence_matrix[snap.sentence_pos[claim.sentence.id]]

        def fit(c: ScoredSentence) -> float:
            shared = claim_terms & set(snap.lexicon.terms(c.sentence.text))
            overlap = sum(snap.term_weight(t) for t in shared) / claim_weight
            sim = float(snap.sentence_matrix[snap.sentence_pos[c.sentence.id]] @ claim_row)
            return 0.3 * c.score + sim + overlap + self.weights.following * (c is following)

        return max(others, key=fit)

    def answers(self, c: ScoredSentence, frame: QuestionFrame, snap: Snapshot, asked: set[str],
                follow: bool) -> bool:
        """Whether the sentence holds what the question asks for and covers its focus."""
        if c.passage.headline != (frame.asks == Asks.SOURCE):
            return False
        if frame.asks in _TYPED and not self._fitting(c, frame, snap, asked):
            return False
        said = _said(c)
        terms = set(snap.lexicon.terms(said))
        # It names something the question names: one whole name ("Harbor-0007" is not "Harbor-0047").
        named = [set(snap.lexicon.terms(n)) for n in frame.names
                 if all(snap.lexicon.seen(w, snap.vocabulary) for w in words(n))]
        named = [n for n in named if n]
        if named and not follow and frame.asks != Asks.SOURCE and not any(n <= terms for n in named):
            return False
        if not all(set(snap.lexicon.terms(e)) <= terms for e in frame.exact):
            return False
        # A word that names a party ("the whistleblower's accusations") is a name, not a focus.
        case = snap.manifest.case if snap.manifest is not None else None
        focus = [f for f in frame.focus if case is None or case.party_of(f) is None]
        vocab = sorted({w for w in words(said) if w not in STOPWORDS and not w.isdigit()})
        if not all(self._covers(m, terms, vocab, snap) for m in frame.must):
            return False
        covered = sum(self._covers(f, terms, vocab, snap) for f in focus)
        return covered >= frame.share * len(focus) - 1e-9

    def _fitting(self, c: ScoredSentence, frame: QuestionFrame, snap: Snapshot, asked: set[str]) -> set[str]:
        """What in the sentence is of the kind asked for and not already in the question."""
        if frame.asks == Asks.SOURCE:
            return {c.passage.doc_id} if c.passage.headline else set()
        labels = _LABELS.get(frame.asks, ())
        out = set()
        text = c.sentence.text
        # "a shell company based in ...": where the sentence brings in the kind of thing asked
        # for without naming it, a name elsewhere in it is someone else's. ("the company" points
        # back to a name said before, so only "a"/"an" count.)
        head = rf"{re.escape(frame.head[:5])}\w*" if frame.head else ""
        beside = [m.start(1) for m in re.finditer(rf"\b(?:a|an)\s+(?:[\w'-]+\s+){{0,3}}?({head})\b", text, re.I)] \
            if head else []
        if frame.head_named:
            # "which judge": a name is a judge's only beside the word, whatever its article
            beside = [m.start() for m in re.finditer(rf"\b{head}\b", text, re.I)]
            if not beside:
                return out
        for m in c.sentence.mentions:
            # The parser takes a bare four-digit number for a year: a number all the same,
            # unless the question counts time ("how many years").
            bare_number = frame.asks == Asks.NUMBER and m.label == "DATE" and m.text.isdigit() and not frame.counts_time
            if m.label not in labels and not bare_number:
                continue
            ts = set(snap.lexicon.terms(m.text))
            if not ts or ts <= asked or (m.value and m.value in frame.text):
                continue
            if frame.asks == Asks.COUNTRY and m.label == "GPE" and not _is_country(m.text):
                continue
            if frame.asks == Asks.CITY and (_is_country(m.text) or _is_region(m.text)):
                continue
            if frame.duration and m.label != "PERIOD" and not _DURATION.search(m.text):
                continue  # "how long": "two years", "between May and June", not "2023"
            if beside:
                at = text.find(m.text)
                if at < 0 or not any(len(text[min(at, b):max(at, b)].split()) <= _BESIDE_WORDS for b in beside):
                    continue
            out.add(m.value or m.text.lower())
        return out

    def _covers(self, focus: str, terms: set[str], vocab: list[str], snap: Snapshot) -> bool:
        """A focus word is covered by the same word (stemmed, aliases as one) or a word of the
        sentence (``vocab``) close in meaning (compared as written: the model knows
        "provided", not "provid")."""
        ft = snap.lexicon.terms(focus)
        if not ft or set(ft) <= terms:
            return True
        vecs = self._vectors([focus] + vocab)
        return bool(vocab) and float((vecs[1:] @ vecs[0]).max()) >= self.weights.focus_similarity

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._word_vectors]
        if missing:
            if len(self._word_vectors) > 50_000:
                self._word_vectors.clear()
            self._word_vectors.update(zip(missing, self.retriever.embeddings.vectors(missing)))
        return np.stack([self._word_vectors[t] for t in texts])

    # ------------------------------------------------------------------ composing

    def _fit(self, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
        """As many of the chosen sentences as the word budget holds, in the order they answer."""
        out, budget = [], self.settings.max_answer_words
        for c in chosen[: max(self.settings.max_answer_sentences, 2)]:
            n = len(_served(c).split()) + 1
            if out and n > budget:
                continue
            out.append(c)
            budget -= n
        return out

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
            a = c.sentence.attribution
            parts.append(AnswerPart(_clip(_served(c), self.settings.max_answer_words - 1), numbers[pid],
                                    speaker=a.speaker, stance=str(a.stance), carried=a.carried))
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
                     kind="catalogue" if passages[pid].headline else "passage")
            for pid, n in numbers.items()
        ]
        return Answer.cited(parts, citations)


#: What the answer must hold, per kind of question: spaCy entity labels (and PERIOD).
_LABELS: dict[Asks, tuple[str, ...]] = {
    Asks.PERSON: ("PERSON",),
    Asks.ORGANISATION: ("ORG",),
    Asks.PRODUCT: ("PRODUCT", "ORG"),
    Asks.PLACE: ("GPE", "LOC", "FAC", "NORP"),
    Asks.COUNTRY: ("GPE", "NORP"),
    Asks.CITY: ("GPE", "LOC"),
    Asks.DATE: ("DATE", "PERIOD", "EVENT"),
    Asks.NUMBER: ("CARDINAL", "MONEY", "QUANTITY", "PERCENT"),
    Asks.NAMED: ("PERSON", "ORG", "GPE", "NORP"),
}
_TYPED = frozenset(_LABELS)
_DURATION = re.compile(r"\b(years?|months?|weeks?|days?|decades?|hours?)\b", re.I)
#: How near the noun a name must stand: "the Russian company VisionLabs", "Amazon, a global technology company".
_BESIDE_WORDS = 5


@lru_cache(maxsize=4096)
def _is_country(name: str) -> bool:
    import pycountry

    try:
        pycountry.countries.lookup(name.removeprefix("the ").strip())
        return True
    except LookupError:
        return name.lower() in ("uk", "britain", "great britain", "us", "usa", "america")


@lru_cache(maxsize=4096)
def _is_region(name: str) -> bool:
    import pycountry

    return any(s.name.lower() == name.lower() for s in pycountry.subdivisions if s.type in ("Country", "Nation"))


def _defines(text: str, names: tuple[str, ...]) -> bool:
    """"the Russian company VisionLabs", "Forrest, a former employee", "Rekognition is a ...":
    a name with what it is beside it."""
    for name in names:
        n = re.escape(name)
        for m in re.finditer(rf"\b([a-z]{{3,}}) {n}\b", text, re.I):
            if m.group(1).lower() not in STOPWORDS:
                return True
        if re.search(rf"\b{n}\w*, (a|an|the|its) |\b{n}\w* (is|was|are) (a|an|the) ", text, re.I):
            return True
        if re.search(rf"[A-Z][\w-]*(?: [A-Z][\w-]*)+ \((?i:{n})\)", text):
            return True  # "Amazon Web Services (AWS)": the name spelled out
    return False


def _said(c: ScoredSentence) -> str:
    """The sentence with its speaker: what answerability and closeness read ("It further
    stated ..." holds "Amazon" through its speaker)."""
    return c.sentence.text + " " + c.sentence.attribution.speaker


def _served(c: ScoredSentence) -> str:
    """The sentence as an answer serves it: quotation marks paired, and the speaker named
    where the sentence does not name them itself."""
    a = c.sentence.attribution
    text = balance_quotes(c.sentence.text, a.quote_open)
    return f"{a.speaker} {a.stance}: {text}" if a.carried else text


def _clip(sentence: str, max_words: int) -> str:
    ws = sentence.split()
    return sentence if len(ws) <= max_words else " ".join(ws[:max_words]) + " …"
