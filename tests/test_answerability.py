"""The answer model and the decision made with it (assistant/answerability), misspelt questions,
and the rules the code keeps to: fitted from data by a command, no case words in the code.

Behaviour is checked on questions of the kinds the public sets hold, asked of the real case
index; the figures per kind (train, validation, k-fold) are `python -m assistant eval`'s.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from shared_support import need_shared

from assistant.answerability.model import AnswerModel
from assistant.errors import SettingsError

REPO = Path(__file__).resolve().parent.parent
SHARED_EVAL = REPO.parent / "shared" / "eval"


def needs_shared() -> None:
    need_shared(SHARED_EVAL, "the public question sets the answer model is fitted and measured on")




# --------------------------------------------------------------------------- the code's own rules

#: Words of this case that must not appear in code as a string or a name (docstrings aside).
CASE_WORDS = ("amazon", "aws", "forrest", "visionlabs", "rekognition", "police", "tribunal", "judge",
              "whistleblower", "spokesperson", "netherlands", "uk", "britain")


def _code_words(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    found: set[str] = set()
    for node in ast.walk(tree):
        texts = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts.append(node.value)
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        for text in texts:
            found |= {w for w in re.split(r"[^a-z]+", text.lower()) if w in CASE_WORDS}
    return found


def test_code_names_no_word_of_the_case():
    """Knowledge of the case lives in corpus/case.toml; general word lists in assistant/data."""
    offenders = {str(p.relative_to(REPO)): words for folder in ("assistant", "ingest")
                 for p in sorted((REPO / folder).rglob("*.py")) if (words := _code_words(p))}
    assert offenders == {}


def test_answer_model_file_is_the_features_the_code_computes():
    model = AnswerModel.load()
    text = model.to_json()
    assert AnswerModel.from_json(text).to_json() == text
    for key in ("features", "short_features"):
        data = json.loads(text)
        data[key] = data[key][:-1]
        with pytest.raises(SettingsError, match="assistant train"):
            AnswerModel.from_json(json.dumps(data))
    assert model.fitted["short_questions"] > 0 and abs(model.short.coef).sum() > 0  # fitted, not even odds
    t = model.thresholds
    assert 0 < t.keep < 1 and 0.5 <= t.answer < 1 and 0.5 <= t.answer_typed < 1  # answered at even odds or better


@pytest.mark.slow
def test_train_reproduces_the_shipped_model(tmp_path, shared_embedder, shared_analyzer, real_corpus_index):
    """What `python -m assistant train` runs, in this process with the session's model: the
    same file, byte for byte, from the same questions. Its two indexes start from the session's
    index of the same corpus (ingest brings them up to date: nothing for the case corpus, the
    follow-up documents for the other)."""
    needs_shared()
    import shutil

    from assistant.answerability.model import MODEL_FILE
    from assistant.answerability.training import CASE, UPDATES, train
    from assistant.index.layout import LOCK
    from assistant.settings import Settings

    for name in (CASE, UPDATES):
        shutil.copytree(real_corpus_index.index, tmp_path / "work" / f"index-{name}",
                        ignore=shutil.ignore_patterns(LOCK))
    out = tmp_path / "model.json"
    train(Settings.load(eval_work_dir=tmp_path / "work"), tmp_path / "work", out, embeddings=shared_embedder,
          analyzer=shared_analyzer)
    assert out.read_text(encoding="utf-8") == MODEL_FILE.read_text(encoding="utf-8")


def test_read_country_by_the_name_english_gives_it():
    """"Russia", not only ISO's "Russian Federation", is a country (so no answer to "which city")."""
    from assistant.answerability.facts import is_country

    assert all(map(is_country, ("Russia", "Russian Federation", "the Netherlands", "UK", "South Korea")))
    assert not any(map(is_country, ("London", "Rotterdam", "Europe", "European Union")))


