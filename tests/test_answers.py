"""Answers through the Python API and the CLI, on an index of the real case corpus."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from shared_support import need_shared

from assistant.answering import NOT_IN_SOURCES

from assistant import Assistant, BadQuestionError, ModelMismatchError


pytestmark = pytest.mark.slow




def test_ask_whistleblower_names_forrest_with_citation(assistant):
    answer = assistant.ask("Who is the whistleblower?")
    assert not answer.abstained
    assert "Forrest" in answer.answer
    assert any("former AWS employee" in c.text for c in answer.citations)


def test_ask_answer_markers_match_citations(assistant, case_questions):
    for item in case_questions:
        answer = assistant.ask(item["question"], item.get("history"))
        markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
        numbers = [c.n for c in answer.citations]
        assert numbers == list(range(1, len(numbers) + 1)), item["id"]
        assert sorted(set(markers)) == numbers, item["id"]  # no invented marker, no unused citation
        for c in answer.citations:
            for sentence in c.sentences:
                assert sentence in c.text and sentence in answer.answer.replace(" …", ""), item["id"]
        assert len(answer.answer.split()) <= 100, item["id"]


def test_ask_follow_up_uses_history(assistant):
    history = [{"role": "user", "content": "Who is the whistleblower?"},
               {"role": "assistant", "content": "Charles Forrest, a former AWS employee."}]
    answer = assistant.ask("When did he file his claim?", history)
    assert "June 2024" in answer.answer


def test_ask_follow_up_does_not_repeat_last_answer(assistant):
    first = assistant.ask("Which Russian company was Amazon accused of supplying?")
    history = [{"role": "user", "content": "Which Russian company was Amazon accused of supplying?"},
               {"role": "assistant", "content": first.answer}]
    follow = assistant.ask("How did Amazon respond to that?", history)
    assert not follow.abstained
    assert re.search(r"denied|without merit|has not sold", follow.answer)


@pytest.mark.parametrize("question", [
    "What is the capital of Australia?",
    "Who painted the Mona Lisa?",
    "How do I bake sourdough bread?",
    "What is the boiling point of water at sea level?",
])
def test_ask_out_of_scope_abstains_without_citations(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained
    assert answer.citations == [] and answer.related == []
    assert answer.answer.startswith("That is outside what the sources cover")  # not "the sources don't say"


@pytest.mark.parametrize("question,missing", [
    ("Which law firm represents Amazon at the tribunal?", "which law firm represents Amazon at the tribunal"),
    ("In which city is VisionLabs headquartered?", "in which city VisionLabs is headquartered"),
    ("Where was Forrest born?", "where Forrest was born"),  # the case's own place is no birthplace
    # "traded with VisionLabs through a shell company based in the Netherlands": the company's place
    ("Where is VisionLabs based?", "where VisionLabs is based"),
    # a kind of thing the sources bring in without naming it ("a shell company", "an Amazon spokesperson")
    ("What is the Dutch shell company called?", "what the Dutch shell company is called"),
    # someone the sources never quote
    ("What has VisionLabs said about the allegations?", "what VisionLabs has said about the allegations"),
])
def test_ask_near_topic_unanswerable_declines_naming_what_is_missing(assistant, question, missing):
    answer = assistant.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer == (f"The sources don't say {missing}." if missing else NOT_IN_SOURCES)


def test_ask_near_topic_decline_offers_related_passages_apart(assistant):
    answer = assistant.ask("What was the tribunal's ruling?").to_dict()
    assert answer["abstained"] and answer["citations"] == [] and "[" not in answer["answer"]
    assert answer["related"] and {c["kind"] for c in answer["related"]} == {"related"}
    # nothing to relate to a question that is not about the case
    assert assistant.ask("What is the capital of Australia?").related == []


def test_ask_disputed_claim_gets_claim_and_response_with_speakers(assistant):
    answer = assistant.ask("Did Amazon sell Rekognition to VisionLabs?").to_dict()
    said = [(c["speaker"], c["stance"]) for c in answer["citations"]]
    assert said == [("Forrest", "alleges"), ("Amazon", "denies")]
    assert "has not sold" in answer["answer"] and "Amazon denies:" in answer["answer"]
    # The reply comes with the sentence that says who replied and opened the quotation.
    assert "spokesperson denied the allegations" in answer["answer"]
    assert answer["answer"].count("'") % 2 == 0  # the quotation served whole


def test_ask_whose_words_question_answered_with_that_speakers_sentence(assistant):
    answer = assistant.ask("How does Amazon describe its restriction on police customers?")
    assert not answer.abstained and answer.parts[0].speaker == "Amazon"
    assert "self-imposed moratorium" in answer.parts[0].text


def test_ask_who_someone_is_typed_without_capitals_answered_as_with_them(assistant):
    """A casual reader types names in lowercase: "who is charles forrest" was declined with
    "The sources don't say who charles is forrest"."""
    typed = assistant.ask("who is charles forrest")
    assert not typed.abstained and "Charles Forrest" in typed.parts[0].text


@pytest.mark.parametrize("question", ["What did the FT say?", "What does the FT say about the case?"])
def test_ask_what_an_outlet_said_by_its_initials_gets_its_report(assistant, question):
    """"the FT" is the Financial Times: its coverage answers, not "the sources don't say"."""
    answer = assistant.ask(question)
    assert not answer.abstained and answer.citations[0].publisher == "Financial Times"


def test_ask_what_someone_said_leads_with_their_words_on_the_topic(assistant):
    """"What did X say about Y?": X's own sentence on Y leads, before the other side's claim
    about Y; X's sentences on other matters never lead."""
    answer = assistant.ask("What did Amazon say about the police ban?")
    assert answer.parts[0].speaker == "Amazon" and "moratorium" in answer.parts[0].text
    off_topic = assistant.ask("What did Amazon say about George Floyd?")
    assert off_topic.abstained or "George Floyd" in off_topic.parts[0].text


