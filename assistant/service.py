"""The Assistant: the one object front ends (CLI, web UI, API, tests) talk to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answering import Answerer
from .answerability import AnswerModel
from .casefile import Casefile
from .embedding import Embedder
from .index import DocumentEntry, IndexLayout, IndexManifest, Passage
from .question import AskRequest, validate
from .retrieval import Retriever, ScoredSentence
from .settings import Settings
from .types import Answer

if TYPE_CHECKING:
    from .langchain_retriever import CaseRetriever


class Assistant:
    """Answers questions about the case from the index in ``index_dir``.

    ``Assistant(index_dir=...)`` builds its parts from settings (other settings from the
    environment, prefix ``CASE_``); ``Assistant(settings=...)`` takes a settings object;
    ``embeddings`` an already loaded model to share.
    """

    def __init__(self, index_dir: str | Path | None = None, *, settings: Settings | None = None,
                 model: AnswerModel | None = None, embeddings: Embedder | None = None, **overrides: Any) -> None:
        if settings is None:
            if index_dir is not None:
                overrides["index_dir"] = Path(index_dir)
            settings = Settings.load(**overrides)
        elif index_dir is not None or overrides:
            settings = settings.model_copy(update={**overrides, **({"index_dir": Path(index_dir)} if index_dir else {})})
        self.settings = settings
        self.embeddings = embeddings or Embedder.for_settings(settings)
        self.retriever = Retriever(settings, self.embeddings)
        self.answerer = Answerer(self.retriever, settings, model)

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Answer:
        return self.answerer.ask(question, history)

    def answer(self, request: AskRequest) -> Answer:
        """Answer a request already validated by ``question.request_model_for(settings)``."""
        return self.answerer.answer(request)

    def ranked(self, question: str) -> list[ScoredSentence]:
        """The hybrid retrieval's candidates for ``question``, best first, scored by the answer
        model (``score``: the probability that the sentence answers it)."""
        return self.answerer.ranked(validate(question, None, self.settings).question)

    def as_retriever(self, k: int = 4) -> CaseRetriever:
        """This assistant's retrieval as a LangChain retriever (passages as Documents)."""
        from .langchain_retriever import CaseRetriever

        return CaseRetriever(assistant=self, k=k)

    def warm_up(self) -> None:
        """Open the index and load the model now rather than on the first question."""
        self.retriever.snapshot()
        self.embeddings.embed_query("warm up")

    def manifest(self) -> IndexManifest | None:
        return IndexLayout(self.settings).manifest()

    def documents(self) -> list[DocumentEntry]:
        """Every indexed document with its citation metadata, status and passage count."""
        manifest = self.manifest()
        if manifest is None:
            return []
        return sorted(manifest.documents.values(), key=lambda d: (d.kind != "article", d.title.lower()))

    def casefile(self) -> Casefile:
        """The case's timeline and who's who, as ingest computed them (empty without an index)."""
        return self.retriever.snapshot().casefile

    def document_passages(self, doc_id: str) -> list[Passage]:
        """A document's indexed passages in reading order."""
        return self.retriever.snapshot().by_doc.get(doc_id, [])