def test_fit_threshold_in_a_broad_good_stretch_not_on_a_lone_peak():
    from assistant.answerability.training import _middle_of_best, _smoothed

    grid = [round(0.01 + 0.02 * i, 2) for i in range(48)]
    scores = {v: 200.0 for v in grid}
    scores.update({v: 212.0 for v in grid if 0.55 <= v <= 0.67})  # a broad stretch...
    scores[0.73] = 212.1  # ...and one step, a trifle higher
    assert _middle_of_best(scores) == 0.73
    assert 0.57 <= _middle_of_best(_smoothed(scores)) <= 0.65


def test_fold_draws_partition_the_items_each_their_own_way():
    """`eval --fold-draws N` runs the k-fold over N draws: each a partition keeping a group whole."""
    from types import SimpleNamespace

    from assistant.answerability.training import SEED, _item_folds

    asked = [SimpleNamespace(item=SimpleNamespace(kind=("a", "b")[i % 2], group=f"g{i // 2}")) for i in range(40)]
    draws = [_item_folds(asked, 5, SEED + d) for d in range(2)]
    for folds in draws:
        assert sorted(i for f in folds for i in f.tolist()) == list(range(40))
        assert all(len({asked[i].item.group for i in f} & {asked[i].item.group for i in g}) == 0
                   for f in folds for g in folds if f is not g)
    assert [sorted(f.tolist()) for f in draws[0]] != [sorted(f.tolist()) for f in draws[1]]


def test_fit_answer_threshold_leaves_even_odds_only_for_a_gain_beyond_its_noise():
    from assistant.answerability.training import _gain_beyond_noise, _middle_of_best

    even = np.zeros(40)
    churn = even.copy()
    churn[:5], churn[5:9] = 1, -1  # one more passed, nine changed: luck
    clear = even.copy()
    clear[:6] = 1  # six more passed, nothing lost
    assert _middle_of_best(_gain_beyond_noise({0.51: even, 0.61: churn}, 0.51)) == 0.51
    assert _middle_of_best(_gain_beyond_noise({0.51: even, 0.61: churn, 0.71: clear}, 0.51)) == 0.71


def test_split_holds_out_a_whole_follow_up_document():
    needs_shared()
    from assistant.answerability.training import load_items, read_split
    from assistant.settings import Settings

    items = load_items(Settings.load())
    train, validation = read_split(items)
    assert len(train) + len(validation) == len(items) and not {i.key for i in train} & {i.key for i in validation}
    held = {d for it in validation for d in it.docs} - {d for it in train for d in it.docs}
    assert held, "no follow-up document is held out whole"
    assert {it.kind for it in validation} >= {"paraphrase", "near-topic", "update"}


def test_extend_split_keeps_every_question_where_it_was_and_places_new_ones_by_document():
    from assistant.answerability.training import Item, extend_split, make_split

    def item(key: str, kind: str = "paraphrase", docs: tuple[str, ...] = ()) -> Item:
        return Item(key, kind, {"id": key, "question": key}, "case", f"document:{docs[0]}" if docs else key, docs)

    old = [item(f"p{i}") for i in range(20)] + [item(f"a{i}", "update", ("a.md",)) for i in range(3)] \
        + [item(f"b{i}", "update", ("b.md",)) for i in range(3)]
    split = make_split(old)
    held_doc = split["validation_document"]
    added = [item("new-held", "update-unanswerable", (held_doc,)),
             item("new-other", "update-unanswerable", ({"a.md", "b.md"} - {held_doc}).pop())] \
        + [item(f"n{i}") for i in range(10)]
    grown = extend_split(old + added, split)
    assert set(split["train"]) <= set(grown["train"]) and set(split["validation"]) <= set(grown["validation"])
    assert "new-held" in grown["validation"] and "new-other" in grown["train"]
    new_paraphrases = {f"n{i}" for i in range(10)}
    assert new_paraphrases & set(grown["validation"]) and new_paraphrases & set(grown["train"])  # a share of each kind
    assert extend_split(old + added, split) == grown  # the same questions, the same split


