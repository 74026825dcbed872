"""Apply actions to a state: the handler, then the ``updated`` stamp.

Handlers stay ``(state, arg) -> state``; the time an item was last changed comes
from the action's own timestamp here, so no handler ever reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from msgspec.structs import replace

from desktop_app.core import handlers as _handlers  # noqa: F401  (registers every action)
from desktop_app.core.actions import REGISTRY, Action, Arg, action_type
from desktop_app.core.model import State


def apply(state: State, action: Action) -> State:
    arg = action.arg
    kind = REGISTRY[arg.__struct_config__.tag]
    if kind.sets_field is not None:
        return _set_field(state, kind.sets_field, arg, action.at)
    new = kind.handler(state, arg)
    if new is state:
        return state
    return _stamp(state, new, arg.target_ids, action.at)


def apply_by_handler(state: State, action: Action) -> State:
    """``apply`` without the field-setter shortcut (the tests compare the two)."""
    arg = action.arg
    new = action_type(arg).handler(state, arg)
    return state if new is state else _stamp(state, new, arg.target_ids, action.at)


def _set_field(state: State, where: tuple[str, str], arg: Arg, at_ms: int) -> State:
    """A field setter's handler and the ``updated`` stamp in one replace (hot path)."""
    collection, field = where
    items = state.tasks if collection == "tasks" else state.notes
    item_id = arg.id  # type: ignore[attr-defined]
    item = items.get(item_id)
    if item is None:
        return state
    changed = replace(item, **{field: getattr(arg, field), "updated": _moment(at_ms)})
    items = items.set(item_id, changed)
    if collection == "tasks":
        return State(state.lists, items, state.notes)
    return State(state.lists, state.tasks, items)


def fold(state: State, actions: Iterable[Action]) -> State:
    for act in actions:
        state = apply(state, act)
    return state


def invert(state: State, arg: Arg) -> Arg | None:
    return action_type(arg).invert(state, arg)


@lru_cache(maxsize=4096)
def _moment(at_ms: int) -> datetime:
    """Actions in a burst share milliseconds; cache their datetimes."""
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC)


def _stamp(old: State, new: State, ids: tuple[str, ...], at_ms: int) -> State:
    tasks, notes = new.tasks, new.notes
    changed = False
    for item_id in ids:
        if (task := tasks.get(item_id)) is not None and task is not old.tasks.get(item_id):
            tasks = tasks.set(item_id, replace(task, updated=_moment(at_ms)))
            changed = True
        if (note := notes.get(item_id)) is not None and note is not old.notes.get(item_id):
            notes = notes.set(item_id, replace(note, updated=_moment(at_ms)))
            changed = True
    return State(new.lists, tasks, notes) if changed else new
