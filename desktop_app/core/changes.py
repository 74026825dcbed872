"""Which items a fold changed, found in O(actions) instead of O(items).

Storage writes the materialized state item by item (one row per changed item),
so a sync round that folds k actions must name the items those k actions may
have changed without comparing every item of the vault. ``Changes.note`` is
called with each action's argument and the state it is applied to; it collects
the ids the handlers can touch. The handlers that touch items their argument
does not name (deleting a list moves its members to no list) make it fall back
to a full comparison, which is exact and O(items), and rare.

The contract (ids noted are a superset of the ids changed) is checked against a
full comparison on random action sequences in tests/test_changes.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import immutables

from desktop_app.core.actions import (
    Arg,
    Batch,
    DeleteItem,
    MergeState,
    PurgeDeleted,
    RestoreList,
    RestoreNote,
    RestoreTask,
)
from desktop_app.core.model import Item, State, Tombstone
from desktop_app.core.slices import update_in_slices

# (row kind, State field): the four collections of a state, each stored as rows.
KINDS: tuple[tuple[str, str], ...] = (
    ("l", "lists"),
    ("t", "tasks"),
    ("n", "notes"),
    ("d", "deleted"),
)

Row = tuple[str, str, Item | Tombstone | None]  # (kind, id, value; None: gone)


def _note(ids: set[str], state: State, arg: Arg) -> bool:
    """Add the ids applying ``arg`` to ``state`` may change; False if it cannot tell."""
    kind = type(arg)
    if kind is Batch:
        return all(_note(ids, state, step) for step in arg.steps)  # type: ignore[attr-defined]
    if kind is DeleteItem:
        item_id = arg.id  # type: ignore[attr-defined]
        # A task or note deletion touches only it; a list's also moves its members.
        if item_id in state.lists or (item_id not in state.tasks and item_id not in state.notes):
            return False
        ids.add(item_id)
        return True
    if kind is MergeState:
        doc = arg.state  # type: ignore[attr-defined]
        for mapping in (doc.lists, doc.tasks, doc.notes, doc.deleted):
            update_in_slices(ids, mapping)  # a genesis holds the whole vault
        return True
    if kind is RestoreTask:
        ids.add(arg.task.id)  # type: ignore[attr-defined]
        return True
    if kind is RestoreNote:
        ids.add(arg.note.id)  # type: ignore[attr-defined]
        return True
    if kind is RestoreList:
        ids.add(arg.list.id)  # type: ignore[attr-defined]
        return True
    if kind is PurgeDeleted:
        ids.update(arg.ids)  # type: ignore[attr-defined]
        return True
    item_id = getattr(arg, "id", None)
    if not isinstance(item_id, str):
        return False  # an argument this module does not know: compare everything
    ids.add(item_id)
    return True


class Changes:
    """The ids a run of actions may have changed, noted as they are applied."""

    __slots__ = ("everything", "ids")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.everything = False

    def note(self, state: State, arg: Arg) -> None:
        """Call before applying ``arg`` to ``state``."""
        if not self.everything and not _note(self.ids, state, arg):
            self.everything = True

    def note_edit(self, arg: Arg) -> None:
        """``note`` of an item edit (it changes only the item it names), which needs
        no state: ``Folding`` makes it in place, with no state built before it."""
        if not self.everything:
            self.ids.add(arg.id)  # type: ignore[attr-defined]

    def note_all(self) -> None:
        self.everything = True

    def rows(self, old: State, new: State) -> list[Row]:
        """The items that differ between ``old`` and ``new``, each once."""
        return changed_rows(old, new, None if self.everything else self.ids)


def changed_rows(old: State, new: State, ids: Iterable[str] | None = None) -> list[Row]:
    """Items that differ between ``old`` and ``new``: among ``ids``, or all (None)."""
    rows: list[Row] = []
    for kind, field in KINDS:
        before: immutables.Map = getattr(old, field)
        after: immutables.Map = getattr(new, field)
        if before is after:
            continue
        if ids is None:
            keys: Iterable[str] = [
                *(k for k, v in after.items() if before.get(k) is not v),
                *(k for k in before if k not in after),
            ]
        else:
            keys = ids
        for key in keys:
            was, now = before.get(key), after.get(key)
            if was is not now and was != now:
                rows.append((kind, key, now))
    return rows
