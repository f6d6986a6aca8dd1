"""Fitting the answer model, and measuring it where it was not fitted.

Questions with known answers come from the public sets beside the project (``../shared/eval``:
the readers' questions, the dev set, the follow-up documents' questions) and the project's
own set (tests/data/case_qa.jsonl). Each is asked of the index it was written for: the case
corpus, or the case corpus with the follow-up documents added. A follow-up document's
question asked without its document must be declined: a near-topic question the case
article does not answer.

The items are split once into train and validation (``split.json``, by a fixed seed): one
follow-up document with every question that needs it, and a quarter of each other kind. Only the
train split is fitted on; ``python -m assistant eval`` reports train, validation and a
k-fold estimate apart.

A candidate sentence is labelled as answering when, served, it holds one of the gold answer
phrases and it or its passage holds a supporting phrase. A logistic regression (scikit-learn)
is fitted on the candidates' features, its regularisation chosen by grouped cross-validation;
the thresholds are then fitted on out-of-fold probabilities by answering every train item
with them through the answerer itself and counting what the acceptance scorer would pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..analysis import Analyzer
from ..answering import Answerer, Candidates
from ..embedding import Embedder
from ..errors import CaseError
from ..evaluation import Verdict, has_phrase, load_questions, norm_text, verdict, without_missing_documents
from ..index import CaseProfile
from ..reading import QuestionFrame
from ..retrieval import Retriever, Snapshot
from ..settings import Settings
from ..types import Answer
from .decide import Decider, Judgement
from .facts import served
from .model import MODEL_FILE, AnswerModel, Logistic, Thresholds, question_row
from .shortanswer import SHORT_FEATURES, logit

log = logging.getLogger(__name__)

SPLIT_FILE = Path(__file__).parent / "split.json"
SEED = 20261204
VALIDATION_SHARE = 0.25
FOLDS = 5
#: Regularisation strengths tried (inverse: smaller is stronger).
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
GRID = tuple(round(x, 2) for x in np.arange(0.01, 0.96, 0.02))
#: Where the answer thresholds are looked for: at even odds or above. The answerability head is
#: calibrated (its regularisation chosen by log loss) and a wrong answer costs as much as a false
#: decline, so answering below even odds is never right in expectation; the pass count over the
#: train split is too flat to tell (it scored 0.37-0.45 and 0.55-0.59 alike, and a change to one
#: behaviour moved the fitted threshold from one stretch to the other).
ANSWER_GRID = tuple(v for v in GRID if v >= 0.5)
#: Kinds whose questions are about something else altogether (a decline says so).
FAR_KINDS = frozenset({"far", "out-of-scope"})
CASE, UPDATES = "case", "updates"


@dataclass(frozen=True)
class QuestionSet:
    name: str
    path: Path
    index: str


def question_sets(settings: Settings) -> list[QuestionSet]:
    shared = settings.eval_dir
    return [QuestionSet("readers", shared / "questions" / "readers.jsonl", CASE),
            QuestionSet("dev", shared / "dev_qa.jsonl", CASE),
            QuestionSet("own", settings.own_questions, CASE),
            QuestionSet("updates", shared / "updates" / "questions.jsonl", UPDATES)]


@dataclass(frozen=True)
class Item:
    """One question with its known answer, and where it is asked."""

    key: str  # "<set>:<id>"
    kind: str
    gold: dict[str, Any]
    index: str
    group: str  # items that go to one fold together (a question asked with and without its document)
    docs: tuple[str, ...] = ()  # the follow-up documents it needs

    @property
    def history(self) -> list[dict[str, str]]:
        return self.gold.get("history") or []


def load_items(settings: Settings) -> list[Item]:
    items: list[Item] = []
    for qs in question_sets(settings):
        if not qs.path.exists():
            raise CaseError(f"{qs.path}: question set not found (CASE_EVAL_DIR: the public sets are in "
                            "../shared/eval beside the project)")
        for gold in load_questions(qs.path):
            kind = gold.get("kind") or ("follow-up" if gold.get("history") else
                                        "unanswerable" if gold.get("abstain") else "in scope")
            key = f"{qs.name}:{gold['id']}"
            docs = tuple(gold.get("docs") or ())
            group = f"document:{docs[0]}" if docs else key
            items.append(Item(key, kind, gold, UPDATES if docs else qs.index, group, docs))
            if gold.get("abstain_without"):
                # The same question without its document: the case article does not answer it.
                alone = without_missing_documents(gold, set())
                items.append(Item(f"{qs.name}-without:{gold['id']}", alone["kind"], alone, CASE, group, docs))
    return items


# --------------------------------------------------------------------------- the split


def make_split(items: list[Item]) -> dict[str, Any]:
    """Validation: one follow-up document with every question that needs it (as a document no
    fit has seen would be), and a share of each other kind's questions."""
    rng = np.random.default_rng(SEED)
    documents = sorted({d for it in items for d in it.docs})
    held_doc = documents[int(rng.integers(len(documents)))] if documents else None
    held = {it.key for it in items if held_doc in it.docs} | _shares(items, rng)
    return {"seed": SEED, "validation_share": VALIDATION_SHARE, "validation_document": held_doc,
            "validation": sorted(held), "train": sorted(it.key for it in items if it.key not in held)}


