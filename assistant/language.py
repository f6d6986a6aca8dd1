"""Is a question in English? The sources and the reading of questions are English only, so a
question in another language gets told so, not "the sources don't say".

lingua identifies the language (its low-accuracy mode over the languages readers of
international news most often write, 50 MB); short questions are mostly names, so names
are set aside first, and a question counts as foreign only when lingua is confident and
few of its words are English (common English words, or words of the sources).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

from .english import english
from .text import words

_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w'’-]*")
#: Fewer words than this, in plain ASCII letters, are not judged: a typo of two English words
#: reads as anything.
MIN_WORDS = 3


class LanguageGate:
    def __init__(self, min_confidence: float = 0.5, max_english_share: float = 0.34) -> None:
        self.min_confidence = min_confidence
        self.max_english_share = max_english_share

    @cached_property
    def _detector(self) -> Any:
        from lingua import Language as L, LanguageDetectorBuilder

        languages = [L.ENGLISH, L.FRENCH, L.GERMAN, L.SPANISH, L.ITALIAN, L.PORTUGUESE, L.DUTCH, L.RUSSIAN,
                     L.UKRAINIAN, L.POLISH, L.SWEDISH, L.DANISH, L.JAPANESE, L.CHINESE, L.KOREAN, L.ARABIC,
                     L.TURKISH, L.HINDI]
        return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()

    def foreign_language(self, question: str, vocabulary: set[str],
                         mend: Callable[[str], str] | None = None) -> str | None:
        """The question's language's name when it is confidently not English, else None.
        ``mend``: the speller; a word it mends into a word of the sources ("visionlaas") is a
        slip of that word, not a foreign one (a mend into a stopword, "wat" -> "what", "aan" ->
        "an", counts for nothing: foreign words are that near to English ones)."""
        body = _CAPITALISED.sub(" ", question)  # names say nothing of the language
        ws = words(body)
        if len(ws) < MIN_WORDS and not re.search(r"[^\x00-\x7f]", body):
            return None  # too few letters to tell ("whos visonlabs" read as Turkish)
        stop = english().stopwords

        def english_enough(unknown: list[str]) -> bool:
            """Enough of the words are English; a question with none in Latin letters has none."""
            return bool(ws) and 1 - len(unknown) / len(ws) > self.max_english_share

        unknown = [w for w in ws if w not in stop and w not in vocabulary]
        if english_enough(unknown):
            return None
        found = self._detector.compute_language_confidence_values(body)
        if not found:
            return None
        top = found[0]
        if top.language.name == "ENGLISH" or top.value < self.min_confidence:
            return None
        if mend is not None:  # only a question about to be called foreign is worth the speller's time
            if english_enough([w for w in unknown if (m := mend(w).lower()) == w or m not in vocabulary or m in stop]):
                return None
        return top.language.name.capitalize()

    def warm_up(self) -> None:
        self._detector.detect_language_of("warm up")
