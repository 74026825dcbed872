"""When to try a failed sync round again: exponential backoff with jitter.

A laptop on a train fails round after round; asking every minute wastes its
battery and hammers a throttling S3, and devices that lost the network together
must not come back in lockstep. So the delay doubles from ``base_s`` after each
failure up to ``cap_s``, each drawn with +/- ``jitter`` around it, and the first
success starts over. No Qt here: the window's ``SyncController`` and any other
front end schedule with it.
"""

from __future__ import annotations

import random
from collections.abc import Callable

RETRY_BASE_S = 5.0
RETRY_CAP_S = 300.0
RETRY_JITTER = 0.2


class RetryBackoff:
    """Counts consecutive failures and says how long to wait after each."""

    def __init__(
        self,
        base_s: float = RETRY_BASE_S,
        cap_s: float = RETRY_CAP_S,
        jitter: float = RETRY_JITTER,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.jitter = jitter
        self._rng = rng
        self.failures = 0

    def failed(self) -> float:
        """Record a failed round; seconds to wait before the next try."""
        self.failures += 1
        nominal = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 32))
        spread = 1 - self.jitter + 2 * self.jitter * self._rng()
        return min(self.cap_s, nominal * spread)

    def succeeded(self) -> None:
        """A round got through: the next failure waits ``base_s`` again."""
        self.failures = 0


def describe_wait(seconds: float) -> str:
    """``"12 s"`` or ``"3 min"``, for the status bar."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"
