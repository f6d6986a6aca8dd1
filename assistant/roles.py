"""What a sentence calls a named thing, read from spaCy's dependency parse at ingest.

Who's who shows one role per entity, a phrase the sources use for it: an apposition
("Charles Forrest, a former AWS employee,"), a descriptor the name stands beside ("the
Russian company VisionLabs", "its facial recognition technology, Amazon Rekognition",
"Forrest's solicitors, Harcourt Vell LLP"), else what the sentence itself states the
entity did ("British police continued to use ..."). A clause the name only stands in (a
"that" clause of a noun, a subordinate "after ..." or "since ..." clause) gives no role:
"no finding that X was a legitimate customer" does not make X one; nor does a verb of
saying ("X said in a statement" tells what X did, not what X is).
"""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from typing import Any

#: The longest role, in words.
ROLE_WORDS = 12

#: spaCy's labels of a name that is a place (a country or city, a region, a building).
PLACE_LABELS = ("GPE", "LOC", "FAC")

#: Dependents that start another clause or an aside: a role phrase stops before them.
_ASIDE = frozenset({"advcl", "acl", "relcl", "punct", "mark", "ccomp", "parataxis", "appos", "dep", "meta",
                    "intj", "discourse"})
#: Dependents of the verb that are not what the subject did (its subject, a second clause).
_NOT_PREDICATE = _ASIDE | {"nsubj", "nsubjpass", "csubj", "csubjpass", "expl", "cc", "conj"}
_NOUNS = ("NOUN",)
_VERBS = ("VERB", "AUX")


class RoleKind(StrEnum):
    APPOSITION = "apposition"
    DESCRIPTOR = "descriptor"
    PREDICATE = "predicate"
    EVENT = "event"  # of a date: what it dates


def role_of(ent: Any, saying: frozenset[str] = frozenset()) -> tuple[str, str]:
    """(role, kind) for the entity span ``ent`` of a parsed sentence, or ("", ""). ``saying``:
    the lemmas of verbs of saying (the data file's), whose subject gets no role from them."""
    if not ent.doc.has_annotation("DEP"):
        return "", ""
    root = ent.root
    # "British police": the group an adjective of nationality qualifies stands for it.
    subject = root.head if ent.label_ == "NORP" and root.dep_ == "amod" and root.head.pos_ in _NOUNS else root
    for find, kind in ((_apposition, RoleKind.APPOSITION), (_descriptor, RoleKind.DESCRIPTOR),
                       (partial(_predicate, saying=saying), RoleKind.PREDICATE)):
        phrase = find(ent, subject)
        if phrase:
            return phrase, str(kind)
    return "", ""


def _text(tokens: list[Any]) -> str:
    """The tokens as written; where tokens between them are left out, one space."""
    out = ""
    for prev, t in zip([None, *tokens], tokens):
        if prev is not None:
            out += prev.whitespace_ if t.i == prev.i + 1 else " "
        out += t.text
    return out.strip()


def _kept(token: Any, drop: frozenset[str]) -> set[int]:
    """``token`` and its dependents, less those (and theirs) whose relation is in ``drop``
    or, below the first level, an aside."""
    kept = {token.i}
    for child in token.children:
        if child.dep_ not in drop:
            kept |= _kept(child, _ASIDE)
    return kept


def _run(kept: set[int], start: int) -> list[int]:
    """The unbroken run of ``kept`` token positions from ``start``."""
    run = []
    while start in kept:
        run.append(start)
        start += 1
    return run


def acts(ent: Any, titles: frozenset[str] = frozenset()) -> bool:
    """Whether the sentence has the name do something: the subject of its verb, or the agent of
    a passive ("by X"), directly or in a list of them. "Russia denied it" has Russia act; "a
    tribunal in London", "a former AWS employee" do not. A title written after the name
    (``titles``: "Gareth Penhallow MP, who ..., sent") is the parse's head of the name: the
    name acts where it does."""
    if not ent.doc.has_annotation("DEP"):
        return False
    token = ent.root
    if token.dep_ == "compound" and token.head.i == ent.end and token.head.lower_.strip(".") in titles:
        token = token.head
    while token.dep_ in ("conj", "appos") and token.head.i != token.i:
        token = token.head
    return token.dep_ in ("nsubj", "nsubjpass") or token.dep_ == "pobj" and token.head.dep_ == "agent"