def _shares(items: list[Item], rng: np.random.Generator) -> set[str]:
    """A validation share of each kind's questions that need no follow-up document."""
    by_kind: dict[str, list[str]] = {}
    for it in items:
        if not it.docs:
            by_kind.setdefault(it.kind, []).append(it.key)
    held: set[str] = set()
    for kind in sorted(by_kind):
        keys = sorted(by_kind[kind])
        n = int(round(VALIDATION_SHARE * len(keys))) if len(keys) >= 4 else 0
        held |= set(rng.permutation(keys)[:n].tolist())
    return held


def extend_split(items: list[Item], split: dict[str, Any]) -> dict[str, Any]:
    """The split with questions added since it was made, the questions it holds where they
    were: a new question about the held-out document goes to validation with it, one about
    another document to train; the rest are split as :func:`make_split` splits, among
    themselves (a seed of their own, so that adding questions never moves old ones)."""
    known = set(split["train"]) | set(split["validation"])
    new = [it for it in items if it.key not in known]
    rng = np.random.default_rng([SEED, len(known)])
    held = {it.key for it in new if split["validation_document"] in it.docs} | _shares(new, rng)
    return {**split, "validation": sorted(set(split["validation"]) | held),
            "train": sorted(set(split["train"]) | {it.key for it in new if it.key not in held})}


def read_split(items: list[Item], path: Path = SPLIT_FILE) -> tuple[list[Item], list[Item]]:
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CaseError(f"{path}: the split cannot be read ({exc.strerror}); run python -m assistant train "
                        "--resplit") from None
    train, validation = set(split["train"]), set(split["validation"])
    unknown = [it.key for it in items if it.key not in train | validation]
    if unknown:
        raise CaseError(f"{len(unknown)} questions are in no split (first: {unknown[0]}); run "
                        "python -m assistant train --extend-split (or --resplit to split anew)")
    return [it for it in items if it.key in train], [it for it in items if it.key in validation]


# --------------------------------------------------------------------------- the indexes


class Indexes:
    """The two indexes the question sets are asked of, built (incrementally) under ``work``:
    the case corpus as the project has it (fetched copies aside, so a fit does not depend on
    what a machine could fetch), and the same with the follow-up documents added. ``analyzer``:
    a language pipeline already loaded (else one is loaded when an ingest first needs it)."""

    def __init__(self, settings: Settings, work: Path, embeddings: Embedder, model: AnswerModel,
                 analyzer: Analyzer | None = None) -> None:
        self.settings = settings
        self.work = work
        self.embeddings = embeddings
        self.model = model
        self.analyzer = analyzer
        self._answerers: dict[str, Answerer] = {}

    def answerer(self, name: str) -> Answerer:
        """The answerer of index ``name``, deciding with ``model`` (the language pipelines and the
        words' vectors are the first answerer's for all)."""
        if name not in self._answerers:
            first = next(iter(self._answerers.values()), None)
            settings = self._settings(name)
            self._answerers[name] = Answerer(Retriever(settings, self.embeddings), settings, self.model,
                                             reader=first.reader if first else None,
                                             language=first.language if first else None,
                                             featurizer=first.featurizer if first else None)
        return self._answerers[name]

    def _analyzer(self) -> Analyzer:
        """One language pipeline for both indexes' ingest."""
        if self.analyzer is None:
            self.analyzer = Analyzer(self.settings.spacy_model, CaseProfile())
        return self.analyzer

    def _settings(self, name: str) -> Settings:
        from ingest.pipeline import run_ingest

        corpus, index = self.work / f"corpus-{name}", self.work / f"index-{name}"
        fresh = self.work / f"corpus-{name}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(self.settings.corpus_dir, fresh, ignore=shutil.ignore_patterns(".*"))
        if name == UPDATES:
            for doc in sorted((self.settings.eval_dir / "updates" / "docs").glob("*.md")):
                shutil.copy(doc, fresh / doc.name)
        shutil.rmtree(corpus, ignore_errors=True)
        fresh.rename(corpus)
        settings = self.settings.model_copy(update={"corpus_dir": corpus, "index_dir": index})
        report = run_ingest(settings, embeddings=self.embeddings, analyzer=self._analyzer())
        if report.failures:
            raise CaseError(f"the {name} index for fitting could not be built: {report.failures}")
        return settings


