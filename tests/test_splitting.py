"""Splitting: prose paragraphs, sentences and passages (ingest/splitting.py).

The oracle for the case article is the hand-repaired copy in corpus/case-article.md: what
the splitter makes of the raw, layout-damaged copy must be exactly that prose, cut into
whole sentences, with every passage mapping back to its place in the raw text.
"""

from __future__ import annotations

import random
import re

import pytest

from assistant.settings import Settings
from ingest.splitting import (
    normalise,
    prose_paragraphs,
    split_passages,
    split_sentences,
)

REJOINED = ("Since Russia began its invasion of Ukraine in 2022, the country has been subject to "
            "sanctions from countries around the world.")
TERMINAL = re.compile(r"""[.!?]['"’”)\]]*$""")


def canon(text: str) -> str:
    """Whitespace normalised, and no space before , . ' (the raw copy has 'VisionLabs .')."""
    return re.sub(r"\s+(?=[,.'])", "", normalise(text))


def repaired_paragraphs(body: str) -> list[str]:
    return [canon(p) for p in re.split(r"\n\s*\n", body) if p.strip()]


def sentences_of(passages) -> list[str]:
    return [s.text for p in passages for s in p.sentences]


# --------------------------------------------------------------------------- the case article


def test_split_article_broken_sentence_rejoined_as_one(raw_article):
    sentences = sentences_of(split_passages(raw_article))
    assert REJOINED in sentences
    starting = [s for s in sentences if s.startswith("Since Russia began its")]
    assert starting == [REJOINED]
    assert not any(s.startswith("invasion of Ukraine") for s in sentences)


def test_split_article_rejoined_paragraph_spans_the_blank_line(raw_article):
    paragraphs = prose_paragraphs(raw_article)
    (hit,) = [p for p in paragraphs if "Since Russia began its" in raw_article[p[0][0]:p[0][1]]]
    assert len(hit) >= 2, "the two halves of the broken paragraph should be one paragraph"
    joined = normalise(" ".join(raw_article[a:b] for a, b in hit))
    assert joined.startswith(REJOINED)


def test_map_article_rejoined_sentence_to_both_halves(raw_article):
    spans = [s for p in split_passages(raw_article) for s in p.sentences if s.text == REJOINED]
    assert len(spans) == 1
    (span,) = spans
    source = raw_article[span.start:span.end]
    assert source.startswith("Since Russia began its") and source.endswith("world.")
    assert re.search(r"its\s*\n\s*\n\s*invasion", source), "the span should cross the blank line"
    assert normalise(source) == REJOINED


@pytest.mark.parametrize("which", ["headline", "byline", "video title", "link titles", "URLs"])
def test_split_article_non_prose_never_in_passages(raw_article, which):
    lines = [line.strip() for line in raw_article.splitlines() if line.strip()]
    junk = {
        "headline": [lines[0]],
        "byline": [lines[-1]],
        "video title": [line for line in lines if line.endswith("- YouTube")],
        "link titles": [lines[i - 1] for i, line in enumerate(lines) if re.match(r"https?://", line)],
        "URLs": [line for line in lines if re.match(r"https?://", line)],
    }[which]
    assert junk, f"the raw article should contain a {which}"
    passages = split_passages(raw_article)
    text = " ".join(p.text for p in passages)
    for line in junk:
        assert normalise(line) not in text, line
    paragraphs = [normalise(" ".join(raw_article[a:b] for a, b in p)) for p in prose_paragraphs(raw_article)]
    for line in junk:
        assert not any(normalise(line) in p for p in paragraphs), line


def test_split_article_keeps_exactly_the_repaired_prose(raw_article, repaired_article_body):
    """Nothing lost, nothing extra: the raw copy's prose paragraphs are the repaired ones."""
    got = [canon(" ".join(raw_article[a:b] for a, b in p)) for p in prose_paragraphs(raw_article)]
    assert got == repaired_paragraphs(repaired_article_body)
    passages = split_passages(raw_article)
    assert canon(" ".join(p.text for p in passages)) == " ".join(repaired_paragraphs(repaired_article_body))


