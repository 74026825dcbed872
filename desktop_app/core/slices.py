"""Work on large collections in slices, so the interpreter changes threads between them.

One C call over 100,000 items (a sort, a set update) holds the interpreter lock
throughout: 15-40 ms at 100,000 tasks, during which the window's thread cannot
run, not even to commit an edit (docs/architecture.md, "Short write locks"). Slices
of a few thousand take a millisecond or less each, and the interpreter can hand
itself over between them.

Freeing is such a call too: when the last reference to a list of 120,000 rows
goes (a function returns), everything it alone kept alive is freed in that one
step, 9-19 ms at 100,000 tasks. ``release_in_slices`` empties it first.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, TypeVar

SORT_SLICE = 2_048  # items one C-level sort takes at a time
UPDATE_SLICE = 8_192  # keys one C-level set update takes at a time
RELEASE_SLICE = 2_048  # list items one C-level deletion frees at a time

T = TypeVar("T", bound=Any)


def sorted_in_slices(
    items: Iterable[T], slice_size: int = 0, key: Callable[[T], Any] | None = None
) -> list[T]:
    """``sorted(items, key=key)``, the same order (ties too: the merge is stable),
    from slices sorted apart and merged in Python: one sort of 120,000 rows is a
    single C call of 15-180 ms (more with tuple keys and under load).
    ``slice_size`` defaults to ``SORT_SLICE``."""
    slice_size = slice_size or SORT_SLICE
    items = list(items)
    slices = [sorted(items[i : i + slice_size], key=key) for i in range(0, len(items), slice_size)]
    return list(heapq.merge(*slices, key=key))


def update_in_slices(target: set[T], items: Iterable[T], slice_size: int = 0) -> None:
    """``target.update(items)``, a slice of ``slice_size`` (default ``UPDATE_SLICE``)
    at a time."""
    slice_size = slice_size or UPDATE_SLICE
    rest = iter(items)
    while part := tuple(islice(rest, slice_size)):
        target.update(part)


def release_in_slices(items: list[Any] | set[Any] | dict[Any, Any], slice_size: int = 0) -> None:
    """Empty ``items``, a list a slice of ``slice_size`` (default ``RELEASE_SLICE``)
    at a time, a set or dict an entry at a time: what only it kept alive is freed
    between two slices, not all in one step when its last reference goes. Call it
    where that reference would go; a container someone else still reads must not
    be given."""
    if isinstance(items, list):
        slice_size = slice_size or RELEASE_SLICE
        while items:
            del items[-slice_size:]
        return
    take = items.popitem if isinstance(items, dict) else items.pop
    for _ in range(len(items)):
        take()
