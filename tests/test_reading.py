"""Who says a sentence (ingest's analysis) and what a question asks (the question reader):
spaCy's real English pipeline on made-up passages and questions, no index and no model."""

from __future__ import annotations

import pytest

from assistant.analysis import Analyzer, balance_quotes
from assistant.index import CaseProfile, DocumentRecords, Passage, Sentence
from assistant.index.manifest import KnownEntity, Party
from assistant.reading import Asks, QuestionReader
from assistant.settings import Settings

CASE = CaseProfile(parties=[Party(label="Smith", names=["jane smith", "smith", "former engineer"], asserts="alleges",
                                  kind="person"),
                            Party(label="Acme", names=["acme"], kind="organisation")],
                   entities=[KnownEntity(text="Zentrix", label="ORG")])


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Settings().spacy_model, CASE)


@pytest.fixture(scope="module")
def reader(analyzer: Analyzer) -> QuestionReader:
    return QuestionReader(analyzer.nlp)


def analysed(analyzer: Analyzer, *sentences: str, publisher: str = "Daily Wire") -> list[Sentence]:
    passage = Passage.new("a.md", " ".join(sentences), title="T", publisher=publisher, position=1)
    records = DocumentRecords("a.md", (passage,), tuple(Sentence.new(passage, i, s) for i, s in enumerate(sentences)))
    return list(analyzer.analyse([records])[0].sentences)


def labels(sentences: list[Sentence]) -> list[tuple[str, str, bool]]:
    return [(s.attribution.speaker, str(s.attribution.stance), s.attribution.carried) for s in sentences]


def test_attribute_sentences_to_speaker_and_stance(analyzer):
    got = analysed(analyzer,
                   "The plant opened in 2019.",
                   "According to Smith, Acme sold parts to Zentrix.",
                   "An Acme spokesperson denied the claims.",
                   "It further stated that every sale was lawful.",
                   "A former engineer at Acme has claimed that records were destroyed.")
    assert labels(got) == [("Daily Wire", "reports", False), ("Smith", "alleges", False), ("Acme", "denies", False),
                           ("Acme", "states", True), ("Smith", "alleges", False)]


def test_attribute_counsel_for_a_party_to_the_party_however_the_aside_is_parsed(analyzer):
    """"X KC, for Acme, argued" and "Y KC, for Acme, told the court": a party's counsel speaks
    for it either way (the parser hangs the first "for Acme" on the verb, the second on the name)."""
    got = analysed(analyzer,
                   'Fenella Stroud KC, for Acme, argued that the request was "a fishing expedition" into the affairs of customers.',
                   'Tobias Wrenfield KC, for Acme, told the court that the original judge had "treated suspicion as proof".',
                   "Ann Loxley, meanwhile, said the hearing would resume in May.")
    assert [speaker for speaker, _, _ in labels(got)] == ["Acme", "Acme", "Loxley"]


def test_attribute_sentence_to_the_speaker_of_its_aside(analyzer):
    """"Y, she said, Z": who the aside says speaks says all of it, not the sentence's own
    subject (Smith "could not have believed" is no allegation of Smith's)."""
    got = analysed(analyzer, "Judge Ann Loxley ruled against Acme on the first point.",
                   "Because the ban was a voluntary policy, Judge Loxley said, Smith could not reasonably "
                   "have believed that breaching it broke the law.",
                   "Acme, an Acme spokesperson said, had never sold the product to Zentrix.")
    assert labels(got)[1][:2] == ("Loxley", "states")
    assert labels(got)[2][:2] == ("Acme", "states")


def test_attribute_he_or_she_after_narration_to_the_person_last_made_a_subject(analyzer):
    """"Judge X upheld the claim. ... were 'secondary,' she wrote.": the judge speaks, not the
    outlet; with no person named as a subject before, the narrator keeps it."""
    got = analysed(analyzer, "Judge Ann Loxley upheld Smith's claim in part.",
                   "The ruling ran to forty pages.",
                   "Acme's stated grounds were \"real but secondary,\" she wrote.")
    assert labels(got)[2][:2] == ("Loxley", "states")
    alone = analysed(analyzer, "The ruling ran to forty pages.", "Acme's grounds were weak, she wrote.")
    assert labels(alone)[1][0] == "Daily Wire"


