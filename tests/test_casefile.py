"""The timeline and who's who: built from analysed sentences (unit tests on made-up records),
computed at ingest for the case corpus, and following the corpus when a document comes and goes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from assistant.casefile import Casefile, build_casefile
from assistant.index.manifest import CaseProfile, Party
from assistant.index.records import Attribution, Mention, Passage, Sentence, Stance
from assistant.analysis import mention_of
from shared_support import need_shared

CASE = CaseProfile(aliases=[["acme", "acme labs"], ["freedonia", "freedonian"]],
                   parties=[Party(label="Vance", names=["vance", "jordan vance"], asserts="alleges"),
                            Party(label="Acme", names=["acme", "acme labs"])])


def _passage(doc: str, text: str, position: int = 0, publisher: str = "Daily Test", date: str = "",
             headline: bool = False) -> Passage:
    return Passage.new(doc, text, title=f"About {doc}", publisher=publisher, date=date, position=position,
                       headline=headline)


def _sentence(passage: Passage, index: int, text: str, mentions: list[tuple[str, str, str]],
              speaker: str = "", stance: Stance = Stance.REPORTS, claim_from: str = "", nlp=None) -> Sentence:
    """``claim_from``: where the speaker's claim begins (what precedes it is the narrator's).
    With ``nlp`` each mention gets the role the parse of ``text`` gives it, as ingest does."""
    base = Sentence.new(passage, index, text)
    doc, seen, made = nlp(text) if nlp is not None else None, {}, []
    for m in mentions:
        span = None
        if doc is not None:  # a name told twice: its next place
            seen[m[0]] = start = text.index(m[0], seen.get(m[0], -1) + 1)
            span = doc.char_span(start, start + len(m[0]), label=m[1])
        made.append(replace(mention_of(span), value=m[2]) if span is not None else Mention(*m))
    return Sentence(base.id, base.passage_id, base.doc_id, index, text, passage.position,
                    mentions=tuple(made),
                    attribution=Attribution(speaker=speaker or passage.publisher, stance=stance,
                                            claim_start=text.index(claim_from) if claim_from else 0))


def _made_up(nlp=None) -> tuple[list[Sentence], list[Passage]]:
    p0 = _passage("story.md", "…", position=0, date="2025-02")
    p1 = _passage("story.md", "…", position=1)
    p2 = _passage("card", "…", publisher="Wire Weekly", date="2025-03-04", headline=True)
    sentence = partial(_sentence, nlp=nlp)
    sentences = [
        sentence(p0, 0, "Jordan Vance, a former Acme engineer, filed a complaint in March 2024 at a court in "
                         "Springfield, alleging that he was dismissed by the firm in 2023 after reporting that "
                         "Acme had hidden defects between January 2022 and June 2022.",
                  [("Jordan Vance", "PERSON", ""), ("Acme", "ORG", ""), ("March 2024", "DATE", "2024-03"),
                   ("Springfield", "GPE", ""), ("2023", "DATE", "2023"), ("Acme", "ORG", ""),
                   ("January 2022", "DATE", "2022-01"), ("June 2022", "DATE", "2022-06"),
                   ("January 2022 and June 2022", "PERIOD", "2022-01/2022-06")],
                  speaker="Vance", stance=Stance.ALLEGES, claim_from="that he was dismissed"),
        sentence(p0, 1, "Vance said Acme Labs sold sensors to the Freedonian company Globex.",
                  [("Vance", "PERSON", ""), ("Acme Labs", "ORG", ""), ("Freedonian", "NORP", ""),
                   ("Globex", "ORG", "")], speaker="Vance", stance=Stance.ALLEGES),
        sentence(p1, 0, "He also claimed that Freedonian border police kept buying them after Sylvania "
                         "banned exports following the 2021 coup in Freedonia.",
                  [("Freedonian", "NORP", ""), ("Sylvania", "GPE", ""), ("2021", "DATE", "2021"),
                   ("Freedonia", "GPE", "")], speaker="Vance", stance=Stance.ALLEGES),
        sentence(p1, 1, "Acme denied the claims last week.", [("Acme", "ORG", ""), ("last week", "DATE", "")],
                  speaker="Acme", stance=Stance.DENIES),
        sentence(p2, 0, 'Wire Weekly covered the case under the headline "Acme sued" (4 March 2025).',
                  [("Wire Weekly", "ORG", ""), ("Acme", "ORG", ""), ("4 March 2025", "DATE", "2025-03-04")]),
    ]
    return sentences, [p0, p1, p2]


def _event(casefile: Casefile, start: str, words: str):
    found = [e for e in casefile.events if e.start == start and words in e.label]
    assert found, f"no {start} event with {words!r}: {[(e.start, e.label) for e in casefile.events]}"
    return found[0]


def _entity(casefile: Casefile, name: str):
    found = [e for e in casefile.entities if e.name == name]
    assert found, f"no entity {name!r}: {[e.name for e in casefile.entities]}"
    return found[0]


def test_build_events_made_up_records():
    sentences, passages = _made_up()
    casefile = build_casefile(sentences, passages, CASE)
    filed = _event(casefile, "2024-03", "filed a complaint")
    # The filing is the narrator's report; what the complaint says is Vance's allegation.
    assert filed.end == "2024-03" and (filed.speaker, filed.stance) == ("Daily Test", "reports")
    dismissed = _event(casefile, "2023", "dismissed by the firm")
    assert (dismissed.speaker, dismissed.stance) == ("Vance", "alleges")
    assert filed.when == "in March 2024" and "March 2024" not in filed.label
    assert filed.source.passage_id == passages[0].id and filed.source.sentence_id == sentences[0].id
    assert dismissed.source.doc_id == "story.md"
    hidden = _event(casefile, "2022-01", "Acme had hidden defects")
    assert hidden.end == "2022-06" and hidden.when == "between January 2022 and June 2022"
    # a period's own ends are not events of their own
    assert not [e for e in casefile.events if e.start in ("2022-06",)]
    _event(casefile, "2021", "2021 coup in Freedonia")
    assert _event(casefile, "2021", "Sylvania banned exports").when.startswith("following")
    assert _event(casefile, "2025-03-04", "Wire Weekly covers the case").speaker == "Wire Weekly"
    _event(casefile, "2025-02", "Daily Test covers the case")
    assert all(e.label != "denied the claims" for e in casefile.events)  # "last week": vague, skipped
    starts = [e.start for e in casefile.events]
    assert starts == sorted(starts)


def test_build_events_same_date_label_deduplicated():
    sentences, passages = _made_up()
    casefile = build_casefile(sentences + sentences, passages + passages, CASE)
    keys = [(e.start, e.end, e.label) for e in casefile.events]
    assert len(keys) == len(set(keys))


def test_build_entities_made_up_records(shared_analyzer):
    sentences, passages = _made_up(shared_analyzer.nlp)
    casefile = build_casefile(sentences, passages, CASE)
    vance = _entity(casefile, "Jordan Vance")
    assert vance.kind == "person" and vance.role == "a former Acme engineer" and vance.party_stance == "alleges"
    assert (vance.speaker, vance.stance) == ("Daily Test", "reports")  # an apposition: how the writer names him
    assert "Vance" in vance.aliases
    assert {m.passage_id for m in vance.mentions} == {passages[0].id}  # two sentences, one passage
    acme = _entity(casefile, "Acme")
    assert acme.kind == "organisation" and "Acme Labs" in acme.aliases and acme.party_stance == "denies"
    assert len(acme.mentions) == 3
    assert _entity(casefile, "Globex").role == "Freedonian company"
    police = _entity(casefile, "Freedonian border police")
    assert police.kind == "agency" and police.role.startswith("Freedonian border police kept buying them")
    assert (police.speaker, police.stance) == ("Vance", "alleges")  # what it did, in his claim
    # what a subordinate clause says ("after Sylvania banned exports") is no role of it
    assert _entity(casefile, "Sylvania").role == ""
    assert _entity(casefile, "Wire Weekly").kind == "outlet"
    assert casefile.entities[0].name == "Acme"  # most mentioned first


def test_build_entities_name_mostly_an_organisation_and_publisher_as_text_writes_it():
    """A name the parser reads once as a place but mostly as an organisation is one
    organisation; a publisher's bracketed note is no part of how running text names it."""
    p0 = _passage("story.md", "…", publisher="Harbour Journal (test fixture)")
    sentences = [
        _sentence(p0, 0, "Globex Analytics B.V. paid the invoices.", [("Globex Analytics B.V.", "ORG", "")]),
        _sentence(p0, 1, "Globex had no staff.", [("Globex", "ORG", "")]),
        _sentence(p0, 2, "Nobody at Globex gave evidence.", [("Globex", "GPE", "")]),
        _sentence(p0, 3, "The company is based in Rotterdam.", [("Rotterdam", "GPE", "")]),
        _sentence(p0, 4, "Rotterdam denied it.", [("Rotterdam", "PERSON", "")]),
        _sentence(p0, 5, "A filing seen by the Harbour Journal says so.", [("the Harbour Journal", "ORG", "")]),
    ]
    casefile = build_casefile(sentences, [p0], CASE)
    globex = [e for e in casefile.entities if "Globex" in e.name]
    assert len(globex) == 1 and globex[0].kind == "organisation"
    assert {globex[0].name, *globex[0].aliases} == {"Globex", "Globex Analytics B.V."}
    assert [(e.name, e.kind) for e in casefile.entities if "Rotterdam" in e.name] == [("Rotterdam", "place")]
    outlet = _entity(casefile, "Harbour Journal (test fixture)")
    assert outlet.kind == "outlet" and "the Harbour Journal" in outlet.aliases
    assert not [e for e in casefile.entities if e.name == "the Harbour Journal"]


