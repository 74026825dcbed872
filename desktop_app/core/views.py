"""Read-only views of the state: the ``show --json`` document and export forms."""

from __future__ import annotations

from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from desktop_app.core.model import Note, Priority, State, Task, TaskList


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
        "title_conflicts": list(task.title_conflicts),
        "due_conflicts": [d.isoformat() if d else None for d in task.due_conflicts],
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
        "title_conflicts": list(note.title_conflicts),
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


# -- smart lists and sorting (the window's Today and Upcoming, and header sorting) ------------

UPCOMING_DAYS = 7
SORT_KEYS = ("created", "done", "title", "due", "priority", "tags", "list")
_PRIORITY_RANK = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


def is_today(task: Task, today: date) -> bool:
    """Today: open and due today or overdue (Things' Today, without a 'when' date)."""
    return not task.done and task.due is not None and task.due <= today


def is_upcoming(task: Task, today: date, days: int = UPCOMING_DAYS) -> bool:
    """Upcoming: open and due in the next ``days`` days, today excluded (Today has it)."""
    return not task.done and task.due is not None and today < task.due <= today + timedelta(days)


_BY_ID, _BY_CREATED = attrgetter("id"), attrgetter("created")


def creation_order(tasks: list[Task]) -> list[Task]:
    """``tasks`` by (created, id), the rows' order before the first paint (10,000 tasks).

    Two stable sorts with plain keys, ids then stamps, give the same order as one
    sort by the pair at half its cost: a pair key is a tuple per task and compares
    datetimes through the tuple's rich comparison. Ids first: the sort compares
    strings by a specialised fast path, and ids made by one clock (UUIDv7) come
    nearly in creation order, which the second sort then merely confirms. (Sorting
    by the stamp alone, and by id only on a tie, cost more instructions here.)
    """
    by_id = sorted(tasks, key=_BY_ID)
    by_id.sort(key=_BY_CREATED)
    return by_id


def sort_tasks(state: State, tasks: list[Task], key: str, descending: bool = False) -> list[Task]:
    """Tasks ordered by one column; items without a value (no due, no list) always come last.

    Ties keep creation order, so a sort never shuffles equal rows.
    """
    by_created = creation_order(tasks)
    if key == "created":
        return by_created[::-1] if descending else by_created
    if key == "due":
        dated = [t for t in by_created if t.due is not None]
        dated.sort(key=lambda t: t.due, reverse=descending)  # type: ignore[arg-type,return-value]
        return dated + [t for t in by_created if t.due is None]
    if key == "list":
        listed = [t for t in by_created if _list_name(state, t.list_id) is not None]
        listed.sort(
            key=lambda t: (_list_name(state, t.list_id) or "").casefold(), reverse=descending
        )
        return listed + [t for t in by_created if _list_name(state, t.list_id) is None]
    if key == "tags":
        tagged = [t for t in by_created if t.tags]
        tagged.sort(key=lambda t: " ".join(sorted(t.tags)).casefold(), reverse=descending)
        return tagged + [t for t in by_created if not t.tags]
    keys = {
        "title": lambda t: t.title.casefold(),
        "priority": lambda t: _PRIORITY_RANK[t.priority],
        "done": lambda t: t.done,
    }
    if key not in keys:
        raise ValueError(f"unknown sort key {key!r}")
    return sorted(by_created, key=keys[key], reverse=descending)
