"""Hybrid retrieval at sentence and passage level over one index generation.

Dense scores compare the question's embedding with every sentence's, held in memory as a
matrix (read from the Chroma store once per generation); lexical scores come from BM25 over
sentences. The union of both candidate lists
is then scored exactly on a few features, so the answerer can rank and decide to abstain.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .embedding import Embedder
from .index import IndexLayout, Passage, Sentence
from .index.reader import IndexReader
from .index.records import Mention
from .casefile import Casefile, Entity
from .english import english
from .settings import Settings
from .spelling import Speller, english_frequencies
from .text import Lexicon, initialisms, words

#: Mention labels that are no names (dates, numbers, periods).
_UNNAMED = frozenset({"DATE", "TIME", "PERIOD", "CARDINAL", "ORDINAL", "MONEY", "QUANTITY", "PERCENT"})
#: A word as the sources write it in lowercase (a name's word never is).
_LOWERCASE_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z]*(?![\w-])")
_WORD_FORM = re.compile(r"[A-Za-z][A-Za-z'’-]*")

log = logging.getLogger(__name__)


def _name_words(text: str) -> list[str]:
    """The capitalised words of a name as written ("Charles", "Forrest")."""
    return [w for w in _WORD_FORM.findall(text) if w[:1].isupper()]


@dataclass
class ScoredSentence:
    sentence: Sentence
    passage: Passage
    dense: float  # cosine, question vs sentence
    dense_passage: float  # cosine, question vs its passage
    lexical: float  # BM25, saturated to 0..1
    coverage: float  # idf-weighted share of the question's terms found in the sentence
    score: float = 0.0
    repeat_penalty: float = 0.0  # how much of ``score`` a follow-up took for saying again what was said


@dataclass(frozen=True)
class Described:
    entity: Entity
    titled: frozenset[str]  # the terms of its roles and titles
    doing: frozenset[str]  # ...and of what relative clauses on its name say it does


class Snapshot:
    """Everything one generation holds, in memory for answering: its records as objects,
    its vectors as matrices, its lexical statistics and BM25."""

    def __init__(self, settings: Settings) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.NOTSET)  # it sets DEBUG on import; follow ours

        self.index = IndexReader.live(settings)
        self.gen_dir, self.manifest = self.index.gen_dir, self.index.manifest
        #: The timeline and who's who ingest computed for this generation.
        self.casefile: Casefile = self.index.casefile()
        self.passages: dict[str, Passage] = {p.id: p for p in self.index.passages()}
        self.by_doc: dict[str, list[Passage]] = {}
        for p in sorted(self.passages.values(), key=lambda p: p.position):
            self.by_doc.setdefault(p.doc_id, []).append(p)
        self.sentences: list[Sentence] = [s for s in self.index.sentences() if s.passage_id in self.passages]
        # Vectors stay in memory as matrices, so scoring the candidates is two matrix products,
        # not a round trip: a row per sentence, a row per passage, and each sentence's passage row.
        passage_ids = list(self.passages)
        self.sentence_matrix = self.index.sentence_vectors([s.id for s in self.sentences])
        self.passage_matrix = self.index.passage_vectors(passage_ids)
        passage_row = {pid: i for i, pid in enumerate(passage_ids)}
        self.passage_row = np.array([passage_row[s.passage_id] for s in self.sentences], dtype=np.int64)
        self.sentence_pos = {s.id: i for i, s in enumerate(self.sentences)}
        self.vocabulary = {w for s in self.sentences for w in words(s.text)}
        self.vocabulary.update(w for p in self.passages.values() for w in words(p.title + " " + p.publisher))
        # An organisation, outlet or place may be asked about by its initials ("the FT"); people
        # are rarely, and their initials often read as something else.
        named = {m.text for m in self._mentions() if m.label not in _UNNAMED and m.label != "PERSON"}
        named.update(p.publisher for p in self.passages.values() if p.publisher)
        taken = self.vocabulary | english().sentence.titles
        english_words = english_frequencies()
        self.lexicon = Lexicon(self.manifest.case if self.manifest else None,
                               initialisms(named, lambda w: w in taken or w in english_words))
        #: Who speaks anywhere in the sources (lowercase), for "What has X said?".
        self.speakers = frozenset(s.attribution.speaker.lower() for s in self.sentences)
        #: Each sentence's place in reading order within its document.
        self.reading_order = {s.id: i for i, s in enumerate(
            sorted(self.sentences, key=lambda s: (s.doc_id, s.position, s.index)))}
        self.by_passage: dict[str, list[str]] = {}
        for s in sorted(self.sentences, key=lambda s: s.index):
            self.by_passage.setdefault(s.passage_id, []).append(s.id)
        sentence_terms = [self.lexicon.terms(s.text) for s in self.sentences]
        self.sentence_term_sets = [frozenset(ts) for ts in sentence_terms]
        df = Counter(t for ts in self.sentence_term_sets for t in ts)
        n = max(len(self.sentences), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.max_idf = math.log(1 + n)
        #: The names the sources write (lowercase -> as written): words of what the parser found
        #: named, as they stand capitalised in the text.
        self.names = {w.lower(): w for m in self._mentions() if m.label not in _UNNAMED for w in _name_words(m.text)}
        self.bm25 = bm25s.BM25()
        self.bm25.index([ts or ["\x00"] for ts in sentence_terms], show_progress=False)

    def term_weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)

    @cached_property
    def described(self) -> list[Described]:
        """Each entity of the who's who by the terms of what the sources call it: what a
        question's "the MP", "the committee chair" is matched against (worked out once per
        generation, not per question)."""
        out = []
        for e in self.casefile.entities:
            titled = frozenset(t for d in e.described for t in self.lexicon.terms(d))
            out.append(Described(e, titled, titled | {t for d in e.does for t in self.lexicon.terms(d)}))
        return out

    @cached_property
    def speller(self) -> Speller:
        """Misspelt words of a question matched to this generation's words and names."""
        people: set[str] = set()
        owners: set[str] = set()  # the names a possessive may be typed after: a person's, a body's, a product's
        full_names: set[str] = set()  # names of several capitalised words, as written
        for m in self._mentions():
            words = _name_words(m.text)
            parts = [w.lower() for w in words]
            if m.label not in _UNNAMED and " ".join(words) == m.text:
                full_names.add(m.text)
            if m.label == "PERSON":
                people.update(parts)
            if parts and m.label in ("PERSON", "ORG", "PRODUCT"):
                owners.add(parts[-1])
        # A name's other forms ("Britain" where the sources write "UK") are names a slip is read as.
        names = {f: f.upper() if len(f) <= 3 else f.capitalize()
                 for f in self.lexicon.forms_known(self.vocabulary) if " " not in f} | self.names
        # Words of people's names the sources never write in lowercase: a question typed without
        # capitals means the person ("who is charles forrest"). (Words of other names are often
        # words too, "Financial Times": "how many times".)
        lowercase = {w for s in self.sentences for w in _LOWERCASE_WORD.findall(s.text)}
        only_names = {w for w in self.names if w not in lowercase and w in people}
        return Speller(self.vocabulary, names, sorted(people), owners, sorted(full_names), only_names)

    def _mentions(self) -> Iterator[Mention]:
        """Every entity the parser found in this generation's sentences."""
        return (m for s in self.sentences for m in s.mentions)