def test_build_casefile_roundtrip_json():
    sentences, passages = _made_up()
    casefile = build_casefile(sentences, passages, CASE, built_at="2025-01-01T00:00:00Z")
    again = Casefile.from_dict(json.loads(json.dumps(casefile.to_dict())))
    assert again == casefile


def test_build_casefile_empty_corpus():
    assert build_casefile([], [], None) == Casefile()


# --------------------------------------------------------------------------- the case index


def _casefile_of(index: Path) -> Casefile:
    from assistant.index.reader import IndexReader
    from assistant.settings import Settings

    reader = IndexReader.live(Settings.load(index_dir=index))
    try:
        return reader.casefile()
    finally:
        reader.close()


@pytest.mark.slow
def test_ingest_timeline_case_events(case_index):
    casefile = _casefile_of(case_index)
    invasion = _event(casefile, "2022", "invasion of Ukraine")
    assert invasion.source.doc_id == "case-article.md" and invasion.source.passage_id
    assert (invasion.speaker, invasion.stance) == ("GIGAZINE", "reports")  # told once, as the narrator's fact
    assert len([e for e in casefile.events if "invasion" in e.label]) == 1
    sanctions = _event(casefile, "2022", "imposed sanctions on Russia")
    assert sanctions.speaker == "Forrest" and sanctions.stance == "alleges"
    misconduct = _event(casefile, "2022-11", "misconduct")
    assert misconduct.end == "2023-05" and misconduct.speaker == "Forrest"
    dismissal = _event(casefile, "2023", "dismissed")
    filing = _event(casefile, "2024-06", "filed a lawsuit")
    assert (filing.speaker, filing.stance) == ("GIGAZINE", "reports") and "employment tribunal" in filing.label
    assert (dismissal.speaker, dismissal.stance) == (misconduct.speaker, misconduct.stance) == ("Forrest", "alleges")
    assert dismissal.source.passage_id == filing.source.passage_id == misconduct.source.passage_id
    coverage = _event(casefile, "2024-06-07", "The Telegraph covers the case")
    assert coverage.speaker == "The Telegraph" and coverage.source.doc_id == "telegraph"
    _event(casefile, "2024-06", "GIGAZINE covers the case")


