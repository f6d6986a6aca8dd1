"""Word-level text helpers shared by lexical retrieval and answer selection.

What is general English lives here (words, stemming; the stopwords come from the data file);
what belongs to one corpus (names written several ways, the nouns its follow-ups use) comes from its
case.toml, through the index manifest, as a :class:`Lexicon`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from .english import english
from .index import CaseProfile

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.replace("’", "'").lower() for w in _WORD.findall(text)]


_NAME_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _name_parts(name: str) -> list[str]:
    ws = _NAME_WORD.findall(name)
    return ws[1:] if ws and ws[0].lower() == "the" else ws


def initials(name: str) -> str:
    """The initials a name is written by ("ft" for "Financial Times", "aws" for "Amazon Web
    Services"): its capitalised words' first letters, a leading "The" aside; "" for a name of
    one word or one with a lowercase word other than a function word ("Harcourt and sons")."""
    ws = _name_parts(name)
    if len(ws) < 2 or any(not w[:1].isupper() and w.lower() not in english().stopwords for w in ws):
        return ""
    return "".join(w[0] for w in ws if w[:1].isupper()).lower()


def initialisms(names: Iterable[str], is_word: Callable[[str], bool]) -> dict[str, tuple[str, ...]]:
    """Names a question may write by their initials, which the sources never do ("the FT's
    headline" for the "Financial Times"): initials -> the name's words. Initials that are a word
    already (of the sources or of English: "it", "us") or that two names share are left out."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for name in names:
        short = initials(name)
        if len(short) >= 2 and not is_word(short):
            found.setdefault(short, set()).add(tuple(w.lower() for w in _name_parts(name)))
    return {short: next(iter(full)) for short, full in found.items() if len(full) == 1}


class Lexicon:
    """One corpus's word forms: each form of a name counts as its group's first form, and a
    follow-up is recognised by a pointer word or one of the corpus's follow-up nouns."""

    def __init__(self, profile: CaseProfile | None = None, short: dict[str, tuple[str, ...]] | None = None) -> None:
        profile = profile or CaseProfile()
        self._short = short or {}  # initials of the sources' names (:func:`initialisms`)
        self._groups = [frozenset(group) for group in profile.aliases if group]
        self._terms: dict[str, tuple[str, ...]] = {}  # a text's terms, worked out once
        self._canonical = {form: group[0] for group in profile.aliases for form in group}
        nouns = "|".join(re.escape(n) for n in profile.follow_up_nouns)
        # "the claim" points back; "the claim that it broke the ban" says which claim itself.
        self._follow_up = re.compile(
            rf"\b(the|this|that) ({nouns})\b(?!\s+(that|of|on|about|against|to|in|by|from|which|who|whose)\b)",
            re.I) if nouns else None

    def terms(self, text: str) -> list[str]:
        """Content terms, stemmed: what lexical matching compares."""
        known = self._terms.get(text)
        if known is None:
            if len(self._terms) > 100_000:
                self._terms.clear()
            ws = [w[:-2] if w.endswith("'s") else w for w in words(text)]
            ws = [self._canonical.get(x, x) for w in ws for x in self._short.get(w, (w,))]
            stop = english().stopwords
            known = self._terms[text] = tuple(_stemmer().stemWords([w for w in ws if w not in stop]))
        return list(known)

    def seen(self, word: str, vocabulary: set[str]) -> bool:
        """Whether the sources mention ``word`` under this or another of its forms."""
        return word in vocabulary or word in self._short \
            or any(word in g and not g.isdisjoint(vocabulary) for g in self._groups)

    def forms_known(self, vocabulary: set[str]) -> set[str]:
        """Every form of a name group the sources write in one of its forms: "Britain" is a
        name the sources know when they write "UK"."""
        return {form for g in self._groups if not g.isdisjoint(vocabulary) for form in g}

    def points_back(self, question: str) -> bool:
        """Whether the question names something by one of the corpus's follow-up nouns ("the
        company"); pronouns and ellipses are the question reader's (reading.py)."""
        return self._follow_up is not None and self._follow_up.search(question) is not None
