"""The NumPy runtime of the embedding model against sentence-transformers, and ingest with
one or the other: whichever ran, the index holds the same vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthetic import document, write_corpus

pytestmark = pytest.mark.slow

EDGE_TEXTS = [
    "",
    "x",
    "Amazon denies it.",
    "VISIONLABS, Rekognition & the U.K. sanctions regime (2022): who knew what?",
    "Ünïcödé straße — «Москва» 東京 ñandú 😀",
    "The tribunal heard evidence " + "about the police use of facial recognition " * 60,  # > 256 tokens
]


@pytest.fixture(scope="module")
def model_location() -> str:
    from assistant.embedding import resolve_model
    from assistant.settings import DEFAULT_MODEL

    return resolve_model(DEFAULT_MODEL)


def test_encode_numpy_matches_sentence_transformers(model_location, repaired_article_body):
    from sentence_transformers import SentenceTransformer

    from assistant.light_encoder import NumpyBertEncoder
    from ingest.splitting import split_passages

    sentences = [s.text for body in (repaired_article_body, document(1)) for p in split_passages(body)
                 for s in p.sentences]
    texts = sentences + EDGE_TEXTS
    theirs = SentenceTransformer(model_location, device="cpu").encode(texts, normalize_embeddings=True)
    numpy_encoder = NumpyBertEncoder.load(model_location)
    assert numpy_encoder is not None
    for workers in (1, 2):  # batches in turn, and batches on two threads with BLAS held to one
        numpy_encoder.workers = workers
        ours = numpy_encoder.encode(texts, batch_size=8)
        assert ours.shape == theirs.shape == (len(texts), 384)
        assert np.abs(ours - theirs).max() < 1e-5, workers
        # Same nearest neighbours: the ranking a user sees cannot depend on the runtime.
        assert (np.argsort(-(ours @ ours.T), axis=1)[:, :3] == np.argsort(-(theirs @ theirs.T), axis=1)[:, :3]).all()


def test_embed_question_direct_path_matches_encode(model_location, repaired_article_body):
    """Questions skip ``encode``'s bookkeeping; they must land on the same vectors."""
    from sentence_transformers import SentenceTransformer

    from assistant.embedding import SentenceTransformerEmbeddings

    model = SentenceTransformer(model_location, device="cpu")
    embeddings = SentenceTransformerEmbeddings(model)
    question = "When did Charles Forrest say Amazon let VisionLabs use Rekognition?"
    context = "Which police forces kept using it? " + repaired_article_body[:400]
    for texts in ([question], [question, f"{question} {context}"], EDGE_TEXTS[:4], EDGE_TEXTS[4:]):
        ours = np.asarray(embeddings.embed_documents(texts))
        theirs = model.encode(texts, normalize_embeddings=True)
        assert np.abs(ours - theirs).max() < 1e-5, texts
    assert np.abs(np.asarray(embeddings.embed_query(question)) - model.encode(question, normalize_embeddings=True)).max() < 1e-5
    many = EDGE_TEXTS * 2  # beyond the direct path: encode itself
    assert np.abs(np.asarray(embeddings.embed_documents(many)) - model.encode(many, normalize_embeddings=True)).max() < 1e-6


@pytest.mark.parametrize("change", ["cls pooling", "other architecture", "no weights", "hub name"])
def test_load_numpy_encoder_unsupported_model_refused(model_location, tmp_path, change):
    from assistant.light_encoder import NumpyBertEncoder

    if change == "hub name":
        assert NumpyBertEncoder.load("sentence-transformers/all-mpnet-base-v2") is None
        return
    folder = tmp_path / "model"
    folder.mkdir()
    source = Path(model_location)
    for name in ("modules.json", "config.json", "sentence_bert_config.json", "tokenizer.json"):
        (folder / name).write_bytes((source / name).read_bytes())
    (folder / "1_Pooling").mkdir()
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    config = json.loads((source / "config.json").read_text())
    if change == "cls pooling":
        pooling.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    elif change == "other architecture":
        config["model_type"] = "xlm-roberta"
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "config.json").write_text(json.dumps(config))
    if change != "no weights":
        (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    assert NumpyBertEncoder.load(str(folder)) is None


def test_ingest_numpy_vectors_match_sentence_transformers_build(tmp_path, run_ingest, ingest_env, open_index):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 4)
    index = tmp_path / "index"
    first = run_ingest(corpus, index)
    assert first.returncode == 0, first.stderr
    assert first.report["encoders"] == ["numpy"]
    (corpus / "report-0002.md").write_text(document(2, version=2))
    edit = run_ingest(corpus, index)
    assert edit.returncode == 0, edit.stderr
    assert edit.report["documents"]["changed"] == 1
    assert edit.report["encoders"] == ["numpy"]

    reference = tmp_path / "reference"
    env = ingest_env(CASE_CORPUS_DIR=corpus, CASE_INDEX_DIR=reference, CASE_INGEST_ENCODER="sentence-transformers")
    built = run_ingest(corpus, reference, env=env)
    assert built.returncode == 0, built.stderr
    assert built.report["encoders"] == ["sentence-transformers"]

    for kind in ("sentences", "passages"):
        ours = open_index(index).collection(kind).get(include=["embeddings"])
        theirs = open_index(reference).collection(kind).get(include=["embeddings"])
        assert sorted(ours["ids"]) == sorted(theirs["ids"])
        by_id = dict(zip(theirs["ids"], theirs["embeddings"]))
        diff = max(float(np.abs(np.asarray(v) - np.asarray(by_id[i])).max()) for i, v in zip(ours["ids"], ours["embeddings"]))
        assert diff < 1e-5, (kind, diff)
