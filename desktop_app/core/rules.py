"""Validation rules: pure functions ``State -> [Problem]``.

Each device keeps the rules on its own, but merging offline edits can still
break them. Merges are accepted; the problems are computed from the merged
state and shown in the conflict panel, whose resolutions are ordinary actions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import msgspec

from desktop_app.core.model import State


class Problem(msgspec.Struct, frozen=True):
    kind: str
    message: str
    ids: tuple[str, ...]


def duplicate_list_names(state: State) -> list[Problem]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for lst in state.lists.values():
        by_name[lst.name.casefold()].append(lst.id)
    return [
        Problem(
            "duplicate_list_name",
            f"{len(ids)} lists are named {state.lists[ids[0]].name!r}",
            tuple(sorted(ids)),
        )
        for ids in by_name.values()
        if len(ids) > 1
    ]


def items_in_missing_lists(state: State) -> list[Problem]:
    problems = []
    for item in (*state.tasks.values(), *state.notes.values()):
        if item.list_id is not None and item.list_id not in state.lists:
            problems.append(
                Problem(
                    "missing_list",
                    f"{item.title!r} belongs to a list that was deleted on another device",
                    (item.id, item.list_id),
                )
            )
    return problems


def note_body_conflicts(state: State) -> list[Problem]:
    return [
        Problem(
            "note_body_conflict",
            f"{note.title!r} was edited on two devices; "
            f"{len(note.conflicts)} other version(s) kept",
            (note.id,),
        )
        for note in state.notes.values()
        if note.conflicts
    ]


RULES: tuple[Callable[[State], list[Problem]], ...] = (
    duplicate_list_names,
    items_in_missing_lists,
    note_body_conflicts,
)


def problems(state: State) -> list[Problem]:
    found = [p for rule in RULES for p in rule(state)]
    return sorted(found, key=lambda p: (p.kind, p.ids))
