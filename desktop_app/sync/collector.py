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


def age_survivors() -> None:
    """Every object the collector tracks, moved to its oldest generation unwalked.

    Only while nothing is frozen (the CLI, a roll-up, a sync without a window). The
    window freezes what its start-up made (``ui.main.PausedCollector``), and
    ``gc.unfreeze`` would hand all of that back to the collector, whose next full
    collection would walk the whole vault again (~180 ms at 100,000 tasks, each
    time one fell due). There the round's survivors stay young: the next young
    collection walks them once (~70 ms after a round that decoded 100,000 items,
    a new device's first pull; a few after an ordinary round)."""
    if gc.get_freeze_count():
        return
    gc.freeze()
    gc.unfreeze()