def test_attribute_he_or_she_after_an_organisation_to_the_person_last_made_a_subject(analyzer):
    """"Acme said it would comply. ..., she said, ...": no "she" is an organisation speaking in
    its own name, whether the case file says so (a party) or the name reads so; after a person,
    or someone speaking for an organisation ("An Acme spokesperson"), "he" or "she" goes on."""
    ruled = "Judge Ann Loxley ordered Acme to produce its records."
    aside = "Whether the law was broken, she said, was \"a question for regulators.\""
    for speaker in ("Acme said it would comply.", "Severnshire Constabulary said it had ended the pilot."):
        assert labels(analysed(analyzer, ruled, speaker, aside))[2][0] == "Loxley"
    assert labels(analysed(analyzer, ruled, "Acme said it would comply.", "It said the records would come in May."))[2][0] == "Acme"
    assert labels(analysed(analyzer, ruled, "Smith said he was pleased.", "He said the records would prove it."))[2][0] == "Smith"
    assert labels(analysed(analyzer, ruled, "An Acme spokesperson said the company would comply.", aside))[2][0] == "Acme"


def test_attribute_definite_speaker_phrase_to_whom_the_document_called_so(analyzer):
    """"The spokesperson added" after "An Acme spokesperson said" is Acme; "the committee"
    after "A Senate committee has written" is that committee; a noun two speakers were called by
    refers to neither."""
    got = analysed(analyzer, "An Acme spokesperson said the sales were lawful.",
                   "The spokesperson added: \"We will answer fully.\"",
                   "A Senate committee has written to Acme demanding answers.",
                   "The committee said it may call Acme executives.")
    assert labels(got)[1][0] == "Acme" and labels(got)[3][0] == labels(got)[2][0] == "Senate"
    # the same where the phrase closes a quotation of several sentences
    quoted = analysed(analyzer, "An Acme spokesperson said the sales were lawful.",
                      "\"We sold nothing to Zentrix.", "We will answer fully,\" the spokesperson said.")
    assert [label[0] for label in labels(quoted)] == ["Acme", "Acme", "Acme"]
    both = analysed(analyzer, "An Acme spokesperson said the sales were lawful.",
                    "A Zentrix spokesperson said it never bought anything.",
                    "The spokesperson added that the talks had ended.")
    assert labels(both)[2][0] not in ("Acme", "Zentrix")


def test_attribute_participle_of_saying_to_its_verbs_subject(analyzer):
    got = analysed(analyzer, "Jane Smith filed a claim in May, alleging that she was dismissed unfairly.",
                   "Acme opened a plant, saying it would hire locally.")
    assert labels(got) == [("Smith", "alleges", False), ("Acme", "states", False)]


def test_attribute_quotation_across_sentences_carries_its_speaker(analyzer):
    got = analysed(analyzer,
                   "Acme rejected the report, saying, 'The figures are wrong.",
                   "No part was ever sold to Zentrix.'",
                   "The hearing resumes in May.")
    assert labels(got) == [("Acme", "denies", False), ("Acme", "denies", True), ("Daily Wire", "reports", False)]
    assert got[1].attribution.quote_open
    # Served alone, the second sentence gets its opening quotation mark back.
    assert balance_quotes(got[1].text, got[1].attribution.quote_open) == "'No part was ever sold to Zentrix.'"


