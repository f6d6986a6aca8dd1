"""What a question asks for, read from its parse: the kind of answer (a person, a place, a
date, a number, a reason...), the words the answer must cover (its focus: "law firm",
"damages", "ruling"), the names it already gives, whether it leans on the conversation, and
its parts when it asks several things.

General English only; the corpus's names come in through the index (mentions, the lexicon).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from .analysis import reporting
from .english import english


class Asks(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    COUNTRY = "country"
    CITY = "city"
    DATE = "date or period"
    NUMBER = "amount or number"
    MONEY = "amount of money"
    REASON = "reason"
    MANNER = "manner"
    YES_NO = "yes/no"
    DEFINITION = "definition"
    SOURCE = "source"
    PRODUCT = "product"
    NAMED = "named party"  # "whose": a person, an organisation or a country
    THING = "thing"


#: The most words a bare question word comes with ("And why, then?").
_BARE_WORDS = 4
#: Questions sent as one message ("Who filed the claim? When was he fired?"): each is a part.
_QUESTIONS = re.compile(r"(?<=\?)\s+(?=\w)")
_PARTS = re.compile(r"(?:,\s*|\s+)(?:and|but)\s+(?=(?:(?:by|from|to|for|in|on|at|over|since|until|with|under|"
                    r"through|after|before|during)\s+(?=(?:what|which|when|where|whom|whose|how)\b))?"
                    r"(?:what|why|how|who|whom|whose|when|where|which|did|does|do|is|was|are|were|has|have)\b)", re.I)


#: Words a spoken question may open with that say nothing ("so is it true ...", "ok, who ...").
_FILLER = re.compile(r"^\s*(?:(?:so|ok|okay|well|hey|um|right|now)\b[\s,]*)+", re.I)
#: A reply asked for without saying to what: to what the conversation was about.
_REPLY = re.compile(r"\b(?:in (?:response|reply)|(?:say|says|said|hit|hits|fire|fires|fired|push|pushed) back|"
                    r"(?:respond|responded|react|reacted|reply|replied)(?! to\b))\s*[?.!]?\s*$", re.I)
_STANDS_FOR = re.compile(r"^\s*what (?:does|do|did) .+? (?:stand for|mean)\b", re.I)
_MEANING_VERBS = ("stand", "mean")


def _w():
    """The question word lists of the data file (assistant/data/english.toml)."""
    return english().question.words


@lru_cache(maxsize=1)
def type_nouns() -> dict[str, Asks]:
    """Nouns that name the kind of answer rather than something the answer must mention."""
    return {w: Asks[kind.upper()] for kind, ws in english().question.type_nouns.items() for w in ws}


@lru_cache(maxsize=1)
def _speaking() -> frozenset[str]:
    """Verbs that ask for someone's words: the reporting verbs ingest reads attribution from,
    and those of the data file ("describe", "accept" ...)."""
    return frozenset(reporting()) | _w().speaking


@lru_cache(maxsize=1)
def _saying() -> frozenset[str]:
    """Verbs that ask for someone's words and nouns for a side's words."""
    return _speaking() | _w().sayings


def _about_words(words: list[Any]) -> bool:
    """Whether a question is about someone's words: a reporting or speaking verb ("Who said
    so?", "Who describes ...") or a noun for a side's words ("whose allegation"), not only a
    hedge ("Who allegedly got it?", "the alleged buyer")."""
    return any(t.lemma_.lower() in _saying() and t.lower_ not in _w().alleged for t in words)


@lru_cache(maxsize=1)
def _both_sides() -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(_w().both_sides)) + r")\b", re.I)


@dataclass(frozen=True)
class QuestionFrame:
    text: str
    asks: Asks
    focus: tuple[str, ...] = ()  # words an answering sentence must cover (lemmas), or words close in meaning
    exact: tuple[str, ...] = ()  # words it must hold as they are: a compound's modifier ("law" of "law firm")
    names: tuple[str, ...] = ()  # proper names the question gives (lowercase)
    share: float = 1.0  # the share of ``focus`` an answering sentence must cover
    plural: bool = False  # "which outlets", "which two": a list
    both_sides: bool = False  # asks for a claim and the response to it
    dependent: bool = False  # leans on the conversation ("he", "that", an ellipsis)
    phrase: str = ""  # what is asked, for "The sources don't say ..."
    counts_time: bool = False  # "how many years": a number of units of time, so a year is no answer
    speaker: str = ""  # whose words are asked for: "Amazon" of "How does Amazon describe ...?"
    alleged: bool = False  # asks what is alleged ("How did Amazon allegedly deal with ...?")
    must: tuple[str, ...] = ()  # what the event asked about is about ("ruling" of "issued a ruling"): required
    head: str = ""  # the noun a name is asked for ("spokesperson", "company"): the name stands beside it
    duration: bool = False  # "how long": a stretch of time, not a date
    head_named: bool = False  # the name must stand beside ``head`` ("the name of the spokesperson", "which judge")
    content: tuple[str, ...] = ()  # its content words as written (no names, kind words or words of saying)
    core: tuple[str, ...] = ()  # those of its main clause (not of a clause that only says which thing is meant)
    sort_of: str = ""  # "what kind of company": the noun whose sort is asked for, answered by its modifiers
    head_adjectives: tuple[str, ...] = ()  # "Russian" of "which Russian company": said beside the head there too
    things: tuple[str, ...] = ()  # nouns of ``content`` (not the kind asked for): what it takes the sources to speak of
    object_asked: bool = False  # "who" undergoes the act ("Who did Amazon sell it to?"), not does it
    about_words: bool = False  # about someone's words ("Who said so?", "whose allegation"), not only hedged
    parts: tuple[QuestionFrame, ...] = field(default=())


#: Kinds of answer that are a name, which a sentence gives beside the noun it names.
_NAMED_KINDS = frozenset({Asks.PERSON, Asks.ORGANISATION, Asks.PRODUCT, Asks.NAMED})
#: Kinds of answer that are one value: "By when must Amazon reply?" asks the reply's date, not
#: either side's words.
_ONE_VALUE = frozenset({Asks.DATE, Asks.NUMBER, Asks.MONEY, Asks.PLACE, Asks.COUNTRY, Asks.CITY})


class QuestionReader:
    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp

    @classmethod
    def for_settings(cls, settings: Any) -> QuestionReader:
        from .analysis import load_pipeline

        # A question is read from its parse alone: the entity recogniser (a third of the
        # pipeline's time on a question) is left out.
        return cls(load_pipeline(settings.spacy_model, exclude=("ner",)))

    def complete(self, question: str, history: list[dict[str, str]]) -> str:
        """A bare question word ("Why?", "And where?") asks it of the last question: "When was
        he fired?" then "Why?" is "Why was he fired?"; "Did Amazon sell it?" then "Why?" is "Why
        did Amazon sell it?". Any other question, and one whose last question asked for someone
        or something ("Who filed it?" then "When?": the follow-up reading resolves it), is left
        as it is."""
        if not history or len(question.split()) > _BARE_WORDS:
            return question  # no parse for what cannot be a bare question word
        doc = self.nlp(question)
        asked = [t for t in doc if t.tag_ in ("WRB", "WP")]
        if len(asked) != 1 or any(t.i != asked[0].i and t.pos_ not in ("CCONJ", "INTJ", "PUNCT", "SPACE")
                                  for t in doc):
            return question
        last = next((m["content"] for m in reversed(history) if m.get("role") == "user"), "")
        words = [t for t in self.nlp(last) if not t.is_punct and not t.is_space]
        if not words:
            return question
        wh, first = asked[0].text.capitalize(), words[0]
        rest = first.doc[first.i + 1:].text.strip()
        # one adverb of the question for another ("when" -> "why"), or one before a yes/no question;
        # never in place of what the last question asked for ("who filed it?": "when filed it?")
        if first.tag_ == "WRB" and rest and first.nbor().pos_ not in ("ADJ", "ADV"):  # not "how long"
            return f"{wh} {rest}"
        if first.lower_ in _w().auxiliaries and rest:
            return f"{wh} {first.lower_} {rest}"
        return question

    def read(self, question: str) -> QuestionFrame:
        question = _FILLER.sub("", question) or question
        parsed: dict[str, Any] = {}

        def parse(text: str) -> Any:  # a piece parsed to find its verb is not parsed again as a part
            if text not in parsed:
                parsed[text] = self.nlp(text)
            return parsed[text]

        pieces = []
        for sentence in _QUESTIONS.split(question):
            if pieces and not any(t.pos_ in ("VERB", "AUX") for t in parse(sentence)):
                pieces[-1] += " " + sentence  # "Who represents him? Which law firm?": one question
                continue
            pieces.append(sentence)
        pieces = [p.strip() for piece in pieces for p in _PARTS.split(piece) if p and p.strip()]
        if len(pieces) > 1:
            pieces = [pieces[0], *(_named_again(parse(p), [parse(q) for q in pieces[:i + 1]])
                                   for i, p in enumerate(pieces[1:]))]
            parts = tuple(self._frame(parse(p)) for p in pieces)
            whole = self._frame(parse(question))
            return replace(whole, dependent=any(p.dependent for p in parts), parts=parts)
        return self._frame(parse(question))

    def _frame(self, doc: Any) -> QuestionFrame:
        text = doc.text
        words = [t for t in doc if not t.is_punct and not t.is_space]
        names = tuple(dict.fromkeys(t.text.lower() for t in words
                                    if t.pos_ == "PROPN" or (t.i > 0 and t.text[:1].isupper() and t.text != "I")))
        if not words:
            return QuestionFrame(text, Asks.THING)
        first = words[0]
        wh = next((t for t in words if t.tag_ in ("WDT", "WP", "WP$", "WRB")), None)
        head = None
        role = False
        asks: Asks | None = None
        focus: list[str] = []
        exact: list[str] = []
        plural = bool(re.search(r"\b(which|what) (two|three|four|several)\b", text, re.I))

        stands_for = bool(_STANDS_FOR.match(text))
        if stands_for:
            asks = Asks.DEFINITION  # "What does X stand for?", "what does X mean"
        elif first.lower_ in _w().auxiliaries and (wh is None or wh.i > first.i + 2):
            asks = Asks.YES_NO
        elif first.lemma_.lower() in _w().imperatives and first.pos_ == "VERB" or first.lower_ in ("name", "list"):
            objs = [c for c in first.children if c.dep_ in ("dobj", "dative")]
            head = next((c for c in objs if c.lower_ not in ("me", "us")), None)
            if head is None and first.lemma_.lower() in ("tell", "describe", "explain"):
                asks = Asks.DEFINITION
        elif wh is not None:
            low = wh.lower_
            after = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
            if low in ("which", "what", "whose") and wh.dep_ in ("det", "poss") and wh.head.pos_ in ("NOUN", "PROPN"):
                head = wh.head
            elif low in ("which", "what", "whose") and after is not None and (
                    after.pos_ in ("NOUN", "ADJ", "PROPN", "NUM") or _kind_noun(after)):
                # "In which city is ...", "which Russian bodies", "which two dates": the parser
                # may miss the determiner, and may read a noun of a kind as a verb ("which dates
                # did ..." -> VBZ). The phrase's head is the last noun of the run of modifiers and
                # nouns after it ("which city number": a number).
                run = []
                for t in doc[wh.i + 1:]:
                    if t.pos_ not in ("NOUN", "ADJ", "PROPN", "NUM") and not _kind_noun(t):
                        break
                    run.append(t)
                nouns = [t for t in run if t.pos_ == "NOUN" or _kind_noun(t)]
                head = nouns[-1] if nouns else None
            if head is not None or low == "whose":
                if low == "whose":
                    asks = Asks.NAMED
            elif low == "how":
                nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
                if nxt is not None and nxt.lower_ in ("many", "much"):
                    asks = Asks.NUMBER
                    head = nxt.head if nxt.head.pos_ == "NOUN" else None
                    if head is None and any(t.lemma_.lower() in _w().money_words for t in words):
                        asks = Asks.MONEY
                elif nxt is not None and nxt.lower_ in ("long", "soon", "often"):
                    asks = Asks.DATE
                else:
                    asks = Asks.MANNER
            elif low in ("what", "who") and wh.head.lemma_ == "be":
                subjects = [c for c in wh.head.children if c.dep_ in ("nsubj", "attr") and c.i != wh.i]
                subj = subjects[0] if subjects else None
                if subj is not None and (subj.pos_ == "PROPN" or subj.text[:1].isupper() or low == "what" and (
                        subj.pos_ == "NOUN" and (subj.tag_ != "NNS" or wh.head.lower_ in ("is", "'s", "was"))
                        and not any(c.dep_ in ("det", "poss") for c in subj.children))):
                    asks = Asks.DEFINITION  # "What is X?", "whats rekognition" (a bare name, however written)
                elif subj is not None and subj.pos_ == "NOUN" and not any(
                        c.pos_ == "VERB" and not (low == "who" and c.dep_ == "relcl") for c in subj.children):
                    head = subj
                    asks = Asks.PERSON if low == "who" else None
                    # "Who is the whistleblower?": whoever the sources call that, in any words
                    role = low == "who" and subj.lemma_.lower() not in _w().anyone
            if asks is None and head is None:
                verb = wh.head
                asks = {"who": Asks.PERSON, "whom": Asks.PERSON, "when": Asks.DATE, "where": Asks.PLACE,
                        "why": Asks.REASON}.get(low, Asks.THING)
                if low == "where" and verb.lemma_.lower() in _w().membership_verbs:
                    asks = Asks.ORGANISATION  # "where did she work": an employer
                # "who reported it": an outlet; "who did he report his concerns to", "who runs
                # Larchmont": a person (an outlet publishes a story, not a name)
                if low == "who" and verb.lemma_.lower() in _w().source_verbs and not any(
                        c.lower_ == "to" or c.pos_ == "PROPN" for c in verb.children):
                    asks = Asks.SOURCE
        wants_name = False
        sort_of = None
        while head is not None and head.i + 2 < len(doc) and doc[head.i + 1].text == "-" \
                and doc[head.i + 2].pos_ == "NOUN":
            head = doc[head.i + 2]  # "ex-employee", "co-founder": the noun after the hyphen
        if head is not None:
            while head.lemma_.lower() in _w().generic_nouns:
                of = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
                obj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
                if obj is None:
                    break
                wants_name = wants_name or head.lemma_.lower() == "name"
                if head.lemma_.lower() in _w().sort_nouns and not wants_name:
                    sort_of = obj
                head = obj
            lemma = head.lemma_.lower()
            kind = type_nouns().get(lemma) or type_nouns().get(head.lower_)  # "damages" is no plural of damage
            if head.tag_ in ("NNS", "NNPS") and kind not in (Asks.DATE, Asks.NUMBER):
                plural = True
            if sort_of is not None and asks in (None, Asks.ORGANISATION, Asks.PRODUCT, Asks.THING):
                asks = Asks.THING  # a sort of company is no company's name
            elif asks == Asks.NUMBER and kind == Asks.MONEY:
                asks = kind  # "how much compensation": an amount of money, not a share or a count
            elif asks is None or asks in (Asks.PERSON, Asks.NAMED) and kind is not None:
                asks = kind or asks or Asks.THING
            if wants_name and asks == Asks.THING:
                asks = Asks.NAMED  # "the name of the spokesperson": a name, of whoever it is
            if (kind is None or role) and lemma not in _w().generic_nouns:
                focus.append(lemma)
            compounds = [c.lemma_.lower() for c in head.lefts if c.dep_ == "compound" and c.pos_ == "NOUN"
                         and c.lemma_.lower() not in type_nouns() and c.lemma_.lower() not in _w().generic_nouns]
            if lemma in _w().generic_nouns:
                focus += compounds  # "which workplace failings": about the workplace, in any words
            elif asks != Asks.SOURCE:
                exact += compounds
        share = 1.0
        court_verb = None  # "where is the case heard": no word an answer must hold
        if wh is not None and wh.lower_ == "where" and head is None:
            # "Where is VisionLabs headquartered?": the relation asked about must be there; a
            # light verb ("bring a claim") says nothing of which. ("When" questions are left
            # without: the model's word vectors miss too many of their verbs' synonyms, "fired"
            # and "dismissed" 0.33 apart.) A court's verb ("where is the case heard") asks
            # where the case is.
            event = [t for t in words if t.pos_ == "VERB" and t.lemma_.lower() not in _w().light_verbs]
            if event and event[-1].lemma_.lower() in _w().court_verbs:
                court_verb = event[-1]
            elif event:
                focus.append(event[-1].lemma_.lower())
        if asks == Asks.YES_NO:
            # "Has Amazon appealed the ruling?": most of what it asks about must be there.
            focus = [t.lemma_.lower() for t in words if t.pos_ in ("NOUN", "VERB") and t.i != first.i
                     and t.lemma_.lower() not in _w().yes_no_filler and not t.text[:1].isupper()]
            share = 0.5
        if asks is None:
            asks = Asks.THING
        if asks == Asks.THING and any(t.lemma_.lower() in _w().source_verbs for t in words) and \
                any(type_nouns().get(t.lemma_.lower()) == Asks.SOURCE for t in words):
            asks = Asks.SOURCE
        counts_time = head is not None and type_nouns().get(head.lemma_.lower()) == Asks.DATE
        must: list[str] = []
        if asks == Asks.YES_NO:
            # "Has the tribunal issued a ruling?": the thing the event is about must be there,
            # not only most of the words. (Not asked of "when" questions: the model's word
            # vectors put too many of their synonyms apart, "claim" and "lawsuit" 0.53.)
            root = next((t for t in words if t.dep_ == "ROOT"), None)
            verbs = [root] + [c for c in root.children if c.dep_ in ("ccomp", "xcomp")] if root is not None else []
            # ...and so must what it says did it ("Did the share price fall?").
            must = [c.lemma_.lower() for v in verbs for c in v.children
                    if c.dep_ in ("dobj", "nsubj", "nsubjpass") and c.pos_ == "NOUN" and c is not head
                    and c.lemma_.lower() not in _w().generic_nouns and c.lemma_.lower() not in type_nouns()]
        speaker = _speaker(doc)
        # "What does X stand for?": the verb only asks for X's meaning; no source sentence holds it.
        asked_about = [t for t in words if t is not court_verb
                       and not (stands_for and t.pos_ == "VERB" and t.lemma_.lower() in _MEANING_VERBS)]
        duration = wh is not None and wh.lower_ == "how" and wh.i + 1 < len(doc) and doc[wh.i + 1].lower_ == "long"
        content = _content(asked_about, names, speaker)
        things = tuple(dict.fromkeys(t.lower_ for t in asked_about if t.pos_ == "NOUN" and t.lower_ in content
                                     and _names_a_thing(t)))
        return QuestionFrame(text, asks, tuple(dict.fromkeys(focus)), tuple(exact), names, share, plural,
                             asks not in _ONE_VALUE and _asks_both_sides(doc), self._dependent(doc, words), _phrase(doc, wh),
                             counts_time, speaker,
                             any(t.lower_ in _w().alleged for t in words), tuple(must),
                             head.lemma_.lower() if head is not None and asks in _NAMED_KINDS else "",
                             duration,
                             head is not None and not role and (asks == Asks.PERSON and head.lemma_.lower() not in _w().anyone
                                                   or wants_name and head.lemma_.lower() not in type_nouns()),
                             content,
                             _content([t for t in asked_about if _in_main_clause(t)], names, speaker),
                             sort_of.lemma_.lower() if sort_of is not None else "",
                             _adjectives(head) if head is not None else (), things,
                             object_asked=_asks_object(words, wh), about_words=_about_words(words))

    @staticmethod
    def _dependent(doc: Any, words: list[Any]) -> bool:
        """A pronoun with nothing in the question to point to, a demonstrative, or an ellipsis."""
        if words[0].lower_ in ("and", "also") or re.match(r"\s*(what|how) about\b", doc.text, re.I):
            return True
        if re.search(r"\b(say|says|said|do|does|did) so\b", doc.text, re.I):
            return True
        if _REPLY.search(doc.text):
            return True  # "What did X say in response?": in response to what was just said
        for t in words:
            low = t.lower_
            if low in _w().pointers and t.dep_ != "expl" and not (low == "it" and t.i == 1 and words[0].lower_ == "is"):
                # "he", "it": only a name before it in the question can be what it means
                antecedents = [x for x in words if x.i < t.i and x.pos_ == "PROPN"]
                if low in _w().personal and not antecedents or not antecedents and not \
                        [x for x in words if x.i < t.i and x.pos_ == "NOUN"]:
                    return True
            if low in _w().demonstratives and t.dep_ not in ("mark", "nsubj") and t.tag_ != "WDT":
                return True
            if low in _w().demonstratives and t.dep_ == "nsubj" and t.head.lemma_ != "be":
                return True
        has_verb = any(t.pos_ in ("VERB", "AUX") for t in words)
        return not has_verb and len(words) <= 4


#: Dependencies that hang a clause on a word to say which thing it is or what went with it.
_SUBORDINATE = frozenset({"relcl", "acl", "advcl", "ccomp", "xcomp", "prep", "pcomp"})
#: The clauses that only say which thing is meant ("the moratorium that X refers to").
_NAMING_CLAUSES = frozenset({"relcl", "acl"})


def _asks_both_sides(doc: Any) -> bool:
    """Whether the question asks for each side of a dispute ("What did Amazon say in
    response?"): a word of replying outside any clause that only says which thing is meant
    ("the moratorium that Amazon refers to in its response" asks for no side's reply)."""
    for m in _both_sides().finditer(doc.text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
        if span is not None and _in_main_clause(span[0], _NAMING_CLAUSES):
            return True
    return False


def _in_main_clause(t: Any, subordinate: frozenset[str] = _SUBORDINATE) -> bool:
    """Whether a word belongs to the question's main clause, outside every ``subordinate``
    clause: "Who chairs the committee that questioned X?" asks who chairs it; what it
    questioned only says which committee."""
    while t.head.i != t.i:
        if t.dep_ in subordinate:
            return False
        t = t.head
    return True


def _adjectives(head: Any) -> tuple[str, ...]:
    """The adjectives that say which of the things asked for is meant ("Russian" of "which
    Russian company"), not those that only hedge it ("alleged") or function words ("other")."""
    return tuple(t.lower_ for t in head.lefts if t.dep_ == "amod" and t.pos_ in ("ADJ", "PROPN")
                 and t.lower_ not in english().stopwords and t.lower_ not in _w().alleged)


def _content(words: list[Any], names: tuple[str, ...], speaker: str) -> tuple[str, ...]:
    """What the question is about, word by word: its nouns, verbs, adjectives and numbers, but
    for names (the sources' names are matched as names), words that only say what kind of answer
    is wanted (a word for anyone at all: "the man suing X" is whoever sues X), light verbs and
    words of saying (who says it is the speaker's to match)."""
    w = _w()
    skip = english().stopwords | w.kind_words | w.generic_nouns | w.light_verbs | w.yes_no_filler | _speaking() \
        | w.anyone | set(speaker.lower().split())
    out = []
    joined: set[int] = set()
    for t in words:
        if t.i in joined:
            continue
        low, lemma = t.lower_, t.lemma_.lower()
        compound = _hyphenated(t)
        if compound is not None:  # "ex-employee" is one word, not "ex" and "employee"
            joined.add(t.i + 2)
            if compound.lower() not in names:
                out.append(compound.lower())
            continue
        if t.pos_ not in ("NOUN", "VERB", "ADJ", "NUM") or low in names or low in skip or lemma in skip:
            continue
        if t.pos_ == "NUM" and not any(ch.isdigit() for ch in low):
            continue
        out.append(low)
    return tuple(dict.fromkeys(out))


def _kind_noun(t: Any) -> bool:
    """A word naming a kind of answer ("dates", "outlets"), whatever part of speech the parser
    gave it: the small pipeline reads "which dates did ..." with "dates" a verb."""
    return t.lemma_.lower() in type_nouns() or t.lower_ in type_nouns()


def _names_a_thing(t: Any) -> bool:
    """A noun that speaks of a thing of the world: not the kind of thing asked for ("which
    outlet"), someone's side of it ("Amazon's account") or a text ("the reporting"), nor the
    noun of a preposition of several words ("at the heart of")."""
    lemma = t.lemma_.lower()
    if lemma in type_nouns() or lemma in _w().sayings or lemma in _w().documents:
        return False
    return not (lemma in _w().preposition_nouns and t.dep_ == "pobj"
                and any(c.dep_ == "prep" and c.lower_ == "of" for c in t.children))


def _hyphenated(t: Any) -> str | None:
    """The word a token starts when the parser split it at a hyphen ("ex-employee"), or None."""
    doc = t.doc
    if t.i + 2 >= len(doc) or t.whitespace_ or doc[t.i + 1].text != "-" or doc[t.i + 1].whitespace_:
        return None
    nxt = doc[t.i + 2]
    return f"{t.text}-{nxt.text}" if t.is_alpha and nxt.is_alpha else None


def _speaker(doc: Any) -> str:
    """Whose words the question asks for: the subject of a verb of saying ("What does Amazon
    say ...", "Does Amazon accept ..."), the X of "according to X", or the owner of a saying
    ("Amazon's response"); "" when it asks about the world itself."""
    def named(t: Any) -> str:
        before = doc[t.left_edge.i - 1] if t.left_edge.i > 0 else None
        if t.pos_ == "PRON" or any(x.tag_ in ("WP", "WDT", "WP$") for x in doc[t.left_edge.i: t.i + 1]) or \
                before is not None and before.tag_ in ("WP", "WDT", "WP$"):
            return ""  # "he", "which bodies", "whose sanctions": no one named
        return doc[t.left_edge.i: t.i + 1].text  # the name and what stands before it, not a clause after
    for t in doc:
        if t.pos_ == "VERB" and t.lemma_.lower() in _speaking():
            # passive, also where the parser hung the participle on the question's "is" ("Which
            # sanctions is Amazon accused of breaching?": Amazon is accused, not accusing)
            if any(c.dep_ == "auxpass" for c in t.children) or \
                    (t.tag_ == "VBN" and t.head.lemma_ == "be" and t.head.i < t.i):
                # "What is X called?", "How is X described by Y?": X is what is said of; the
                # speaker, if any, is the agent
                agent = next((o for c in t.children if c.dep_ == "agent" for o in c.children if o.dep_ == "pobj"), None)
                if agent is not None and named(agent):
                    return named(agent)
                continue
            subj = next((c for c in t.children if c.dep_ == "nsubj"), None)
            if subj is not None and named(subj):
                return named(subj)
        if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to":
            obj = next((c for c in doc[t.i + 1].children if c.dep_ == "pobj"), None)
            if obj is not None and named(obj):
                return named(obj)
        if t.pos_ == "NOUN" and t.lemma_.lower() in _w().sayings:
            owner = next((c for c in t.children if c.dep_ == "poss"), None)
            if owner is not None and named(owner):
                return doc[owner.left_edge.i: owner.i + 1].text.removesuffix("'s").removesuffix("’s")
    return ""


def _phrase(doc: Any, wh: Any) -> str:
    """"which law firm represents Amazon", for "The sources don't say ...": the question as an
    indirect one, when its shape allows; else "". Of a message of two questions ("Who represents
    him? Which law firm?"), the first says it."""
    return _indirect(doc, wh).split("?")[0].strip()


def _asks_object(words: list[Any], wh: Any) -> bool:
    """Whether "who(m)" asks for whom the act was done to or for ("Who did Amazon sell it to?",
    "Whom did they fire?", "Who was it provided to?", "Who got it?"), not who did it: "whom",
    "who" as the subject of a verb of receiving, or "who" opening a question with do-support or
    ending on a preposition with nothing after it."""
    if wh is None or wh.lower_ not in ("who", "whom"):
        return False
    if wh.lower_ == "whom" or wh.dep_ == "nsubj" and wh.head.lemma_.lower() in _w().receiving:
        return True  # "Who got it?": whom it was given or sold to
    if wh is not words[0] or len(words) < 3:
        return False
    last = words[-1]
    do_support = words[1].lemma_.lower() == "do" and words[1].pos_ == "AUX"
    return do_support or last.pos_ == "ADP" and not any(c.i > last.i for c in last.children)


def _indirect(doc: Any, wh: Any) -> str:
    """The whole of ``doc`` as an indirect question, or "" (see :func:`_phrase`)."""
    text = doc.text.strip().rstrip("?").strip()
    if wh is None or wh.i != next((t.i for t in doc if not t.is_punct), -1) and doc[0].dep_ != "prep":
        return ""
    # "Which law firm represents Amazon": no inversion, the text as it is.
    aux = next((t for t in doc if t.i > wh.i and t.pos_ == "AUX"), None)
    if aux is None or aux.i < wh.i:
        after = doc[wh.head.right_edge.i + 1] if wh.head.right_edge.i + 1 < len(doc) else None
        if wh.dep_ == "det" and after is not None and after.lower_ in _w().auxiliaries and after.lemma_ == "do":
            return ""  # "what product does the case concern" misparsed: "does" read as the verb
        if any(t.i > wh.i + 1 and t.lemma_ == "do" and t.tag_ in ("VBD", "VBZ", "VBP") for t in doc):
            return ""  # "how many issues did the whistleblower flag": "did" read as the verb
        return text[:1].lower() + text[1:]
    subj = next((t for t in doc if t.dep_ in ("nsubj", "nsubjpass") and t.i > aux.i), None)
    if subj is None and aux.dep_ == "ROOT":
        # "What's X's excuse?": the parser may make both sides of the copula attributes
        subj = next((t for t in aux.children if t.dep_ == "attr" and t.i > aux.i and t.pos_ in ("NOUN", "PROPN")), None)
    verb = next((t for t in doc if t.i > aux.i and t.pos_ == "VERB"), None)
    if subj is not None:
        # The subject's words after the auxiliary only (a misparse may hang the wh-phrase on
        # it), and its head is the verb the auxiliary goes with, whatever tag the parser gave
        # it ("did Forrest allegedly neglect, according to ..." has "neglect" as an adjective).
        start, end = max(subj.left_edge.i, aux.i + 1), subj.right_edge.i + 1
        if subj.head.i >= end and subj.head.dep_ == "ROOT" and subj.head.pos_ != "AUX":
            verb = subj.head
    elif aux.tag_ == "MD":
        return text[:1].lower() + text[1:]  # "who would be able to ...": the subject is the wh-word
    elif verb is not None and verb.i > aux.i + 1:
        start, end = aux.i + 1, verb.i  # the parser missed the subject: the words before the verb
    elif aux.lemma_ == "do":
        return ""  # no verb found to carry "did" ("when did the court rule", "rule" read as a noun)
    else:
        return text[:1].lower() + text[1:]
    if all(t.is_stop or t.is_punct for t in doc[start:end]):
        return ""  # a misparse ("the" read as the subject): the bare sentence reads better
    before = doc[: aux.i].text
    rest = doc[end:].text.rstrip("?").strip()
    if aux.lemma_ == "do":
        if verb is None or verb.i < end:
            return ""
        inflected = _inflect(verb.lemma_, "VBD") if aux.tag_ == "VBD" else \
            (_inflect(verb.lemma_, "VBZ") if aux.lower_ == "does" else verb.text)
        if inflected is None:
            return ""
        middle = doc[end:verb.i].text  # kept joined to the subject as written ("the ex-employee")
        rest = (doc[end - 1].whitespace_ + middle + " " if middle else " ") + inflected + verb.whitespace_ \
            + doc[verb.i + 1:].text.rstrip("?").strip()
        out = f"{before} {doc[start:end].text}{rest}"
    else:
        if rest and (doc[end].pos_ in ("NOUN", "PROPN") or doc[end].text[:1] in "'’"
                     or any(t.dep_ == "dep" for t in doc[end:])):
            return ""  # the parser cut the subject short ("the name of acmes | face scan product")
        out = f"{before} {doc[start:end].text} {_written_out(aux, doc[end] if rest else None)} {rest}"
    out = re.sub(r"\s+", " ", out).strip().rstrip("?").strip()
    return out[:1].lower() + out[1:]


def _written_out(aux: Any, following: Any) -> str:
    """An auxiliary as it stands apart from its subject: "what's X called" -> "what X is called"
    (the tokenizer's norm: "'re" is "are"; "'s" is "has" before "been", else by its lemma)."""
    if aux.text[:1] not in "'’":
        return aux.text
    if aux.norm_[:1] not in "'’":
        return aux.norm_
    lemma = "have" if following is not None and following.lemma_ == "be" and following.tag_ == "VBN" else aux.lemma_
    return _inflect(lemma, aux.tag_) or aux.text


def _inflect(lemma: str, tag: str) -> str | None:
    """The form of ``lemma`` for the Penn ``tag`` ("VBD": its past), or None when lemminflect has none."""
    from lemminflect import getInflection

    forms = getInflection(lemma, tag=tag)
    return forms[0] if forms else None


def _named_again(doc: Any, earlier: list[Any]) -> str:
    """A part's bare "the committee" is the committee an earlier part named: "Who chairs the
    Commons committee, and what is the committee called?" asks the second part of the Commons
    committee, so its names (which the sources may never mention) go with it."""
    text = doc.text
    for t in reversed(list(doc)):  # from the end, so earlier offsets hold
        if t.pos_ != "NOUN" or any(c.dep_ in ("compound", "amod", "poss", "nmod") for c in t.children) \
                or not any(c.lower_ in ("the", "that", "this") and c.dep_ == "det" for c in t.children):
            continue
        names = next(([c for c in before.children if c.dep_ == "compound" and c.i < before.i]
                      for d in earlier for before in d if before.lemma_ == t.lemma_ and before.pos_ == "NOUN"
                      and any(c.dep_ == "compound" and c.text[:1].isupper() for c in before.children)), None)
        if names:
            start = min(c.left_edge.i for c in names)
            text = text[:t.idx] + names[0].doc[start:names[-1].i + 1].text + " " + text[t.idx:]
    return text