class Retriever:
    def __init__(self, settings: Settings, embeddings: Embedder) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self._snapshot: Snapshot | None = None
        self._previous: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The live generation, reopened when ingest has published a new one. The one before
        stays open for questions still reading it (as ingest keeps it on disk); the one
        before that is closed."""
        live = IndexLayout(self.settings).current_dir()
        snap = self._snapshot
        if snap is None or snap.gen_dir != live:
            with self._lock:
                if self._snapshot is None or self._snapshot.gen_dir != live:
                    fresh = Snapshot(self.settings)
                    if self._previous is not None:
                        self._previous.index.close()
                    self._previous, self._snapshot = self._snapshot, fresh
                snap = self._snapshot
        return snap

    def search(self, question: str, context: str | None = None) -> tuple[Snapshot, list[ScoredSentence]]:
        """Candidates for ``question``; ``context`` (a follow-up's previous turn) widens the search."""
        snap = self.snapshot()
        if not snap.sentences:
            return snap, []
        texts = [question] if context is None else [question, f"{question} {context}"]
        vecs = self.embeddings.vectors(texts)
        k = min(self.settings.candidates, len(snap.sentences))
        # Every vector is in memory already: the nearest are one product and a partial sort
        # (exact, and quicker than a round trip to the store's approximate index).
        scores = vecs @ snap.sentence_matrix.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < len(snap.sentences) else \
            np.tile(np.arange(len(snap.sentences)), (len(vecs), 1))
        hits = [[snap.sentences[i].id for i in sorted(row, key=lambda i: (-scores[r, i], i))]
                for r, row in enumerate(top)]
        cand: set[str] = set()
        for got in hits:
            cand.update(got)
            # The best hits bring their whole passage: a neighbour may hold the answer.
            for sid in got[: max(k // 3, 4)]:
                if sid in snap.sentence_pos:
                    cand.update(snap.by_passage[snap.sentences[snap.sentence_pos[sid]].passage_id])

        q_terms = snap.lexicon.terms(question)
        c_terms = [t for t in snap.lexicon.terms(context or "") if t not in q_terms]
        lex: dict[str, float] = {}
        if q_terms or c_terms:
            ids, scores = snap.bm25.retrieve([q_terms + c_terms], k=k, show_progress=False)
            for i, sc in zip(ids[0], scores[0]):
                if sc > 0:
                    sid = snap.sentences[int(i)].id
                    lex[sid] = float(sc)
                    cand.add(sid)

        # Coverage: the question's own terms count fully, the borrowed context's a quarter.
        weights = {t: snap.term_weight(t) for t in q_terms}
        weights.update({t: 0.25 * snap.term_weight(t) for t in c_terms})
        total_w = sum(weights.values()) or 1.0
        # A hit outside this snapshot (the store moved on) is never cited.
        positions = [snap.sentence_pos[sid] for sid in sorted(cand) if sid in snap.sentence_pos]
        dense = (snap.sentence_matrix[positions] @ vecs.T).mean(axis=1)
        dense_passage = (snap.passage_matrix[snap.passage_row[positions]] @ vecs.T).mean(axis=1)
        out: list[ScoredSentence] = []
        for pos, d, dp in zip(positions, dense.tolist(), dense_passage.tolist()):
            s = snap.sentences[pos]
            present = snap.sentence_term_sets[pos]
            bm = lex.get(s.id, 0.0)
            out.append(ScoredSentence(
                sentence=s, passage=snap.passages[s.passage_id], dense=d, dense_passage=dp,
                lexical=bm / (bm + 3.0),
                coverage=sum(w for t, w in weights.items() if t in present) / total_w,
            ))
        return snap, out