def test_verdict_counts_a_wrong_short_answer_apart_from_a_right_sentence():
    """The acceptance scorer passes "Russia — ... a tribunal in London" for "which city": the
    short answer's own verdict says it is wrong."""
    from assistant.evaluation import verdict
    from assistant.types import Answer

    gold = {"id": "x", "question": "In which city was the claim filed?", "answer_any": ["London"],
            "support_any": ["London"]}
    sentence = "Smith filed a claim at a tribunal in London over sales to Russia."
    wrong, right = (verdict(gold, Answer(f"{short} \u2014 {sentence}", [], False, (), short=short), 100)
                    for short in ("Russia", "London"))
    assert wrong.right and wrong.short_right is False and right.short_right is True
    assert verdict(gold, Answer(sentence, [], False, ()), 100).short_right is None


def test_eval_question_about_a_document_the_index_lacks_is_one_to_decline():
    from assistant.evaluation import without_missing_documents

    item = {"id": "x", "kind": "update", "docs": ["ruling.md"], "question": "How much was Smith awarded?",
            "answer_any": ["£1"], "support_any": ["£1"]}
    assert without_missing_documents(item, {"ruling.md", "article.md"}) is item
    alone = without_missing_documents(item, {"article.md"})
    assert alone["abstain"] is True and alone["question"] == item["question"] and "answer_any" not in alone


# --------------------------------------------------------------------------- spelling


def test_correct_misspelt_words_and_names_to_the_sources():
    from assistant.spelling import Speller

    speller = Speller({"police", "british", "forrest", "filed", "claim", "what", "about"},
                      {"forrest": "Forrest", "smith": "Smith", "smyth": "Smyth"})
    assert speller.correct("Wat did Forest say abut the britsh polise?") == \
        "What did Forrest say abut the british police?"
    assert speller.correct("whats the claim") == "what's the claim"
    # a real English word the reader meant stays; two names as near are never guessed between
    assert speller.correct("Who won the cup?") == "Who won the cup?"
    assert speller.correct("Did Smoth rule?") == "Did Smoth rule?"
    assert speller.correct("the U.K. ruling") == "the U.K. ruling"


def test_correct_slips_in_questions_typed_without_capitals():
    """Casual typing: no capitals mark the names, the first word is a question word more often
    than not, letters swapped are one slip."""
    from assistant.spelling import Speller

    speller = Speller({"times", "filed", "company", "russian"}, {"smyth": "Smyth", "times": "Times"}, ["smyth"])
    assert speller.correct("wich russian compny") == "which russian company"  # not "with"
    assert speller.correct("whta did smith file") == "what did Smyth file"
    # a word of a thing's name is often a word too: only a person's name is read into one
    assert speller.correct("what time was it filed") == "what time was it filed"
    assert speller.correct("What did smith file?") == "What did smith file?"  # capitals used: a word


def test_correct_name_typed_without_capitals_to_the_name_as_the_sources_write_it():
    """"who is charles forrest": words the sources write only in a person's name are the name
    (the parser reads lowercase words as common nouns); where the question uses capitals, its
    own are kept."""
    from assistant.spelling import Speller

    speller = Speller({"charles", "forrest", "filed", "claim"}, {"charles": "Charles", "forrest": "Forrest"},
                      ["charles", "forrest"], only_names={"charles", "forrest"})
    assert speller.correct("who is charles forrest") == "who is Charles Forrest"
    assert speller.correct("when did forrest's claim get filed") == "when did Forrest's claim get filed"
    assert speller.correct("Who is charles Forrest?") == "Who is charles Forrest?"


def test_correct_dropped_letter_before_a_wrong_one():
    """Of words as many edits away, a letter left out is the likelier slip than a letter
    typed wrong: "wher" asks where, not when (a question of another kind)."""
    from assistant.spelling import Speller

    speller = Speller({"tribunal", "sold", "said"}, {})
    assert speller.correct("wher is the tribunal") == "where is the tribunal"
    assert speller.correct("whn was it sold") == "when was it sold"
    # a letter typed at the end ("report" + d) is as near as one left out ("report_e_d"): the
    # word that holds every letter typed is meant
    assert Speller({"report", "reported"}, {}).correct("who first reportd it") == "who first reported it"