def clause_of(ent: Any) -> str:
    """What a relative clause on a name says the entity does: "chairs the Commons Digital
    Oversight Committee" of "Gareth Penhallow MP, who chairs the ...". Not a role (a role is
    a noun phrase), but what a question may call the entity by ("the committee chair")."""
    if not ent.doc.has_annotation("DEP"):
        return ""
    hosts = list(ent) + ([ent.root.head] if ent.root.dep_ == "compound" else [])
    for host in hosts:
        for verb in host.children:
            if verb.dep_ != "relcl" or verb.i < ent.start:
                continue
            pronoun = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c.tag_ in ("WP", "WDT")),
                           None)
            if pronoun is None:
                continue
            words = [t for t in verb.subtree if t.i != pronoun.i and not t.is_punct]
            if 2 <= len(words) <= ROLE_WORDS and [t.i for t in words] == list(range(words[0].i, words[-1].i + 1)):
                return _text(words)
    return ""


def _apposition(ent: Any, subject: Any) -> str:
    """"Name, a former employee of X," -> "a former employee of X"; "X, counsel for Y," too;
    and a phrase set off by commas right after the name ("Name, for Amazon, argued")."""
    doc = ent.doc
    for child in subject.children:
        if child.dep_ == "appos" and child.i >= ent.end and child.pos_ in _NOUNS and not child.ent_type_:
            kept = _kept(child, _ASIDE)
            run = _run(kept, min(kept))
            if run and len(run) <= ROLE_WORDS:
                return _text([doc[i] for i in run])
    if ent.end + 1 < len(doc) and doc[ent.end].text == ",":
        aside = doc[ent.end + 1]
        if aside.dep_ == "prep" and aside.head.i in (subject.i, subject.head.i) and aside.left_edge.i == aside.i:
            after = aside.right_edge.i + 1
            if after < len(doc) and doc[after].text == "," and after - aside.i <= ROLE_WORDS:
                return _text(list(doc[aside.i:after]))
    return ""


def _descriptor(ent: Any, subject: Any) -> str:
    """"the Russian company Name" -> "Russian company"; "its X technology, Name," -> "X
    technology"; "Forrest's solicitors, Name," -> "Forrest's solicitors". The noun the name
    is in apposition to, or (where the parser took the name for something else) the common
    noun right before it."""
    doc = ent.doc
    set_off = subject.dep_ == "appos" or (subject.dep_ == "npadvmod" and ent.start > 0
                                          and doc[ent.start - 1].text == ",")
    if set_off and subject.head.i < ent.start and (noun := _described_noun(subject.head, ent)) is not None:
        # the noun's own modifiers up to the name: "a former sanctions officer at AWS, Name,"
        after = [t for right in noun.rights if right.dep_ == "prep" and right.i < ent.start
                 for t in right.subtree if t.i < ent.start and not t.is_punct]
    elif ent.start > 0 and doc[ent.start - 1].pos_ in _NOUNS and doc[ent.start - 1].dep_ != "compound" \
            and not doc[ent.start - 1].ent_type_:
        noun, after = doc[ent.start - 1], []
    else:
        return ""
    words = [t for left in noun.lefts if left.dep_ != "det" and left.pos_ not in ("PRON", "PUNCT")
             for t in left.subtree] + [noun] + after
    words = sorted(words, key=lambda t: t.i)
    if [t.i for t in words] != list(range(words[0].i, words[-1].i + 1)) or len(words) > ROLE_WORDS:
        return ""
    return _text(words)


def _described_noun(head: Any, ent: Any) -> Any | None:
    """The common noun a name set off by commas after it describes: the noun itself (one that
    opens a sentence is capitalised, and may be tagged a proper noun: "Counsel for Forrest,
    Name,"), or, where the parser hung the name on a name of another kind inside the noun's
    phrase ("officer at AWS, Name,"), the noun that phrase belongs to. (A place after a place
    names where the first is: "a tribunal in London, England," does not make England a
    tribunal.)"""
    if not head.ent_type_ and head.pos_ in (*_NOUNS, "PROPN"):
        return head
    if head.ent_type_ == ent.label_ or ent.label_ in PLACE_LABELS:
        return None
    owner = head.head.head if head.dep_ == "pobj" and head.head.dep_ == "prep" else None
    if owner is not None and owner.i < head.i and not owner.ent_type_ and owner.pos_ in (*_NOUNS, "PROPN"):
        return owner
    return None