def test_mentions_name_people_without_their_titles_and_groups_whole(analyzer):
    """The parse takes a title off a name and makes it a person's ("Assistant Chief Constable
    Ruth Calloway", which the model may call an organisation); a first name it left out comes
    back; a word of nationality stands with the group it qualifies."""
    got = analysed(analyzer, "Assistant Chief Constable Ruth Calloway said the trial had ended.",
                   "Fenella Stroud KC, for Acme, argued that the sales were lawful.",
                   "He said Freedonian border police kept buying them.")
    mentions = {m.text: m for s in got for m in s.mentions}
    assert mentions["Ruth Calloway"].label == "PERSON" and mentions["Ruth Calloway"].title == "Assistant Chief Constable"
    assert mentions["Fenella Stroud KC"].label == "PERSON"
    assert mentions["Freedonian"].group == "Freedonian border police"


def test_mentions_role_of_name_set_off_after_its_description(analyzer):
    """"Counsel for X, Name," and "A former officer at Y, Name," describe the name (where the
    parser hangs the name on Y); a place after a place is no description of the noun before
    them; a verb of saying gives no role; a possessive is no part of a name."""
    got = analysed(analyzer, "Counsel for Vance, Marisol Achterberg, said the appeal was late.",
                   "A former safety officer at Acme, Desmond Fairweather, gave a written statement.",
                   "Vance filed a complaint at a court in Springfield, Freedonia, last year.",
                   "The Regulator's Office said in a statement that Kent Constabulary's contractor kept the images.")
    mentions = {m.text: m for s in got for m in s.mentions}
    assert mentions["Marisol Achterberg"].role == "Counsel for Vance"
    assert mentions["Desmond Fairweather"].role == "former safety officer at Acme"
    assert mentions["Freedonia"].role == ""
    assert mentions["The Regulator's Office"].role == ""
    assert "Kent Constabulary" in mentions


def test_mentions_date_carries_who_did_what_from_the_parse(analyzer):
    """A date's event is its verb's clause with a subject that names someone, the date left
    out; with only a pronoun for subject the timeline reads the clause instead."""
    got = analysed(analyzer, "Jane Smith filed a claim in May 2024 at a court in Springfield.",
                   "He was dismissed in 2023.")
    dated = {m.text: m for s in got for m in s.mentions if m.label == "DATE"}
    assert dated["May 2024"].role == "Jane Smith filed a claim at a court in Springfield"
    assert dated["May 2024"].role_kind == "event" and dated["May 2024"].value == "2024-05"
    assert dated["2023"].role == ""


def test_mentions_carry_the_event_they_belong_to(analyzer):
    """Which of a sentence's dates goes with which event: the verb above it and that verb's
    subject and objects; a phrase without a verb above it has none (and reading it ends)."""
    got = analysed(analyzer, "Jane Smith said she was dismissed by Acme in 2023 after staff had complained "
                             "about safety between May 2022 and June 2022.", "Acme's 2023 results.")
    dated = {m.text: m for m in got[0].mentions if m.label == "DATE"}
    assert dated["2023"].event_words.split()[0] == "dismiss"
    assert dated["May 2022"].event_words.split()[:1] == ["complain"] and "safety" in dated["May 2022"].event_words
    assert got[1].mentions and all(m.event_words == "" for m in got[1].mentions)


def test_mention_under_a_verb_qualifying_a_noun_names_that_noun_its_holder(analyzer):
    """"through a broker based in Lisbon": Lisbon is where the broker is based (the noun the
    verb qualifies is its subject), not where Acme or Larchmont is."""
    got = analysed(analyzer, "Acme traded with Larchmont through a broker based in Lisbon.")
    lisbon = next(m for m in got[0].mentions if m.text == "Lisbon")
    assert lisbon.event_words == "base" and lisbon.holder == "broker"
    assert next(m for m in got[0].mentions if m.text == "Larchmont").holder == ""


def test_attribute_according_to_a_pronouns_text_to_the_person_the_sentence_names(analyzer):
    """"According to his schedule of loss, ... Smith is seeking ...": Smith's words, not those of
    a speaker called "His schedule"."""
    got = analysed(analyzer, "According to his schedule of loss, Jane Smith is seeking about £1.2 million.",
                   "According to the filing, Smith and Brown met twice.")
    assert [s.attribution.speaker for s in got] == ["Smith", "Filing"]


