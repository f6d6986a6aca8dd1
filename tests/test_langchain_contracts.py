"""The project's LangChain classes against LangChain's own standard test suites
(`langchain-tests`): the embeddings, and the hybrid retrieval as a retriever."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.embedding import Embedder
from assistant.langchain_retriever import CaseRetriever

pytestmark = pytest.mark.slow


class _EmbedderParams:
    @property
    def embeddings_class(self) -> type[Embedder]:
        return Embedder

    @property
    def embedding_model_params(self) -> dict:
        return {"model_name": "all-MiniLM-L6-v2"}


class TestEmbedderUnit(_EmbedderParams, EmbeddingsUnitTests):
    pass


class TestEmbedderIntegration(_EmbedderParams, EmbeddingsIntegrationTests):
    pass


class TestCaseRetriever(RetrieversIntegrationTests):
    index_dir = ""

    @pytest.fixture(autouse=True)
    def _case_index(self, case_index) -> None:
        type(self).index_dir = str(case_index)

    @property
    def retriever_constructor(self) -> type[CaseRetriever]:
        return CaseRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"index_dir": self.index_dir, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "What did Forrest claim about British police and Amazon Rekognition?"


def test_as_retriever_documents_carry_citations(case_index):
    from assistant import Assistant

    docs = Assistant(index_dir=case_index).as_retriever(k=3).invoke("Where is the shell company based?")
    assert len(docs) == 3
    top = docs[0]
    assert "Netherlands" in top.page_content and any("Netherlands" in s for s in top.metadata["sentences"])
    assert {"source_id", "title", "publisher", "url", "date", "passage_id"} <= set(top.metadata)
    assert top.metadata["source_id"] == "case-article.md" and top.metadata["publisher"] == "GIGAZINE"
    assert len({d.metadata["passage_id"] for d in docs}) == 3
