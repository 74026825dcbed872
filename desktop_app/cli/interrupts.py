"""Ctrl+C that arrives once a change is saved waits until the command has said so.

Before the save, Ctrl+C stops the command and nothing is written (exit 130). After
the transaction commits, an interrupt used to end the command before it printed
its result, with exit 130: the user saw a failure, ran it again and got
duplicates. Inside ``finishing()`` the interrupt is held until the block ends;
the command then reports what happened, and a note says the interrupt came too
late to stop anything.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def finishing(note: str | None = "the change was already saved") -> Iterator[None]:
    """Hold SIGINT until the block ends (main thread only; elsewhere signals never land).

    ``note`` completes "interrupted, but ..." on stderr; None says nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held and note:
        print(f"desktop-app: interrupted, but {note}", file=sys.stderr)
