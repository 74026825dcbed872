"""Pure handlers, one per action, and their inverses.

Every handler tolerates any state (invariant 7): an add of an id that exists, an
edit or delete of an id that is gone, a task edit aimed at a note: all no-ops.
An inverter looks at the state *before* the action and returns the argument
that would undo it, or None when the action would change nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from desktop_app.core.actions import (
    AddTag,
    Arg,
    Batch,
    DeleteItem,
    ItemList,
    ListName,
    NewList,
    NewNote,
    NewTask,
    NoteBody,
    NotePinned,
    NoteTitle,
    RemoveTag,
    RestoreList,
    RestoreNote,
    RestoreTask,
    TaskDone,
    TaskDue,
    TaskPriority,
    TaskTitle,
    action,
    action_type,
)
from desktop_app.core.model import Note, State, Task, TaskList

replace = msgspec.structs.replace


def _edit_task(state: State, task_id: str, **changes: Any) -> State:
    task = state.tasks.get(task_id)
    return state.with_task(replace(task, **changes)) if task else state


def _edit_note(state: State, note_id: str, **changes: Any) -> State:
    note = state.notes.get(note_id)
    return state.with_note(replace(note, **changes)) if note else state


def _task_field_inverse(field: str, arg_type: type[Arg]):
    def invert(state: State, arg: Any) -> Arg | None:
        task = state.tasks.get(arg.id)
        if task is None or getattr(task, field) == getattr(arg, field):
            return None
        return arg_type(id=arg.id, **{field: getattr(task, field)})

    return invert


def _note_field_inverse(field: str, arg_type: type[Arg]):
    def invert(state: State, arg: Any) -> Arg | None:
        note = state.notes.get(arg.id)
        if note is None or getattr(note, field) == getattr(arg, field):
            return None
        return arg_type(id=arg.id, **{field: getattr(note, field)})

    return invert


def _delete_if_added(state: State, arg: Any) -> Arg | None:
    return None if state.find(arg.id) is not None else DeleteItem(id=arg.id)


def _delete_list_if_added(state: State, arg: Any) -> Arg | None:
    """Undoing a list's creation must not strand items that already named it.

    Items can point at a missing list after a merge (a list deleted on another
    device); deleting the list moves its members to no list, so the inverse puts
    them back where they were.
    """
    if state.find(arg.id) is not None:
        return None
    strays = tuple(ItemList(id=i.id, list_id=arg.id) for i in _members(state, arg.id))
    return Batch(steps=(DeleteItem(id=arg.id), *strays)) if strays else DeleteItem(id=arg.id)


# -- lists -----------------------------------------------------------------


@action(NewList, invert=_delete_list_if_added)
def add_list(state: State, arg: NewList) -> State:
    if state.find(arg.id) is not None:
        return state
    return state.with_list(TaskList(id=arg.id, name=arg.name, created=arg.created))


def _invert_rename(state: State, arg: ListName) -> Arg | None:
    lst = state.lists.get(arg.id)
    return ListName(id=arg.id, name=lst.name) if lst and lst.name != arg.name else None


@action(ListName, invert=_invert_rename)
def rename_list(state: State, arg: ListName) -> State:
    lst = state.lists.get(arg.id)
    return state.with_list(replace(lst, name=arg.name)) if lst else state


@action(RestoreList, invert=lambda state, arg: _delete_list_if_added(state, arg.list))
def restore_list(state: State, arg: RestoreList) -> State:
    return state if state.find(arg.list.id) is not None else state.with_list(arg.list)


# -- tasks -----------------------------------------------------------------


@action(NewTask, invert=_delete_if_added)
def add_task(state: State, arg: NewTask) -> State:
    if state.find(arg.id) is not None:
        return state
    return state.with_task(
        Task(
            id=arg.id,
            title=arg.title,
            list_id=arg.list_id,
            due=arg.due,
            priority=arg.priority,
            tags=arg.tags,
            created=arg.created,
            updated=arg.created,
        )
    )


@action(TaskTitle, invert=_task_field_inverse("title", TaskTitle), sets_field=("tasks", "title"))
def set_task_title(state: State, arg: TaskTitle) -> State:
    return _edit_task(state, arg.id, title=arg.title)


@action(TaskDue, invert=_task_field_inverse("due", TaskDue), sets_field=("tasks", "due"))
def set_task_due(state: State, arg: TaskDue) -> State:
    return _edit_task(state, arg.id, due=arg.due)


@action(TaskDone, invert=_task_field_inverse("done", TaskDone), sets_field=("tasks", "done"))
def set_task_done(state: State, arg: TaskDone) -> State:
    return _edit_task(state, arg.id, done=arg.done)


@action(
    TaskPriority,
    invert=_task_field_inverse("priority", TaskPriority),
    sets_field=("tasks", "priority"),
)
def set_task_priority(state: State, arg: TaskPriority) -> State:
    return _edit_task(state, arg.id, priority=arg.priority)


@action(RestoreTask, invert=lambda state, arg: _delete_if_added(state, arg.task))
def restore_task(state: State, arg: RestoreTask) -> State:
    return state if state.find(arg.task.id) is not None else state.with_task(arg.task)


# -- notes -----------------------------------------------------------------


@action(NewNote, invert=_delete_if_added)
def add_note(state: State, arg: NewNote) -> State:
    if state.find(arg.id) is not None:
        return state
    return state.with_note(
        Note(
            id=arg.id,
            title=arg.title,
            body=arg.body,
            list_id=arg.list_id,
            tags=arg.tags,
            pinned=arg.pinned,
            created=arg.created,
            updated=arg.created,
        )
    )


@action(NoteTitle, invert=_note_field_inverse("title", NoteTitle), sets_field=("notes", "title"))
def set_note_title(state: State, arg: NoteTitle) -> State:
    return _edit_note(state, arg.id, title=arg.title)


def _invert_body(state: State, arg: NoteBody) -> Arg | None:
    note = state.notes.get(arg.id)
    if note is None or note.body == arg.body:
        return None
    return NoteBody(id=arg.id, body=note.body, base=arg.body)


@action(NoteBody, invert=_invert_body)
def set_note_body(state: State, arg: NoteBody) -> State:
    """An edit based on a body that has since changed keeps the overwritten text.

    The displaced version goes to ``conflicts`` so nobody's words vanish; the
    conflict panel offers to merge or pick.
    """
    note = state.notes.get(arg.id)
    if note is None or note.body == arg.body:
        return state
    conflicts = note.conflicts
    if arg.base is not None and arg.base != note.body and note.body not in conflicts:
        conflicts = (*conflicts, note.body)
    return state.with_note(replace(note, body=arg.body, conflicts=conflicts))


@action(
    NotePinned, invert=_note_field_inverse("pinned", NotePinned), sets_field=("notes", "pinned")
)
def set_note_pinned(state: State, arg: NotePinned) -> State:
    return _edit_note(state, arg.id, pinned=arg.pinned)


@action(RestoreNote, invert=lambda state, arg: _delete_if_added(state, arg.note))
def restore_note(state: State, arg: RestoreNote) -> State:
    return state if state.find(arg.note.id) is not None else state.with_note(arg.note)


# -- any item ---------------------------------------------------------------


def _invert_move(state: State, arg: ItemList) -> Arg | None:
    item = state.tasks.get(arg.id) or state.notes.get(arg.id)
    if item is None or item.list_id == arg.list_id:
        return None
    return ItemList(id=arg.id, list_id=item.list_id)


@action(ItemList, invert=_invert_move)
def move_item(state: State, arg: ItemList) -> State:
    if arg.id in state.tasks:
        return _edit_task(state, arg.id, list_id=arg.list_id)
    return _edit_note(state, arg.id, list_id=arg.list_id)


def _tags_of(state: State, item_id: str) -> frozenset[str] | None:
    item = state.tasks.get(item_id) or state.notes.get(item_id)
    return None if item is None else item.tags


def _retag(state: State, item_id: str, tags: frozenset[str]) -> State:
    if item_id in state.tasks:
        return _edit_task(state, item_id, tags=tags)
    return _edit_note(state, item_id, tags=tags)


@action(
    AddTag,
    invert=lambda state, arg: (
        RemoveTag(id=arg.id, tag=arg.tag)
        if (tags := _tags_of(state, arg.id)) is not None and arg.tag not in tags
        else None
    ),
)
def add_tag(state: State, arg: AddTag) -> State:
    tags = _tags_of(state, arg.id)
    if tags is None or arg.tag in tags:
        return state
    return _retag(state, arg.id, tags | {arg.tag})


@action(
    RemoveTag,
    invert=lambda state, arg: (
        AddTag(id=arg.id, tag=arg.tag) if arg.tag in (_tags_of(state, arg.id) or ()) else None
    ),
)
def remove_tag(state: State, arg: RemoveTag) -> State:
    tags = _tags_of(state, arg.id)
    if tags is None or arg.tag not in tags:
        return state
    return _retag(state, arg.id, tags - {arg.tag})


def _members(state: State, list_id: str) -> list[Task | Note]:
    items = [*state.tasks.values(), *state.notes.values()]
    return sorted((i for i in items if i.list_id == list_id), key=lambda i: i.id)


def _invert_delete(state: State, arg: DeleteItem) -> Arg | None:
    if (task := state.tasks.get(arg.id)) is not None:
        return RestoreTask(task=task)
    if (note := state.notes.get(arg.id)) is not None:
        return RestoreNote(note=note)
    if (lst := state.lists.get(arg.id)) is not None:
        moves = tuple(ItemList(id=i.id, list_id=lst.id) for i in _members(state, lst.id))
        return Batch(steps=(RestoreList(list=lst), *moves))
    return None


@action(DeleteItem, invert=_invert_delete)
def delete_item(state: State, arg: DeleteItem) -> State:
    """Deleting a list keeps its tasks and notes: they move to no list."""
    if arg.id in state.lists:
        for item in _members(state, arg.id):
            state = state.with_item(replace(item, list_id=None))
    return state.without(arg.id)


# -- batches ----------------------------------------------------------------


def _invert_batch(state: State, arg: Batch) -> Arg | None:
    inverses: list[Arg] = []
    for step in arg.steps:
        kind = action_type(step)
        inverse = kind.invert(state, step)
        if inverse is not None:
            inverses.append(inverse)
        state = kind.handler(state, step)
    return Batch(steps=tuple(reversed(inverses))) if inverses else None


@action(Batch, invert=_invert_batch)
def batch(state: State, arg: Batch) -> State:
    for step in arg.steps:
        state = action_type(step).handler(state, step)
    return state
