"""Time as the remote store sees it.

The store's clock is the reference (S3's ``Date`` header is a free time
service). Each round trip gives one sample: server time minus the midpoint of
when we sent and when we heard back. ``Date`` has one-second resolution and is
truncated, so half a second is added. The offset is the median of recent
samples (robust to one slow response); timestamps handed out are server-adjusted
and strictly increasing for this device, whatever the wall clock does.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

SKEW_WARNING_S = 5 * 60
_SAMPLES = 15


class Clock:
    def __init__(self, offset_s: float = 0.0, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._samples: deque[float] = deque(maxlen=_SAMPLES)
        self._offset_s = offset_s
        self._last_ms = 0
        self._lock = threading.Lock()

    @property
    def offset_s(self) -> float:
        """Seconds to add to this computer's clock to get the store's."""
        return self._offset_s

    @property
    def skewed(self) -> bool:
        return abs(self._offset_s) > SKEW_WARNING_S

    def skew_message(self) -> str | None:
        if not self.skewed:
            return None
        direction = "behind" if self._offset_s > 0 else "ahead of"
        return (
            f"This computer's clock is {abs(self._offset_s) / 60:.0f} minutes {direction} "
            "the sync store's; turn on automatic date and time in your system settings."
        )

    def observe(self, server_time: datetime, sent: float, received: float) -> None:
        """Record one round trip; ``sent``/``received`` are ``time.time()`` readings.

        They are moved onto this clock's own wall (the same in production; a
        test's simulated skewed wall otherwise).
        """
        midpoint = (sent + received) / 2 + (self._wall() - time.time())
        sample = server_time.timestamp() + 0.5 - midpoint
        with self._lock:
            self._samples.append(sample)
            self._offset_s = _median(self._samples)

    def now_ms(self) -> int:
        """Server-adjusted epoch milliseconds, strictly increasing per Clock."""
        with self._lock:
            ms = int((self._wall() + self._offset_s) * 1000)
            ms = max(ms, self._last_ms + 1)
            self._last_ms = ms
            return ms

    @property
    def last_ms(self) -> int:
        """The newest time handed out (persisted so a restart never goes back)."""
        return self._last_ms

    def floor(self, ms: int) -> None:
        """Never hand out a time at or before ``ms`` (e.g. the newest one on disk)."""
        with self._lock:
            self._last_ms = max(self._last_ms, ms)


def _median(samples: deque[float]) -> float:
    """``statistics.median``, without importing ``statistics`` (and ``fractions``,
    ``decimal``...) into every start of the window."""
    ordered = sorted(samples)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
