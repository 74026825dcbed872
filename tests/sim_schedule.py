"""One baton for many threads: the simulator's deterministic interleaving.

Each device has worker threads (one for sync rounds, like the window's sync
thread, one for roll-ups), but only the thread holding the baton runs. An
operation hands the baton back at each remote call (``Worker.point``) and
blocks until the scheduler grants it again, with a verdict saying what happens
to that call (go ahead, fail, crash). Between grants the scheduler's own thread
(local edits, faults, checks) runs alone, so a run is a pure function of its seed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

GRANT_TIMEOUT_S = 60.0

Body = Callable[["Worker"], Any]


class SimCrash(BaseException):
    """The device lost power here; BaseException so no ``except Exception`` stops it."""


class Deadlock(AssertionError):
    """A granted thread neither reached a remote call nor finished in time."""


def _taken() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


class Worker:
    """A thread that runs one operation at a time, one remote call per grant."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Plain locks used as binary semaphores (any thread may release a Lock):
        # several times cheaper than threading.Semaphore, and a run makes thousands.
        self._go = _taken()
        self._back = _taken()
        self._verdict = "ok"
        self._body: Body | None = None
        self._stop = False
        self.waiting_at: tuple[str, str] | None = None  # (operation, key) about to be called
        self.busy = False
        self.crashed = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # -- on the worker's thread --------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self._go.acquire()
            if self._stop:
                return
            body, self._body = self._body, None
            try:
                self.result = body(self) if body else None
            except BaseException as exc:  # everything is reported to the scheduler
                self.error = exc
            self.busy = False
            self.waiting_at = None
            self._back.release()

    def point(self, operation: str, key: str) -> str:
        """Wait here for the baton; returns the verdict for this remote call."""
        if self.crashed:
            raise SimCrash
        self.waiting_at = (operation, key)
        self._back.release()
        self._go.acquire()
        self.waiting_at = None
        if self.crashed:
            raise SimCrash
        return self._verdict

    # -- on the scheduler's thread ---------------------------------------------------------

    def start(self, body: Body) -> None:
        """Begin an operation and run it up to its first remote call (or its end)."""
        assert not self.busy, f"{self.name} is already running an operation"
        self._body = body
        self.busy = True
        self.result = self.error = None
        self.grant()

    def grant(self, verdict: str = "ok") -> None:
        """Let the operation run until its next remote call or its end."""
        self._verdict = verdict
        self._go.release()
        if not self._back.acquire(timeout=GRANT_TIMEOUT_S):
            raise Deadlock(f"{self.name} did not yield within {GRANT_TIMEOUT_S:.0f} s")

    def crash(self) -> None:
        """Abort the operation where it waits: SimCrash is raised out of its remote call."""
        self.crashed = True
        if self.busy:
            self.grant("crash")

    def stop(self) -> None:
        """End the thread (the operation, if any, must have finished)."""
        if self.busy:
            self.crash()
        self._stop = True
        self._go.release()
        self._thread.join(GRANT_TIMEOUT_S)
