"""One-time `state` values of the GitHub App Manifest flow: issued by the setup page, spent by
`/setup/callback`.

A state expires after an hour (GitHub's manifest codes do too), at most `cap` are kept (the
oldest go first, so reloading the setup page cannot grow memory without bound), and all of them
are dropped once the app is registered.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

STATE_TTL_SECONDS = 3600.0
MAX_STATES = 100


class SetupStates:
    """Issued manifest-flow states with their expiry, oldest first."""

    def __init__(
        self,
        ttl_seconds: float = STATE_TTL_SECONDS,
        cap: int = MAX_STATES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.cap = cap
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._expiry)

    def _drop_expired(self) -> None:
        now = self._clock()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)

    def issue(self) -> str:
        """A fresh state for one setup page."""
        self._drop_expired()
        while len(self._expiry) >= self.cap:
            self._expiry.popitem(last=False)
        state = secrets.token_urlsafe(16)
        self._expiry[state] = self._clock() + self.ttl_seconds
        return state

    def spend(self, state: str) -> bool:
        """True (once) for a state issued here that has not expired."""
        self._drop_expired()
        return self._expiry.pop(state, None) is not None

    def clear(self) -> None:
        self._expiry.clear()
