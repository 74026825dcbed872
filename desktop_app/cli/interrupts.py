"""Ctrl+C that arrives once a change is saved waits until the command has said so.

Before the save, Ctrl+C stops the command and nothing is written (exit 130). After
the transaction commits, an interrupt used to end the command before it printed
its result, with exit 130: the user saw a failure, ran it again and got
duplicates. Inside ``finishing()`` the interrupt is held until the block ends;
the command then reports what happened, and a note says the interrupt came too
late to stop anything.

An interrupt raised where Python swallows exceptions (a finalizer that a garbage
collection ran, "Exception ignored in ...") would have let the command go on and
save. ``watching()`` notes every Ctrl+C as it arrives, and ``finishing()`` stops
a command that was interrupted before its save began, whatever became of that
KeyboardInterrupt.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_interrupted = False  # a Ctrl+C arrived while ``watching()``


def _on_interrupt(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


@contextmanager
def watching() -> Iterator[None]:
    """Note each Ctrl+C as it arrives (and raise KeyboardInterrupt, as Python does).

    Only in place of Python's own handler: an interrupt the caller ignores (a job
    started with SIGINT ignored) or handles itself stays so."""
    global _interrupted
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    _interrupted = False
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted = False


@contextmanager
def finishing(
    note: str | None = "the change was already saved", *, saving: bool = True
) -> Iterator[None]:
    """Hold SIGINT until the block ends (main thread only; elsewhere signals never land).

    ``note`` completes "interrupted, but ..." on stderr; None says nothing. A block
    that ``saving`` does not start when a Ctrl+C came before it (KeyboardInterrupt,
    exit 130, nothing saved), even if that interrupt's exception was lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if saving and _interrupted:
        raise KeyboardInterrupt
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held and note:
        print(f"desktop-app: interrupted, but {note}", file=sys.stderr)
