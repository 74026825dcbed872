"""Python's cycle collector paused while a sync round or a roll-up runs.

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
    process (the window's start-up state: ``ui.main.PausedCollector``), and kept so:
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
