"""A decoded map's items in the order they were decoded, which is their order in memory.

The state's maps (``immutables.Map``) iterate in the order of their keys' hashes,
and a string's hash changes with every process. A pass over every item of a map
decoded from a checkpoint therefore jumps about the heap: at 100,000 tasks a
pass that reads one field took ~35 ms in the map's order and ~3 ms in the
order the decoder allocated the items (the checkpoint's, sorted by id), because
the items no longer fit the CPU's caches. Start-up makes several such passes
before the first paint (the sidebar's counts, the rules, the models' selection
and their creation-order sort, which also finds ids already in order).

``values(mapping)`` gives the decoded order for a map made by ``StateDoc.to_state``
while that very map object lives (maps are immutable, so the same object always
holds the same items), and the map's own order for any other. Callers must not
depend on the order: they count, or sort what they find.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import immutables

# id(map) -> (a weak reference to that map, its values as decoded, or how to
# make them: a list in decoded order and the keys at which the map differs from it)
_Order = list[Any] | tuple[list[Any], frozenset[str]]
_DECODED: dict[int, tuple[weakref.ref[immutables.Map], _Order]] = {}


def remember(mapping: immutables.Map, items: list[Any]) -> None:
    """Note ``items`` (``mapping``'s values, in the order decoded) for ``values``."""
    _note(mapping, items)


def _note(mapping: immutables.Map, order: _Order) -> None:
    key = id(mapping)

    def forget(ref: weakref.ref[immutables.Map]) -> None:
        if _DECODED.get(key, (None,))[0] is ref:
            del _DECODED[key]

    _DECODED[key] = (weakref.ref(mapping, forget), order)


def values(mapping: immutables.Map) -> Iterable[Any]:
    """``mapping``'s values: in the order decoded when it came from a checkpoint."""
    entry = _DECODED.get(id(mapping))
    if entry is None or entry[0]() is not mapping:
        return mapping.values()
    order = entry[1]
    if isinstance(order, tuple):  # made now, by the one pass ``follow`` put off
        decoded, changed = order
        order = [item for item in decoded if item.id not in changed]
        order += [item for key in changed if (item := mapping.get(key)) is not None]
        _note(mapping, order)
    return order


def follow(old: immutables.Map, new: immutables.Map, changed: Iterable[str]) -> None:
    """Keep the decoded order for ``new``, a map that differs from ``old`` (whose
    order is known) only at the ``changed`` keys (a journal tail replayed over a
    checkpoint, a base's item rows, a sync round's new base). Costs what changed:
    the pass over every item that makes the order waits for the first ``values``
    (a round must not pay it; the window's recount after the round pays it once,
    in memory order). Items are keyed by their ``id``."""
    if new is old:
        return
    entry = _DECODED.get(id(old))
    if entry is None or entry[0]() is not old:
        return
    order = entry[1]
    if isinstance(order, tuple):
        _note(new, (order[0], order[1].union(changed)))
    else:
        _note(new, (order, frozenset(changed)))
