"""Validation rules: pure functions ``State -> [Problem]``.

Each device keeps the rules on its own, but merging offline edits can still
break them. Merges are accepted; the problems are computed from the merged
state and shown in the conflict panel and by ``desktop-app conflicts``. Their
resolutions (``core.resolutions``) are ordinary actions, so they sync.

A problem's ``id`` comes from its kind and the ids of the items involved, so
every device that has the same state names it the same way and it can be
resolved on any of them. Its ``options`` list the recommended one first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from operator import attrgetter

import msgspec

from desktop_app.core import load_order, transitions
from desktop_app.core.model import Note, State, Task, TaskList, Tombstone


class Version(msgspec.Struct, frozen=True):
    """One side of a conflict, as the user reads it; ``label`` names the option
    ``keep_<label>`` that keeps it."""

    label: str
    text: str


class Problem(msgspec.Struct, frozen=True):
    kind: str
    message: str
    ids: tuple[str, ...]
    options: tuple[str, ...] = ()
    versions: tuple[Version, ...] = ()

    @property
    def id(self) -> str:
        key = "\x1f".join((self.kind, *self.ids)).encode()
        import hashlib  # loads OpenSSL: not before the window's first paint

        return hashlib.sha256(key).hexdigest()[:10]


# -- lists ------------------------------------------------------------------------------


def duplicate_list_names(state: State) -> list[Problem]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for lst in state.lists.values():
        by_name[lst.name.casefold()].append(lst.id)
    if all(len(ids) == 1 for ids in by_name.values()):
        return []  # the usual case: no need to count every item's list
    counts = _member_counts(state)
    return [
        Problem(
            "duplicate_list_name",
            f"{len(ids)} lists are named {state.lists[ids[0]].name!r} (created on two devices)",
            tuple(sorted(ids)),
            ("merge_lists", "rename_lists"),
            tuple(
                Version(f"list_{n}", f"{state.lists[i].name} ({counts.get(i, 0)} items)")
                for n, i in enumerate(sorted(ids), 1)
            ),
        )
        for ids in by_name.values()
        if len(ids) > 1
    ]


def _member_counts(state: State) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in _items(state):
        if item.list_id is not None:
            counts[item.list_id] += 1
    return counts


_LIST_ID = attrgetter("list_id")


def _items(state: State) -> list[Task | Note]:
    """Every task and note, in memory order where known (``core.load_order``)."""
    return [*load_order.values(state.tasks), *load_order.values(state.notes)]


def items_in_missing_lists(state: State) -> list[Problem]:
    items = _items(state)
    # One C-level pass finds the lists named: a lookup per item in the state's map
    # was a quarter slower (it runs before the window's first paint).
    missing = set(map(_LIST_ID, items)).difference(state.lists.keys(), (None,))
    if not missing:
        return []  # the usual case: every item's list exists
    return [_missing_list(state, item) for item in items if item.list_id in missing]


def _missing_list(state: State, item: Task | Note) -> Problem:
    tomb = state.deleted.get(item.list_id) if item.list_id is not None else None
    name = tomb.list.name if tomb is not None and tomb.list is not None else None
    where = f"list {name!r}" if name else "a list"
    return Problem(
        "missing_list",
        f"{item.title!r} belongs to {where} that was deleted on another device",
        (item.id, item.list_id),  # type: ignore[arg-type]
        ("recreate_list", "move_to_no_list"),
    )


# -- values two devices changed at once ------------------------------------------------


def _labels(others: int) -> list[str]:
    """``current``, then ``other`` (or ``other_1``, ``other_2``... when there are more)."""
    if others == 1:
        return ["current", "other"]
    return ["current", *(f"other_{n}" for n in range(1, others + 1))]


def _versions(current: str, others: tuple[str, ...]) -> tuple[Version, ...]:
    labels = _labels(len(others))
    return tuple(Version(k, v) for k, v in zip(labels, (current, *others), strict=True))


def _keep_options(versions: tuple[Version, ...]) -> tuple[str, ...]:
    return tuple(f"keep_{v.label}" for v in versions)


def note_body_conflicts(state: State) -> list[Problem]:
    return [_body_conflict(note) for note in load_order.values(state.notes) if note.conflicts]


def _body_conflict(note: Note) -> Problem:
    versions = _versions(note.body, note.conflicts)
    return Problem(
        "note_body_conflict",
        f"note {note.title!r} was edited on two devices in the same place; "
        f"{len(note.conflicts)} other version(s) kept",
        (note.id,),
        ("keep_both", *_keep_options(versions), "copy_as_note", "edit"),
        versions,
    )


def title_conflicts(state: State) -> list[Problem]:
    items = _items(state)
    return [_title_conflict(item) for item in items if item.title_conflicts]


def _title_conflict(item: Task | Note) -> Problem:
    what = "task" if isinstance(item, Task) else "note"
    versions = _versions(item.title, item.title_conflicts)
    return Problem(
        "title_conflict",
        f"{what} {item.title!r} was renamed on two devices; "
        f"{len(item.title_conflicts)} other title(s) kept",
        (item.id,),
        (*_keep_options(versions), "keep_both"),
        versions,
    )


def _due_text(due: date | None) -> str:
    return due.isoformat() if due else "no due date"


def due_conflicts(state: State) -> list[Problem]:
    """Recommended: the earliest date (a missed deadline costs more than an early one)."""
    return [_due_conflict(task) for task in load_order.values(state.tasks) if task.due_conflicts]


def _due_conflict(task: Task) -> Problem:
    values = (task.due, *task.due_conflicts)
    labels = _labels(len(task.due_conflicts))
    versions = tuple(Version(k, _due_text(v)) for k, v in zip(labels, values, strict=True))
    order = sorted(range(len(values)), key=lambda n: (values[n] is None, values[n] or 0))
    return Problem(
        "due_conflict",
        f"task {task.title!r} got different due dates on two devices",
        (task.id,),
        tuple(f"keep_{labels[n]}" for n in order),
        versions,
    )


def edits_of_deleted_items(state: State) -> list[Problem]:
    return [
        problem
        for item_id, tomb in state.deleted.items()
        if (problem := _edited_after_delete(state, item_id, tomb)) is not None
    ]


def _edited_after_delete(state: State, item_id: str, tomb: Tombstone) -> Problem | None:
    if not tomb.edited or tomb.list is not None or state.find(item_id) is not None:
        return None
    item = tomb.item
    assert not isinstance(item, TaskList)
    what = "task" if isinstance(item, Task) else "note"
    text = item.body if isinstance(item, Note) else item.title
    return Problem(
        "edited_after_delete",
        f"{what} {item.title!r} was deleted on one device and edited on another",
        (item_id,),
        ("restore", "keep_deleted"),
        (Version("edited", text),),
    )


def _item_problems(state: State, item_id: str) -> list[Problem]:
    """What the per-item rules find about ``item_id`` alone (every rule but
    ``duplicate_list_names``), as the whole-state rules would."""
    found: list[Problem] = []
    for item in (state.tasks.get(item_id), state.notes.get(item_id)):
        if item is None:
            continue
        if item.list_id is not None and item.list_id not in state.lists:
            found.append(_missing_list(state, item))
        if isinstance(item, Note) and item.conflicts:
            found.append(_body_conflict(item))
        if item.title_conflicts:
            found.append(_title_conflict(item))
        if isinstance(item, Task) and item.due_conflicts:
            found.append(_due_conflict(item))
    tomb = state.deleted.get(item_id)
    if tomb is not None and (problem := _edited_after_delete(state, item_id, tomb)) is not None:
        found.append(problem)
    return found


RULES: tuple[Callable[[State], list[Problem]], ...] = (
    duplicate_list_names,
    items_in_missing_lists,
    note_body_conflicts,
    title_conflicts,
    due_conflicts,
    edits_of_deleted_items,
)


_last: tuple[State, tuple[Problem, ...]] | None = None


def _order(problem: Problem) -> tuple[str, tuple[str, ...]]:
    return problem.kind, problem.ids


def problems(state: State) -> list[Problem]:
    """Every open problem, by kind then items.

    The last answer is remembered for the very same state object (states are
    immutable): the window's badge, panel, banner and row marks all ask after
    each change, and one pass over a large state takes tens of milliseconds.
    When the next state came from that one by local edits of known items
    (``core.transitions``), only those items are checked again.
    """
    global _last
    memo = _last
    if memo is not None and memo[0] is state:
        return list(memo[1])
    found = _updated(memo[0], memo[1], state) if memo is not None else None
    if found is None:
        found = tuple(sorted((p for rule in RULES for p in rule(state)), key=_order))
    _last = (state, found)
    return list(found)


def _updated(old: State, old_found: tuple[Problem, ...], new: State) -> tuple[Problem, ...] | None:
    """``new``'s problems from ``old``'s and the items changed since, or None when
    they must be found over the whole state (lists changed, or unknown items)."""
    if old.lists is not new.lists:
        return None
    ids = transitions.between(old, new)
    if ids is None:
        return None
    for item_id in ids:  # a list's tombstone names the list in its members' problems
        for state in (old, new):
            tomb = state.deleted.get(item_id)
            if tomb is not None and tomb.list is not None:
                return None
    # Every problem is about the item its first id names. Recheck the items touched,
    # and those whose problems name a touched id (an item's missing list may share
    # its id with an item edited: a malformed merge), until no more are drawn in.
    recheck = set(ids)
    while True:
        drawn = {p.ids[0] for p in old_found if not recheck.isdisjoint(p.ids)}
        if drawn <= recheck:
            break
        recheck |= drawn
    kept = [p for p in old_found if p.kind != "duplicate_list_name" and recheck.isdisjoint(p.ids)]
    # Duplicate names name lists only, but show their member counts: always again
    # (the usual case, no two lists alike, looks at the lists alone).
    fresh = duplicate_list_names(new)
    for item_id in recheck:
        fresh += _item_problems(new, item_id)
    return tuple(sorted(kept + fresh, key=_order))


def find(state: State, problem_id: str) -> Problem | None:
    """The open problem with this id, or with this unique id prefix (four or more)."""
    found = problems(state)
    exact = [p for p in found if p.id == problem_id]
    if exact:
        return exact[0]
    prefixed = [p for p in found if len(problem_id) >= 4 and p.id.startswith(problem_id)]
    return prefixed[0] if len(prefixed) == 1 else None


def involved(state: State) -> frozenset[str]:
    """Ids of every item some problem is about (the window marks them)."""
    return frozenset(i for p in problems(state) for i in p.ids)
