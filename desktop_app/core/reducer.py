"""Apply actions to a state: the handler, then the ``updated`` stamp.

Handlers stay ``(state, arg) -> state``; the time an item was last changed comes
from the action's own timestamp here, so no handler ever reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import immutables
from msgspec.structs import replace

from desktop_app.core import handlers as _handlers  # noqa: F401  (registers every action)
from desktop_app.core.actions import REGISTRY, Action, Arg, ItemEdit, action_type
from desktop_app.core.model import State


def apply(state: State, action: Action) -> State:
    arg = action.arg
    kind = REGISTRY[arg.__struct_config__.tag]
    if kind.edits is not None:
        return _edit_and_stamp(state, kind.edits, arg, action.at, kind.handler)
    new = kind.handler(state, arg)
    if new is state:
        return state
    return _stamp(state, new, arg.target_ids, action.at)


def apply_by_handler(state: State, action: Action) -> State:
    """``apply`` without the one-step item edit (the tests compare the two)."""
    arg = action.arg
    new = action_type(arg).handler(state, arg)
    return state if new is state else _stamp(state, new, arg.target_ids, action.at)


def _edit_and_stamp(
    state: State, edits: ItemEdit, arg: Arg, at_ms: int, handler: Callable[[State, Arg], State]
) -> State:
    """An item edit's changes and the ``updated`` stamp in one replace (the hot path).

    An edit of an item that is not there goes to the handler: it may land on a
    tombstone (tombstones keep the stamp of their deletion).
    """
    collections, edit = edits
    item_id = arg.id  # type: ignore[attr-defined]
    for name in collections:
        items = state.tasks if name == "tasks" else state.notes
        item = items.get(item_id)
        if item is None:
            continue
        changes = edit(item, arg)
        if changes is None:
            return state
        changes["updated"] = _moment(at_ms)
        items = items.set(item_id, replace(item, **changes))
        if name == "tasks":
            return State(state.lists, items, state.notes, state.deleted)
        return State(state.lists, state.tasks, items, state.deleted)
    return handler(state, arg) if item_id in state.deleted else state


def fold(state: State, actions: Iterable[Action]) -> State:
    for act in actions:
        state = apply(state, act)
    return state


class Folding:
    """``apply`` one action after another, for a long fold (a pull, a roll-up).

    Most actions edit one task or note (a title, done, a tag). ``apply`` copies a
    path of the state's persistent map and builds a new state for each; here a run
    of them is made on a mutation of the map (``immutables.MapMutation``: a node
    is copied once, then changed in place), and the state is built once, when an
    action of another kind comes or ``state`` is read. The result is what ``apply``
    gives action by action (tests/test_reducer.py compares the two).
    """

    __slots__ = ("_held", "_notes", "_tasks")

    def __init__(self, state: State) -> None:
        self._held = state  # the state before the edits pending in the mutations
        self._tasks: immutables.MapMutation | None = None
        self._notes: immutables.MapMutation | None = None

    @property
    def state(self) -> State:
        """The state after every action given so far."""
        tasks, notes = self._tasks, self._notes
        if tasks is not None or notes is not None:
            held = self._held
            self._held = State(
                held.lists,
                held.tasks if tasks is None else tasks.finish(),
                held.notes if notes is None else notes.finish(),
                held.deleted,
            )
            self._tasks = self._notes = None
        return self._held

    def apply(self, action: Action) -> None:
        if not self.edit(action):
            self._held = apply(self.state, action)

    def edit(self, action: Action) -> bool:
        """Make ``action`` in place if it is an edit of a task or note the state
        holds, as ``_edit_and_stamp`` does; False (nothing done) for any other."""
        arg = action.arg
        edits = REGISTRY[arg.__struct_config__.tag].edits
        if edits is None:
            return False
        collections, edit = edits
        item_id = arg.id  # type: ignore[attr-defined]
        for name in collections:
            pending = self._tasks if name == "tasks" else self._notes
            items = pending if pending is not None else getattr(self._held, name)
            item = items.get(item_id)
            if item is None:
                continue
            changes = edit(item, arg)
            if changes is not None:
                changes["updated"] = _moment(action.at)
                if pending is None:
                    pending = getattr(self._held, name).mutate()
                    if name == "tasks":
                        self._tasks = pending
                    else:
                        self._notes = pending
                pending[item_id] = replace(item, **changes)
            return True
        return False  # on a tombstone or nowhere: the handler decides


def invert(state: State, arg: Arg) -> Arg | None:
    return action_type(arg).invert(state, arg)


_last_moment: tuple[int, datetime] = (0, datetime.fromtimestamp(0, tz=UTC))


def _moment(at_ms: int) -> datetime:
    """The action's time as a datetime; the steps of one action share the last one."""
    global _last_moment
    cached = _last_moment
    if cached[0] == at_ms:
        return cached[1]
    when = datetime.fromtimestamp(at_ms / 1000, UTC)  # positional: a keyword costs 2x
    _last_moment = (at_ms, when)
    return when


def _stamp(old: State, new: State, ids: tuple[str, ...], at_ms: int) -> State:
    """``updated`` (or a new tombstone's ``deleted_at``) at the action's moment, on the
    items of ``ids`` the handler changed. A collection the handler left as it was
    holds no changed item, so it is not searched."""
    tasks, notes, deleted = new.tasks, new.notes, new.deleted
    tasks_changed, notes_changed = tasks is not old.tasks, notes is not old.notes
    when = _moment(at_ms)
    changed = False
    for item_id in ids:
        if deleted is not old.deleted:
            tomb = deleted.get(item_id)
            if (
                tomb is not None
                and tomb is not old.deleted.get(item_id)
                and old.find(item_id) is not None
                and new.find(item_id) is None
            ):
                # This action deleted the item: the tombstone carries the moment.
                deleted = deleted.set(item_id, replace(tomb, deleted_at=when))
                changed = True
                continue
        if tasks_changed:
            task = tasks.get(item_id)
            if task is not None and task is not old.tasks.get(item_id) and task.updated != when:
                tasks = tasks.set(item_id, replace(task, updated=when))
                changed = True
        if notes_changed:
            note = notes.get(item_id)
            if note is not None and note is not old.notes.get(item_id) and note.updated != when:
                notes = notes.set(item_id, replace(note, updated=when))
                changed = True
    return State(new.lists, tasks, notes, deleted) if changed else new
