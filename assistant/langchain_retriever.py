"""The hybrid retrieval as a LangChain retriever, for pipelines built on LangChain.

It returns the passages the assistant would cite for a query, best first, each a
``Document`` carrying the citation metadata (source, title, publisher, url, date, passage
id, and the sentences that matched). It never abstains: a retriever's caller decides.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field


class CaseRetriever(BaseRetriever):
    """``CaseRetriever(index_dir=..., k=4)``, or ``Assistant.as_retriever(k=4)``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index_dir: str | None = None
    k: int = Field(default=4, ge=1)
    assistant: Any = Field(default=None, exclude=True)

    def model_post_init(self, context: Any) -> None:
        if self.assistant is None:
            from .service import Assistant

            self.assistant = Assistant(index_dir=self.index_dir)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[Document]:
        return self._documents(query, k or self.k)

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       k: int | None = None) -> list[Document]:
        return self._documents(query, k or self.k)

    def _documents(self, query: str, k: int) -> list[Document]:
        docs: dict[str, Document] = {}
        for c in self.assistant.ranked(query):
            p = c.passage
            if p.id not in docs:
                if len(docs) == k:
                    break
                docs[p.id] = Document(id=p.id, page_content=p.text, metadata={
                    "source_id": p.doc_id, "title": p.title, "publisher": p.publisher, "url": p.url,
                    "date": p.date, "passage_id": p.id, "score": round(c.score, 4), "sentences": []})
            docs[p.id].metadata["sentences"].append(c.sentence.text)
        return list(docs.values())
