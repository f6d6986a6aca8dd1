"""Word-level text helpers shared by lexical retrieval and answer selection."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also according said say
says saying tell told know give gave given get got does did do done make made one ones
""".split())


# News writes a country as its name, its adjective or its people ("Britain", "British", "UK"):
# one term for each, so that lexical matching and coverage see them as the same word.
_COUNTRY_FORMS = {
    "uk": "britain britons brits british kingdom", "america": "american americans usa",
    "russia": "russian russians", "ukraine": "ukrainian ukrainians", "netherlands": "dutch holland",
    "china": "chinese", "france": "french", "germany": "german germans", "europe": "european europeans eu",
    "japan": "japanese", "india": "indian indians", "ireland": "irish", "israel": "israeli israelis",
}
_CANONICAL = {form: name for name, forms in _COUNTRY_FORMS.items() for form in forms.split()}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.replace("’", "'").lower() for w in _WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Content terms, stemmed: what lexical matching compares."""
    ws = [w[:-2] if w.endswith("'s") else w for w in words(text)]
    ws = [_CANONICAL.get(w, w) for w in ws]
    return _stemmer().stemWords([w for w in ws if w not in STOPWORDS])