def test_correct_dropped_letter_to_an_english_word_before_a_wrong_one_to_a_source_word():
    """"rase": a word of the sources ("case") is a wrong letter away, an English word ("raise")
    a dropped one: the commoner slip wins; a word of the sources as near by a dropped letter
    or a swap still comes first."""
    from assistant.spelling import Speller

    speller = Speller({"case", "issues", "police", "about"}, {})
    assert speller.correct("how many issues did he rase") == "how many issues did he raise"
    assert speller.correct("the polcie case") == "the police case"
    assert speller.correct("what about the cse") == "what about the case"


def test_correct_word_typed_as_two_to_the_one_word_of_the_sources():
    """"whistle blower": the sources write it as one word and use neither half; two words the
    sources use apart stay apart."""
    from assistant.spelling import Speller

    speller = Speller({"whistleblower", "police", "facial", "recognition", "facialrecognition"}, {})
    assert speller.correct("what did the whistle blower say") == "what did the whistleblower say"
    assert speller.correct("facial recognition") == "facial recognition"


def test_correct_word_typed_short_to_the_source_word_it_starts():
    """"face recog": a clipped word is the word of the sources it starts, not an English word
    one edit away ("recon"); too short a start is left alone."""
    from assistant.spelling import Speller

    speller = Speller({"recognition", "recognised", "sanctions", "face"}, {})
    assert speller.correct("the face recog product") == "the face recognition product"
    assert speller.correct("any sanct news") == "any sanctions news"
    assert speller.correct("the rec room") == "the rec room"


def test_correct_possessive_typed_without_its_apostrophe():
    """"amazons product": a name that owns things plus "s" is its possessive (the parser read
    "amazons" as the thing asked about); a plural of a word of nationality stays."""
    from assistant.spelling import Speller

    speller = Speller({"product", "russian"}, {"acme": "Acme", "russian": "Russian"}, owners={"acme"})
    assert speller.correct("whats the name of acmes product") == "what's the name of acme's product"
    assert speller.correct("which russians got it") == "which russians got it"


def test_correct_slipped_owner_of_a_possessive_keeping_its_apostrophe():
    """"Amaon's": the possessive's owner is a word like any other; the "'s" stays as typed."""
    from assistant.spelling import Speller

    speller = Speller({"police", "country"}, {"acme": "Acme"})
    assert speller.correct("What did Acne's deal cover?") == "What did Acme's deal cover?"
    assert speller.correct("Which coutry's police?") == "Which country's police?"
    assert speller.correct("Which country's police?") == "Which country's police?"


def test_correct_slipped_word_before_a_closing_quote_and_name_the_parser_missed():
    """"'serious miscoduct'": a closing quote is no part of the word; "Engaadget": a name the
    sources write that the parser never marked is still one of their words; "Britsh": of two
    names as near, the one holding every letter typed ("British", not the form "Brits")."""
    from assistant.spelling import Speller

    speller = Speller({"misconduct", "engadget", "british"}, {"british": "British", "brits": "Brits"})
    assert speller.correct("What was the 'serious miscoduct'?") == "What was the 'serious misconduct'?"
    assert speller.correct("Besides Engaadget, who covered it?") == "Besides Engadget, who covered it?"
    assert speller.correct("Did Britsh police use it?") == "Did British police use it?"
    assert speller.correct("Who is Navalny?") == "Who is Navalny?"  # near no word of the sources


def test_ask_slipped_other_form_of_a_name_answered_as_the_name(assistant):
    """"Birtain": the sources write "UK", and case.toml makes "Britain" one of its forms; a slip
    of that form is the form, not a name the sources never mention."""
    slipped = assistant.ask("When did Birtain put sanctions on Russia?")
    clean = assistant.ask("When did Britain put sanctions on Russia?")
    assert not clean.abstained and not slipped.abstained
    assert [c.quote for c in slipped.citations] == [c.quote for c in clean.citations]