def test_mentions_keep_what_a_relative_clause_says_a_name_does(analyzer):
    got = analysed(analyzer, "Jane Smith MP, who chairs the Harbour Committee, wrote to Acme on Monday.")
    clauses = {m.text: m.clause for m in got[0].mentions}
    assert clauses["Jane Smith"] == "chairs the Harbour Committee" and clauses.get("Acme", "") == ""


def test_mentions_read_a_date_told_twice_as_one(analyzer):
    """"On Tuesday, 17 March 2026": one date with the day's value, not a bare "Tuesday" the short
    answer could pick."""
    got = analysed(analyzer, "In a ruling handed down on Tuesday, 17 March 2026, the judge upheld the claim.")
    dates = [(m.text, m.value) for m in got[0].mentions if m.label == "DATE"]
    assert dates == [("Tuesday, 17 March 2026", "2026-03-17")]


def test_mentions_say_which_names_act(analyzer):
    """A name acts where it is its verb's subject or a passive's agent, not where it only
    qualifies someone ("a former Acme engineer") or places something ("a court in Springfield")."""
    got = analysed(analyzer, "Jane Smith, a former Acme engineer, filed a claim at a court in Springfield.",
                   "She was dismissed by Zentrix in May.")
    acting = {m.text: m.acts for s in got for m in s.mentions if m.label != "DATE"}
    assert acting == {"Jane Smith": True, "Acme": False, "Springfield": False, "Zentrix": True}


def test_mentions_name_acts_behind_a_title_written_after_it(analyzer):
    """"Tom Hale MP, who chairs ..., sent the letters": the parse makes the title the subject;
    the name is who sent them."""
    got = analysed(analyzer, "Martin Keller MP, who chairs the Commons Transport Committee, sent the letters on "
                             "4 May 2025.")
    assert {m.text: m.acts for m in got[0].mentions if m.label == "PERSON"} == {"Martin Keller": True}


def test_normalise_date_without_year_from_when_its_source_was_published():
    """"A hearing on 23 November" in a March 2025 report is 23 November 2025, not this year's
    (which is what the date parser fills in); without a publication date it is no date."""
    from datetime import date

    from assistant.dates import normalise

    assert normalise("23 November", date(2025, 3, 14)) == "2025-11-23"  # ahead, later that year
    assert normalise("20 December", date(2025, 1, 5)) == "2024-12-20"  # just behind
    assert normalise("5 January", date(2025, 12, 20)) == "2026-01-05"  # just ahead
    assert normalise("23 November") == "" and normalise("7 June 2024") == "2024-06-07"


def test_mentions_hold_entities_dates_and_periods(analyzer):
    s = analysed(analyzer, "Smith worked at Zentrix in London between November 2022 and May 2023.")[0]
    found = {(m.label, m.value or m.text) for m in s.mentions}
    assert ("ORG", "Zentrix") in found and ("GPE", "London") in found
    assert ("DATE", "2022-11") in found and ("PERIOD", "2022-11/2023-05") in found
    # a share written out is a percentage, whatever the small model says (it reads it as money)
    s = analysed(analyzer, "The award of £418,250 was reduced by 20 per cent.")[0]
    labels = {m.text: m.label for m in s.mentions}
    assert labels.get("20 per cent") == "PERCENT" and labels.get("418,250") == "MONEY"