def test_split_article_sentences_are_whole(raw_article, repaired_article_body):
    """Every sentence is a complete sentence of the repaired article: it starts where one
    starts (paragraph start or after end punctuation) and ends where one ends."""
    paragraphs = repaired_paragraphs(repaired_article_body)
    for sentence in map(canon, sentences_of(split_passages(raw_article))):
        assert TERMINAL.search(sentence), f"does not end a sentence: {sentence!r}"
        assert sentence[0].isupper() or sentence[0] in "'\"‘“", f"does not start a sentence: {sentence!r}"
        placed = False
        for para in paragraphs:
            i = para.find(sentence)
            while i != -1 and not placed:
                before = i == 0 or (para[i - 1] == " " and TERMINAL.search(para[: i - 1]))
                after = i + len(sentence) == len(para) or para[i + len(sentence)] == " "
                placed = bool(before and after)
                i = para.find(sentence, i + 1)
        assert placed, f"not a whole sentence of the article: {sentence!r}"


def test_map_article_passages_to_body_offsets(raw_article):
    passages = split_passages(raw_article)
    assert passages
    assert [p.position for p in passages] == list(range(len(passages)))
    previous_end = 0
    for p in passages:
        assert previous_end <= p.start < p.end <= len(raw_article)
        assert normalise(raw_article[p.start:p.end]) == p.text
        assert p.text == " ".join(s.text for s in p.sentences)
        assert p.sentences[0].start == p.start and p.sentences[-1].end == p.end
        for s in p.sentences:
            assert normalise(raw_article[s.start:s.end]) == s.text
        previous_end = p.end


def test_split_article_passages_within_default_max_words(raw_article):
    max_words = Settings().passage_max_words
    for p in split_passages(raw_article, max_words):
        assert len(p.sentences) == 1 or len(p.text.split()) <= max_words


# --------------------------------------------------------------------------- long paragraphs

WORDS = ("tribunal claimant billing records reseller contract licence hearing witness statement "
         "auditor invoices sanctions export review").split()


def made_up_sentences(seed: int, count: int, low: int = 4, high: int = 30) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
        out.append(f"Item {k} says the " + " ".join(words) + rng.choice([".", "!", "?"]))
    return out


@pytest.mark.parametrize("max_words", [25, 60, 120])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_split_long_paragraph_between_sentences(seed, max_words):
    sentences = made_up_sentences(seed, 40)
    body = "A short first paragraph stays alone.\n\n" + " ".join(sentences) + "\n"
    passages = split_passages(body, max_words)
    long_ones = [p for p in passages if p.start >= body.index("Item 0")]
    assert len(long_ones) > 1, "a long paragraph should be split"
    # cut only between sentences: the passages' sentences are exactly the paragraph's
    assert sentences_of(long_ones) == sentences
    for p in long_ones:
        assert len(p.text.split()) <= max_words or len(p.sentences) == 1
        assert normalise(body[p.start:p.end]) == p.text
    # a paragraph is never glued onto the next one
    assert passages[0].text == "A short first paragraph stays alone."


def test_split_oversized_sentence_kept_whole():
    huge = "The witness described " + " ".join(["another meeting"] * 80) + " at the reseller."
    body = f"The hearing began on Monday. {huge} The judge adjourned the case."
    passages = split_passages(body, max_words=30)
    assert sentences_of(passages) == ["The hearing began on Monday.", huge, "The judge adjourned the case."]
    assert any(p.text == huge for p in passages)


