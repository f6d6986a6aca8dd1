"""Who may sign in, and how often a client may try or write.

One user and password (``CASE_AUTH``) guard the chat's login and the API's HTTP Basic alike;
both go through :class:`Credentials`, and both count failures in one :class:`ClientLimit`.
"""

from __future__ import annotations

import base64
import hmac
import logging
import math
import time
from collections import Counter

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


def _utf8(value: str | bytes) -> bytes:
    # surrogatepass: a lone surrogate (legal in JSON and form data) must compare unequal, not raise.
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


class Credentials:
    """The configured user and password, compared in constant time as UTF-8 bytes.

    ``hmac.compare_digest`` raises TypeError on a non-ASCII ``str``, so comparing strings
    turned any non-ASCII guess (or a non-ASCII password) into a server error.
    """

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self._user = _utf8(user)
        self._password = _utf8(password)

    def check(self, user: str | bytes, password: str | bytes) -> bool:
        user_ok = hmac.compare_digest(_utf8(user), self._user)
        password_ok = hmac.compare_digest(_utf8(password), self._password)
        return user_ok & password_ok  # both compared, whichever is wrong

    def check_basic(self, authorization: str) -> bool:
        """An ``Authorization: Basic …`` header value; anything malformed is simply wrong."""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            # Header values arrive as latin-1 text, so every byte maps back; bad base64 is a ValueError.
            raw = base64.b64decode(value.strip().encode("latin-1"), validate=True)
        except ValueError:
            return False
        user, sep, password = raw.partition(b":")
        return bool(sep) and self.check(user, password)


class ClientLimit:
    """At most ``count`` events per client in any ``seconds``-long window (moving window).

    A thin wrapper over the ``limits`` package, which keeps the windows; this adds only the
    "how long until the client may try again" that a 429's Retry-After needs.
    """

    def __init__(self, count: int, seconds: int) -> None:
        self._item = RateLimitItemPerSecond(count, seconds)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._pending: Counter[str] = Counter()

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until ``client`` has room again; None when it has room now."""
        if self._limiter.test(self._item, client):
            return None
        reset_at, _ = self._limiter.get_window_stats(self._item, client)
        return max(1, math.ceil(reset_at - time.time()))

    def hit(self, client: str) -> bool:
        """Count one event; False (and nothing counted) when the window is already full."""
        return self._limiter.hit(self._item, client)

    def begin(self, client: str) -> int | None:
        """Hold one place for an event whose outcome is not known yet (a sign-in being
        checked): None when there was room, else whole seconds to wait.

        A place held counts against the window like an event until :meth:`end`, so a burst
        of concurrent attempts gets no more places than the window has, however slowly their
        answers come back. Called from one event loop: the check and the hold are one step.
        """
        reset_at, remaining = self._limiter.get_window_stats(self._item, client)
        if remaining - self._pending[client] > 0:
            self._pending[client] += 1
            return None
        return max(1, math.ceil(reset_at - time.time())) if remaining <= 0 else 1

    def end(self, client: str, counted: bool) -> None:
        """Release the place :meth:`begin` held; ``counted``: the event stays in the window."""
        self._pending[client] -= 1
        if self._pending[client] <= 0:
            del self._pending[client]
        if counted:
            self._limiter.hit(self._item, client)