# --------------------------------------------------------------------------- candidates and labels


@dataclass
class Asked:
    """One item asked: its question read, and each part's candidates with features and labels."""

    item: Item
    frame: QuestionFrame
    parts: list[Candidates]
    labels: list[np.ndarray]
    snap: Snapshot  # the generation it was read against, which every simulated answer reads too


def holds_answer(item: Item, text: str) -> bool:
    """Whether ``text`` holds one of the item's gold answer phrases."""
    gold = item.gold
    if gold.get("abstain"):
        return False
    text = norm_text(text)
    return any(has_phrase(w, text) for w in (gold.get("answer_all") or []) + (gold.get("answer_any") or []))


def answers(item: Item, sentence: str, passage: str) -> bool:
    """Whether a candidate, served as ``sentence`` from ``passage``, answers the item: it holds a
    gold answer phrase, and it or its passage a supporting one."""
    text, around = norm_text(sentence), norm_text(passage)
    return holds_answer(item, sentence) and any(has_phrase(s, text) or has_phrase(s, around)
                                                for s in item.gold.get("support_any", []))


def ask(item: Item, answerer: Answerer) -> Asked:
    """The item's question read and its parts' candidates, as the answerer would see them (a
    later part's prior without what earlier parts chose: that depends on the model)."""
    snap = answerer.retriever.snapshot()
    history = item.history[-answerer.settings.follow_up_messages:]
    frame = answerer.read(item.gold["question"], history, snap)
    parts, labels = [], []
    for i, part in enumerate(frame.parts or (frame,)):
        prior = answerer.prior(frame, part, i, history, [], snap)
        got = answerer.candidates(part, prior, snap)
        parts.append(got)
        labels.append(np.array([answers(item, served(c), c.passage.text) for c in got.sentences], dtype=bool))
    return Asked(item, frame, parts, labels, snap)


def ask_all(items: list[Item], indexes: Indexes) -> list[Asked]:
    return [ask(it, indexes.answerer(it.index)) for it in tqdm(items, desc="reading questions", unit="q",
                                                                disable=None)]


# --------------------------------------------------------------------------- fitting


@dataclass
class Judgements:
    """What a model (or the folds' models) said of each item's parts: selector probabilities,
    and answerability."""

    selector: dict[str, list[np.ndarray]] = field(default_factory=dict)
    answerable: dict[str, list[float]] = field(default_factory=dict)


def _fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    std = x.std(axis=0)
    scale = np.where(std > 1e-9, std, 1.0)
    lr = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return Logistic(mean, scale, lr.coef_[0], float(lr.intercept_[0]))


def _selector_rows(asked: list[Asked]) -> tuple[np.ndarray, np.ndarray]:
    """The candidates that pass the general checks: the selector weighs only those."""
    xs, ys = [], []
    for a in asked:
        for part, y in zip(a.parts, a.labels):
            xs.append(part.features[part.eligible])
            ys.append(y[part.eligible])
    return np.vstack(xs), np.concatenate(ys).astype(int)


def predict(selector: Logistic, part: Candidates) -> np.ndarray:
    """A part's selector probabilities: 0 where a general check failed."""
    return np.where(part.eligible, selector.probabilities(part.features), 0.0)


