"""Misspelled words and names in a question, matched to the words the sources use.

rapidfuzz finds the nearest word within a small edit distance (a transposition counts as one
edit); symspellpy's English frequency list (82,765 words, shipped with the package) tells a
real English word from a slip, so a word the reader meant as written is left alone. The rules, in order:

- a word the sources use typed as two is joined ("whistle blower" -> "whistleblower");
- a run of words that is one name of the sources but for a slip in a word beside a word of it
  is that name ("Amazon Recognition" -> "Amazon Rekognition"), although the slipped word is a
  word in its own right: beside the name's other word, the reader means the name;
- a casual spelling is written out ("whats" -> "what's", "thru" -> "through");
- in a question typed without capitals, a word the sources write only in a person's name is
  written as they write it ("who is charles forrest" -> "who is Charles Forrest"), so the
  parser reads a name;
- a possessive is its owner's word mended, the "'s" kept ("Amaon's" -> "Amazon's"), and a word
  before a closing quote is mended without it ("'serious miscoduct'");
- a word the sources use stays as it is;
- a capitalised word inside the question is a name: one the sources do not know becomes the
  one name of the sources nearest to it ("Forest" -> "Forrest"; a name's other form in
  case.toml counts: "Birtain" -> "Britain" where the sources write "UK"), never a different name
  when two are as near, unless only one holds every letter typed ("Britsh" -> "British", not
  "Brits"); with no name near, a word of the sources the parser never marked as a name
  ("Engaadget" -> "Engadget"); in a question typed without capitals, an English word one edit
  from one person's name is that name ("who is charles forest");
- any other word that is no English word at all becomes the nearest word of the sources (or a
  function word): "polise" -> "police", else the word of the sources it starts ("recog" ->
  "recognition"), else the nearest English word ("represnts"); of several as near, a word of
  the sources, then the commonest in English;
- a word that opens the question becomes the question word one edit away when it is no
  English word ("wich" -> "which", not "with"), or a rare one and the question word far
  commoner ("wat" -> "what", "wen" -> "when"): a question's first word is its wh-word more
  often than not.

Of words as many edits away, the one the typed word's letters all stand in, in order, comes
first: a dropped or doubled letter is a commoner slip than a wrong one ("wher" -> "where", not
"when", a question of another kind).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from .english import english

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")
_WORD = re.compile(r"[A-Za-z]+")
#: Wh-words and the like, which a question needs read right and the sources may not hold.
_QUESTION_WORDS = frozenset("what when where which who whom whose why how".split())
#: A word this much rarer in English than a source word one edit away is taken for a slip.
COMMONER = 100
MIN_LENGTH = 3
#: The fewest letters a word typed short is taken to start a word of the sources with.
CLIPPED = 4


@lru_cache(maxsize=1)
def english_frequencies() -> dict[str, int]:
    import symspellpy

    path = Path(symspellpy.__file__).parent / "frequency_dictionary_en_82_765.txt"
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition(" ")
        if count.isdigit():
            out[word] = int(count)
    return out


@lru_cache(maxsize=1)
def english_words() -> list[str]:
    return sorted(english_frequencies())


def max_edits(word: str) -> int:
    return 1 if len(word) <= 7 else 2


class Speller:
    """Corrects a question against one index's words (``vocabulary``, lowercase), names
    (``names``: lowercase -> as the sources write it), the words of people's names
    (``people``, lowercase) and the names that may own something (``owners``: a person's,
    an organisation's, a product's last word, lowercase), which a casual question writes with
    an "s" and no apostrophe ("amazons product", "forrests lawyer")."""

    def __init__(self, vocabulary: set[str], names: dict[str, str], people: list[str] | None = None,
                 owners: set[str] | None = None, full_names: list[str] | None = None,
                 only_names: set[str] | None = None) -> None:
        self.vocabulary = vocabulary
        self.names = names
        #: Words the sources write only in a person's name, lowercase: a question typed without
        #: capitals gets them as the sources write them, so the parser reads a name.
        self._only_names = only_names or set()
        #: Names of more than one word as the sources write them ("Amazon Rekognition"), by their
        #: lowercase words.
        self._full_names = {tuple(n.lower().split()): n for n in (full_names or []) if len(n.split()) > 1}
        self._name_sizes = sorted({len(k) for k in self._full_names}, reverse=True)
        self._name_words = {w for k in self._full_names for w in k}
        self._people = sorted(w for w in (people or []) if w in names)
        self._owners = owners or set()
        self._name_list = sorted(names)
        self._word_list = sorted(vocabulary | english().stopwords | _QUESTION_WORDS)
        self._source_list = sorted(vocabulary)
        self.frequency = english_frequencies()

    def correct(self, question: str) -> str:
        question = self._named(self._joined(question))
        out, last = [], 0
        unmarked = question == question.lower()  # typed without capitals: no word is marked as a name
        for i, m in enumerate(_TOKEN.finditer(question)):
            word = m.group(0)
            if len(word) == 1 and (not word.islower() or question[m.end():m.end() + 1] == "."):
                continue  # a letter of an abbreviation ("U.K."), not shorthand
            fixed = self._word(word, first=i == 0, unmarked=unmarked)
            if fixed != word:
                out.append(question[last:m.start()] + fixed)
                last = m.end()
        return "".join(out) + question[last:] if out else question

    def _joined(self, question: str) -> str:
        """Two words the sources write as one joined ("whistle blower"): where neither half is a
        word of the sources, the two can be nothing they say apart."""
        tokens = list(_WORD.finditer(question))
        out, last, i = [], 0, 0
        while i < len(tokens) - 1:
            a, b = tokens[i].group(0), tokens[i + 1].group(0)
            whole = (a + b).lower()
            if question[tokens[i].end():tokens[i + 1].start()] == " " and whole in self.vocabulary \
                    and whole not in english().stopwords and a.lower() not in self.vocabulary \
                    and b.lower() not in self.vocabulary:
                out.append(question[last:tokens[i].start()] + a + b.lower())
                last = tokens[i + 1].end()
                i += 2
            else:
                i += 1
        return "".join(out) + question[last:] if out else question

    def _named(self, question: str) -> str:
        """Runs of words that are a name of the sources but for one slipped word: the name."""
        tokens = list(_WORD.finditer(question))
        out, last, i = [], 0, 0
        while i < len(tokens):
            for size in self._name_sizes:
                run = tokens[i:i + size]
                if len(run) < size or any(question[a.end():b.start()] != " " for a, b in zip(run, run[1:])):
                    continue
                name = self._slipped_name(tuple(t.group(0).lower() for t in run))
                if name is not None:
                    out.append(question[last:run[0].start()] + name)
                    last, i = run[-1].end(), i + size
                    break
            else:
                i += 1
        return "".join(out) + question[last:] if out else question

    def _slipped_name(self, words: tuple[str, ...]) -> str | None:
        """The one name these words are but for slips, where at least one word is the name's own
        and each other is within its edit budget of the name's; None for the name itself, or
        when two names are as near."""
        found = []
        for key, name in self._full_names.items():
            slipped = [(typed, own) for typed, own in zip(words, key) if typed != own]
            if len(key) != len(words) or not slipped or len(slipped) == len(words):
                continue
            edits = [OSA.distance(typed, own) for typed, own in slipped]
            if all(len(typed) >= MIN_LENGTH and e <= max_edits(typed) for (typed, _), e in zip(slipped, edits)):
                found.append((sum(edits), name))
        found.sort()
        if not found or len(found) > 1 and found[0][0] == found[1][0]:
            return None
        return found[0][1]

    def _word(self, word: str, first: bool, unmarked: bool = False) -> str:
        low = word.lower().replace("’", "'")
        if low in english().casual:  # "whats" -> "what's", "thru" -> "through"
            full = english().casual[low]
            return full[:1].upper() + full[1:] if word[:1].isupper() else full
        stem, apostrophe, tail = low.partition("'")
        if unmarked and len(stem) > 1 and stem in self._only_names:  # "who is charles forrest", "amazon's reply"
            return self.names[stem] + word[len(stem):]
        if apostrophe:  # "Amaon's", "moatorium'": the word slipped, its possessive or closing quote kept
            return self._word(word[:len(stem)], first, unmarked) + word[len(stem):] \
                if tail in ("s", "") and stem not in self.vocabulary else word
        if len(low) < MIN_LENGTH or low in self.vocabulary or low in self._name_words or low in _QUESTION_WORDS:
            return word
        if low[-1] == "s" and low[:-1] in self._owners:
            return word[:-1] + "'s"  # "amazons product": a possessive typed without its apostrophe
        if word[:1].isupper() and not first:
            name = self._nearest(low, self._name_list)
            if name is not None:
                return self.names[name]
            # A name the parser did not mark ("Engadget" opening a headline card) is still a
            # word of the sources; an unknown name near none stays as typed.
            near = None if low in self.frequency else self._nearest(low, self._source_list)
            return near[:1].upper() + near[1:] if near is not None else word
        known = self.frequency.get(low)
        if known is not None and unmarked and not first:
            # "who is charles forest": in a question typed without capitals an English word one
            # edit from exactly one person's name in the sources is that name (not "times" for
            # "Financial Times": a name of a thing is often a word too).
            name = self._nearest(low, self._people, edits=1)
            if name is not None:
                return self.names[name]
        if known is not None:  # a real English word: left alone, but where a question word may be slipped
            near = self._nearest_question_word(low) if first else None
            if near is None or self.frequency.get(near, 0) < COMMONER * known:
                return word
        else:
            near = (self._nearest_question_word(low) if first else None) or self._nearest_word(low)
            if near is None:
                return word
        return near[:1].upper() + near[1:] if word[:1].isupper() else near

    def _nearest_question_word(self, word: str) -> str | None:
        found = process.extract(word, sorted(_QUESTION_WORDS), scorer=OSA.distance, score_cutoff=1,
                                limit=None)
        return max(found, key=lambda f: (-f[1], -Indel.distance(word, f[0]), self.frequency.get(f[0], 0),
                                         f[0]))[0] if found else None

    def _nearest_word(self, word: str) -> str | None:
        """The nearest word within the edit budget: of the sources or a function word, else a
        word of the sources it is the start of (typed short: "recog"), else an English word; of
        several as near, a word of the sources, then one holding the typed letters in order, then
        the commonest in English."""
        found = process.extract(word, self._word_list, scorer=OSA.distance, score_cutoff=max_edits(word),
                                limit=None)
        if not found and len(word) >= CLIPPED:
            whole = [w for w in self.vocabulary if w.startswith(word)]
            if whole:
                return max(whole, key=lambda w: (self.frequency.get(w, 0), w))
        if not found:  # no word of the sources: an English word, then ("represnts")
            found = process.extract(word, english_words(), scorer=OSA.distance,
                                    score_cutoff=max_edits(word), limit=None)
        if not found:
            return None
        nearest = min(d for _, d, _ in found)
        tied = [w for w, d, _ in found if d == nearest]
        if len(word) > MIN_LENGTH and all(_wrong_letters(word, w) for w in tied):
            # Only a wrong letter makes it a word of the sources; a dropped one may make it an
            # English word, the commoner slip ("rase": "raise", not "case"). Three letters are
            # too few to tell one English word from the next.
            dropped = [w for w, _, _ in process.extract(word, english_words(), scorer=OSA.distance,
                                                        score_cutoff=nearest, limit=None)
                       if _holds_letters(word, w)]
            if dropped:
                return max(dropped, key=lambda w: (self.frequency.get(w, 0), w))
        return max(tied, key=lambda w: (w in self.vocabulary, _holds_letters(word, w), -Indel.distance(word, w),
                                        self.frequency.get(w, 0), w))

    @staticmethod
    def _nearest(word: str, choices: list[str], edits: int | None = None) -> str | None:
        """The one choice nearest ``word`` within its edit budget (``edits``, else by its
        length); None when there is none or two are equally near, unless only one of them
        holds every letter typed ("Britsh": "British", not "Brits")."""
        found = process.extract(word, choices, scorer=OSA.distance,
                                score_cutoff=max_edits(word) if edits is None else edits, limit=None)
        if not found:
            return None
        nearest = min(d for _, d, _ in found)
        tied = [w for w, d, _ in found if d == nearest]
        if len(tied) > 1:
            tied = [w for w in tied if _holds_letters(word, w)]
        return tied[0] if len(tied) == 1 else None


def _wrong_letters(typed: str, word: str) -> bool:
    """Whether ``word`` differs from what was typed only by letters in place of others."""
    return len(typed) == len(word) and Levenshtein.distance(typed, word) == OSA.distance(typed, word)


def _holds_letters(typed: str, word: str) -> bool:
    """Whether every letter typed stands in ``word`` in order: only letters left out."""
    return Indel.distance(typed, word) == len(word) - len(typed)
