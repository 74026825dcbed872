"""Domain values: lists, tasks, notes and the whole state, all immutable.

Every value is a frozen Struct built only from values that exist before it, so
none can take part in a reference cycle: they opt out of the cyclic garbage
collector (``gc=False``), which otherwise rescans every task of a large state
again and again while a big pull allocates.

The state's collections are persistent maps (``immutables.Map``): a handler that
changes one task shares everything else with the previous state, so dispatch
stays O(log n) even with tens of thousands of items.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import immutables
import msgspec

from desktop_app.core import load_order


class Priority(enum.Enum):
    """Stored by name: the values are the lowercase member names."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class TaskList(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    name: str
    created: datetime


class Task(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    title: str
    done: bool = False
    due: date | None = None
    priority: Priority = Priority.NORMAL
    list_id: str | None = None
    tags: frozenset[str] = frozenset()
    created: datetime
    updated: datetime
    # Values displaced by a concurrent edit (an edit whose base was not the value
    # it replaced); kept until a resolution discards them (see core.rules).
    title_conflicts: tuple[str, ...] = ()
    due_conflicts: tuple[date | None, ...] = ()


class Note(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    title: str
    body: str = ""
    list_id: str | None = None
    tags: frozenset[str] = frozenset()
    pinned: bool = False
    created: datetime
    updated: datetime
    # Versions of the body kept when two devices edited it concurrently; never
    # silently dropped (see rules.note_body_conflicts).
    conflicts: tuple[str, ...] = ()
    title_conflicts: tuple[str, ...] = ()


Item = Task | Note | TaskList


class Tombstone(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A deleted item, kept so that an edit made concurrently on another device
    still lands somewhere and a restore brings the item back with that edit.

    Exactly one of ``task``, ``note`` and ``list`` is set. ``edited`` says that
    the item was changed by a device that had not seen the deletion: a problem
    for the user to settle (restore it, or let the deletion stand).
    """

    task: Task | None = None
    note: Note | None = None
    list: TaskList | None = None
    edited: bool = False
    # When the deletion happened, from the deleting action's own stamp (set by the
    # reducer, never a clock): the trash purges by it, the same on every replica.
    # None for tombstones made before the stamp existed.
    deleted_at: datetime | None = None

    @property
    def item(self) -> Item:
        item = self.task or self.note or self.list
        assert item is not None
        return item


_EMPTY: immutables.Map = immutables.Map()


class State(msgspec.Struct, frozen=True, gc=False):
    """Everything one person has. Replace, never mutate."""

    lists: immutables.Map = _EMPTY  # id -> TaskList
    tasks: immutables.Map = _EMPTY  # id -> Task
    notes: immutables.Map = _EMPTY  # id -> Note
    deleted: immutables.Map = _EMPTY  # id -> Tombstone

    def find(self, item_id: str) -> Item | None:
        return self.tasks.get(item_id) or self.notes.get(item_id) or self.lists.get(item_id)

    def list_named(self, name: str) -> TaskList | None:
        """Lists are unique by case-insensitive name; merges may break that (see rules)."""
        key = name.casefold()
        matches = [lst for lst in self.lists.values() if lst.name.casefold() == key]
        return min(matches, key=lambda lst: lst.id) if matches else None

    def with_task(self, task: Task) -> State:
        return msgspec.structs.replace(self, tasks=self.tasks.set(task.id, task))

    def with_note(self, note: Note) -> State:
        return msgspec.structs.replace(self, notes=self.notes.set(note.id, note))

    def with_list(self, lst: TaskList) -> State:
        return msgspec.structs.replace(self, lists=self.lists.set(lst.id, lst))

    def with_item(self, item: Item) -> State:
        if isinstance(item, Task):
            return self.with_task(item)
        if isinstance(item, Note):
            return self.with_note(item)
        return self.with_list(item)

    def without(self, item_id: str) -> State:
        for field in ("tasks", "notes", "lists"):
            mapping: immutables.Map = getattr(self, field)
            if item_id in mapping:
                return msgspec.structs.replace(self, **{field: mapping.delete(item_id)})
        return self

    def with_tombstone(self, item_id: str, tombstone: Tombstone | None) -> State:
        """Set (or with None, drop) the tombstone of ``item_id``."""
        if tombstone is None:
            if item_id not in self.deleted:
                return self
            return msgspec.structs.replace(self, deleted=self.deleted.delete(item_id))
        return msgspec.structs.replace(self, deleted=self.deleted.set(item_id, tombstone))


class StateDoc(msgspec.Struct, frozen=True):
    """The serialisable shape of State (plain dicts) used by checkpoints and snapshots."""

    lists: dict[str, TaskList] = {}
    tasks: dict[str, Task] = {}
    notes: dict[str, Note] = {}
    deleted: dict[str, Tombstone] = {}

    @classmethod
    def of(cls, state: State) -> StateDoc:
        return cls(
            lists=dict(state.lists),
            tasks=dict(state.tasks),
            notes=dict(state.notes),
            deleted=dict(state.deleted),
        )

    def to_state(self) -> State:
        tasks, notes = immutables.Map(self.tasks), immutables.Map(self.notes)
        load_order.remember(tasks, list(self.tasks.values()))
        load_order.remember(notes, list(self.notes.values()))
        return State(
            lists=immutables.Map(self.lists),
            tasks=tasks,
            notes=notes,
            deleted=immutables.Map(self.deleted),
        )


def fingerprint(item: Item) -> str:
    """A digest of what the user can edit in ``item`` (not its stamps or kept versions).

    A deletion carries the fingerprint of the item as its device saw it, so a
    replica can tell that the item was edited by a device that had not seen the
    deletion. Built from ``repr`` of plain values with tags sorted: the same on
    every device and every run (a frozenset's own order is not).
    """
    if isinstance(item, Task):
        due = item.due.isoformat() if item.due else None
        fields: tuple = ("task", item.title, item.done, due, item.priority.value, item.list_id)
    elif isinstance(item, Note):
        fields = ("note", item.title, item.body, item.list_id, item.pinned)
    else:
        fields = ("list", item.name)
    if not isinstance(item, TaskList):
        fields += tuple(sorted(item.tags))
    import hashlib  # loads OpenSSL: not before the window's first paint

    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]
