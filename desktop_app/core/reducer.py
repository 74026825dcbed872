"""Apply actions to a state: the handler, then the ``updated`` stamp.

Handlers stay ``(state, arg) -> state``; the time an item was last changed comes
from the action's own timestamp here, so no handler ever reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from desktop_app.core import handlers as _handlers  # noqa: F401  (registers every action)
from desktop_app.core.actions import Action, Arg, action_type
from desktop_app.core.model import State


def apply(state: State, action: Action) -> State:
    new = action_type(action.arg).handler(state, action.arg)
    if new is state:
        return state
    return _stamp(state, new, action.arg, action.when)


def fold(state: State, actions: Iterable[Action]) -> State:
    for act in actions:
        state = apply(state, act)
    return state


def invert(state: State, arg: Arg) -> Arg | None:
    return action_type(arg).invert(state, arg)


def _stamp(old: State, new: State, arg: Arg, when) -> State:
    for item_id in arg.target_ids:
        if (task := new.tasks.get(item_id)) is not None and task is not old.tasks.get(item_id):
            new = new.with_task(msgspec.structs.replace(task, updated=when))
        elif (note := new.notes.get(item_id)) is not None and note is not old.notes.get(item_id):
            new = new.with_note(msgspec.structs.replace(note, updated=when))
    return new