def _question_rows(asked: list[Asked], selectors: dict[str, Logistic]) -> tuple[list[tuple[str, int]], np.ndarray,
                                                                                 np.ndarray]:
    """The answerability head's rows (item key, part) with labels: 1 where the selector's best or
    next candidate answers, 0 where the item should be declined; parts it answers wrongly either
    way, and parts without an eligible candidate, are left out."""
    keys, xs, ys = [], [], []
    for a in asked:
        selector = selectors[a.item.key]
        for i, (part, labels) in enumerate(zip(a.parts, a.labels)):
            row = question_row(part.features, part.eligible, selector)
            if not row.size:
                continue
            p = predict(selector, part)
            top = np.argsort(-p, kind="stable")[:2]
            if a.item.gold.get("abstain"):
                label = 0
            elif labels[top].any():
                label = 1
            else:
                continue
            keys.append((a.item.key, i))
            xs.append(row)
            ys.append(label)
    return keys, np.vstack(xs), np.array(ys)


def _item_folds(asked: list[Asked], k: int, seed: int = SEED) -> list[np.ndarray]:
    """Item indices of each fold, stratified by kind with an item's group kept whole."""
    from sklearn.model_selection import StratifiedGroupKFold

    kinds = [a.item.kind for a in asked]
    groups = [a.item.group for a in asked]
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a kind with fewer questions than folds is spread as it can be
        warnings.simplefilter("ignore", UserWarning)
        return [test for _, test in splitter.split(np.zeros(len(asked)), kinds, groups)]


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def _cross_fit(asked: list[Asked], folds: list[np.ndarray]) -> tuple[dict[str, Logistic], Judgements, float, float]:
    """Out-of-fold judgements: each fold judged by a selector and an answerability head fitted
    on the other folds, each head's regularisation chosen by out-of-fold log loss."""
    def held_out(test: np.ndarray) -> tuple[list[Asked], list[Asked]]:
        inside = set(test.tolist())
        return [a for i, a in enumerate(asked) if i not in inside], [asked[i] for i in test]

    best_c_sel, best_loss, selectors = C_GRID[0], np.inf, {}
    for c in C_GRID:
        fold_selectors: dict[str, Logistic] = {}
        ps, ys = [], []
        for test in folds:
            rest, held = held_out(test)
            selector = _fit_logistic(*_selector_rows(rest), c)
            x, y = _selector_rows(held)
            ps.append(selector.probabilities(x))
            ys.append(y)
            fold_selectors.update({a.item.key: selector for a in held})
        loss = round(_log_loss(np.concatenate(ps), np.concatenate(ys)), 4)
        if loss < best_loss:
            best_c_sel, best_loss, selectors = c, loss, fold_selectors
    keys, xq, yq = _question_rows(asked, selectors)
    fold_of = {a.item.key: f for f, test in enumerate(folds) for a in (asked[i] for i in test)}
    row_fold = np.array([fold_of[k] for k, _ in keys])
    best_c_ans, best_loss, answerable = C_GRID[0], np.inf, np.zeros(len(keys))
    for c in C_GRID:
        p = np.zeros(len(keys))
        for f in range(len(folds)):
            inside = row_fold == f
            p[inside] = _fit_logistic(xq[~inside], yq[~inside], c).probabilities(xq[inside])
        loss = round(_log_loss(p, yq), 4)
        if loss < best_loss:
            best_c_ans, best_loss, answerable = c, loss, p
    # Every part judged out of fold, rows left out of the head's fit included.
    judgements = Judgements()
    heads = {f: _fit_logistic(xq[row_fold != f], yq[row_fold != f], best_c_ans) for f in range(len(folds))}
    for a in asked:
        selector, head = selectors[a.item.key], heads[fold_of[a.item.key]]
        judgements.selector[a.item.key] = [predict(selector, part) for part in a.parts]
        judgements.answerable[a.item.key] = [
            float(head.probabilities(row[None, :])[0]) if (row := question_row(part.features, part.eligible,
                                                                               selector)).size else 0.0
            for part in a.parts]
    return selectors, judgements, best_c_sel, best_c_ans


