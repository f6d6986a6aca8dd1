"""Case Assistant: short cited answers about one news case, from its indexed sources.

Heavy parts (Chroma, the model) load on first use, so ``import assistant`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BadQuestionError, CaseError, DocumentError, IndexMissingError, ModelMismatchError
from .settings import Settings
from .types import Answer, Citation, Passage

if TYPE_CHECKING:
    from .service import Assistant

__all__ = ["Answer", "Assistant", "BadQuestionError", "CaseError", "Citation", "DocumentError",
           "IndexMissingError", "ModelMismatchError", "Passage", "Settings"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .service import Assistant

        return Assistant
    raise AttributeError(name)