@pytest.mark.parametrize("question", ["What is Amazon accused of?", "What did Amazon allegedly do?"])
def test_ask_what_someone_is_accused_of_leads_with_an_allegation(assistant, question):
    """Words of accusing draw Amazon's denial of "the allegations" near too: the answer
    leads with what is alleged, in the claimant's name, and the denial may follow."""
    d = assistant.ask(question).to_dict()
    assert not d["abstained"] and d["parts"][0]["stance"] == "alleges" and d["parts"][0]["speaker"] == "Forrest"


def test_ask_who_something_was_given_to_answers_with_the_receiver(assistant):
    """"Who was it provided to?" asks whom the act was done to: never the one who told of it."""
    answer = assistant.ask("Who was the technology provided to?")
    assert answer.short is not None and "security agencies" in answer.short
    # a place is whom it was done to only within the act asked about: "sold ... to Russia"
    sold = assistant.ask("Who did Amazon sell the tech to?")
    assert not sold.abstained and sold.short is not None and "Russia" in sold.short
    assert assistant.ask("Who did Forrest accuse?").short != "London"  # where he filed, not whom he accused


def test_ask_follow_up_for_a_response_gives_the_other_side(assistant):
    history = [{"role": "user", "content": "What does Forrest allege about sales to Russia?"},
               {"role": "assistant", "content": "That AWS gave VisionLabs access to Amazon Rekognition."}]
    answer = assistant.ask("What did they say in response?", history)
    assert {p.speaker for p in answer.parts} == {"Amazon"}
    assert "without merit" in answer.answer


def test_ask_standalone_question_same_after_unrelated_history(assistant):
    fresh = assistant.ask("Why did Amazon fire Forrest?")
    history = [{"role": "user", "content": "What did Forrest say about British police?"},
               {"role": "assistant", "content": "That they kept using Rekognition."},
               {"role": "user", "content": "Who reported on the case?"},
               {"role": "assistant", "content": "The Financial Times, Engadget and The Telegraph."}]
    assert assistant.ask("Why did Amazon fire Forrest?", history).answer == fresh.answer


def test_ask_question_not_in_english_says_so(assistant):
    answer = assistant.ask("Warum wurde Forrest von Amazon entlassen?")
    assert answer.abstained and answer.citations == []
    assert "English" in answer.answer and "German" in answer.answer
    # two misspelt English words are too little to tell a language by
    assert "English" not in assistant.ask("whos visonlabs").answer
    # a slip of a name the sources write is that name, whatever the words around it look like
    slipped = assistant.ask("wat is visionlaas")
    assert "English" not in slipped.answer and not slipped.abstained and "VisionLabs" in slipped.answer
    # ...while a foreign question's words near English ones ("wat" what, "aan" an) are no slips
    assert "Dutch" in assistant.ask("wat heeft Amazon verkocht aan Rusland").answer
    # a question in another script has no English words at all
    assert "Russian" in assistant.ask("Кто такой Чарльз Форрест и что он утверждает?").answer


