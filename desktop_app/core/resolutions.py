"""What each option of a problem does, as one action (so it syncs and undoes).

``resolution(state, problem, option)`` is pure apart from the id of a note it
may create; the time comes from the caller. Resolutions of values name what
the user saw (see ``actions.ResolveTaskTitle``), so a version that arrived from
another device meanwhile is never discarded unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desktop_app.core import actions as act
from desktop_app.core.actions import Arg, Batch
from desktop_app.core.ids import new_id
from desktop_app.core.model import Note, State, Task, TaskList
from desktop_app.core.rules import Problem

MOVE_TO = "move_to:"
RECOVERED_LIST = "Recovered list"


class ResolutionError(ValueError):
    """An option the problem does not have, or one that needs input it lacks."""


def describe(option: str) -> str:
    """The option as a button says it."""
    if option.startswith("keep_other_"):
        return f"Keep other version {option.removeprefix('keep_other_')}"
    return _LABELS.get(option, option.replace("_", " ").capitalize())


_LABELS = {
    "keep_current": "Keep current",
    "keep_other": "Keep other",
    "keep_both": "Keep both",
    "copy_as_note": "Keep both as two notes",
    "edit": "Edit merged text…",
    "restore": "Restore it with the edit",
    "keep_deleted": "Let the deletion stand",
    "recreate_list": "Recreate the list",
    "move_to_no_list": "Move to no list",
    "merge_lists": "Merge into one list",
    "rename_lists": "Rename to tell apart",
}


def both_texts(problem: Problem) -> str:
    """Every version in one text, marked, for "keep both" and as the start of an edit."""
    parts = []
    for version in problem.versions:
        parts.append(f"<<<<<<< {version.label.replace('_', ' ')} version\n{version.text}")
        if not version.text.endswith("\n"):
            parts[-1] += "\n"
    return "".join(parts) + ">>>>>>> end of versions\n"


def resolution(
    state: State, problem: Problem, option: str, *, now: datetime, text: str | None = None
) -> Arg:
    """The action that settles ``problem`` as ``option`` says; ``text`` for "edit"."""
    if option not in problem.options and not (
        problem.kind == "missing_list" and option.startswith(MOVE_TO)
    ):
        raise ResolutionError(
            f"problem {problem.id} has no option {option!r}; "
            f"choose one of: {', '.join(problem.options)}"
        )
    if option == "edit" and text is None:
        raise ResolutionError("the edit option needs the merged text (--text or --text-file)")
    return _BY_KIND[problem.kind](state, problem, option, now, text)


def _kept_value(problem: Problem, option: str, values: tuple) -> object:
    labels = [v.label for v in problem.versions]
    return values[labels.index(option.removeprefix("keep_"))]


def _title(state: State, problem: Problem, option: str, now: datetime, text: str | None) -> Arg:
    item_id = problem.ids[0]
    item: Task | Note = state.tasks.get(item_id) or state.notes[item_id]
    values = (item.title, *item.title_conflicts)
    if option == "keep_both":
        title = " / ".join(dict.fromkeys(values))
    else:
        title = str(_kept_value(problem, option, values))
    cls = act.ResolveTaskTitle if isinstance(item, Task) else act.ResolveNoteTitle
    return cls(id=item_id, title=title, base=item.title, seen=item.title_conflicts)


def _due(state: State, problem: Problem, option: str, now: datetime, text: str | None) -> Arg:
    task = state.tasks[problem.ids[0]]
    due = _kept_value(problem, option, (task.due, *task.due_conflicts))
    return act.ResolveDue(id=task.id, due=due, base=task.due, seen=task.due_conflicts)  # type: ignore[arg-type]


def _body(state: State, problem: Problem, option: str, now: datetime, text: str | None) -> Arg:
    note = state.notes[problem.ids[0]]

    def settle(body: str) -> Arg:
        return act.ResolveBody(id=note.id, body=body, base=note.body, seen=note.conflicts)

    if option == "edit":
        return settle(text or "")
    if option == "keep_both":
        return settle(both_texts(problem))
    if option == "copy_as_note":
        copies = [
            act.NewNote(
                id=new_id(),
                title=f"{note.title} (other version{'' if len(note.conflicts) == 1 else f' {n}'})",
                body=body,
                list_id=note.list_id,
                tags=note.tags,
                created=now,
            )
            for n, body in enumerate(note.conflicts, 1)
        ]
        return Batch(steps=(*copies, settle(note.body)))
    return settle(str(_kept_value(problem, option, (note.body, *note.conflicts))))


def _deleted(state: State, problem: Problem, option: str, now: datetime, text: str | None) -> Arg:
    item_id = problem.ids[0]
    if option == "restore":
        return act.RestoreDeleted(id=item_id)
    return act.SettleDeletion(id=item_id, edited=False)


def _missing_list(
    state: State, problem: Problem, option: str, now: datetime, text: str | None
) -> Arg:
    item_id, list_id = problem.ids
    if option == "move_to_no_list":
        return act.ItemList(id=item_id, list_id=None)
    if option.startswith(MOVE_TO):
        target = option.removeprefix(MOVE_TO)
        if target not in state.lists:
            raise ResolutionError(f"no list has id {target!r}")
        return act.ItemList(id=item_id, list_id=target)
    tomb = state.deleted.get(list_id)
    if tomb is not None and tomb.list is not None:
        return act.RestoreDeleted(id=list_id)
    name = _free_name(state, RECOVERED_LIST)
    return act.RestoreList(list=TaskList(id=list_id, name=name, created=now))


def _free_name(state: State, name: str) -> str:
    candidate, n = name, 1
    while state.list_named(candidate) is not None:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def _duplicate_lists(
    state: State, problem: Problem, option: str, now: datetime, text: str | None
) -> Arg:
    keep, *others = problem.ids
    steps: list[Arg] = []
    if option == "merge_lists":
        for other in others:
            items = (*state.tasks.values(), *state.notes.values())
            members = sorted(i.id for i in items if i.list_id == other)
            steps += [act.ItemList(id=i, list_id=keep) for i in members]
            steps.append(act.DeleteItem(id=other))
    else:
        name, taken = state.lists[keep].name, set()
        for other in others:
            n = 2
            while state.list_named(f"{name} ({n})") is not None or n in taken:
                n += 1
            taken.add(n)
            steps.append(act.ListName(id=other, name=f"{name} ({n})"))
    return steps[0] if len(steps) == 1 else Batch(steps=tuple(steps))


_BY_KIND: dict[str, Callable[[State, Problem, str, datetime, str | None], Arg]] = {
    "title_conflict": _title,
    "due_conflict": _due,
    "note_body_conflict": _body,
    "edited_after_delete": _deleted,
    "missing_list": _missing_list,
    "duplicate_list_name": _duplicate_lists,
}