def test_correct_slipped_word_beside_a_word_of_a_name_to_the_name():
    """"Amazon Recognition": a real word, but beside the other word of a name the sources use
    it is that name slipped; a word far from the name's, two names as near, or a run holding
    none of a name's own words is left alone."""
    from assistant.spelling import Speller

    speller = Speller({"acme", "recognition", "facial", "labs", "vision"}, {}, full_names=[
        "Acme Rekognition", "Vision Labs", "Vision Lads", "Grey Owl"])
    assert speller.correct("What is Acme Recognition?") == "What is Acme Rekognition?"
    assert speller.correct("what is acme recognition used for") == "what is Acme Rekognition used for"
    assert speller.correct("facial recognition") == "facial recognition"
    assert speller.correct("Acme Revolution") == "Acme Revolution"  # too far from "rekognition"
    assert speller.correct("Vision Lags") == "Vision Lags"  # as near "Labs" as "Lads"
    assert speller.correct("Gray Owls") == "Gray Owls"  # no word of the name as written


def test_ask_name_with_a_slipped_word_answered_as_the_name(assistant):
    slipped = assistant.ask("What is Amazon Recognition?")
    clean = assistant.ask("What is Amazon Rekognition?")
    assert not slipped.abstained
    assert [c.quote for c in slipped.citations] == [c.quote for c in clean.citations]


def test_ask_casual_possessive_gets_the_product_asked_for(assistant):
    assert assistant.ask("whats the name of amazons face recog product").to_dict()["short"] in (
        "Rekognition", "Amazon Rekognition")


# --------------------------------------------------------------------------- behaviour


def test_ask_misspelt_question_answered_as_the_clean_one(assistant):
    clean = assistant.ask("What did Forrest say about the British police?")
    typo = assistant.ask("Wat did Forest say abut the britsh polise?")
    assert not typo.abstained and typo.citations
    assert {c.passage_id for c in typo.citations} == {c.passage_id for c in clean.citations}


@pytest.mark.parametrize("question,described", [
    ("What is Amazon Rekognition?", "facial recognition technology, Amazon Rekognition"),
    ("what is visionlabs", "the Russian company VisionLabs"),
    ("What does the abbreviation AWS stand for?", "Amazon Web Services (AWS)"),
])
def test_ask_definition_answered_by_the_sentence_that_says_what_it_is(assistant, question, described):
    """"What is X?" opens with the sentence the parse finds describing X (an apposition, a
    descriptor), not one that only names it ("has not sold X to ...")."""
    answer = assistant.ask(question)
    assert not answer.abstained and described in answer.parts[0].text


def test_ask_multi_part_naming_an_unknown_body_again_declines_both_parts(assistant):
    """"..., and what is the committee called?": the second part asks of the body the first
    named, which the sources never mention; no sentence about anything else answers it."""
    answer = assistant.ask("Who leads the Westbury committee that questioned Amazon, and what is the committee called?")
    assert answer.abstained and not answer.citations


def test_ask_thing_named_in_a_sides_reply_leads_with_the_sentence_naming_it(assistant):
    """"the moratorium that Amazon refers to in its response" asks for the moratorium, not
    for each side: no claim of the other side comes before the sentence that names it."""
    answer = assistant.ask("What is the self-imposed moratorium that Amazon refers to in its response?")
    assert not answer.abstained and "moratorium" in answer.parts[0].text


def test_ask_multi_part_kind_held_by_an_earlier_parts_sentence_is_no_gap(assistant):
    """"Who brought the claim, and when?": one sentence answers both parts; "the sources don't
    say when" beside the date would be a false refusal."""
    answer = assistant.ask("Who brought the tribunal claim, and when?")
    assert not answer.abstained and all(p.n for p in answer.parts) and "June 2024" in answer.answer


