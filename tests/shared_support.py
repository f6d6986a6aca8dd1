"""What the tests need from ``../shared`` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def need_shared(path: Path, what: str) -> Path:
    """A file or folder of ``../shared`` (the case article, the public question sets) that a
    test needs: skipped, saying so, where it is not beside the checkout; a failure under CI
    (``CI`` set), which has it, so that a missing one is never a silent skip there."""
    if not path.exists():
        message = f"needs ../shared: {what} ({path}) is not beside this checkout"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have it")
        pytest.skip(message)
    return path
