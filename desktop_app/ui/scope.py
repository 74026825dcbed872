"""Which items the window shows: a sidebar scope plus a filter text (no Qt here).

Kept Qt-free so the selection rules are plain functions over the immutable
state, testable and reusable by the later search and conflict views.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.core import Note, State, Task, TaskList


@dataclass(frozen=True)
class Scope:
    """``all``, ``none`` (no list) or one list by id; a value, so it compares and hashes."""

    kind: str
    list_id: str | None = None

    def contains(self, state: State, item: Task | Note) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "none":
            # Items whose list was deleted on another device show here too, so a
            # merge can never hide them (the conflict panel explains why).
            return item.list_id is None or item.list_id not in state.lists
        return item.list_id == self.list_id

    def list_in(self, state: State) -> TaskList | None:
        return state.lists.get(self.list_id) if self.list_id else None


ALL = Scope("all")
NO_LIST = Scope("none")


def list_scope(list_id: str) -> Scope:
    return Scope("list", list_id)


def _matches(needle: str, item: Task | Note) -> bool:
    if not needle:
        return True
    tags = " ".join(f"#{t}" for t in item.tags)
    body = item.body if isinstance(item, Note) else ""
    return any(needle in text.casefold() for text in (item.title, tags, body))


def select_tasks(state: State, scope: Scope, text: str = "") -> list[Task]:
    """Tasks in creation order: toggling done never moves a row."""
    needle = text.strip().casefold()
    found = [t for t in state.tasks.values() if scope.contains(state, t) and _matches(needle, t)]
    return sorted(found, key=lambda t: (t.created, t.id))


def select_notes(state: State, scope: Scope, text: str = "") -> list[Note]:
    """Pinned notes first, then newest first: a body edit never moves a row."""
    needle = text.strip().casefold()
    found = [n for n in state.notes.values() if scope.contains(state, n) and _matches(needle, n)]
    found.sort(key=lambda n: n.id)
    found.sort(key=lambda n: n.created, reverse=True)
    found.sort(key=lambda n: not n.pinned)
    return found