def test_ask_multi_part_answers_each_part_it_can_and_names_the_gap(assistant):
    answer = assistant.ask("Who filed the claim, and which judge is hearing it?")
    assert not answer.abstained and "Forrest" in answer.answer
    gap = [p for p in answer.parts if p.n == 0]
    assert [p.text for p in gap] == ["The sources don't say which judge is hearing it."]


@pytest.mark.parametrize("question", ["Why was Forrest fired?", "Why did Amazon fire Forrest?"])
def test_ask_why_about_a_dismissal_gives_each_side_with_its_speaker(assistant, question):
    """The other side of Amazon's denial is the claim it denies, printed before it (the
    whistleblowing), not Forrest's next allegation after it (the police ban)."""
    answer = assistant.ask(question)
    speakers = {p.speaker for p in answer.parts}
    assert {"Forrest", "Amazon"} <= speakers
    assert "serious misconduct" in answer.answer and "whistleblowing" in answer.answer


@pytest.mark.parametrize("question,first", [("Why does Amazon say it fired Forrest?", "Amazon"),
                                            ("Why does Forrest say he was fired?", "Forrest")])
def test_ask_why_does_one_side_say_leads_with_that_sides_reason(assistant, question, first):
    """"Why does X say ...?": X's reason first, the other side's after it."""
    answer = assistant.ask(question)
    assert answer.parts[0].speaker == first and len({p.speaker for p in answer.parts}) == 2


def test_read_speaker_described_as_no_one_in_the_sources_tells_no_sentence_apart(assistant):
    """"According to the filing, ...": the sources quote no "filing", so no sentence is anyone
    else's; a party or a quoted speaker is still told apart."""
    from assistant.answerability.features import asked_speaker

    answerer = assistant.answerer
    snap = answerer.retriever.snapshot()

    def speaker(question: str) -> str:
        return asked_speaker(answerer.reader.read(question), snap)

    assert speaker("According to the filing, what did Forrest blow the whistle on?") == ""
    assert speaker("What happened in 2023, according to the article?") == ""
    assert speaker("What does the former AWS employee say about the police?") == "forrest"
    assert speaker("How did Amazon respond?") == "amazon"
    # someone the sources never quote is still someone: every sentence is someone else's words
    assert speaker("What did the committee chair say about the pledge?") == "the committee chair"
    answer = assistant.ask("According to the filing, what did Forrest blow the whistle on before he lost his job?")
    assert not answer.abstained and answer.citations


def test_weigh_follow_up_candidates_by_what_the_last_exchange_was_about(assistant):
    """"And what does Amazon say?" after a claim about the police: of Amazon's sentences, the
    one speaking of the police holds more of what the last exchange was about than the one on
    the dismissal; a standalone question borrows nothing."""
    from assistant.answerability import FEATURES
    from assistant.answerability.decide import FollowUp

    answerer = assistant.answerer
    snap = answerer.retriever.snapshot()
    frame = answerer.reader.read("And what does Amazon say?")
    prior = FollowUp("What does Forrest say about British police? Forrest claims that British police continued "
                     "to use Amazon Rekognition after the police ban.", frozenset())
    got = answerer.candidates(frame, prior, snap)
    held = dict(zip((c.sentence.text for c in got.sentences), got.features[:, FEATURES.index("context_held")]))
    police = next(v for t, v in held.items() if "police agencies" in t)
    dismissal = next(v for t, v in held.items() if "unfairly fired" in t)
    assert police > dismissal
    alone = answerer.candidates(answerer.reader.read("What does Amazon say?"), None, snap)
    assert not alone.features[:, FEATURES.index("context_held")].any()


def test_ask_yes_no_nearest_a_headline_gives_the_claim_and_the_reply(assistant):
    """An outlet's headline only reports the claim: a yes/no question it comes nearest to is
    answered by the claim's speaker and the other side, not by the headline and the claim."""
    answer = assistant.ask("Did Amazon violate UK sanctions?")
    assert not answer.abstained
    assert {"Forrest", "Amazon"} <= {p.speaker for p in answer.parts}, [p.speaker for p in answer.parts]


