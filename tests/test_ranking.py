"""Ranking, abstention and answer composition on made-up scored sentences: the answerer's
logic without the model or an index."""

from __future__ import annotations

import pytest

from assistant.answering import NOT_IN_SOURCES, Answerer, FollowUp, QuestionKind, Weights, follow_up, unseen_names
from assistant.index import CaseProfile, Passage, Sentence
from assistant.retrieval import ScoredSentence
from assistant.settings import Settings
from assistant.text import Lexicon

LEXICON = Lexicon(CaseProfile(aliases=[["uk", "britain", "british"], ["amazon", "aws"]],
                              follow_up_nouns=["company", "tribunal"]))


def cand(text: str, dense: float = 0.5, *, doc: str = "a.md", position: int = 1, index: int = 0,
         passage_dense: float | None = None, lexical: float = 0.0, coverage: float = 0.0,
         headline: bool = False, passage_text: str | None = None) -> ScoredSentence:
    passage = Passage.new(doc, passage_text or text, title=f"Title of {doc}", publisher="Wire", position=position,
                          headline=headline)
    return ScoredSentence(Sentence.new(passage, index, text), passage, dense,
                          dense if passage_dense is None else passage_dense, lexical, coverage)


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(retriever=None, settings=Settings(), weights=Weights())  # type: ignore[arg-type]


def ranked_texts(answerer: Answerer, cands: list[ScoredSentence], question: str,
                 prior: FollowUp | None = None) -> list[str]:
    return [c.sentence.text for c in answerer.rank(cands, QuestionKind.of(question), LEXICON, prior)]


def test_rank_when_question_prefers_sentence_with_a_date(answerer):
    cands = [cand("The claim was about facial recognition.", 0.55), cand("He filed the claim in June 2024.", 0.5)]
    assert ranked_texts(answerer, cands, "When did he file the claim?")[0] == "He filed the claim in June 2024."
    assert ranked_texts(answerer, cands, "What was the claim about?")[0] == "The claim was about facial recognition."


def test_rank_headline_card_only_for_coverage_questions(answerer):
    card = cand("Wire reported on the case under the headline \"X\".", 0.5, headline=True, position=0)
    body = cand("The tribunal heard the claim.", 0.45)
    assert ranked_texts(answerer, [card, body], "What did the tribunal hear?")[0] == body.sentence.text
    assert ranked_texts(answerer, [card, body], "Which outlets reported on it?")[0] == card.sentence.text


def test_rank_follow_up_prefers_what_was_not_said(answerer):
    said = cand("Amazon denied the claim.", 0.6)
    new = cand("The tribunal set a hearing for spring.", 0.5)
    prior = FollowUp("Did Amazon deny it? Amazon denied the claim.", frozenset(LEXICON.terms("Amazon denied the claim.")))
    assert ranked_texts(answerer, [said, new], "And then?", prior)[0] == new.sentence.text
    assert ranked_texts(answerer, [said, new], "And then?")[0] == said.sentence.text


@pytest.mark.parametrize("dense,coverage,expected", [(0.45, 0.0, True), (0.29, 0.0, False), (0.25, 0.6, True),
                                                     (0.25, 0.3, False), (0.15, 1.0, False)])
def test_relevant_by_closeness_and_shared_terms(answerer, dense, coverage, expected):
    ranked = [cand("The company filed the report.", dense, coverage=coverage)]
    assert answerer.relevant(ranked, QuestionKind.of("What did the company file?"), []) is expected


def test_relevant_unseen_name_or_how_to_needs_a_close_match(answerer):
    near = [cand("The chief executive spoke.", 0.5)]
    assert answerer.relevant(near, QuestionKind.of("What did the chief executive say?"), []) is True
    assert answerer.relevant(near, QuestionKind.of("What did Zorblax say?"), ["Zorblax"]) is False
    assert answerer.relevant(near, QuestionKind.of("How do I reset my router?"), []) is False
    assert answerer.relevant([cand("Zorblax spoke.", 0.7)], QuestionKind.of("What did Zorblax say?"), ["Zorblax"])


def test_relevant_how_much_needs_a_number(answerer):
    kind = QuestionKind.of("How much was the contract worth?")
    assert answerer.relevant([cand("The contract was signed.", 0.6)], kind, []) is False
    assert answerer.relevant([cand("The contract was worth four million pounds.", 0.6)], kind, []) is True


def test_fit_keeps_chosen_sentences_within_word_budget(answerer):
    best = cand("Second thing happened.", 0.7, position=2)
    long = cand(" ".join(["word"] * 99) + ".", 0.69, position=4)
    close = cand("First thing happened.", 0.65, position=1)
    assert [c.sentence.text for c in answerer._fit([best, long, close])] == [
        "Second thing happened.", "First thing happened."]  # the long one would pass 100 words


def test_compose_numbers_passages_once_and_quotes_their_sentences(answerer):
    para = "He said one thing. He said another thing."
    one = cand("He said one thing.", 0.7, passage_text=para, index=0)
    two = cand("He said another thing.", 0.7, passage_text=para, index=1)
    other = cand("She disagreed.", 0.7, doc="b.md")
    answer = answerer.compose([one, two, other])
    assert answer.answer == "He said one thing. [1] He said another thing. [1] She disagreed. [2]"
    assert all(c.kind == "passage" and c.stance == "reports" for c in answer.citations)
    assert [c.n for c in answer.citations] == [1, 2]
    assert answer.citations[0].sentences == ("He said one thing.", "He said another thing.")
    assert answer.citations[0].text == para and answer.citations[1].source_id == "b.md"
    assert not answer.abstained and NOT_IN_SOURCES not in answer.answer


@pytest.mark.parametrize("question,expected", [
    ("When did he file it?", True), ("When did the company deny it?", True), ("And the tribunal?", True),
    ("Why?", True), ("What did that include?", True), ("Who says so?", True),
    ("Which Russian company is involved in the sanctions case?", False),
    ("Why did Amazon fire Forrest?", False), ("Which outlets reported on the case?", False),
])
def test_follow_up_only_for_questions_that_depend_on_history(answerer, question, expected):
    history = [{"role": "user", "content": "Who is the whistleblower?"},
               {"role": "assistant", "content": "Charles Forrest, a former employee. [1]"}]
    got = follow_up(question, history, LEXICON, answerer.reader.read(question).dependent)
    assert (got is not None) is expected
    if got is not None:
        assert "[1]" not in got.context and "forrest" in " ".join(got.said)


def test_unseen_names_through_aliases():
    vocabulary = {"aws", "britain", "tribunal"}
    assert unseen_names("What did Amazon say to the British tribunal?", LEXICON, vocabulary) == []
    assert unseen_names("What did Zorblax say to Amazon?", LEXICON, vocabulary) == ["Zorblax"]
    assert unseen_names("What did Amazon say?", Lexicon(), vocabulary) == ["Amazon"]  # no aliases: unseen