@pytest.mark.slow
def test_ingest_people_case_entities(case_index):
    casefile = _casefile_of(case_index)
    forrest = _entity(casefile, "Charles Forrest")
    assert forrest.kind == "person" and forrest.role == "a former AWS employee" and forrest.party_stance == "alleges"
    assert "Forrest" in forrest.aliases and len(forrest.mentions) >= 5
    amazon = _entity(casefile, "Amazon")
    assert amazon.kind == "organisation" and "AWS" in amazon.aliases and amazon.party_stance == "denies"
    assert amazon.role == "a global technology company"
    assert _entity(casefile, "VisionLabs").role == "Russian company"
    police = _entity(casefile, "British police")
    assert police.kind == "agency" and "Rekognition" in police.role
    assert (police.speaker, police.stance) == ("Forrest", "alleges")
    # "after the UK imposed sanctions", "since Russia began its invasion": clauses they only stand in
    assert _entity(casefile, "UK").kind == "place" and _entity(casefile, "UK").role == ""
    assert casefile.entities[0].name in ("Amazon", "Charles Forrest")
    assert all(m.passage_id for e in casefile.entities for m in e.mentions)


@pytest.mark.slow
def test_ingest_casefile_follows_added_removed_document(fresh_real_copy, ingest_ok):
    from conftest import write_doc

    corpus, index = fresh_real_copy.corpus, fresh_real_copy.index
    doc = write_doc(corpus, "hearing.md",
                    "Judge Helen Marsh, a senior employment judge, said the full hearing will begin in March 2025.",
                    title="Hearing listed", publisher="Court Watch")
    report = ingest_ok(corpus, index)
    assert report["documents"]["added"] == 1
    casefile = _casefile_of(index)
    marsh = _entity(casefile, "Helen Marsh")
    assert marsh.kind == "person" and marsh.mentions[0].doc_id == "hearing.md"
    hearing = _event(casefile, "2025-03", "hearing")
    assert hearing.source.doc_id == "hearing.md"
    _entity(casefile, "Charles Forrest")  # the unchanged documents are still in it

    doc.unlink()
    report = ingest_ok(corpus, index)
    assert report["documents"]["removed"] == 1
    casefile = _casefile_of(index)
    assert not [e for e in casefile.entities if "Marsh" in e.name]
    assert not [e for e in casefile.events if e.source.doc_id == "hearing.md"]
    _event(casefile, "2024-06", "filed a lawsuit")


