"""General English word lists (assistant/data/english.toml), loaded once and typed.

The code reads questions and sentences with these lists; none of them names anything of one
case (that is the corpus's case.toml). A list is written in the file as a string of words or
as an array of phrases.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

DATA_FILE = Path(__file__).parent / "data" / "english.toml"


def _word_set(value: object) -> object:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(str(v).strip().lower() for v in value)
    return value


Words = Annotated[frozenset[str], BeforeValidator(_word_set)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reporting(_Strict):
    states: Words
    alleges: Words
    denies: Words


class QuestionWords(_Strict):
    kind_words: Words
    generic_nouns: Words
    sort_nouns: Words
    anyone: Words
    source_verbs: Words
    membership_verbs: Words
    court_verbs: Words
    money_words: Words
    documents: Words
    auxiliaries: Words
    imperatives: Words
    pointers: Words
    personal: Words
    yes_no_filler: Words
    demonstratives: Words
    speaking: Words
    receiving: Words
    sayings: Words
    preposition_nouns: Words
    light_verbs: Words
    alleged: Words
    both_sides: Words
    time_units: Words


class Question(_Strict):
    type_nouns: dict[str, Words]
    words: QuestionWords


class SentenceWords(_Strict):
    causal: Words
    agency_nouns: Words
    general_agency_nouns: Words
    titles: Words
    time_prepositions: Words
    percent: Words


class Places(_Strict):
    country_aliases: Words


class English(_Strict):
    stopwords: Words
    casual: dict[str, str]
    reporting: Reporting
    question: Question
    sentence: SentenceWords
    places: Places


@lru_cache(maxsize=1)
def english() -> English:
    """The lists, read from the data file the first time they are needed."""
    return English.model_validate(tomllib.loads(DATA_FILE.read_text(encoding="utf-8")))
