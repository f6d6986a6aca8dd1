"""The few errors the core raises on purpose; front ends turn them into exit codes,
UI warnings and HTTP statuses (api.py maps each class to one) instead of tracebacks."""

from __future__ import annotations


class CaseError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""

    exit_code = 2
    #: What a web client is told instead of the message, for errors whose message speaks of
    #: the server (paths, model locations) rather than of what the client sent; None: the message.
    public_message: str | None = None

    @property
    def client_message(self) -> str:
        return self.public_message or str(self)

    @property
    def about_server(self) -> bool:
        """The server's state is wrong, not what the client sent: worth a line in the log."""
        return self.public_message is not None


class BadQuestionError(CaseError):
    """The question or history cannot be answered as given (empty, too long, malformed)."""

    exit_code = 2


class IndexMissingError(CaseError):
    """There is no index yet where one was expected."""

    exit_code = 3
    public_message = "no index is available yet: the operator must run ingest"


class ModelMismatchError(CaseError):
    """The index was built with another embedding model than the one configured."""

    exit_code = 3
    public_message = "the index does not match the configured model: the operator must rebuild it"


class SettingsError(CaseError):
    """A CASE_ environment variable (or an override) has a value the settings cannot take."""

    exit_code = 2
    public_message = "the server is misconfigured; its log says how"


class ModelLoadError(CaseError):
    """The embedding model could not be loaded from the configured name or path."""

    exit_code = 3
    public_message = "the embedding model could not be loaded; the server log says why"


class DocumentError(CaseError):
    """One corpus document could not be read; ingest reports it and goes on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ManifestError(CaseError):
    """sources.toml is unreadable or a [[source]] table is wrong."""