def _predicate(ent: Any, subject: Any, saying: frozenset[str] = frozenset()) -> str:
    """What the sentence states the subject did: the verb with its objects and complements, up
    to the first aside ("imposed sanctions on Russia"), when the verb is the sentence's own
    statement or one it reports ("X claims that police continued to ..."), not a clause
    subordinate to another ("after X banned ...", "no finding that X was ...")."""
    if subject.dep_ not in ("nsubj", "nsubjpass"):
        return ""
    verb = subject.head
    if verb.lemma_.lower() in saying:
        return ""
    if verb.pos_ not in _VERBS or not (verb.dep_ == "ROOT" or (verb.dep_ in ("ccomp", "conj")
                                                               and verb.head.dep_ == "ROOT")):
        return ""
    kept = _kept(verb, _NOT_PREDICATE)
    after = sorted(i for i in kept if i > subject.i)
    if not after:
        return ""
    run = _run(kept, after[0])
    return _text([ent.doc[i] for i in run]) if len(run) >= 2 and verb.i in run else ""


def _capitalised(token: Any) -> bool:
    return token.is_title or (token.is_upper and token.is_alpha)


def name_of(ent: Any, titles: frozenset[str]) -> tuple[str, str, bool]:
    """(name, title, person) of a named entity as the source writes it: the titles the parse
    attaches to it (capitalised compounds before it, titles inside its span) come off the name
    ("Employment Judge" of "Employment Judge Priya Halloran", "Assistant Chief Constable" of
    "Assistant Chief Constable Ruth Calloway", which the model may label an organisation); a
    first name it left out comes back ("Fenella" of "Fenella Stroud KC"); a title after it
    ("KC", "MP") stays in it as written. A name with a title is a person's. ``titles``: the
    data file's list, lowercase."""
    doc = ent.doc
    tokens = list(ent)
    lead = 0
    while lead < len(tokens) - 1 and tokens[lead].lower_.strip(".") in titles:
        lead += 1
    inside = {t.i for t in tokens}
    run: list[Any] = []  # capitalised compounds right before the name, attached to it
    i = ent.start - 1
    while i >= 0 and len(run) < 4:
        t = doc[i]
        if not (_capitalised(t) and t.dep_ == "compound" and (t.head.i in inside or t.head.i > t.i)):
            break
        run.insert(0, t)
        inside.add(t.i)
        i -= 1
    title_words = run + tokens[:lead]
    named = tokens[lead:]
    person = ent.label_ == "PERSON"
    if not any(t.lower_.strip(".") in titles for t in title_words):
        title_words = []
        if person and run and not run[-1].is_stop:
            named = [run[-1]] + named  # "Fenella Stroud KC" read as "Stroud KC"
    after = doc[ent.end] if ent.end < len(doc) else None
    post = after is not None and after.is_upper and 2 <= len(after.text) <= 3 and after.lower_ in titles
    person = person or bool(title_words) or post or named[-1].lower_.strip(".") in titles
    while len(named) > 1 and named[-1].tag_ == "POS":  # "Severnshire Constabulary's contractor"
        named.pop()
    title = _text(title_words) or (after.text if post else "")
    return _text(named), title, person


def group_of(ent: Any) -> str:
    """"British police": the group a word of nationality qualifies, the noun and the words
    between ("Russian state security agencies"); "" where it qualifies no noun. (Where the
    phrase describes a name, "the Russian company VisionLabs", it is that name's descriptor.)"""
    root = ent.root
    if ent.label_ != "NORP" or root.dep_ != "amod" or root.head.pos_ not in _NOUNS or root.head.i < root.i:
        return ""
    noun = root.head
    doc = ent.doc
    between = doc[ent.end:noun.i]
    if any(t.head.i != noun.i and t.head.i not in range(ent.end, noun.i) or t.pos_ not in ("NOUN", "ADJ", "PROPN")
           for t in between):
        return ""
    return _text(list(doc[ent.start:noun.i + 1]))


#: Dependents of a verb that belong to the event a date dates (not another clause, not an aside).
_EVENT_PARTS = frozenset({"nsubj", "nsubjpass", "aux", "auxpass", "neg", "prt", "dobj", "attr", "acomp", "prep",
                          "agent", "dative", "oprd"})
#: The longest event, in words.
EVENT_WORDS = 14


#: The parts of a clause that say which event it is: the verb's subject, object, complement
#: and the objects of its prepositions.
_EVENT_ARGUMENTS = ("nsubj", "nsubjpass", "dobj", "attr", "pobj")