def test_fit_each_parts_answer_before_another_parts_further_sentences(assistant):
    """A multi-part answer within the word budget: a later part's answer is kept before an
    earlier part's further sentences, and the parts stay in order."""
    answerer = assistant.answerer
    _, found = answerer.retriever.search("Forrest Amazon police sanctions misconduct VisionLabs")
    by_length = sorted(found, key=lambda c: -len(c.sentence.text.split()))
    first_part, second_part = by_length[:3], by_length[3:4]  # three long sentences fill the budget alone
    chosen = first_part + second_part
    assert sum(len(c.sentence.text.split()) for c in chosen) > answerer.settings.max_answer_words
    leads = {first_part[0].sentence.id, second_part[0].sentence.id}
    fitted = answerer._fit(chosen, leads=leads)
    ids = [c.sentence.id for c in fitted]
    assert leads <= set(ids)
    assert ids == [c.sentence.id for c in chosen if c.sentence.id in ids]  # in the parts' order
    assert [c.sentence.id for c in answerer._fit(chosen)][-1] != second_part[0].sentence.id  # without leads: crowded out


def test_ask_response_follow_up_answers_the_other_side_of_the_last_claim(assistant):
    first = assistant.ask("Which Russian company did Amazon allegedly give access to Rekognition?")
    history = [{"role": "user", "content": "Which Russian company did Amazon allegedly give access to Rekognition?"},
               {"role": "assistant", "content": first.answer}]
    reply = assistant.ask("What did Amazon say in response?", history)
    assert not reply.abstained and {p.speaker for p in reply.parts} == {"Amazon"}
    # the general denial goes on, in the same quotation, to deny the claim itself
    assert "without merit" in reply.answer and "has not sold" in reply.answer


def test_ask_outside_the_case_says_so_without_closest_passages(assistant):
    answer = assistant.ask("Give me a recipe for banana bread")
    assert answer.abstained and answer.related == [] and answer.citations == []
    assert answer.answer.startswith("That is outside what the sources cover")


def test_ask_about_a_thing_the_sources_never_speak_of_is_declined(assistant):
    """Forrest's words are near in meaning, but no source speaks of a settlement offer: the
    question presumes what the sources lack. The same words about what they do speak of are
    answered."""
    assert assistant.ask("How did Forrest respond to the settlement offer?").abstained
    assert not assistant.ask("How did Forrest describe the police ban?").abstained


def test_ask_about_a_name_one_of_whose_words_the_sources_never_use_is_declined(assistant):
    """"The 2022 FIFA World Cup" shares "world" and "2022" with the sources, not the name: a
    question about it is declined; a name the sources use whole is answered."""
    assert assistant.ask("Who won the 2022 FIFA World Cup?").abstained
    assert not assistant.ask("What did Amazon Web Services say about the allegations?").abstained


def test_ask_who_short_answer_is_never_the_person_the_question_names_by_surname(assistant):
    """"Who is representing Forrest?" is not answered "Charles Forrest"."""
    for question in ("Who is representing Forrest at the tribunal?", "Who did Forrest report his concerns to?"):
        assert "Forrest" not in (assistant.ask(question).short or ""), question


def test_ask_two_questions_in_one_message_answers_each(assistant):
    answer = assistant.ask("Who is the whistleblower? When did he file his claim?")
    assert not answer.abstained and "Forrest" in answer.answer and "June 2024" in answer.answer
    declined = assistant.ask("Who represents Forrest? Which law firm?")
    assert declined.abstained and "?" not in declined.answer  # the gap is said once, not echoed


def test_ask_bare_why_after_a_question_asks_it_of_that_question(assistant):
    """"Why?" after "When was Forrest fired?" is "Why was Forrest fired?": each side's reason,
    not whatever sentence the last answer did not give."""
    last = "When was Forrest fired?"
    history = [{"role": "user", "content": last}, {"role": "assistant", "content": assistant.ask(last).answer}]
    answer = assistant.ask("Why?", history)
    assert [c.text for c in answer.citations] == [c.text for c in assistant.ask("Why was Forrest fired?").citations]
    assert {c.speaker for c in answer.citations} >= {"Forrest", "Amazon"}