@pytest.mark.parametrize("question,asks,focus", [
    ("Which law firm represents Acme?", Asks.ORGANISATION, ()),
    ("What damages did the tribunal award?", Asks.MONEY, ()),
    ("How much compensation is Smith seeking?", Asks.MONEY, ()),
    ("How much did Acme pay Zentrix?", Asks.MONEY, ()),
    ("How much of the market does Acme hold?", Asks.NUMBER, ()),
    ("What was the tribunal's ruling?", Asks.THING, ("ruling",)),
    ("In which city is Zentrix headquartered?", Asks.CITY, ()),
    ("How many years did Smith work at Acme?", Asks.NUMBER, ()),
    ("When was the claim filed?", Asks.DATE, ()),
    ("Why was Smith dismissed?", Asks.REASON, ()),
    ("Who is Jane Smith?", Asks.DEFINITION, ()),
    ("Which outlets reported the story?", Asks.SOURCE, ()),
    ("Who reported the story?", Asks.SOURCE, ()),
    ("Who runs Zentrix?", Asks.PERSON, ()),  # an outlet publishes a story, not a name
])
def test_read_question_what_it_asks_for(reader, question, asks, focus):
    frame = reader.read(question)
    assert frame.asks == asks
    assert frame.focus == focus


@pytest.mark.parametrize("question,speaker,alleged", [
    ("How does Acme describe its policy on exports?", "Acme", False),
    ("Does Acme accept the engineer's accusations?", "Acme", False),
    ("What was Acme's response to the report?", "Acme", False),
    ("According to Smith, who received the parts?", "Smith", False),
    ("How did Acme allegedly deal with Zentrix?", "", True),
    ("When did the plant open?", "", False),
    ("What is the Acme product in this dispute called?", "", False),  # passive: the name of it
    ("How is Acme described by Smith?", "Smith", False),  # passive with an agent: the agent's words
    ("Which sanctions is Acme Corp accused of breaching?", "", True),  # Acme is accused, not accusing
])
def test_read_question_whose_words_it_asks_for(reader, question, speaker, alleged):
    frame = reader.read(question)
    assert (frame.speaker, frame.alleged) == (speaker, alleged)


@pytest.mark.parametrize("question,object_asked", [
    ("Who did Acme sell the parts to?", True),
    ("who did acme sell the parts to", True),
    ("Whom did Acme dismiss?", True),
    ("Who was the software supplied to?", True),
    ("Who got the parts?", True),  # the subject of a verb of receiving: whom they were sold to
    ("Who received the software?", True),
    ("Who got dismissed?", False),  # "got" as a passive's auxiliary
    ("Who sold the parts to Zentrix?", False),
    ("Who did the deal?", False),
    ("Who is the engineer?", False),
])
def test_read_who_question_asking_whom_the_act_was_done_to(reader, question, object_asked):
    assert reader.read(question).object_asked is object_asked


@pytest.mark.parametrize("question,asks,focus", [
    ("Apart from a private firm, which Russian bodies received the parts?", Asks.ORGANISATION, ()),
    ("Where is Zentrix headquartered?", Asks.PLACE, ("headquarter",)),
    ("Where did Smith bring her claim?", Asks.PLACE, ()),  # a light verb names no relation
])
def test_read_question_head_past_modifiers_and_where_relation(reader, question, asks, focus):
    frame = reader.read(question)
    assert (frame.asks, frame.focus) == (asks, focus)


@pytest.mark.parametrize("question,asks,content", [
    # the small pipeline reads "dates" after "which" as a verb; a number may stand between
    ("Between which dates did Smith say Zentrix hid the losses?", Asks.DATE, ("hid", "losses")),
    ("Between which two dates did the audit run?", Asks.DATE, ("audit", "run")),
])
def test_read_question_kind_noun_misparsed_as_verb_or_after_number(reader, question, asks, content):
    frame = reader.read(question)
    assert (frame.asks, frame.content) == (asks, content)


@pytest.mark.parametrize("question,things", [
    ("What did Acme say after the regulator's audit came out?", ("regulator", "audit")),
    ("Which outlet first reported the merger?", ("merger",)),  # the kind asked for is no thing it speaks of
    ("What is Acme's position on the merger?", ("merger",)),  # nor someone's side of it
    ("What does the article say about the merger?", ("merger",)),  # nor a text
    ("Which product is at the heart of the recall?", ("recall",)),  # nor the noun of "at the heart of"
    ("what stuff did Acme hide from the regulator", ("regulator",)),  # nor a casual word for "things"
    ("was it one recall or a bunch", ("recall",)),  # nor one for "many"
])
def test_read_question_things_it_speaks_of(reader, question, things):
    assert reader.read(question).things == things