def test_split_paragraphs_are_separate_passages():
    body = "The claimant spoke first at the hearing.\n\nThe respondent answered on the next day.\n"
    assert [p.text for p in split_passages(body)] == [
        "The claimant spoke first at the hearing.", "The respondent answered on the next day."]


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize("text,expected", [
    ("Mr. Smith met the committee on Monday. He left early.",
     ["Mr. Smith met the committee on Monday.", "He left early."]),
    ("The U.S. Treasury imposed sanctions in 2022. Amazon denied any breach.",
     ["The U.S. Treasury imposed sanctions in 2022.", "Amazon denied any breach."]),
    ("Sanctions from the U.K. and the U.S. followed the invasion. Trade slowed.",
     ["Sanctions from the U.K. and the U.S. followed the invasion.", "Trade slowed."]),
    ("Dr. Jones and Mrs. Patel gave evidence. Then Prof. Lee spoke.",
     ["Dr. Jones and Mrs. Patel gave evidence.", "Then Prof. Lee spoke."]),
    ("Vendors, e.g. Amazon, sell such tools. Is that legal? Nobody knows!",
     ["Vendors, e.g. Amazon, sell such tools.", "Is that legal?", "Nobody knows!"]),
    ("He said 'we will appeal.' The judge nodded.",
     ["He said 'we will appeal.'", "The judge nodded."]),
    ("Revenue rose 3.5 percent in 2023. Costs fell.", ["Revenue rose 3.5 percent in 2023.", "Costs fell."]),
])
def test_split_sentences_abbreviations_kept_whole(text, expected):
    assert split_sentences(text) == expected


def test_split_passages_abbreviation_never_starts_a_passage():
    body = " ".join(["Mr. Smith told the U.S. court that the reseller paid in cash."] * 30)
    for p in split_passages(body, max_words=40):
        assert p.text.startswith("Mr. Smith told")
        assert all(s.text == "Mr. Smith told the U.S. court that the reseller paid in cash." for s in p.sentences)


@pytest.mark.parametrize("text,expected", [
    ("The U.N. Security Council met on Monday. Amazon said nothing.",
     ["The U.N. Security Council met on Monday.", "Amazon said nothing."]),
    ("Analysts at J.P. Morgan agreed with the ruling. Shares rose.",
     ["Analysts at J.P. Morgan agreed with the ruling.", "Shares rose."]),
])
def test_split_sentences_dotted_initialisms_kept_whole(text, expected):
    assert split_sentences(text) == expected


# --------------------------------------------------------------------------- layout repair


def test_split_link_lines_and_headings_never_in_passages():
    body = (
        "# Tribunal diary\n\n"
        "The hearing opened in London on Monday morning.\n\n"
        "Read the full judgment here\nhttps://example.org/judgment/123\n\n"
        "Coverage elsewhere\n<https://example.net/coverage>\n\n"
        "Court listing\nwww.example.com/listing\n\n"
        "## Next steps\n"
        "The judge will give a decision in writing.\n"
    )
    text = " ".join(p.text for p in split_passages(body))
    assert sentences_of(split_passages(body)) == [
        "The hearing opened in London on Monday morning.", "The judge will give a decision in writing."]
    for junk in ("Tribunal diary", "Read the full judgment", "Coverage elsewhere", "Court listing",
                 "Next steps", "example", "https", "www"):
        assert junk not in text


def test_split_broken_sentence_lowercase_continuation_rejoined():
    body = ("The company said that it would\n\nappeal the ruling at the next hearing. "
            "Its lawyers agreed.\n")
    passages = split_passages(body)
    assert sentences_of(passages) == [
        "The company said that it would appeal the ruling at the next hearing.", "Its lawyers agreed."]
    (p,) = passages
    assert normalise(body[p.start:p.end]) == p.text


def test_split_crlf_article_same_passages_as_lf(raw_article):
    crlf = raw_article.replace("\n", "\r\n")
    assert [p.text for p in split_passages(crlf)] == [p.text for p in split_passages(raw_article)]


@pytest.mark.parametrize("first,second", [
    ("In court filings, Forrest said Amazon dealt with", "VisionLabs through a shell company in the Netherlands."),
    ("The claim was filed in", "2024 at an employment tribunal in London."),
])
def test_split_broken_sentence_capitalised_continuation_rejoined(first, second):
    body = f"Amazon denied every allegation. {first}\n\n{second} The hearing continues.\n"
    assert sentences_of(split_passages(body)) == [
        "Amazon denied every allegation.", f"{first} {second}", "The hearing continues."]


def test_split_paragraph_ending_in_colon_keeps_its_sentences():
    body = ("Amazon denied the claims at the hearing on Monday. Its lawyers gave three reasons:\n\n"
            "The company never sold the service to VisionLabs.\n")
    assert "Amazon denied the claims at the hearing on Monday." in sentences_of(split_passages(body))