def simulate(a: Asked, selector: list[np.ndarray], answerable: list[float], thresholds: Thresholds,
             answerer: Answerer, short: Logistic) -> Answer:
    """The answer the answerer gives ``a`` with these judgements, thresholds and short-answer model."""
    snap = a.snap
    refused = answerer.not_english(a.item.gold["question"], snap)
    if refused is not None:
        return refused
    judgements = [Judgement.of(part.sentences, probs, part.features, pa)
                  for part, probs, pa in zip(a.parts, selector, answerable)]
    decider = Decider(thresholds, answerer.settings.max_answer_sentences)
    history = a.item.history[-answerer.settings.follow_up_messages:]
    return answerer.respond(a.frame, history, snap, weigh=lambda i, part, prior: judgements[i], decider=decider,
                            short_model=short)


#: What one more sentence served costs in the threshold search: a hundred answers longer by a
#: sentence are worth no more than one more question passed.
SENTENCE_COST = 1e-2


def _passed(asked: list[Asked], judgements: Judgements, thresholds: Thresholds, short: Logistic, indexes: Indexes,
            max_words: int, memo: dict[tuple, float]) -> np.ndarray:
    """Whether the scorer passes each item with these thresholds, less a trifle per sentence served.

    An item's answer depends on the thresholds only through which of its judgements clear them,
    so each such pattern is answered once (``memo``) however many thresholds share it.
    """
    scores = []
    for a in asked:
        probabilities, answerable = judgements.selector[a.item.key], judgements.answerable[a.item.key]
        key = (a.item.key, tuple((pa >= thresholds.answer, pa >= thresholds.answer_typed, tuple(p >= thresholds.keep),
                                  tuple(p >= thresholds.side)) for p, pa in zip(probabilities, answerable)))
        if key not in memo:
            answer = simulate(a, probabilities, answerable, thresholds, indexes.answerer(a.item.index), short)
            memo[key] = verdict(a.item.gold, answer, max_words).passed - SENTENCE_COST * len(answer.parts)
        scores.append(memo[key])
    return np.array(scores)


#: Grid steps either side a threshold's score is averaged over before the best is taken.
SMOOTHING = 2


def _smoothed(scores: dict[float, float], window: int = SMOOTHING) -> dict[float, float]:
    """Each grid value's score averaged with its neighbours': the pass count over the grid is
    flat and jagged, and a peak one step wide is one question's luck (one corrected word in two
    train questions moved the typed answer threshold from 0.65 to a lone peak at 0.73); the
    middle of a broad good stretch holds on questions it was not fitted to."""
    grid = sorted(scores)
    values = np.array([scores[v] for v in grid])
    return {v: float(values[max(0, i - window):i + window + 1].mean()) for i, v in enumerate(grid)}