def test_read_message_of_several_questions_as_parts(reader):
    """Two questions in one message are two parts; a verbless one only narrows the one before."""
    parts = reader.read("Who filed the claim? When was Smith dismissed?").parts
    assert [(p.text, p.asks) for p in parts] == [("Who filed the claim?", Asks.PERSON),
                                                 ("When was Smith dismissed?", Asks.DATE)]
    narrowed = reader.read("Who represents Acme? Which law firm?")
    assert narrowed.parts == () and narrowed.phrase == "who represents Acme"  # a decline names the first


@pytest.mark.parametrize("last,question,completed", [
    ("When was Smith dismissed?", "Why?", "Why was Smith dismissed?"),
    ("Did Acme sell the plant?", "And why?", "Why did Acme sell the plant?"),
    ("When was the claim filed?", "Where?", "Where was the claim filed?"),
    ("Who filed the claim?", "When?", "When?"),  # "when filed the claim": left to the follow-up reading
    ("When was Smith dismissed?", "Why did Acme sell the plant?", "Why did Acme sell the plant?"),
])
def test_complete_bare_question_word_from_the_last_question(reader, last, question, completed):
    history = [{"role": "user", "content": last}, {"role": "assistant", "content": "..."}]
    assert reader.complete(question, history) == completed
    assert reader.complete(question, []) == question


def test_read_question_what_a_name_or_event_must_stand_beside(reader):
    named = reader.read("What is the name of the Acme spokesperson who denied the claims?")
    assert named.asks == Asks.PERSON and named.head == "spokesperson" and named.head_named
    assert not reader.read("Which company bought Zentrix?").head_named  # "the company" may point back
    # what a yes/no question asks about: what did it (subject) and what it was done to (object)
    assert reader.read("Has the tribunal issued a ruling on the claim?").must == ("tribunal", "ruling")
    assert reader.read("Did the court reject the claim?").must == ("court", "claim")
    assert reader.read("How long did Smith work at Acme?").duration
    assert reader.read("Which ex-employee of Acme filed the claim?").asks == Asks.PERSON


def test_read_question_compound_modifier_must_be_held_exactly(reader):
    assert reader.read("Which law firm represents Acme?").exact == ("law",)
    # A modifier that is itself a kind of answer ("time span") is no word the answer must hold.
    assert reader.read("What time span do the allegations cover?").exact == ()


def test_read_question_in_parts_and_as_indirect_phrase(reader):
    frame = reader.read("Why does Acme say it fired Smith, and what does Smith say happened?")
    assert len(frame.parts) == 2
    assert reader.read("How many years did Smith work at Acme?").phrase == "how many years Smith worked at Acme"


@pytest.mark.parametrize("question,second", [
    ("How many letters did Acme send, and by when must Zentrix reply?", ("by when must Zentrix reply?", Asks.DATE)),
    ("Who filed the claim, and in which city?", ("in which city?", Asks.CITY)),
    ("How many images were compared, and over what period?", ("over what period?", Asks.DATE)),
])
def test_read_later_part_opening_with_a_preposition_as_a_part_of_its_own(reader, question, second):
    """", and by when ...?", ", and in which city?": a question word after a preposition opens a
    part as the bare question word does; without the part the question's first kind was all asked."""
    frame = reader.read(question)
    assert [(p.text, p.asks) for p in frame.parts][1:] == [second]


def test_read_question_where_of_work_asks_for_an_organisation(reader):
    """"Where did Smith work?" is answered by an employer ("a former Acme engineer"), which is
    no place; "where did Smith live" still asks for a place."""
    assert reader.read("Where did Smith work before the dispute?").asks == Asks.ORGANISATION
    assert reader.read("Where was Smith employed?").asks == Asks.ORGANISATION
    assert reader.read("Where did Smith live?").asks == Asks.PLACE


