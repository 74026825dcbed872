"""Hypothesis strategies for domain values and actions, shared by the property tests.

Ids come from a small pool on purpose: random states and random arguments then
collide often (adds of ids that exist, edits of deleted items, task edits aimed
at notes, items pointing at missing lists), which is where handlers break.

Public strategies: ``ids()``, ``datetimes()``, ``task_lists()``, ``tasks()``,
``notes()``, ``states()``, ``args(state_ids)``, ``actions(state_ids)``,
``states_and_args()``, ``any_args()``, ``values()``.

Factories are cached: Hypothesis validates a strategy object the first time it
draws from it, and rebuilding them per example made drawing states ~5x slower.
Pools are therefore tuples (hashable).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache, wraps
from typing import Any, TypeVar

import immutables
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core.actions import Action
from desktop_app.core.model import Note, Priority, State, StateDoc, Task, TaskList, Tombstone

F = TypeVar("F")


def _cached(factory: F) -> F:
    """Memoise a strategy factory; list arguments count as the equal tuple."""
    memo = cache(factory)  # type: ignore[arg-type]

    def frozen(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @wraps(factory)  # type: ignore[arg-type]
    def build(*args: Any, **kwargs: Any) -> Any:
        return memo(*map(frozen, args), **{k: frozen(v) for k, v in kwargs.items()})

    return build  # type: ignore[return-value]


ID_POOL: tuple[str, ...] = tuple(f"id-{n}" for n in range(8))
MAX_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z, the last instant datetime can hold


@_cached
def ids(pool: Sequence[str] = ID_POOL) -> st.SearchStrategy[str]:
    """Mostly ids from ``pool``, sometimes a fresh one (a missing id)."""
    fresh = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
    return st.sampled_from(tuple(pool)) | fresh if pool else fresh


@_cached
def texts(max_size: int = 24) -> st.SearchStrategy[str]:
    """Any Unicode that UTF-8 can carry (surrogates cannot be stored)."""
    return st.text(st.characters(codec="utf-8"), max_size=max_size)


@_cached
def datetimes() -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes across the whole range, as the domain stores them."""
    return st.datetimes(timezones=st.just(UTC))


@_cached
def dates() -> st.SearchStrategy[date]:
    return st.dates()


@_cached
def priorities() -> st.SearchStrategy[Priority]:
    return st.sampled_from(Priority)


@_cached
def tag_sets() -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(("home", "work", "urgent", "x")) | texts(8), max_size=4)


