"""Which items changed between two states, when one was made from the other here.

The window recomputes what it derives from the state (the sidebar's counts, the
problems the rules find) after every change. A pass over every item is tens of
milliseconds at 10,000 items and hundreds at 100,000, while an edit changes one
item. ``Store`` notes each local action's transition here, with the ids it may
have touched (``touched_ids``), so a reader holding an older state can ask
``between(old, new)`` and update only those items. Any state not made by a
noted transition (a snapshot, a sync round's view, another process's edits)
breaks the chain, and ``between`` answers None: recompute everything.

``touched_ids`` is conservative: only the everyday item edits name their ids,
anything touching lists, merges or the trash's bookkeeping answers None.
tests/test_transitions.py applies random actions to random states and checks
that nothing outside the named ids changed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from desktop_app.core import actions as act
from desktop_app.core.model import State

# Edits that change at most the task or note their ``id`` names (and its tombstone).
_ONE_ITEM: tuple[type[act.Arg], ...] = (
    act.NewTask,
    act.TaskTitle,
    act.TaskDue,
    act.TaskDone,
    act.TaskPriority,
    act.NewNote,
    act.NoteTitle,
    act.NoteBody,
    act.NotePinned,
    act.ItemList,
    act.AddTag,
    act.RemoveTag,
    act.ResolveTaskTitle,
    act.ResolveNoteTitle,
    act.ResolveDue,
    act.ResolveBody,
)
RECENT = 64  # transitions kept: a reader further behind recomputes


def touched_ids(state: State, arg: act.Arg) -> frozenset[str] | None:
    """Ids of the items (tasks, notes, tombstones) ``arg`` may change when applied to
    ``state``; None when it may change lists or anything else (recompute all)."""
    return touched_by_steps(state, (arg,))


def touched_by_steps(state: State, args: Iterable[act.Arg]) -> frozenset[str] | None:
    """``touched_ids`` of several args applied in turn from ``state`` (a journal tail
    folded over a view), each judged against ``state``, as a batch's steps are."""
    found: set[str] = set()
    return frozenset(found) if all(_collect(state, arg, found) for arg in args) else None


def _collect(state: State, arg: act.Arg, found: set[str]) -> bool:
    if isinstance(arg, _ONE_ITEM):
        found.add(arg.id)  # type: ignore[attr-defined]
        return arg.id not in state.lists  # type: ignore[attr-defined]
    if isinstance(arg, act.DeleteItem):
        # A list's deletion moves its members: only a task's or a note's is one item.
        found.add(arg.id)
        return arg.id in state.tasks or arg.id in state.notes
    if isinstance(arg, act.Batch):
        # Steps see the state the earlier ones made; ``state`` is the batch's start,
        # so a step naming an item only an earlier step made is judged as absent
        # (conservatively: a deletion then answers None).
        return all(_collect(state, step, found) for step in arg.steps)
    return False


class _Recent:
    """The last ``RECENT`` transitions (old, new, touched), newest last."""

    def __init__(self) -> None:
        self._steps: deque[tuple[State, State, frozenset[str]]] = deque(maxlen=RECENT)

    def note(self, old: State, new: State, touched: frozenset[str] | None) -> None:
        if new is not old and touched is not None:  # unnamed: the chain breaks here
            self._steps.append((old, new, touched))

    def between(self, old: State, new: State) -> frozenset[str] | None:
        """The ids changed on the way from ``old`` to ``new``, or None if unknown."""
        if old is new:
            return frozenset()
        changed: set[str] = set()
        current = new
        for before, after, touched in reversed(self._steps):
            if after is not current:
                continue
            changed |= touched
            current = before
            if current is old:
                return frozenset(changed)
        return None

    def clear(self) -> None:
        self._steps.clear()


_RECENT = _Recent()
note = _RECENT.note
between = _RECENT.between
clear = _RECENT.clear