def test_read_question_misparsed_verb_still_gives_a_grammatical_clause(reader):
    """The parser tags "neglect" an adjective here and hangs the wh-phrase on the subject: the
    clause a refusal names the gap with is still built on the subject's own verb, never the
    question twice nor a participle turned into a verb ("accorded to")."""
    phrase = reader.read("Which duties did Smith allegedly neglect, according to Acme?").phrase
    assert phrase == "which duties Smith allegedly neglected, according to Acme"


def test_read_question_contraction_or_cut_subject_gives_clause_or_none(reader):
    """A refusal's clause writes a contracted auxiliary out where it moves ("what's" -> "what
    ... is", "has" before "been"), and is left out when the parser cut the subject short,
    rather than strand an "'s" mid-phrase."""
    assert reader.read("What's Acme's product called?").phrase == "what Acme's product is called"
    assert reader.read("What's Smith been accused of?").phrase == "what Smith has been accused of"
    assert reader.read("Where're the hearings held?").phrase == "where the hearings are held"
    # the parser made both sides of "'s" attributes: the one after it is still the subject
    assert reader.read("What's Acme's excuse for the delay?").phrase == "what Acme's excuse for the delay is"
    assert "'s" not in reader.read("what's the name of acmes face scan product").phrase
    # "does" misread as the main verb: no clause, rather than the question echoed as it stands
    assert " does " not in f" {reader.read('What Acme product does the dispute concern?').phrase} "
    # no verb found to carry "did" (the verb read as a noun): no clause, never "when did ..."
    assert " did " not in f" {reader.read('When did the appeal court rule?').phrase} "
    # "did" read as the main verb after a wh-phrase of several words: no clause either
    assert " did " not in f" {reader.read('how many issues did the whistleblower flag').phrase} "


def test_read_question_with_a_modal_gives_a_clause_with_the_modal_after_its_subject(reader):
    """A refusal's clause moves a modal as it moves any auxiliary ("where will the case be
    heard" -> "where the case will be heard"), and leaves the question as it is when the
    wh-word is itself the subject."""
    assert reader.read("Where will the hearing be held?").phrase == "where the hearing will be held"
    assert reader.read("How much could Acme be fined?").phrase == "how much Acme could be fined"
    assert reader.read("Who would be able to see the ruling?").phrase == "who would be able to see the ruling"


def test_read_where_question_of_a_court_at_work_asks_where_the_case_is(reader):
    """"Where is the case being heard?" asks where the case is: a source names the court
    there, seldom the verb, so the verb is no word an answer must hold; "Where was Smith
    born?" still needs its birth."""
    frame = reader.read("Where is the case being heard?")
    assert frame.asks == Asks.PLACE and frame.focus == () and frame.content == ("case",)
    assert reader.read("Where was Smith tried?").focus == ()
    assert reader.read("Where was Smith born?").focus == ("bear",)


def test_read_question_stands_for_asks_only_for_the_meaning(reader):
    """"What does X stand for?" asks what X is: neither the verb nor "abbreviation" is
    something the answering sentence must hold."""
    frame = reader.read("What does the abbreviation NHS stand for?")
    assert frame.asks == Asks.DEFINITION and frame.content == ()


def test_read_noun_for_anyone_is_no_word_an_answer_must_hold(reader):
    """"Who is the man suing Acme?" asks for whoever sues Acme: "man" (or "guy") only says a
    person is wanted, as "person" does."""
    for question in ("Who is the man suing Acme?", "who's the guy suing acme"):
        frame = reader.read(question)
        assert frame.asks == Asks.PERSON and "man" not in frame.content and "guy" not in frame.content
        assert "suing" in frame.content


def test_read_question_adjectives_of_the_thing_asked_for(reader):
    """"Which Russian company is involved?" asks for a company the sources call Russian;
    "involved" says nothing of which event is meant."""
    frame = reader.read("Which Russian company is involved?")
    assert frame.head == "company" and frame.head_adjectives == ("russian",) and "involved" not in frame.content
    assert reader.read("Which alleged company handled it?").head_adjectives == ()


