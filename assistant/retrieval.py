"""Hybrid retrieval at sentence and passage level over one index generation.

Dense scores come from Chroma (one embedding of the question, then nearest sentences
and passages); lexical scores from BM25 over sentences. Candidates from both are then
scored exactly on a few features, so the answerer can both rank and decide to abstain.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .settings import Settings
from .store import PASSAGES, SENTENCES, chroma_client, collection_name, require_index
from .text import terms
from .types import Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sentence:
    id: str
    passage_id: str
    doc_id: str
    index: int  # within its passage
    text: str


@dataclass
class ScoredSentence:
    sentence: Sentence
    passage: Passage
    dense: float  # cosine, question vs sentence
    dense_passage: float  # cosine, question vs its passage
    lexical: float  # BM25, scaled to the best candidate
    coverage: float  # idf-weighted share of the question's terms found in the sentence
    score: float = 0.0


class Snapshot:
    """Everything read from one generation: the Chroma collections, texts and BM25."""

    def __init__(self, settings: Settings) -> None:
        import bm25s

        self.gen_dir, self.manifest = require_index(settings)
        client = chroma_client(settings, self.gen_dir)
        self.passage_store = client.get_collection(collection_name(settings, self.gen_dir, PASSAGES))
        self.sentence_store = client.get_collection(collection_name(settings, self.gen_dir, SENTENCES))
        got = self.passage_store.get(include=["documents", "metadatas"])
        self.passages: dict[str, Passage] = {}
        for pid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            self.passages[pid] = Passage(
                id=pid, doc_id=meta["doc_id"], text=text, title=meta.get("title", ""),
                publisher=meta.get("publisher", ""), url=meta.get("url", ""),
                date=meta.get("date", ""), position=int(meta.get("position", 0)),
            )
        got = self.sentence_store.get(include=["documents", "metadatas"])
        self.sentences: list[Sentence] = [
            Sentence(sid, meta["passage_id"], meta["doc_id"], int(meta["sentence"]), text)
            for sid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])
            if meta["passage_id"] in self.passages
        ]
        self.sentence_pos = {s.id: i for i, s in enumerate(self.sentences)}
        self.by_passage: dict[str, list[str]] = {}
        for s in sorted(self.sentences, key=lambda s: s.index):
            self.by_passage.setdefault(s.passage_id, []).append(s.id)
        self.sentence_terms = [terms(s.text) for s in self.sentences]
        df = Counter(t for ts in self.sentence_terms for t in set(ts))
        n = max(len(self.sentences), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.max_idf = math.log(1 + n)
        self.bm25 = bm25s.BM25()
        self.bm25.index([ts or ["\x00"] for ts in self.sentence_terms], show_progress=False)

    def term_weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)


class Retriever:
    def __init__(self, settings: Settings, embeddings: Any) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The live generation, reopened when ingest has published a new one."""
        from .store import IndexLayout

        live = IndexLayout(self.settings.index_dir).current_dir()
        snap = self._snapshot
        if snap is None or live is None or snap.gen_dir != live:
            with self._lock:
                if self._snapshot is None or live is None or self._snapshot.gen_dir != live:
                    self._snapshot = Snapshot(self.settings)
                snap = self._snapshot
        return snap

    def search(self, query: str, focus: str | None = None) -> tuple[Snapshot, list[ScoredSentence]]:
        """Candidates for ``query``; ``focus`` (the question alone) weighs term coverage."""
        snap = self.snapshot()
        if not snap.sentences:
            return snap, []
        k = min(self.settings.candidates, len(snap.sentences))
        qvec = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)

        dense = snap.sentence_store.query(query_embeddings=[qvec.tolist()], n_results=k,
                                          include=["distances"])
        cand: set[str] = set(dense["ids"][0])
        kp = min(max(k // 3, 4), len(snap.passages))
        dense_p = snap.passage_store.query(query_embeddings=[qvec.tolist()], n_results=kp,
                                           include=["distances"])
        for pid in dense_p["ids"][0]:
            cand.update(snap.by_passage.get(pid, ()))

        qterms = terms(query)
        lex_scores: dict[str, float] = {}
        if qterms:
            ids, scores = snap.bm25.retrieve([qterms], k=k, show_progress=False)
            for i, sc in zip(ids[0], scores[0]):
                if sc > 0:
                    sid = snap.sentences[int(i)].id
                    lex_scores[sid] = float(sc)
                    cand.add(sid)

        cand_ids = sorted(cand)
        sent_vecs = snap.sentence_store.get(ids=cand_ids, include=["embeddings"])
        svec = {i: np.asarray(v, dtype=np.float32) for i, v in zip(sent_vecs["ids"], sent_vecs["embeddings"])}
        pids = sorted({snap.sentences[snap.sentence_pos[i]].passage_id for i in cand_ids})
        p_vecs = snap.passage_store.get(ids=pids, include=["embeddings"])
        pvec = {i: np.asarray(v, dtype=np.float32) for i, v in zip(p_vecs["ids"], p_vecs["embeddings"])}

        focus_terms = set(terms(focus)) if focus is not None else set(qterms)
        total_w = sum(snap.term_weight(t) for t in focus_terms) or 1.0
        top_lex = max(lex_scores.values(), default=0.0) or 1.0
        out: list[ScoredSentence] = []
        for sid in cand_ids:
            if sid not in svec:
                continue  # deleted since the snapshot was taken: never cite it
            s = snap.sentences[snap.sentence_pos[sid]]
            present = set(snap.sentence_terms[snap.sentence_pos[sid]])
            cov = sum(snap.term_weight(t) for t in focus_terms if t in present) / total_w
            out.append(ScoredSentence(
                sentence=s, passage=snap.passages[s.passage_id],
                dense=float(svec[sid] @ qvec), dense_passage=float(pvec[s.passage_id] @ qvec),
                lexical=lex_scores.get(sid, 0.0) / top_lex, coverage=cov,
            ))
        return snap, out