def test_decline_names_what_is_missing_in_one_short_clause_or_not_at_all(assistant):
    """Never an echo of the whole question: a clause of ten words at most, no word doubled."""
    for question in ("Which barrister is representing Amazon?", "What penalty could Amazon face if it is found to "
                     "have breached the sanctions regime it is accused of breaching, exactly?"):
        answer = assistant.ask(question)
        assert answer.abstained, question
        text = answer.answer.removeprefix("The sources don't say").strip(" .")
        words = text.split()
        assert len(words) <= 10 and all(a != b for a, b in zip(words, words[1:])), answer.answer


def test_decide_keeps_candidates_failing_a_general_check_out(assistant):
    """A question asking for a number is not answered by a sentence that holds none, however
    close in meaning it comes."""
    answer = assistant.ask("How much was the contract between Amazon and VisionLabs worth?")
    assert answer.abstained
    ranked = assistant.ranked("How much was the contract between Amazon and VisionLabs worth?")
    assert all(c.score == 0.0 for c in ranked if not re.search(r"\d", c.sentence.text))
    assert np.isfinite([c.score for c in ranked]).all()


def test_need_shared_skips_locally_and_fails_under_ci(tmp_path, monkeypatch):
    missing = tmp_path / "shared" / "eval"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs ../shared: the sets"):
        need_shared(missing, "the sets")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        need_shared(missing, "the sets")
    assert need_shared(tmp_path, "here") == tmp_path


@pytest.mark.parametrize("question", ["How many lawsuits did Forrest file?", "How many agencies got the technology?"])
def test_ask_how_many_never_answered_with_a_year(assistant, question):
    """A count asked for is not the year beside it ("in 2023", "the 2022 invasion"), though the
    parser tags a bare year as a date and a bare number alike."""
    short = assistant.ask(question).to_dict()["short"]
    assert short is None or not re.fullmatch(r"(?:19|20)\d\d", short)


def test_ask_who_got_it_opens_with_the_name_not_its_description(assistant):
    """"the Russian company VisionLabs": the short answer is the name; the words before it only
    say what it is."""
    answer = assistant.ask("Who did Amazon allegedly sell the facial recognition tech to?").to_dict()
    cited = next(c for c in answer["citations"] if c.get("short_span"))
    start, end = cited["short_span"]
    assert answer["short"] == cited["quote"][start:end]
    assert not re.match(r"\s+[A-Z]", cited["quote"][end:])


@pytest.mark.parametrize("question,by_speaker", [
    ("Who imposed sanctions on Russia?", False),  # who did it, not who reported it
    ("Who allegedly imposed sanctions on Russia?", False),  # a hedge asks for no one's words
    ("Who leaked the information?", True),  # a question about someone's words: who said it
    ("Who said Amazon sold the technology to Russia?", True),  # "said": a stopword, still a verb of saying
])
def test_ask_who_did_it_opens_with_the_speaker_only_when_asked_about_words(assistant, question, by_speaker):
    """"A former employee ... has leaked that ... sanctions were imposed": the phrase naming who
    says it answers who said it, never who did what the sentence reports."""
    short = assistant.ask(question).to_dict()["short"]
    assert short and short.lower().startswith("a former employee") is by_speaker, short


def test_ask_who_got_it_opens_with_the_recipient_not_the_seller(assistant):
    """"Who got the technology?" asks whom it was sold to: the short answer is a name that does
    not act in its sentence, never the seller or whoever reported the sale."""
    answer = assistant.ask("Who got the technology?").to_dict()
    seller = {"amazon", "aws", "amazon web services"}
    assert answer["short"] and answer["short"].lower() not in seller
    assert not answer["short"].lower().startswith("a former employee")
