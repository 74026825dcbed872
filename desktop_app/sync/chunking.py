"""How many actions one commit of a sync round may fold: sized by what commits cost.

A round promises that it never holds SQLite's write lock for more than 10 ms at a
time, so an edit typed in the window meanwhile never waits longer than that
(docs/architecture.md, "Short write locks"). What a commit costs per action
depends on the machine, the disk and the items the actions touch (a note body
weighs more than a title), so a fixed count cannot keep that promise everywhere:
each commit's hold is measured and the next chunk is sized to ``LOCK_BUDGET_S``.

The budget leaves room for what a waiting dispatch adds to a hold: a chunk may
come out up to ``GROWTH`` times its budget (it grows before its cost is known),
and the waiter then needs up to a millisecond to poll the lock again and another
to get the interpreter back (``app.syncing.ROUND_SWITCH_INTERVAL_S``):
1.5 x 3 + 1 + 1 = 6.5 ms, inside the 10 ms promised, with room for the
machine's own noise.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCK_PROMISE_S = 0.010  # the longest a round may hold the write lock at a time
LOCK_BUDGET_S = 0.003  # what a chunk aims at (the module's docstring says why)
FIRST_CHUNK = 64  # before anything is measured (~1 ms here); it doubles from there
MIN_CHUNK = 8
MAX_CHUNK = 1_000  # bounds the rows of one commit whatever the measures say
GROWTH = 1.5  # at most this much bigger than the chunk before


@dataclass
class ChunkSizer:
    """The number of actions the next commit may fold (``size``), kept for a round.

    ``observe`` takes each commit's actions and hold: the next size is what would
    have taken ``budget_s`` at that commit's cost per action, shrinking at once and
    growing by at most ``GROWTH`` a step, within ``[MIN_CHUNK, MAX_CHUNK]``.
    """

    size: int = FIRST_CHUNK
    budget_s: float = LOCK_BUDGET_S

    def observe(self, actions: int, held_s: float) -> None:
        if actions <= 0:
            return
        fitting = MAX_CHUNK if held_s <= 0 else int(actions * self.budget_s / held_s)
        grown = int(max(self.size, actions) * GROWTH)
        self.size = max(MIN_CHUNK, min(MAX_CHUNK, fitting, grown))
