"""Actions in words, for "Undid: delete “Buy milk”" (no Qt; the CLI may use it too).

An undo dispatches the *inverse* of what the user did, so ``undone`` reads the
inverse back as the original intent: a restore undoes a delete, a delete undoes
an add, ``done=False`` undoes a tick. ``state`` is the state before the undo or
redo, where the items still have the titles the user saw.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.core import Arg, State, TaskList
from desktop_app.core import actions as act


def _title(state: State, item_id: str) -> str:
    item = state.find(item_id)
    if item is None:
        return "an item"
    name = item.name if isinstance(item, TaskList) else item.title
    return f"“{name}”"


def _forward(arg: Arg, state: State) -> str:
    """What ``arg`` does, as a user would say it."""
    match arg:
        case act.NewTask() | act.NewNote():
            return f"add “{arg.title}”"
        case act.NewList():
            return f"add list “{arg.name}”"
        case act.DeleteItem():
            return f"delete {_title(state, arg.id)}"
        case act.RestoreTask():
            return f"restore “{arg.task.title}”"
        case act.RestoreNote():
            return f"restore “{arg.note.title}”"
        case act.RestoreList():
            return f"restore list “{arg.list.name}”"
        case act.RestoreDeleted():
            tomb = state.deleted.get(arg.id)
            item = tomb.item if tomb else None
            name = item.name if isinstance(item, TaskList) else getattr(item, "title", None)
            return f"restore “{name}”" if name else "restore an item"
        case act.PurgeDeleted():
            return f"delete {len(arg.ids)} item(s) for ever"
        case act.TaskDone():
            return f"{'tick' if arg.done else 'untick'} {_title(state, arg.id)}"
        case act.TaskTitle() | act.NoteTitle() | act.ListName():
            return f"rename {_title(state, arg.id)}"
        case act.TaskDue():
            return f"change the due date of {_title(state, arg.id)}"
        case act.TaskPriority():
            return f"change the priority of {_title(state, arg.id)}"
        case act.NoteBody():
            return f"edit {_title(state, arg.id)}"
        case act.NotePinned():
            return f"{'pin' if arg.pinned else 'unpin'} {_title(state, arg.id)}"
        case act.ItemList():
            return f"move {_title(state, arg.id)}"
        case act.AddTag():
            return f"tag {_title(state, arg.id)} #{arg.tag}"
        case act.RemoveTag():
            return f"remove #{arg.tag} from {_title(state, arg.id)}"
        case act.Batch():
            return _batch(arg, state, _forward)
    return "a change"


def undone(inverse: Arg, state: State) -> str:
    """What the user had done, given the inverse an undo dispatched."""
    match inverse:
        case act.RestoreTask():
            return f"delete “{inverse.task.title}”"
        case act.RestoreNote():
            return f"delete “{inverse.note.title}”"
        case act.RestoreList():
            return f"delete list “{inverse.list.name}”"
        case act.DeleteItem():
            return f"add {_title(state, inverse.id)}"
        case act.TaskDone():
            return f"{'untick' if inverse.done else 'tick'} {_title(state, inverse.id)}"
        case act.NotePinned():
            return f"{'unpin' if inverse.pinned else 'pin'} {_title(state, inverse.id)}"
        case act.AddTag():
            return f"remove #{inverse.tag} from {_title(state, inverse.id)}"
        case act.RemoveTag():
            return f"tag {_title(state, inverse.id)} #{inverse.tag}"
        case act.Batch():
            return _batch(inverse, state, undone)
    return _forward(inverse, state)  # renames, moves, dates, bodies read the same both ways


def _batch(batch: act.Batch, state: State, one: Callable[[Arg, State], str]) -> str:
    words = [one(step, state) for step in batch.steps]
    if len(words) == 1:
        return words[0]
    verbs = {w.split(" ", 1)[0] for w in words}
    if len(verbs) == 1:
        return f"{verbs.pop()} {len(words)} items"
    if any(isinstance(s, (act.NewTask, act.NewNote)) for s in batch.steps):
        return f"an import or add of {len(words)} items"
    return f"{len(words)} changes"


def redone(arg: Arg, state: State) -> str:
    return _forward(arg, state)
