"""The fitted answer model: three logistic regressions and the thresholds the answerer uses them
with. ``python -m assistant train`` writes it (training.py); the assistant only loads it.

- The *selector* weighs each candidate sentence (:data:`features.FEATURES`): the probability
  that it answers its question. It orders the candidates and admits further sentences.
- The *answerability* head weighs the question (part) as a whole, from its best candidate's
  features, the selector's confidence in it and its lead over the next one: the probability
  that answering it, rather than declining, is right (SQuAD 2.0's no-answer decision).
- The *short-answer* model weighs each phrase of the kind asked for in the answering sentences
  (:data:`shortanswer.SHORT_FEATURES`): the one weighed highest opens the answer.

The file is small JSON in the repository (``model.json``), so what changed in a refit is a
readable diff, and prediction is a dot product (scikit-learn is needed to fit, not to answer).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SettingsError
from .features import FEATURES
from .shortanswer import SHORT_FEATURES

MODEL_FILE = Path(__file__).parent / "model.json"
#: Raised when the file's layout changes.
FORMAT = 3
#: The best candidate's features the answerability head reads: all but the kind of question
#: asked (a kind asked by a few train questions, most of them unanswerable, would otherwise
#: teach it to decline every question of that kind).
_HEAD = np.array([not f.startswith("asks_") for f in FEATURES])
QUESTION_FEATURES: tuple[str, ...] = ("best_logit", "lead", "candidates",
                                      *(f"best_{f}" for f, kept in zip(FEATURES, _HEAD) if kept))


def _round(v: float) -> float:
    return float(f"{v:.6g}")


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic regression over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": [_round(v) for v in self.mean], "scale": [_round(v) for v in self.scale],
                "coef": [_round(v) for v in self.coef], "intercept": _round(self.intercept)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Logistic:
        return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]), float(data["intercept"]))

    @classmethod
    def even(cls, n: int) -> Logistic:
        return cls(np.zeros(n), np.ones(n), np.zeros(n), 0.0)


@dataclass(frozen=True)
class Thresholds:
    """Probabilities (and one closeness) the answerer decides with, fitted on the train split."""

    answer: float  # a question (part) is answered when its answerability reaches this...
    answer_typed: float  # ...or this, when it asks for a kind of thing (a check has found one already)
    keep: float  # a further sentence joins the answer when the selector gives it this
    side: float  # the other side of a disputed claim, or another item of a list, joins at this
    far: float  # a declined question whose nearest sentence is less close than this is outside the case


def question_row(features: np.ndarray, eligible: np.ndarray, selector: Logistic) -> np.ndarray:
    """The answerability head's features of one question part, from its candidates' features and
    the general checks: the best eligible candidate's, the selector's logit for it and its lead
    over the next. A part with no eligible candidate has none (it is declined)."""
    x = features[eligible]
    if x.shape[0] == 0:
        return np.zeros(0)
    logits = selector.logits(x)
    order = np.argsort(-logits, kind="stable")
    best = logits[order[0]]
    lead = best - logits[order[1]] if len(order) > 1 else best + 5.0
    return np.concatenate([[best, lead, np.log1p(len(order))], x[order[0]][_HEAD]])


@dataclass(frozen=True)
class AnswerModel:
    selector: Logistic
    answerable: Logistic
    short: Logistic
    thresholds: Thresholds
    #: What it was fitted on (question and candidate counts, the split's digest, the options).
    fitted: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The selector's probability for each candidate row."""
        return self.selector.probabilities(x)

    def answerability(self, features: np.ndarray, eligible: np.ndarray) -> float:
        row = question_row(features, eligible, self.selector)
        return float(self.answerable.probabilities(row[None, :])[0]) if row.size else 0.0

    @classmethod
    def untrained(cls) -> AnswerModel:
        """Every candidate and question at even odds: what features are read with before a fit."""
        return cls(Logistic.even(len(FEATURES)), Logistic.even(len(QUESTION_FEATURES)),
                   Logistic.even(len(SHORT_FEATURES)), Thresholds(0.5, 0.5, 0.5, 0.5, 0.0))

    def to_json(self) -> str:
        """Rounded to 6 significant digits, so a refit on the same data writes the same file."""
        data = {
            "format": FORMAT,
            "features": list(FEATURES),
            "selector": self.selector.to_dict(),
            "question_features": list(QUESTION_FEATURES),
            "answerable": self.answerable.to_dict(),
            "short_features": list(SHORT_FEATURES),
            "short": self.short.to_dict(),
            "thresholds": {k: _round(v) for k, v in asdict(self.thresholds).items()},
            "fitted": self.fitted,
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "answer model") -> AnswerModel:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise SettingsError(f"{where}: format {data.get('format')} is not {FORMAT}; run python -m assistant train")
        if tuple(data["features"]) != FEATURES or tuple(data["question_features"]) != QUESTION_FEATURES \
                or tuple(data["short_features"]) != SHORT_FEATURES:
            raise SettingsError(f"{where}: fitted on other features than this code computes; "
                                "run python -m assistant train")
        return cls(Logistic.from_dict(data["selector"]), Logistic.from_dict(data["answerable"]),
                   Logistic.from_dict(data["short"]), Thresholds(**data["thresholds"]), data.get("fitted", {}))

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerModel:
        path = path or MODEL_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"answer model {path} cannot be read ({exc.strerror}); "
                                "run python -m assistant train") from None
        return cls.from_json(text, str(path))
