"""Pure handlers, one per action, and their inverses.

Every handler tolerates any state (invariant 7): an add of an id that exists, an
edit or delete of an id that is gone, a task edit aimed at a note: all no-ops.
An inverter looks at the state *before* the action and returns the argument
that would undo it, or None when the action would change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from desktop_app.core.actions import (
    AddTag,
    Arg,
    Batch,
    DeleteItem,
    ItemList,
    ListName,
    MergeState,
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
from desktop_app.core.model import Item, Note, State, Task, TaskList

replace = msgspec.structs.replace


def item_edit(
    arg_type: type[Arg],
    invert: Any,
    collections: tuple[str, ...],
    edit: Callable[[Any, Any], dict[str, Any] | None],
) -> None:
    """Register an action that changes fields of one task or note.

    ``edit(item, arg)`` returns the changed fields, or None for no change. The
    handler is derived from it (first collection holding the id wins), so the
    reducer's one-step use of ``edit`` means exactly what the handler does.
    """

    def handler(state: State, arg: Any) -> State:
        for name in collections:
            item = getattr(state, name).get(arg.id)
            if item is not None:
                changes = edit(item, arg)
                return state if changes is None else state.with_item(replace(item, **changes))
        return state

    handler.__name__ = handler.__qualname__ = str(arg_type.__struct_config__.tag)
    action(arg_type, invert=invert, edits=(collections, edit))(handler)


def _field(name: str) -> Callable[[Any, Any], dict[str, Any]]:
    return lambda item, arg: {name: getattr(arg, name)}


TASKS = ("tasks",)
NOTES = ("notes",)
TASKS_THEN_NOTES = ("tasks", "notes")


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


for _arg_type, _name in (
    (TaskTitle, "title"),
    (TaskDue, "due"),
    (TaskDone, "done"),
    (TaskPriority, "priority"),
):
    item_edit(_arg_type, _task_field_inverse(_name, _arg_type), TASKS, _field(_name))


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


item_edit(NoteTitle, _note_field_inverse("title", NoteTitle), NOTES, _field("title"))


def _invert_body(state: State, arg: NoteBody) -> Arg | None:
    note = state.notes.get(arg.id)
    if note is None or note.body == arg.body:
        return None
    return NoteBody(id=arg.id, body=note.body, base=arg.body)


def _edit_body(note: Note, arg: NoteBody) -> dict[str, Any] | None:
    """An edit based on a body that has since changed keeps the overwritten text.

    The displaced version goes to ``conflicts`` so nobody's words vanish; the
    conflict panel offers to merge or pick.
    """
    if note.body == arg.body:
        return None
    conflicts = note.conflicts
    if arg.base is not None and arg.base != note.body and note.body not in conflicts:
        conflicts = (*conflicts, note.body)
    return {"body": arg.body, "conflicts": conflicts}


item_edit(NoteBody, _invert_body, NOTES, _edit_body)
item_edit(NotePinned, _note_field_inverse("pinned", NotePinned), NOTES, _field("pinned"))


@action(RestoreNote, invert=lambda state, arg: _delete_if_added(state, arg.note))
def restore_note(state: State, arg: RestoreNote) -> State:
    return state if state.find(arg.note.id) is not None else state.with_note(arg.note)


# -- any item ---------------------------------------------------------------


def _invert_move(state: State, arg: ItemList) -> Arg | None:
    item = state.tasks.get(arg.id) or state.notes.get(arg.id)
    if item is None or item.list_id == arg.list_id:
        return None
    return ItemList(id=arg.id, list_id=item.list_id)


item_edit(ItemList, _invert_move, TASKS_THEN_NOTES, _field("list_id"))


def _tags_of(state: State, item_id: str) -> frozenset[str] | None:
    item = state.tasks.get(item_id) or state.notes.get(item_id)
    return None if item is None else item.tags


def _invert_add_tag(state: State, arg: AddTag) -> Arg | None:
    tags = _tags_of(state, arg.id)
    return RemoveTag(id=arg.id, tag=arg.tag) if tags is not None and arg.tag not in tags else None


def _invert_remove_tag(state: State, arg: RemoveTag) -> Arg | None:
    return AddTag(id=arg.id, tag=arg.tag) if arg.tag in (_tags_of(state, arg.id) or ()) else None


item_edit(
    AddTag,
    _invert_add_tag,
    TASKS_THEN_NOTES,
    lambda item, arg: None if arg.tag in item.tags else {"tags": item.tags | {arg.tag}},
)
item_edit(
    RemoveTag,
    _invert_remove_tag,
    TASKS_THEN_NOTES,
    lambda item, arg: {"tags": item.tags - {arg.tag}} if arg.tag in item.tags else None,
)


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


# -- merged state (a log's genesis, a rebind's fallback) ----------------------


def _merged_items(state: State, arg: MergeState) -> tuple[list[Item], list[Task | Note]]:
    """(items the merge adds, items it replaces by a later version), in id order."""
    added: list[Item] = []
    replaced: list[Task | Note] = []
    taken: set[str] = set()  # an id is one item, even in a malformed merged state
    for lst in sorted(arg.state.lists.values(), key=lambda i: i.id):
        if state.find(lst.id) is None and lst.id not in taken:
            added.append(lst)
            taken.add(lst.id)
    incoming: list[Task | Note] = [*arg.state.tasks.values(), *arg.state.notes.values()]
    for item in sorted(incoming, key=lambda i: (type(i).__name__, i.id)):
        if item.id in taken:
            continue
        taken.add(item.id)
        current = state.find(item.id)
        if current is None:
            added.append(item)
        elif type(current) is type(item) and item.updated > current.updated:  # type: ignore[union-attr]
            replaced.append(item)
    return added, replaced


def _invert_merge(state: State, arg: MergeState) -> Arg | None:
    added, replaced = _merged_items(state, arg)
    steps: list[Arg] = []
    for item in replaced:
        old = state.find(item.id)
        steps.append(DeleteItem(id=item.id))
        steps.append(RestoreTask(task=old) if isinstance(old, Task) else RestoreNote(note=old))  # type: ignore[arg-type]
    steps += [DeleteItem(id=i.id) for i in added if not isinstance(i, TaskList)]
    for lst in (i for i in added if isinstance(i, TaskList)):
        steps.append(DeleteItem(id=lst.id))
        steps += [ItemList(id=i.id, list_id=lst.id) for i in _members(state, lst.id)]
    return Batch(steps=tuple(steps)) if steps else None


@action(MergeState, invert=_invert_merge)
def merge_state(state: State, arg: MergeState) -> State:
    added, replaced = _merged_items(state, arg)
    for item in (*added, *replaced):
        state = state.with_item(item)
    return state


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
