"""Python's cycle collector paused while a sync round or a roll-up runs, and while
the window starts (``StartUpPause``).

A round or a roll-up builds large immutable states (frozen structs in immutable
maps): they make no reference cycles, so reference counting frees everything they
drop, but they allocate containers by the hundred thousand, and each collection
that sets off walks what is alive. A full one walks the whole heap in a single C
call: 20-90 ms at 100,000 tasks, during which the window's thread cannot run
(docs/architecture.md, "Short write locks"). Paused, the round's own objects are
freed as usual.

What it leaves alive (the base ``LocalStore`` keeps in memory: ~70,000 containers
at 100,000 tasks) would all be young when the collector resumes, and the first
collection would walk them in one call (68 ms measured). They move to the oldest
generation instead (``gc.freeze`` then ``gc.unfreeze``: two list splices, nothing
walked), where a full collection finds them when the heap has grown enough for one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The collector paused meanwhile, then as it was, however the block ends.

    Resumed only if this call paused it: a pause already in place (start-up's, an
    outer round's) stays its owner's to end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            age_survivors()
            gc.enable()


_kept_frozen = False  # the window froze its start-up state for good (freeze_for_good)


def freeze_for_good() -> None:
    """Every object alive now kept out of the collector's walks for the rest of the
    process (the window's start-up state: ``StartUpPause``), and kept so:
    ``age_survivors`` will not hand it back with ``gc.unfreeze``."""
    global _kept_frozen
    gc.freeze()
    _kept_frozen = True


def age_survivors() -> None:
    """Every object the collector tracks, moved to its oldest generation unwalked.

    Not after ``freeze_for_good``: ``gc.unfreeze`` would hand the window's whole
    start-up state back to the collector, whose next full collection would walk the
    vault again (~180 ms at 100,000 tasks, each time one fell due). There the
    round's survivors stay young: the next young collection walks them once (~70 ms
    after a round that decoded 100,000 items, a new device's first pull; a few
    after an ordinary round). The freeze count cannot tell this apart: CPython
    3.12+ starts with objects of its own in the permanent generation."""
    if _kept_frozen:
        return
    gc.freeze()
    gc.unfreeze()


class StartUpPause:
    """Python's cycle collector, paused from the window's first import to its first paint.

    Made by the launcher before it imports the window, since imports allocate too:
    PySide's and ours (every class, every Qt enum) set off some 60 young collections,
    ~10 ms of a start-up that keeps every object they walk. Then opening the profile
    allocates a container for every item it decodes and every row it selects, and
    all of them live on (12,000 items: ~100,000 objects). Reference counting still
    frees everything as usual; the collector runs again on the event-loop turn after
    the first paint (``ui.main.run``), or when the window's run ends.

    What start-up made is then frozen (``freeze_for_good``): a full collection later
    walks only what came after, not the whole vault again (100,000 tasks: ~180 ms
    of a keystroke or an edit, whenever one fell due, down to ~0).

    Resumed only if this pause paused it: one already in place stays its owner's.
    """

    def __init__(self) -> None:
        self._paused = gc.isenabled()
        gc.disable()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            freeze_for_good()
            gc.enable()