@_cached
def list_refs(pool: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.none() | ids(pool)


@_cached
def task_lists(item_ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[TaskList]:
    return st.builds(
        TaskList, id=ids() if item_ids is None else item_ids, name=texts(), created=datetimes()
    )


@_cached
def tasks(
    item_ids: st.SearchStrategy[str] | None = None, pool: Sequence[str] = ID_POOL
) -> st.SearchStrategy[Task]:
    return st.builds(
        Task,
        id=ids(pool) if item_ids is None else item_ids,
        title=texts(),
        done=st.booleans(),
        due=st.none() | dates(),
        priority=priorities(),
        list_id=list_refs(pool),
        tags=tag_sets(),
        created=datetimes(),
        updated=datetimes(),
        title_conflicts=st.lists(texts(), max_size=2).map(tuple),
        due_conflicts=st.lists(st.none() | dates(), max_size=2).map(tuple),
    )


@_cached
def notes(
    item_ids: st.SearchStrategy[str] | None = None, pool: Sequence[str] = ID_POOL
) -> st.SearchStrategy[Note]:
    return st.builds(
        Note,
        id=ids(pool) if item_ids is None else item_ids,
        title=texts(),
        body=texts(60),
        list_id=list_refs(pool),
        tags=tag_sets(),
        pinned=st.booleans(),
        created=datetimes(),
        updated=datetimes(),
        conflicts=st.lists(texts(20), max_size=3).map(tuple),
        title_conflicts=st.lists(texts(), max_size=2).map(tuple),
    )


@_cached
def items(pool: Sequence[str] = ID_POOL) -> st.SearchStrategy[Task | Note | TaskList]:
    item_ids = st.sampled_from(tuple(pool)) if pool else ids(pool)
    return st.one_of(tasks(item_ids, pool), notes(item_ids, pool), task_lists(item_ids))


@_cached
def states(
    *, unique_ids: bool = False, max_items: int = 12, pool: Sequence[str] = ID_POOL
) -> st.SearchStrategy[State]:
    """Any state, including broken ones a merge could produce or worse.

    ``unique_ids=True`` keeps each id in one collection only (what handlers and
    UUIDs guarantee); otherwise a task and a note may share an id.
    Items may point at missing lists, or at a task's id as their list.
    """
    found = st.lists(
        items(pool),
        max_size=max_items,
        unique_by=(lambda i: i.id) if unique_ids else (lambda i: (type(i), i.id)),
    )
    if unique_ids:
        return found.map(_state_of)
    # Tombstones, some for ids that are live again or were never deleted here.
    graves = st.lists(st.tuples(items(pool), st.booleans()), max_size=3)
    return st.tuples(found, graves).map(lambda pair: _with_graves(_state_of(pair[0]), pair[1]))


def _with_graves(state: State, graves: list[tuple[Task | Note | TaskList, bool]]) -> State:
    for item, edited in graves:
        kind = "task" if isinstance(item, Task) else "note" if isinstance(item, Note) else "list"
        state = state.with_tombstone(item.id, Tombstone(**{kind: item}, edited=edited))
    return state


def _state_of(found: list[Task | Note | TaskList]) -> State:
    return State(
        lists=immutables.Map({i.id: i for i in found if isinstance(i, TaskList)}),
        tasks=immutables.Map({i.id: i for i in found if isinstance(i, Task)}),
        notes=immutables.Map({i.id: i for i in found if isinstance(i, Note)}),
    )


@_cached
def state_docs() -> st.SearchStrategy[StateDoc]:
    return states().map(StateDoc.of)


def state_ids(state: State) -> list[str]:
    """Every id a state knows, including the lists its items point at."""
    known = {*state.lists.keys(), *state.tasks.keys(), *state.notes.keys()}
    known |= {i.list_id for i in (*state.tasks.values(), *state.notes.values()) if i.list_id}
    return sorted(known)


@_cached
def arg_strategies(pool: Sequence[str] = ID_POOL) -> dict[type[act.Arg], st.SearchStrategy]:
    """One strategy per argument type except Batch (tests check none is missing)."""
    item_id = ids(pool)
    tag = st.sampled_from(("home", "work")) | texts(8)
    return {
        act.NewList: st.builds(act.NewList, id=item_id, name=texts(), created=datetimes()),
        act.ListName: st.builds(act.ListName, id=item_id, name=texts()),
        act.NewTask: st.builds(
            act.NewTask,
            id=item_id,
            title=texts(),
            list_id=list_refs(pool),
            due=st.none() | dates(),
            priority=priorities(),
            tags=tag_sets(),
            created=datetimes(),
        ),
        act.TaskTitle: st.builds(
            act.TaskTitle, id=item_id, title=texts(), base=st.none() | texts()
        ),
        act.TaskDue: st.builds(
            act.TaskDue,
            id=item_id,
            due=st.none() | dates(),
            base=st.none() | dates(),
            base_known=st.booleans(),
        ),
        act.TaskDone: st.builds(act.TaskDone, id=item_id, done=st.booleans()),
        act.TaskPriority: st.builds(act.TaskPriority, id=item_id, priority=priorities()),
        act.NewNote: st.builds(
            act.NewNote,
            id=item_id,
            title=texts(),
            body=texts(60),
            list_id=list_refs(pool),
            tags=tag_sets(),
            pinned=st.booleans(),
            created=datetimes(),
        ),
        act.NoteTitle: st.builds(
            act.NoteTitle, id=item_id, title=texts(), base=st.none() | texts()
        ),
        act.NoteBody: st.builds(
            act.NoteBody, id=item_id, body=texts(60), base=st.none() | texts(60)
        ),
        act.NotePinned: st.builds(act.NotePinned, id=item_id, pinned=st.booleans()),
        act.ItemList: st.builds(act.ItemList, id=item_id, list_id=list_refs(pool)),
        act.AddTag: st.builds(act.AddTag, id=item_id, tag=tag),
        act.RemoveTag: st.builds(act.RemoveTag, id=item_id, tag=tag),
        act.DeleteItem: st.builds(
            act.DeleteItem, id=item_id, seen=st.none() | st.sampled_from(("0" * 16, "f" * 16))
        ),
        act.RestoreTask: st.builds(act.RestoreTask, task=tasks(item_id, pool)),
        act.RestoreNote: st.builds(act.RestoreNote, note=notes(item_id, pool)),
        act.RestoreList: st.builds(act.RestoreList, list=task_lists(item_id)),
        act.MergeState: st.builds(
            act.MergeState,
            state=state_docs(),
            applied=st.lists(texts(8), max_size=3).map(lambda xs: tuple(sorted(set(xs)))),
        ),
        act.ResolveTaskTitle: st.builds(
            act.ResolveTaskTitle, id=item_id, title=texts(), base=texts(),
            seen=short_tuples(texts()), keep=short_tuples(texts()),
        ),
        act.ResolveNoteTitle: st.builds(
            act.ResolveNoteTitle, id=item_id, title=texts(), base=texts(),
            seen=short_tuples(texts()), keep=short_tuples(texts()),
        ),
        act.ResolveDue: st.builds(
            act.ResolveDue, id=item_id, due=st.none() | dates(), base=st.none() | dates(),
            seen=short_tuples(st.none() | dates()), keep=short_tuples(st.none() | dates()),
        ),
        act.ResolveBody: st.builds(
            act.ResolveBody, id=item_id, body=texts(60), base=texts(60),
            seen=short_tuples(texts(20)), keep=short_tuples(texts(20)),
        ),
        act.RestoreDeleted: st.builds(act.RestoreDeleted, id=item_id),
        act.SettleDeletion: st.builds(act.SettleDeletion, id=item_id, edited=st.booleans()),
        act.PurgeDeleted: st.builds(
            act.PurgeDeleted, ids=st.lists(item_id, max_size=3, unique=True).map(tuple)
        ),
    }  # fmt: skip


def short_tuples(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(inner, max_size=3).map(tuple)


@_cached
def batches(inner: st.SearchStrategy[act.Arg]) -> st.SearchStrategy[act.Batch]:
    return st.builds(act.Batch, steps=st.lists(inner, max_size=5).map(tuple))


@_cached
def args(
    state_ids: Sequence[str] = ID_POOL, *, with_batches: bool = True
) -> st.SearchStrategy[act.Arg]:
    """Any action argument aimed at ``state_ids`` (or at ids that do not exist).

    Batches nest (a batch may hold batches), as the type allows.
    """
    pool = tuple(dict.fromkeys((*state_ids, *ID_POOL[:2])))
    simple = st.one_of(*arg_strategies(pool).values())
    if not with_batches:
        return simple
    return st.recursive(simple, batches, max_leaves=10)


@_cached
def any_args() -> st.SearchStrategy[act.Arg]:
    return args(ID_POOL)


@_cached
def actions(state_ids: Sequence[str] = ID_POOL) -> st.SearchStrategy[Action]:
    """Actions from a few devices, with any timestamp a datetime can hold."""
    return st.builds(
        Action,
        id=ids(()),
        device=st.sampled_from(("device-a", "device-b", "device-c")),
        at=st.integers(min_value=0, max_value=MAX_MS),
        arg=args(state_ids),
    )


@_cached
def states_and_args(*, unique_ids: bool = False) -> st.SearchStrategy[tuple[State, act.Arg]]:
    """A random state and an argument aimed at the same id pool (so, often at its items)."""
    return st.tuples(states(unique_ids=unique_ids), args(ID_POOL))


@_cached
def primitives() -> st.SearchStrategy[object]:
    """JSON scalars that round-trip exactly (NaN and infinities do not exist in JSON)."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        texts(),
    )


@_cached
def domain_values() -> st.SearchStrategy[object]:
    """Every registered type plus the stdlib types the typed codec tags."""
    return st.one_of(
        primitives(),
        dates(),
        datetimes(),
        priorities(),
        tasks(),
        notes(),
        task_lists(),
        states(),
        state_docs(),
        any_args(),
        actions(),
    )


@_cached
def hashable_leaves() -> st.SearchStrategy[object]:
    """Values that may sit in a frozenset: no bool beside int (True == 1 would merge)."""
    return st.one_of(
        texts(8),
        st.integers(min_value=-1000, max_value=1000),
        dates(),
        datetimes(),
        priorities(),
        task_lists(),
    )


@_cached
def values() -> st.SearchStrategy[object]:
    """Nested tuples, lists, frozensets and string-keyed dicts of domain values."""
    return st.recursive(
        domain_values(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(tuple),
            st.lists(inner, max_size=4),
            st.frozensets(hashable_leaves(), max_size=4),
            st.frozensets(st.lists(hashable_leaves(), max_size=3).map(tuple), max_size=3),
            st.dictionaries(texts(8), inner, max_size=4),
        ),
        max_leaves=12,
    )