def event_words_of(ent: Any) -> str:
    """The words of the event a name or date belongs to, from the parse: the lemma of the
    nearest verb above it and the heads of that verb's subject, object and prepositional
    objects ("engage aws misconduct issue" for "between November 2022 and May 2023" in "AWS had
    engaged in misconduct on multiple issues between ..."; "dismiss he company" for "he was
    dismissed by the company in 2023"). It tells which of a sentence's dates or names goes
    with what a question asks about. "" where the parse has no verb above it."""
    if not ent.doc.has_annotation("DEP"):
        return ""
    for token in ent.root.ancestors:
        if token.pos_ == "VERB":
            heads = [c for c in token.children if c.dep_ in _EVENT_ARGUMENTS]
            heads += [g for c in token.children if c.dep_ in ("prep", "agent") for g in c.children if g.dep_ == "pobj"]
            own = {t.i for t in ent}
            return " ".join([token.lemma_.lower()] + [h.lemma_.lower() for h in heads if h.i not in own])
    return ""


def holder_of(ent: Any) -> str:
    """The noun the verb above a name only qualifies, which is that verb's subject: "company"
    for "the Netherlands" in "a shell company based in the Netherlands" (its place is the
    company's, not that of the sentence's other names); "" where the verb has a clause of its own."""
    if not ent.doc.has_annotation("DEP"):
        return ""
    verb = next((t for t in ent.root.ancestors if t.pos_ == "VERB"), None)
    if verb is None or verb.dep_ not in ("acl", "relcl") or verb.head.pos_ not in ("NOUN", "PROPN"):
        return ""
    return verb.head.lemma_.lower()


def event_of(date: Any) -> str:
    """What a date dates, from the parse: who did what, the clause of the verb its phrase hangs
    on without the date ("Charles Forrest filed a lawsuit at an employment tribunal in London"
    for "in June 2024", "Gareth Penhallow MP sent the letters"), only where the verb has a
    subject that names someone (not "he", "which"); or the thing a date qualifies ("a further
    case management hearing" for "on 23 November"). Otherwise "", and the timeline reads the
    clause the date stands in."""
    doc = date.doc
    if not doc.has_annotation("DEP"):
        return ""
    dates = {t.i for e in doc.ents if e.label_ == "DATE" for t in e}
    phrase = date.root
    if phrase.dep_ == "pobj" and phrase.head.dep_ == "prep":
        phrase = phrase.head
    verb = phrase.head
    leave = {t.i for t in phrase.subtree} | dates
    if verb.pos_ in _NOUNS and verb.dep_ in ("dobj", "nsubjpass", "attr") and verb.head.pos_ in _VERBS:
        verb = verb.head  # "the 2022 invasion ..." as the object of what someone did
    elif verb.pos_ in _NOUNS and verb.dep_ not in ("nsubj", "nsubjpass"):
        # "with a further case management hearing on 23 November": the thing it dates
        words = [doc[i] for i in sorted(_kept(verb, _ASIDE) - leave)]
        return _text(words) if 2 <= len(words) <= EVENT_WORDS and words[-1] == verb else ""
    if verb.pos_ in _VERBS and verb.dep_ == "acl" and verb.head.pos_ in _NOUNS:
        # "a judgment handed down on Tuesday, 17 March 2026": the thing, and what was done with it
        noun = verb.head
        kept = {t.i for left in noun.lefts if left.dep_ not in _ASIDE for t in left.subtree} | {noun.i, verb.i}
        kept |= {t.i for c in verb.children if c.dep_ in ("prt", "auxpass", "agent") for t in c.subtree}
        words = [doc[i] for i in sorted(kept - leave)]
        return _text(words) if 3 <= len(words) <= EVENT_WORDS else ""
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if verb.pos_ not in _VERBS or subject is None or subject.pos_ == "PRON" or subject.tag_.startswith("W"):
        return ""
    kept = {verb.i}
    for child in verb.children:
        if child.dep_ in _EVENT_PARTS and child.i not in leave:
            kept |= _kept(child, _ASIDE)
    words = [doc[i] for i in sorted(kept - leave)]
    while words and (words[-1].is_punct or words[-1].dep_ in ("cc", "prep")):
        words.pop()
    if len(words) < 3 or len(words) > EVENT_WORDS or any(t.tag_.startswith("W") for t in words):
        return ""
    return _text(words)