def test_ask_headline_card_served_as_catalogue_entry(assistant):
    answer = assistant.ask("Which outlets reported on the case?").to_dict()
    assert answer["citations"] and all(c["kind"] == "catalogue" for c in answer["citations"])
    assert "covered the case under the headline" in answer["answer"]


@pytest.mark.parametrize("question,history", [
    ("", None), ("   ", None), (42, None), ("x" * 2001, None),
    ("Who?", "not a list"), ("Who?", [{"role": "system", "content": "x"}]), ("Who?", [{"role": "user"}]),
])
def test_ask_bad_input_raises_clear_error(assistant, question, history):
    with pytest.raises(BadQuestionError) as err:
        assistant.ask(question, history)
    assert str(err.value)


def test_ask_other_model_refused(case_index):
    other = Assistant(index_dir=case_index, embedding_model="paraphrase-MiniLM-L3-v2")
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        other.ask("Who is the whistleblower?")


def test_to_dict_has_contract_fields(assistant):
    d = assistant.ask("Where is the shell company based?").to_dict()
    assert set(d) >= {"answer", "citations", "abstained"}
    for c in d["citations"]:
        assert set(c) >= {"n", "source_id", "title", "publisher", "url", "text", "quote"}
    json.dumps(d)


@pytest.mark.parametrize("question,phrase", [
    ("Where is the case being heard?", "London"),
    ("When did Forrest file his claim?", "June 2024"),
    ("Which Russian company is involved?", "VisionLabs"),
    ("What kind of company allegedly handled the deals?", "shell company"),
    ("In which country was the shell company based?", "Netherlands"),
])
def test_ask_short_answer_opens_with_the_phrase_asked_for(assistant, question, phrase):
    from assistant.cli import format_answer

    d = assistant.ask(question).to_dict()
    assert d["short"] == phrase and d["answer"].startswith(phrase + " \u2014 ")
    marked = [c for c in d["citations"] if c["short_span"]]
    assert len(marked) == 1 and marked[0]["quote"][slice(*marked[0]["short_span"])] == phrase  # verbatim, cited
    part = d["parts"][0]  # the sentence it is taken from comes right after it
    assert part["short_span"] and part["text"][slice(*part["short_span"])] == phrase and part["n"] == marked[0]["n"]
    assert format_answer(d).splitlines()[0] == phrase  # the CLI's first line


@pytest.mark.parametrize("question,phrase", [
    ("When was Forrest dismissed?", "2023"),
    ("When did the alleged misconduct take place?", "November 2022 and May 2023"),
])
def test_ask_date_short_answer_is_the_one_of_the_event_asked_about(assistant, question, phrase):
    """One sentence dates three events (the claim, the dismissal, the misconduct): the date
    given is the one the parse hangs on the event the question names."""
    assert assistant.ask(question).to_dict()["short"] == phrase


@pytest.mark.parametrize("question,phrase", [
    ("Whose death preceded Amazon's ban on police use of facial recognition?", "George Floyd"),
    ("Which country did Amazon allegedly sell the technology to?", "Russia"),
    ("In which city is the employment tribunal?", "London"),
    ("Where was the lawsuit filed?", "London"),  # "in London, England": the narrower place
])
def test_ask_short_answer_is_the_thing_the_question_is_about_not_another_of_its_kind(assistant, question, phrase):
    """The answering sentences name several things of the kind asked for (Amazon and George
    Floyd; the UK, Russia and Ukraine; London and England): the short-answer model takes the
    one tied to what the question asks about, a country is no city, and of "London, England"
    the place asked for is the narrower."""
    assert assistant.ask(question).to_dict()["short"] == phrase


def test_ask_where_someone_worked_gets_the_employer(assistant):
    assert assistant.ask("Where did Forrest work?").to_dict()["short"] in ("AWS", "Amazon Web Services", "Amazon")


def test_ask_who_is_the_man_doing_it_answered_like_who_does_it(assistant):
    """A word for anyone ("the man", "the guy") is no word the answer must hold."""
    for question in ("Who is the man suing Amazon?", "who's the guy suing amazon"):
        assert assistant.ask(question).to_dict()["short"] in ("Forrest", "Charles Forrest"), question


def test_ask_who_short_answer_is_a_name_that_acts(assistant):
    """"Who filed the lawsuit?": the one who filed it, not the company in "a former AWS
    employee" nor the city in "a tribunal in London"."""
    assert assistant.ask("Who filed the lawsuit?").to_dict()["short"] in ("Forrest", "Charles Forrest")