def test_read_question_hyphenated_word_stays_whole(reader):
    """"ex-engineer" is one word of what the question is about, and the refusal's clause keeps
    it as written."""
    frame = reader.read("Where did the ex-engineer bring his case?")
    assert "ex-engineer" in frame.content and "ex" not in frame.content
    assert frame.phrase == "where the ex-engineer brought his case"


def test_attribute_speaker_phrase_kept_where_the_sentence_names_it(analyzer):
    """"Who denied it?" is answered by the phrase a sentence names its speaker by; a sentence
    carrying an earlier sentence's speaker names none."""
    got = analysed(analyzer, "An Acme spokesperson denied the claims.", "It further stated that every sale was lawful.")
    a = got[0].attribution
    assert got[0].text[a.speaker_start:a.speaker_end] == "An Acme spokesperson"
    assert got[1].attribution.speaker == "Acme" and got[1].attribution.speaker_end == 0


def test_attribute_titled_name_to_the_person_by_surname(analyzer):
    """The small model reads "Assistant Chief Constable Ruth Calloway" as an organisation: a
    titled name is a person all the same, labelled by surname as every other person is."""
    got = analysed(analyzer, '"The force never held a contract," Assistant Chief Constable Ruth Calloway said.')
    assert labels(got)[0][0] == "Calloway"


def test_attribute_unowned_role_to_the_speaker_before_it(analyzer):
    """"Zentrix said it would appeal. 'We disagree,' a spokesperson said." is Zentrix speaking;
    a role that says whose it is, or a definite one, keeps its own label."""
    said = "Zentrix said it would appeal the ruling."
    speakers = [labels(analysed(analyzer, said, second))[1][0] for second in (
        "A spokesperson said the company was disappointed.",
        "A spokesperson for the council said the decision stood.",
        "The judge said the decision stood.")]
    assert speakers[0] == "Zentrix" and "Zentrix" not in speakers[1:]
    assert labels(analysed(analyzer, "The plant opened in 2019.",
                           "A spokesperson said the company was disappointed."))[1][0] != "Daily Wire"


@pytest.mark.parametrize("question,counts_time", [
    ("How many years did Smith work at Acme?", True),
    ("In which city number was project Harbor-0007 audited?", False),
    ("How many employees does Zentrix have?", False),
])
def test_read_question_number_of_time_units_or_not(reader, question, counts_time):
    frame = reader.read(question)
    assert frame.asks == Asks.NUMBER and frame.counts_time is counts_time


def test_read_later_part_naming_an_earlier_parts_thing_again_keeps_its_names(reader):
    """"..., and what is the committee called?" asks of the committee the first part named: the
    part keeps its names, so a name the sources never mention still tells the part apart."""
    frame = reader.read("Who chairs the Zentrix audit committee, and what is the committee called?")
    assert [p.text for p in frame.parts] == ["Who chairs the Zentrix audit committee",
                                             "what is the Zentrix audit committee called?"]
    assert "zentrix" in frame.parts[1].names
    # a thing named without a name, or one the later part describes itself, is left as asked
    plain = reader.read("Which company did Smith name, and where is the company based?")
    assert plain.parts[1].text == "where is the company based?"
    own = reader.read("Who chairs the Zentrix committee, and what does the audit committee do?")
    assert own.parts[1].text == "what does the audit committee do?"


@pytest.mark.parametrize("question,both", [
    ("What did Zentrix say in response?", True),
    ("Does Zentrix deny the claim?", True),
    # a word of replying that only says which thing is meant asks for no side's reply
    ("What is the audit that Zentrix refers to in its response?", False),
    # a date, an amount or a place of the reply is one value, no side's words
    ("By when must Zentrix reply?", False),
    ("When did Zentrix respond?", False),
])
def test_read_question_asking_for_each_side_only_outside_a_clause_naming_the_thing(reader, question, both):
    assert reader.read(question).both_sides is both