@pytest.mark.slow
def test_cli_timeline_json_contract(case_index, repo_root):
    run = subprocess.run([sys.executable, "-m", "assistant", "timeline", "--json", "--index", str(case_index)],
                         cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    events = json.loads(run.stdout)["events"]
    assert len(events) >= 5
    for e in events:
        assert {"start", "end", "when", "label", "speaker", "stance", "source"} <= set(e)
        assert {"passage_id", "doc_id", "sentence_id", "title", "publisher", "url", "date", "quote"} <= set(e["source"])
    assert any(e["start"] == "2024-06" and "lawsuit" in e["label"] and e["speaker"] == "GIGAZINE" for e in events)
    assert all(e["speaker"] and e["stance"] in ("reports", "alleges", "denies", "states") for e in events)


def test_cli_people_no_index_message(tmp_path, capsys):
    from assistant.cli import main

    code = main(["people", "--index", str(tmp_path / "none")])
    assert code == 3 and "no index" in capsys.readouterr().err


def test_build_casefile_same_event_told_twice_listed_once():
    passage = Passage.new("a.md", "x", title="T", publisher="Daily Wire", position=1)
    told = [Sentence.new(passage, 0, "Since Zembla began its invasion of Nordia in 2022, it has faced sanctions."),
            Sentence.new(passage, 1, "Smith said Acme sold parts after the 2022 invasion of Nordia.")]
    told = [replace(s, mentions=(Mention("2022", "DATE", "2022"),)) for s in told]
    events = build_casefile(told, [passage]).events
    assert [e.start for e in events].count("2022") == 1
    assert "began its invasion of Nordia" in events[0].label


def test_build_casefile_reported_fact_kept_over_allegation_mentioning_it():
    passage = Passage.new("a.md", "x", title="T", publisher="Daily Wire", position=1)
    alleged = Sentence.new(passage, 0, "Smith claimed that Acme sold parts to Zembla after the invasion of Nordia "
                                       "began in 2022.")
    reported = Sentence.new(passage, 1, "The invasion of Nordia began in 2022.")
    told = [replace(alleged, mentions=(Mention("2022", "DATE", "2022"),),
                    attribution=Attribution(speaker="Smith", stance=Stance.ALLEGES)),
            replace(reported, mentions=(Mention("2022", "DATE", "2022"),),
                    attribution=Attribution(speaker="Daily Wire", stance=Stance.REPORTS))]
    events = [e for e in build_casefile(told, [passage]).events if "invasion" in e.label]
    assert len(events) == 1 and (events[0].speaker, events[0].stance) == ("Daily Wire", "reports")


@pytest.mark.slow
def test_cli_people_json_gives_speaker_and_stance_per_role(case_index, capsys):
    from assistant.cli import main

    assert main(["people", "--json", "--index", str(case_index)]) == 0
    entities = json.loads(capsys.readouterr().out)["entities"]
    for e in entities:
        assert {"speaker", "stance", "party_stance", "role"} <= set(e)
        assert not e["role"] or (e["speaker"] and e["stance"] in ("reports", "alleges", "denies", "states")), e


@pytest.mark.slow
def test_ingest_people_with_follow_up_documents_names_each_person_once(fresh_real_copy, repo_root, ingest_ok,
                                                                       shared_analyzer):
    """The three public follow-up documents added: a short name joins its full name (across the
    parser's person/organisation confusion), titles mark people, a place is never a person,
    and a role is a short phrase, never one starting with a verb."""
    import shutil

    docs = need_shared(repo_root.parent / "shared" / "eval" / "updates" / "docs", "the public follow-up documents")
    for doc in sorted(docs.glob("*.md")):
        shutil.copy(doc, fresh_real_copy.corpus / doc.name)
    ingest_ok(fresh_real_copy.corpus, fresh_real_copy.index)
    entities = _casefile_of(fresh_real_copy.index).entities

    def named(word: str) -> list:
        return [e for e in entities if word in e.name or any(word in a for a in e.aliases)]

    for full in ("Priya Halloran", "Fenella Stroud KC", "Gareth Penhallow"):
        found = named(full.split()[1])
        assert [(e.name, e.kind) for e in found] == [(full, "person")], found
    assert [e.kind for e in named("Rotterdam")] == ["place"]
    cast = Casefile(entities=tuple(entities))
    assert _entity(cast, "Priya Halloran").role == "Employment Judge"
    # what the parse finds the sources call them: appositions, the noun beside a name
    assert _entity(cast, "Daniel Okonjo-Reeve").role == "counsel for Forrest"
    assert _entity(cast, "Harcourt Vell LLP").role == "Forrest's solicitors"
    assert "legitimate" not in _entity(cast, "Dijkstein Analytics B.V.").role  # "no finding that Dijkstein was ..."
    # what a question may call them instead: titles, and what a relative clause says one does
    chair = _entity(cast, "Gareth Penhallow")
    assert "MP" in chair.described and chair.does == ("chairs the Commons Digital Oversight Committee",)
    from assistant.service import Assistant

    assistant = Assistant(index_dir=fresh_real_copy.index)
    asked = assistant.ask("What did the committee chair say about the pledge Amazon made in 2020?").to_dict()
    assert asked["parts"][0]["speaker"] == "Penhallow", asked["answer"]
    # a date no one could place in time ("Today a judge has said ...", in a quotation) is no
    # short answer beside one that is
    assert "17 March 2026" in assistant.ask("When was the ruling?").short
    # his quotation runs on over three sentences: the rest of it comes with its first
    assert [p["speaker"] for p in asked["parts"][:3]] == ["Penhallow"] * 3 and "meant anything" in asked["answer"]
    # "the Commons committee" is the question's own short form of the committee: who chairs it is the answer
    assert assistant.ask("Who chairs the Commons committee?").to_dict()["short"] == "Gareth Penhallow"
    nlp = shared_analyzer.nlp
    for e in entities:
        assert len(e.role.split()) <= 12, e
        first = nlp(e.role)[0] if e.role else None  # a phrase for it, not the rest of a clause
        assert first is None or not (first.pos_ in ("VERB", "AUX") and first.dep_ == "ROOT"), e
