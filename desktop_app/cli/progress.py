"""A progress line on stderr for work that takes more than a second (imports).

Only on a terminal: a pipe or a log file gets no carriage-return noise. The
line is rewritten in place at most ten times a second and cleared at the end,
so what stays on the screen is the command's one-line summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

DELAY = 1.0  # seconds before the line appears: quick imports stay silent
INTERVAL = 0.1


class ProgressLine:
    """Call it with (done, total) as work advances; ``total`` 0 while unknown."""

    def __init__(
        self,
        what: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what = what
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._start = clock()
        self._last = -INTERVAL
        self._shown = False
        self._live = self._stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self._live:
            return
        now = self._clock() - self._start
        if now < DELAY or now - self._last < INTERVAL:
            return
        self._last = now
        count = f"{done:,}/{total:,} items" if total else f"{done:,} files read"
        self._stream.write(f"\r{self._what}: {count}\x1b[K")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        """Clear the line, if one was shown."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False
