"""Read-only views of the state: the ``show --json`` document and export forms."""

from __future__ import annotations

from typing import Any

from desktop_app.core.model import Note, State, Task, TaskList


def sorted_lists(state: State) -> list[TaskList]:
    """Lists in display order: by name, case-insensitively (id breaks ties)."""
    return sorted(state.lists.values(), key=lambda lst: (lst.name.casefold(), lst.id))


def _list_name(state: State, list_id: str | None) -> str | None:
    lst = state.lists.get(list_id) if list_id else None
    return lst.name if lst else None


def list_info(lst: TaskList) -> dict[str, Any]:
    return {"id": lst.id, "name": lst.name, "created": lst.created.isoformat()}


def task_info(state: State, task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "done": task.done,
        "due": task.due.isoformat() if task.due else None,
        "priority": task.priority.name.lower(),
        "list": _list_name(state, task.list_id),
        "list_id": task.list_id,
        "tags": sorted(task.tags),
        "created": task.created.isoformat(),
        "updated": task.updated.isoformat(),
    }


def note_info(state: State, note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "list": _list_name(state, note.list_id),
        "list_id": note.list_id,
        "tags": sorted(note.tags),
        "pinned": note.pinned,
        "conflicts": list(note.conflicts),
        "created": note.created.isoformat(),
        "updated": note.updated.isoformat(),
    }


def document(state: State) -> dict[str, list[dict[str, Any]]]:
    """The whole state as plain data, every array sorted by id (stable output)."""
    return {
        "lists": [list_info(state.lists[k]) for k in sorted(state.lists.keys())],
        "tasks": [task_info(state, state.tasks[k]) for k in sorted(state.tasks.keys())],
        "notes": [note_info(state, state.notes[k]) for k in sorted(state.notes.keys())],
    }


def note_titled(state: State, title: str) -> Note | None:
    """The note a ``[[title]]`` link means: same title, case-blind; the oldest wins a tie."""
    key = " ".join(title.split()).casefold()
    matches = [n for n in state.notes.values() if n.title.casefold() == key]
    return min(matches, key=lambda n: (n.created, n.id)) if matches else None
