"""What a sentence calls a named thing, read from spaCy's dependency parse at ingest.

Who's who shows one role per entity, a phrase the sources use for it: an apposition
("Charles Forrest, a former AWS employee,"), a descriptor the name stands beside ("the
Russian company VisionLabs", "its facial recognition technology, Amazon Rekognition",
"Forrest's solicitors, Harcourt Vell LLP"), else what the sentence itself states the
entity did ("British police continued to use ..."). A clause the name only stands in (a
"that" clause of a noun, a subordinate "after ..." or "since ..." clause) gives no role:
"no finding that X was a legitimate customer" does not make X one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

#: The longest role, in words.
ROLE_WORDS = 12

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


def role_of(ent: Any) -> tuple[str, str]:
    """(role, kind) for the entity span ``ent`` of a parsed sentence, or ("", "")."""
    if not ent.doc.has_annotation("DEP"):
        return "", ""
    root = ent.root
    # "British police": the group an adjective of nationality qualifies stands for it.
    subject = root.head if ent.label_ == "NORP" and root.dep_ == "amod" and root.head.pos_ in _NOUNS else root
    for find, kind in ((_apposition, RoleKind.APPOSITION), (_descriptor, RoleKind.DESCRIPTOR),
                       (_predicate, RoleKind.PREDICATE)):
        phrase = find(ent, subject)
        if phrase:
            return phrase, str(kind)
    return "", ""


def _text(tokens: list[Any]) -> str:
    return "".join(t.text_with_ws for t in tokens).strip()


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
    head = subject.head
    if subject.dep_ == "appos" and head.i < ent.start and head.pos_ in _NOUNS:
        noun = head
    elif ent.start > 0 and doc[ent.start - 1].pos_ in _NOUNS and doc[ent.start - 1].dep_ != "compound" \
            and not doc[ent.start - 1].ent_type_:
        noun = doc[ent.start - 1]
    else:
        return ""
    words = [t for left in noun.lefts if left.dep_ != "det" and left.pos_ not in ("PRON", "PUNCT")
             for t in left.subtree] + [noun]
    words = sorted(words, key=lambda t: t.i)
    if [t.i for t in words] != list(range(words[0].i, words[-1].i + 1)) or len(words) > ROLE_WORDS:
        return ""
    return _text(words)


def _predicate(ent: Any, subject: Any) -> str:
    """What the sentence states the subject did: the verb with its objects and complements, up
    to the first aside ("imposed sanctions on Russia"), when the verb is the sentence's own
    statement or one it reports ("X claims that police continued to ..."), not a clause
    subordinate to another ("after X banned ...", "no finding that X was ...")."""
    if subject.dep_ not in ("nsubj", "nsubjpass"):
        return ""
    verb = subject.head
    if verb.pos_ not in _VERBS or not (verb.dep_ == "ROOT" or (verb.dep_ in ("ccomp", "conj")
                                                               and verb.head.dep_ == "ROOT")):
        return ""
    kept = _kept(verb, _NOT_PREDICATE)
    after = sorted(i for i in kept if i > subject.i)
    if not after:
        return ""
    run = _run(kept, after[0])
    return _text([ent.doc[i] for i in run]) if len(run) >= 2 and verb.i in run else ""
