"""Whether a question is answered, and with what: general features of (question, sentence)
pairs, a model fitted on question sets with known answers, and the decision made with it."""

from .decide import Decider, FollowUp, Judged, Judgement, Near
from .facts import WordMeaning
from .features import FEATURES, Featurizer, question_facts
from .model import AnswerModel, Thresholds

__all__ = ["FEATURES", "AnswerModel", "Decider", "Featurizer", "FollowUp", "Judged", "Judgement", "Near", "Thresholds",
           "WordMeaning", "question_facts"]