def _middle_of_best(scores: dict[float, float]) -> float:
    """The grid value in the middle of the best scores."""
    top = max(scores.values())
    best = [v for v, s in scores.items() if s >= top - 1e-9]
    return best[len(best) // 2]


def fit_thresholds(asked: list[Asked], judgements: Judgements, short: Logistic, indexes: Indexes,
                   max_words: int) -> Thresholds:
    """Answer (two: questions that ask for a kind of thing, and the rest), keep and side
    thresholds by coordinate search over the grid, maximising what the acceptance scorer passes;
    the far closeness by the best split of far and near declines.

    The answerability head is calibrated and a wrong answer costs as much as a false decline, so
    an answer threshold leaves even odds only for what the move gains beyond its noise: the
    questions it passes more, less the square root of how many it changes (the pass count is
    flat over a broad stretch, and where in it a refit lands was one fold draw's luck)."""
    t = Thresholds(answer=0.5, answer_typed=0.5, keep=0.5, side=0.5, far=0.0)
    memo: dict[tuple, float] = {}
    for _ in range(2):
        for name in ("answer", "answer_typed", "keep", "side"):
            grid = GRID if name in ("keep", "side") else ANSWER_GRID
            passed = {v: _passed(asked, judgements, replace(t, **{name: v}), short, indexes, max_words, memo)
                      for v in grid}
            scores = {v: float(x.sum()) for v, x in passed.items()} if name in ("keep", "side") \
                else _gain_beyond_noise(passed, grid[0])
            t = replace(t, **{name: _middle_of_best(_smoothed(scores))})
    return replace(t, far=_far_threshold(asked))


def _gain_beyond_noise(passed: dict[float, np.ndarray], anchor: float) -> dict[float, float]:
    """Each grid value's gain over ``anchor`` in per-item scores, less its noise: the square
    root of the summed squared changes (the spread of the gain were each changed item as likely
    to go either way)."""
    base = passed[anchor]
    return {v: float((x - base).sum() - np.sqrt(((x - base) ** 2).sum())) for v, x in passed.items()}


def _far_threshold(asked: list[Asked]) -> float:
    declines = [(max(max(c.dense, c.dense_passage) for p in a.parts for c in p.sentences) if any(
        p.sentences for p in a.parts) else 0.0, a.item.kind in FAR_KINDS) for a in asked if a.item.gold.get("abstain")]
    if not declines:
        return 0.0
    cuts = sorted({round(c, 2) for c, _ in declines})
    scores = {cut: float(sum((c < cut) == far for c, far in declines)) for cut in cuts}
    return _middle_of_best(scores)


#: How many of a question's likeliest candidates the short-answer model learns phrases from
#: (an answer serves about as many).
SHORT_SENTENCES = 3


def _short_groups(asked: list[Asked], judgements: Judgements, indexes: Indexes) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each answerable one-part question's phrases of the kind asked for in its likeliest
    candidates (by the out-of-fold selector), with labels: the phrase holds a gold answer. A
    question none of whose phrases does is left out: it teaches nothing of which to choose."""
    groups = []
    for a in asked:
        if a.item.gold.get("abstain") or len(a.parts) != 1:
            continue
        probabilities = judgements.selector[a.item.key][0]
        top = [k for k in np.argsort(-probabilities, kind="stable")[:SHORT_SENTENCES] if probabilities[k] > 0]
        sentences = [a.parts[0].sentences[k] for k in top]
        phrases, x = indexes.answerer(a.item.index).shorts.phrases(
            a.frame, sentences, [logit(probabilities[k]) for k in top], a.snap)
        y = np.array([holds_answer(a.item, sentences[f.holder].sentence.text[f.span[0]:f.span[1]]) for f in phrases],
                     dtype=int)
        if y.any():
            groups.append((x, y))
    return groups


def fit_short(groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[Logistic, float]:
    """The short-answer model, its regularisation chosen by the cross-validated log loss of
    the right phrases: each question's phrases as one choice (a softmax over their logits),
    over the questions with a right one. (A count of questions whose top phrase is right moved
    the choice with one question of about fifty.)"""
    if not groups:
        return Logistic.even(len(SHORT_FEATURES)), C_GRID[0]
    from sklearn.model_selection import KFold

    folds = [test for _, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(groups)))]
    best_c, best_loss = C_GRID[0], np.inf
    for c in C_GRID:
        loss = 0.0
        for test in folds:
            inside = set(test.tolist())
            model = _fit_groups([g for i, g in enumerate(groups) if i not in inside], c)
            for i in test:
                x, y = groups[i]
                if y.any():
                    z = model.logits(x)
                    p = np.exp(z - z.max())
                    loss -= float(np.log(max(p[y.astype(bool)].sum() / p.sum(), 1e-12)))
        if loss < best_loss:
            best_c, best_loss = c, loss
    return _fit_groups(groups, best_c), best_c


def _fit_groups(groups: list[tuple[np.ndarray, np.ndarray]], c: float) -> Logistic:
    """A logistic regression over every group's phrase rows together."""
    return _fit_logistic(np.vstack([x for x, _ in groups]), np.concatenate([y for _, y in groups]), c)


@dataclass
class Fitted:
    model: AnswerModel
    judgements: Judgements  # the train items' out-of-fold judgements


def fit(asked: list[Asked], indexes: Indexes, max_words: int) -> Fitted:
    folds = _item_folds(asked, FOLDS)
    selectors, judgements, c_sel, c_ans = _cross_fit(asked, folds)
    groups = _short_groups(asked, judgements, indexes)
    short, c_short = fit_short(groups)
    thresholds = fit_thresholds(asked, judgements, short, indexes, max_words)
    x, y = _selector_rows(asked)
    selector = _fit_logistic(x, y, c_sel)
    _, xq, yq = _question_rows(asked, dict.fromkeys((a.item.key for a in asked), selector))
    answerable = _fit_logistic(xq, yq, c_ans)
    fitted = {"questions": len(asked), "candidates": int(len(y)), "answering": int(y.sum()),
              "question_rows": int(len(yq)), "short_questions": len(groups), "C_selector": c_sel,
              "C_answerable": c_ans, "C_short": c_short, "folds": FOLDS,
              "seed": SEED, "train": _digest(sorted(a.item.key for a in asked))}
    return Fitted(AnswerModel(selector, answerable, short, thresholds, fitted), judgements)


def _digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- the command


def train(settings: Settings, work: Path, out: Path = MODEL_FILE, resplit: bool = False, extend: bool = False,
          embeddings: Embedder | None = None, analyzer: Analyzer | None = None) -> AnswerModel:
    """Fit on the train split and write the model file; returns the model. ``embeddings`` and
    ``analyzer``: models already loaded (the same as the settings name)."""
    embeddings = embeddings or Embedder.for_settings(settings)
    items = load_items(settings)
    if resplit:
        SPLIT_FILE.write_text(json.dumps(make_split(items), indent=1) + "\n", encoding="utf-8")
    elif extend:
        split = extend_split(items, json.loads(SPLIT_FILE.read_text(encoding="utf-8")))
        SPLIT_FILE.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    train_items, _ = read_split(items)
    indexes = Indexes(settings, work, embeddings, AnswerModel.untrained(), analyzer)  # features need no model
    asked = ask_all(train_items, indexes)
    model = fit(asked, indexes, settings.eval_max_words).model
    out.write_text(model.to_json(), encoding="utf-8")
    return model


def evaluate(settings: Settings, work: Path, folds: int = FOLDS, draws: int = 1) -> dict[str, Any]:
    """Train and validation figures of the shipped model through the assistant itself, and a
    k-fold estimate (each fold answered by a model fitted on the others), per kind. ``draws``:
    how many draws of the folds the k-fold is run over (the first gives the per-kind figures;
    ``"k-fold draws"`` holds each draw's total): one draw's figure moves by several questions
    with the draw alone."""
    embeddings = Embedder.for_settings(settings)
    items = load_items(settings)
    train_items, validation_items = read_split(items)
    indexes = Indexes(settings, work, embeddings, AnswerModel.load(settings.answer_model))
    figures: dict[str, dict[str, list[Verdict]]] = {"train": {}, "validation": {}}
    for name, group in (("train", train_items), ("validation", validation_items)):
        for it in tqdm(group, desc=name, unit="q", disable=None):
            answerer = indexes.answerer(it.index)
            answer = answerer.ask(it.gold["question"], it.history or None)
            figures[name].setdefault(it.kind, []).append(verdict(it.gold, answer, settings.eval_max_words))
    asked = ask_all(items, indexes)
    totals = []
    for draw in range(max(draws, 1)):
        by_kind = _k_fold(asked, indexes, folds, SEED + draw, settings.eval_max_words)
        figures.setdefault("k-fold", by_kind)
        totals.append(sum(v.passed for vs in by_kind.values() for v in vs))
    out: dict[str, Any] = {name: {kind: summary(vs) for kind, vs in by_kind.items()}
                           for name, by_kind in figures.items()}
    out["k-fold draws"] = {"passed": totals, "items": len(asked)}
    return out


def _k_fold(asked: list[Asked], indexes: Indexes, folds: int, seed: int, max_words: int) -> dict[str, list[Verdict]]:
    """Each item answered by a model fitted on the other folds, by kind."""
    by_kind: dict[str, list[Verdict]] = {}
    for test in tqdm(_item_folds(asked, folds, seed), desc="k-fold", unit="fold", disable=None):
        held = set(test.tolist())
        fold_model = fit([a for i, a in enumerate(asked) if i not in held], indexes, max_words).model
        for i in test:
            a = asked[i]
            probs = [predict(fold_model.selector, p) for p in a.parts]
            answerable = [fold_model.answerability(p.features, p.eligible) for p in a.parts]
            answer = simulate(a, probs, answerable, fold_model.thresholds, indexes.answerer(a.item.index),
                              fold_model.short)
            by_kind.setdefault(a.item.kind, []).append(verdict(a.item.gold, answer, max_words))
    return by_kind


def summary(verdicts: list[Verdict]) -> dict[str, int]:
    answerable = [v for v in verdicts if not v.abstain]
    declines = [v for v in verdicts if v.abstain]
    shorts = [v.short_right for v in answerable if v.passed and v.short_right is not None]
    return {"answered": sum(v.passed for v in answerable), "answerable": len(answerable),
            "declined": sum(v.passed for v in declines), "unanswerable": len(declines),
            "short_right": sum(shorts), "short": len(shorts)}