def test_ask_finer_date_than_the_sources_give_is_declined(assistant):
    """The sources date the dismissal to the year only: "which month" is not answered by
    another event's month in that year."""
    answer = assistant.ask("In which month of 2023 was Forrest dismissed?")
    assert answer.abstained and "May" not in answer.answer


@pytest.mark.parametrize("question", ["Who at Amazon denied the allegations?",
                                      "Which person denied the allegations?"])
def test_ask_who_short_answer_is_the_speaker_a_sentence_names_without_a_name(assistant, question):
    """"Who ... denied ...?" where the source names its speaker only by description: that
    description, verbatim from the denial, is the short answer (not a place or a name elsewhere);
    "which person" asks for it as "who" does."""
    d = assistant.ask(question).to_dict()
    assert d["short"] == "an Amazon spokesperson"
    assert d["parts"][0]["stance"] == "denies" and "spokesperson denied" in d["parts"][0]["text"]


@pytest.mark.parametrize("question", ["Why was Forrest fired?", "Did Amazon deny the allegations?",
                                      "How does Amazon describe its police ban?"])
def test_ask_short_answer_none_for_why_how_and_yes_no(assistant, question):
    d = assistant.ask(question).to_dict()
    assert not d["abstained"] and d["short"] is None
    assert all(c["short_span"] is None for c in d["citations"]) and all(p["short_span"] is None for p in d["parts"])


@pytest.mark.parametrize("question", [
    "Has it been established that Amazon sold facial recognition technology to Russia after sanctions?",
    "Which Russian company is involved?", "What did Amazon say about its moratorium?",
    "What does Forrest allege about British police?",
])
def test_ask_every_claimed_sentence_says_whose_claim_in_words(assistant, question):
    """A sentence someone other than the publisher asserts carries that someone's label in its
    own served text, however the source names them ("A former employee ... has leaked ...")."""
    d = assistant.ask(question).to_dict()
    claimed = [p for p in d["parts"] if p["stance"] != "reports"]
    assert claimed, d["parts"]
    for p in claimed:
        assert p["speaker"].lower() in p["text"].lower(), p


def test_cli_ask_json_and_jsonl(case_index, tmp_path, repo_root):
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(case_index), "--json",
                          "Why did Amazon fire Forrest?"], capture_output=True, text=True, cwd=repo_root,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert "serious misconduct" in answer["answer"] and answer["citations"]
    assert "DEBUG" not in out.stderr  # libraries' debug chatter stays out of a user's terminal

    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "question": "Where is the shell company based?"},
        {"id": "b", "question": "When did he file it?", "history": [
            {"role": "user", "content": "Who is the whistleblower?"},
            {"role": "assistant", "content": "Charles Forrest."}]},
        {"id": "c", "question": "Who wrote Hamlet?"},
    ]) + "\n")
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(case_index), "--jsonl",
                          str(questions)], capture_output=True, text=True, cwd=repo_root, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in map(json.loads, out.stdout.strip().splitlines())}
    assert "Netherlands" in rows["a"]["answer"]
    assert "June 2024" in rows["b"]["answer"]
    assert rows["c"]["abstained"] is True and rows["c"]["citations"] == []


def test_cli_ask_without_index_says_how_to_build_one(tmp_path, repo_root):
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(tmp_path / "none"), "Who?"],
                         capture_output=True, text=True, cwd=repo_root, timeout=120)
    assert out.returncode != 0
    assert "python -m ingest" in out.stderr and "Traceback" not in out.stderr


