"""The embedding model's forward pass in NumPy, so that ingest never pays for PyTorch.

Importing sentence-transformers (PyTorch, transformers, scikit-learn, SciPy) costs about
7 s on a laptop CPU: more than encoding the sentences of a 200-article corpus takes beyond
its matrix products, and 70 times what encoding one edited article takes. Ingest is a short
process run often, so it runs the same model, read from the same files
(``model.safetensors``, ``tokenizer.json``, ``modules.json``), with NumPy and the
``tokenizers`` library only, which import in 0.15 s. It handles what sentence-transformers
models of the MiniLM/BERT family are made of (a BERT encoder, mean pooling, optional
normalisation) and refuses anything else, so the caller falls back to sentence-transformers;
the test suite checks its vectors against sentence-transformers' own.

Batches run on one thread per core with BLAS held to one thread each: the element-wise
work (GELU, layer norms, softmax) then runs on every core too, which brings a large job
level with PyTorch (NumPy's element-wise functions use one core, BLAS's many).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _unsupported(folder: Path) -> str | None:
    """Why this model folder is beyond this encoder, or None if it is within it."""
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list) or not modules:
        return "no modules.json"
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return f"modules {kinds}"
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        return "no config.json"
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        return f"model type {config.get('model_type')}/{config.get('hidden_act')}"
    if config.get("position_embedding_type", "absolute") != "absolute":
        return "relative position embeddings"
    pooling = _read_json(folder / modules[1].get("path", "1_Pooling") / "config.json")
    if not isinstance(pooling, dict) or not pooling.get("pooling_mode_mean_tokens"):
        return "pooling other than mean"
    if any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                    "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                                    "pooling_mode_lasttoken")):
        return "pooling other than mean"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            return f"no {name}"
    return None


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, in place; erf from Abramowitz & Stegun 7.1.26, error below float32 precision."""
    z = np.abs(x) * np.float32(0.7071067811865476)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x|/sqrt 2)
    # 0.5 x (1 + erf(x/sqrt 2)) = max(x, 0) - 0.5 |x| (1 - erf(|x|/sqrt 2)), for either sign of x
    np.abs(x, out=z)
    z *= poly
    z *= 0.5
    np.maximum(x, 0, out=x)
    x -= z
    return x


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def _blas_one_thread() -> Iterator[None]:
    """BLAS on one thread while our own threads share the cores out by batch."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


class NumpyBertEncoder:
    """A sentence-transformers BERT model (encoder, mean pooling, normalisation) in NumPy."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.workers = max(1, workers or _cores())
        config = _read_json(folder / "config.json")
        st_config = _read_json(folder / "sentence_bert_config.json") or {}
        self.lower_case = bool(st_config.get("do_lower_case"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        max_len = min(int(st_config.get("max_seq_length") or 512), int(config["max_position_embeddings"]))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # sentence-transformers truncates at max_seq_length and pads to the longest in a batch.
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.no_padding()
        raw = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v for k, v in raw.items()}
        # Q, K and V in one matrix: one matmul per layer instead of three.
        for i in range(self.layers):
            p = f"encoder.layer.{i}.attention.self."
            self.w[p + "qkv.weight"] = np.concatenate([self.w[p + n + ".weight"] for n in ("query", "key", "value")]).T.copy()
            self.w[p + "qkv.bias"] = np.concatenate([self.w[p + n + ".bias"] for n in ("query", "key", "value")])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{name}.weight"
                self.w[key] = self.w[key].T.copy()
        modules = _read_json(folder / "modules.json")
        self.normalize = isinstance(modules, list) and any(
            str(m.get("type", "")).endswith(".Normalize") for m in modules)

    @classmethod
    def load(cls, location: str) -> NumpyBertEncoder | None:
        """The encoder for a local model folder, or None where sentence-transformers is needed."""
        folder = Path(location)
        reason = _unsupported(folder) if folder.is_dir() else "not a local folder"
        if reason:
            log.info("NumPy encoder cannot run %s (%s); using sentence-transformers", location, reason)
            return None
        try:
            return cls(folder)
        except Exception as exc:  # noqa: BLE001 - damaged files: sentence-transformers reports them properly
            log.warning("NumPy encoder could not read %s (%s); using sentence-transformers", location, exc)
            return None

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([t.lower() for t in texts] if self.lower_case else texts)
        out = np.zeros((len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        chunks = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]

        def run(chunk: list[int]) -> None:
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[chunk] = self._forward(ids, mask)

        workers = min(self.workers, len(chunks))
        if workers <= 1:
            for chunk in chunks:
                run(chunk)
        else:
            with _blas_one_thread(), ThreadPoolExecutor(workers, thread_name_prefix="encode") as pool:
                list(pool.map(run, chunks))
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, eps = self.w, self.eps
        batch, width = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width]
             + w["embeddings.token_type_embeddings.weight"][0])
        hidden = x.shape[-1]
        head = hidden // self.heads
        # Dense layers see one (tokens, hidden) matrix: one large matmul each, which BLAS runs fast.
        x = _layer_norm(x.reshape(batch * width, hidden), w["embeddings.LayerNorm.weight"],
                        w["embeddings.LayerNorm.bias"], eps)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = (x @ w[p + "attention.self.qkv.weight"] + w[p + "attention.self.qkv.bias"]).reshape(
                batch, width, 3, self.heads, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0] * scale, qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, hidden)
            attended = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            inner = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            x = _layer_norm(inner @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"] + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        x = x.reshape(batch, width, hidden)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        if self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled


class NumpyEmbeddings(Embeddings):
    """LangChain embeddings backed by the NumPy encoder."""

    def __init__(self, encoder: NumpyBertEncoder) -> None:
        self.encoder = encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.encode([text])[0].tolist()
