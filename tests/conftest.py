"""Shared fixtures."""

from fixtures_case import *  # noqa: F401,F403