def _eval(index, path, repo_root) -> dict:
    out = subprocess.run([sys.executable, "-m", "assistant", "eval", "--index", str(index), "--json", str(path)],
                         capture_output=True, text=True, cwd=repo_root, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_eval_project_question_set_meets_floor(case_index, repo_root):
    """The project's own set, as the acceptance scorer scores it: a floor under what the answer
    model measures (the set is partly in its train split; held-out figures are `assistant eval`'s)."""
    figures = _eval(case_index, repo_root / "tests" / "data" / "case_qa.jsonl", repo_root)
    assert figures["in_scope"] >= 40 and figures["out_of_scope"] >= 8
    # A little under what it measures when fitted (63/77 and 22/25).
    assert figures["concise"] >= 0.78 * figures["in_scope"], figures["failures"]
    assert figures["abstained_ok"] >= 0.8 * figures["out_of_scope"], figures["failures"]


def test_eval_shared_dev_set_all_correct(case_index, repo_root):
    dev = need_shared(repo_root.parent / "shared" / "eval" / "dev_qa.jsonl", "the shared dev question set")
    assert _eval(case_index, dev, repo_root)["failures"] == []  # every kind, every question


def test_terms_alias_forms_match_each_other_not_pronouns(repo_root):
    from assistant.text import Lexicon
    from ingest.manifest import load_case_profile

    terms = Lexicon(load_case_profile(repo_root / "corpus")).terms
    # "Did Britain ..." must find "the UK imposed ...": one term for a country's name, adjective and people.
    assert terms("Britain") == terms("British") == terms("UK") == terms("Britons")
    assert terms("Russian companies") == terms("Russia companies")
    assert terms("Dutch shell company") == terms("Netherlands shell company")
    assert terms("AWS staff") == terms("Amazon staff")
    assert terms("The company told us") != terms("The company told the USA")
    assert Lexicon().terms("Britain") != Lexicon().terms("UK")  # the forms come from the corpus, not the code


def test_terms_initials_of_a_name_the_sources_never_abbreviate_match_the_name():
    from assistant.text import Lexicon, initialisms

    names = ["Financial Times", "the Commons Digital Oversight Committee", "Acme Web Services", "Fenella Stroud",
             "Information Technology", "Unknown Source", "United States", "Gazette"]
    short = initialisms(names, {"aws", "it"}.__contains__)  # "AWS" the sources write; "it" is a word
    assert short["ft"] == ("financial", "times") and short["cdoc"][0] == "commons"
    assert "aws" not in short and "it" not in short and "gazette" not in short
    assert "us" not in short  # two names, one set of initials: neither
    terms = Lexicon(short=short).terms
    assert set(terms("the FT's headline")) >= set(terms("Financial Times")) and not Lexicon().seen("ft", set())


def test_ask_name_written_by_its_initials(assistant):
    """"The FT" is the Financial Times, whose headline the sources carry; "the AWS product" is
    not AWS itself however the sources spell it out ("Amazon Web Services (AWS)")."""
    answer = assistant.ask("What was the FT's headline?")
    assert not answer.abstained and answer.citations[0].publisher == "Financial Times"
    short = assistant.ask("What is the name of the AWS product at the heart of the allegations?").to_dict()["short"]
    assert short in ("Rekognition", "Amazon Rekognition")


def test_points_back_only_for_a_follow_up_noun_without_its_own_complement():
    from assistant.index import CaseProfile
    from assistant.text import Lexicon

    lexicon = Lexicon(CaseProfile(follow_up_nouns=["claim"]))
    assert lexicon.points_back("When did he make the claim?")
    assert not lexicon.points_back("How does Acme answer the claim that it broke its ban?")


def test_ask_follow_up_answered_even_when_last_answer_said_it(assistant):
    first = assistant.ask("Who is the whistleblower?")
    history = [{"role": "user", "content": "Who is the whistleblower?"},
               {"role": "assistant", "content": first.answer}]
    follow = assistant.ask("When did he file his claim?", history)
    assert not follow.abstained and "June 2024" in follow.answer


def test_ask_outlets_question_names_every_outlet_that_published_a_source(assistant):
    """The article read in full counts as much as the cited sources known by their headline."""
    publishers = {d.publisher for d in assistant.manifest().documents.values() if d.publisher}
    assert len(publishers) == 4
    answer = assistant.ask("Which outlets reported on the case?")
    assert not answer.abstained and {c.publisher for c in answer.citations} == publishers


def test_ask_which_noun_short_answer_is_no_name_of_a_clause_after_the_noun(tmp_path, make_doc, ingest_ok):
    """"Which judge ...?": a name standing after the noun in a clause of its own ("told the
    judge that Vance had ...") is that clause's, not the judge's; where no sentence names the
    judge, the question is declined rather than answered with someone else."""
    from assistant.service import Assistant

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_doc(corpus, "appeal.md",
             "Counsel for the claimant told the judge that Jordan Vance had raised his concerns in writing "
             "four times before he was dismissed.",
             "The appeal was heard in Croydon over two days in May 2025.",
             title="Appeal heard", publisher="Court Watch", date="2025-05-20")
    ingest_ok(corpus, index)
    answer = Assistant(index_dir=index).ask("Which judge was told about the concerns?")
    assert "Vance" not in (answer.short or "") and answer.abstained
