"""The embedding model in ONNX Runtime against sentence-transformers, and ingest with one or
the other: whichever ran, the index holds the same vectors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

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
def sentence_transformer():
    from sentence_transformers import SentenceTransformer

    from assistant.embedding import resolve_model
    from assistant.settings import DEFAULT_MODEL

    return SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu")


@pytest.fixture(scope="module")
def onnx_export():
    """The export `make install` made; without it these tests have nothing to compare."""
    from assistant.embedding import export_folder, read_export, resolve_model
    from assistant.settings import Settings

    settings = Settings()
    folder = export_folder(settings.onnx_dir, settings.embedding_model)
    if read_export(folder, resolve_model(settings.embedding_model)) is None:
        pytest.fail(f"no current ONNX export in {folder}: `make install` runs `python -m assistant export-model`")
    return folder


def test_encode_onnx_matches_sentence_transformers(onnx_export, sentence_transformer, repaired_article_body):
    from assistant.embedding import Embedder
    from ingest.splitting import split_passages

    embedder = Embedder()
    sentences = [s.text for body in (repaired_article_body, document(1)) for p in split_passages(body)
                 for s in p.sentences]
    # One text, a few (the over-long one among them), several batches (without it: padded to
    # its length, a batch of 64 costs seconds in each runtime).
    for texts in ([sentences[0]], EDGE_TEXTS, sentences + EDGE_TEXTS[:-1] + sentences * 2):
        ours = embedder.vectors(texts)
        theirs = sentence_transformer.encode(texts, normalize_embeddings=True)
        assert embedder.engine == "onnxruntime"
        assert ours.shape == theirs.shape
        assert np.abs(ours - theirs).max() < 1e-5
        # Same nearest neighbours: the ranking a user sees cannot depend on the runtime. Ties
        # (the batch repeats sentences, whose copies are equally near) may fall either way with
        # rounding: each of our three nearest is among theirs, up to a rounding's difference.
        k = min(3, len(texts))
        theirs_sim = theirs @ theirs.T
        kth_best = -np.sort(-theirs_sim, axis=1)[:, k - 1]
        our_top = np.argsort(-(ours @ ours.T), axis=1)[:, :k]
        assert (np.take_along_axis(theirs_sim, our_top, axis=1) >= kth_best[:, None] - 1e-5).all()


def test_embed_question_torch_direct_path_matches_encode(sentence_transformer, repaired_article_body):
    """Without an export, questions skip ``encode``'s bookkeeping; same vectors all the same."""
    from assistant.embedding import TorchEncoder

    encoder = TorchEncoder(sentence_transformer)
    question = "When did Charles Forrest say Amazon let VisionLabs use Rekognition?"
    context = "Which police forces kept using it? " + repaired_article_body[:400]
    for texts in ([question], [question, f"{question} {context}"], EDGE_TEXTS[:4], EDGE_TEXTS * 2):
        theirs = sentence_transformer.encode(texts, normalize_embeddings=True)
        assert np.abs(encoder.encode(texts) - theirs).max() < 1e-5, texts


@pytest.mark.parametrize("change", ["weights changed", "export missing", "model.onnx missing"])
def test_stale_or_missing_export_runs_in_sentence_transformers(onnx_export, tmp_path, change):
    from assistant.embedding import Embedder

    copy = tmp_path / "onnx" / onnx_export.name
    if change != "export missing":
        shutil.copytree(onnx_export, copy)
    if change == "weights changed":
        meta = json.loads((copy / "export.json").read_text())
        (copy / "export.json").write_text(json.dumps({**meta, "fingerprint": "0" * 16}))
    elif change == "model.onnx missing":
        (copy / "model.onnx").unlink()
    embedder = Embedder(onnx_dir=tmp_path / "onnx")
    assert len(embedder.embed_query("Who is the whistleblower?")) == 384
    assert embedder.engine == "sentence-transformers"


def test_ingest_in_onnx_without_torch_matches_sentence_transformers_build(onnx_export, tmp_path, ingest_ok,
                                                                         ingest_env, open_index, repo_root):
    from assistant.embedding import Embedder
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 4)
    index = tmp_path / "index"
    assert ingest_ok(corpus, index)["encoder"] == "onnxruntime"
    (corpus / "report-0002.md").write_text(document(2, version=2))
    edit = ingest_ok(corpus, index)
    assert edit["documents"]["changed"] == 1 and edit["encoder"] == "onnxruntime"

    reference = tmp_path / "reference"
    built = run_ingest(Settings(corpus_dir=corpus, index_dir=reference),
                       embeddings=Embedder(onnx_dir=tmp_path / "no-exports"))
    assert built.encoder == "sentence-transformers"

    for kind in ("sentences", "passages"):
        ours = open_index(index).collection(kind).get(include=["embeddings"])
        theirs = open_index(reference).collection(kind).get(include=["embeddings"])
        assert sorted(ours["ids"]) == sorted(theirs["ids"])
        by_id = dict(zip(theirs["ids"], theirs["embeddings"]))
        diff = max(float(np.abs(np.asarray(v) - np.asarray(by_id[i])).max()) for i, v in zip(ours["ids"], ours["embeddings"]))
        assert diff < 1e-5, (kind, diff)

    # A whole ingest with changes never imports PyTorch (about 7 s it does not pay).
    (corpus / "report-0003.md").write_text(document(3, version=2))
    probe = ("import sys; from assistant.settings import Settings; from ingest.pipeline import run_ingest; "
             f"r = run_ingest(Settings(corpus_dir={str(corpus)!r}, index_dir={str(index)!r})); "
             "print(r.documents['changed'], r.encoder, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=repo_root, timeout=300,
                         env=ingest_env())
    assert out.stdout.split() == ["1", "onnxruntime", "False"], out.stderr
