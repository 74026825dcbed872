"""The first screen's selection, made cheap for start-up, still picks the same rows in
the same order as the plain definition: ``Scope.contains`` over every task, then
sorted by creation (ties by id), then by the column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import Note, Priority, State, Task, TaskList, rules, views
from desktop_app.ui import scope as scopes
from desktop_app.ui.models.list_model import sidebar_rows
from desktop_app.ui.scope import Scope, select_notes, select_tasks

TODAY = date(2026, 3, 10)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
LISTS = ("L1", "L2")  # "L3" is named by tasks but missing: a list deleted elsewhere
SCOPES = [
    scopes.ALL,
    scopes.NO_LIST,
    scopes.TODAY,
    scopes.UPCOMING,
    scopes.COMPLETED,
    scopes.TRASH,
    scopes.list_scope("L1"),
    scopes.list_scope("L3"),
    scopes.tag_scope("home"),
    scopes.tag_scope("nowhere"),
]


@st.composite
def tasks(draw: st.DrawFn) -> list[Task]:
    count = draw(st.integers(0, 25))
    found = []
    for n in range(count):
        # Few distinct stamps, so that many tasks tie on ``created`` and the id decides.
        at = T0 + timedelta(minutes=draw(st.integers(0, 3)))
        due = draw(st.one_of(st.none(), st.integers(-3, 10).map(lambda d: TODAY + timedelta(d))))
        found.append(
            Task(
                id=draw(st.sampled_from("abcdefghij")) + f"{n:02d}",
                title=draw(st.sampled_from(["Milk", "milk", "Call mum", "bread"])),
                done=draw(st.booleans()),
                due=due,
                priority=draw(st.sampled_from(list(Priority))),
                list_id=draw(st.sampled_from([None, *LISTS, "L3"])),
                tags=frozenset(draw(st.sets(st.sampled_from(["home", "work"])))),
                created=at,
                updated=at,
            )
        )
    return found


def plain_selection(
    state: State, scope: Scope, text: str, sort: str, descending: bool, hide_done: bool
) -> list[str]:
    needle = text.strip().casefold()
    hide_done = hide_done and scope.kind != "completed"
    found = [
        t
        for t in state.tasks.values()
        if scope.contains(state, t, TODAY)
        and needle in f"{t.title}\n{' '.join(f'#{g}' for g in t.tags)}\n".casefold()
        and not (hide_done and t.done)
    ]
    found.sort(key=lambda t: (t.created, t.id))
    if scope.kind == "upcoming":
        sort, descending = "due", False
    ordered = found[::-1] if descending and sort == "created" else found
    if sort != "created":
        ordered = views.sort_tasks(state, found, sort, descending)
    return [t.id for t in ordered]


@st.composite
def notes(draw: st.DrawFn) -> list[Note]:
    found = []
    for n in range(draw(st.integers(0, 12))):
        at = T0 + timedelta(minutes=draw(st.integers(0, 3)))
        found.append(
            Note(
                id=draw(st.sampled_from("abcdefghij")) + f"{n:02d}",
                title=draw(st.sampled_from(["Milk", "Recipes", "call mum"])),
                list_id=draw(st.sampled_from([None, *LISTS, "L3"])),
                tags=frozenset(draw(st.sets(st.sampled_from(["home", "ideas"])))),
                pinned=draw(st.booleans()),
                created=at,
                updated=at,
            )
        )
    return found


def state_of(items: list[Task], kept: list[Note] = ()) -> State:  # type: ignore[assignment]
    state = State()
    for list_id in LISTS:
        state = state.with_list(TaskList(id=list_id, name=list_id, created=T0))
    for item in items:
        state = state.with_task(item)
    for note in kept:
        state = state.with_note(note)
    return state


@settings(max_examples=150, deadline=None)
@given(
    tasks(),
    st.sampled_from(SCOPES),
    st.sampled_from(["", "milk", "#home", "zebra"]),
    st.sampled_from(views.SORT_KEYS),
    st.booleans(),
    st.booleans(),
)
def test_the_selection_is_the_plain_definition(
    items: list[Task], scope: Scope, text: str, sort: str, descending: bool, hide_done: bool
) -> None:
    state = state_of(items)
    got = select_tasks(
        state, scope, text, today=TODAY, sort=sort, descending=descending, hide_done=hide_done
    )
    assert [t.id for t in got] == plain_selection(state, scope, text, sort, descending, hide_done)


def test_creation_order_breaks_ties_by_id_whatever_the_input_order() -> None:
    same = [Task(id=i, title=i, created=T0, updated=T0) for i in ("c", "a", "b")]
    later = Task(id="0", title="0", created=T0 + timedelta(seconds=1), updated=T0)
    assert [t.id for t in views.creation_order([later, *same])] == ["a", "b", "c", "0"]


INLINED = [s for s in SCOPES if s.kind in ("all", "list", "tag", "completed")]


@pytest.mark.parametrize("scope", INLINED)
def test_common_scopes_select_without_a_call_per_task(monkeypatch, scope: Scope) -> None:
    """The first paint selects every task of All (10,000): one Python call per task
    was half the selection's time."""
    state = state_of([Task(id=f"t{n}", title="t", created=T0, updated=T0) for n in range(3)])

    def per_task(*_args: object) -> bool:
        raise AssertionError("Scope.contains called per task")

    monkeypatch.setattr(Scope, "contains", per_task)
    select_tasks(state, scope, today=TODAY)


@settings(max_examples=100, deadline=None)
@given(notes(), st.sampled_from(SCOPES), st.sampled_from(["", "milk", "#ideas"]))
def test_the_notes_selection_is_the_plain_definition(
    kept: list[Note], scope: Scope, text: str
) -> None:
    """Pinned first, then newest first, ties by id."""
    state = state_of([], kept)
    needle = text.casefold()
    plain = [
        n
        for n in state.notes.values()
        if not scope.tasks_only
        and scope.contains(state, n)
        and needle in f"{n.title}\n{' '.join(f'#{g}' for g in n.tags)}\n".casefold()
    ]
    plain.sort(key=lambda n: (not n.pinned, -n.created.timestamp(), n.id))
    assert [n.id for n in select_notes(state, scope, text)] == [n.id for n in plain]


@settings(max_examples=100, deadline=None)
@given(tasks(), notes())
def test_each_sidebar_count_is_the_open_tasks_its_scope_shows(
    items: list[Task], kept: list[Note]
) -> None:
    state = state_of(items, kept)
    rows = sidebar_rows(state, TODAY)
    for row in rows:
        if row.scope.kind in ("completed", "trash"):
            continue  # no open-task count: Completed shows none, Trash counts deleted items
        shown = select_tasks(state, row.scope, today=TODAY, sort=None)
        assert row.open_tasks == sum(not t.done for t in shown), row.label
    open_items = [*(t for t in items if not t.done), *kept]  # a done task's tags make no row
    tags = {g for item in open_items for g in item.tags}
    assert {r.scope.list_id for r in rows if r.scope.kind == "tag"} == tags


@settings(max_examples=100, deadline=None)
@given(tasks(), notes())
def test_items_in_missing_lists_are_each_item_whose_list_is_gone(
    items: list[Task], kept: list[Note]
) -> None:
    state = state_of(items, kept)
    found = {p.ids for p in rules.items_in_missing_lists(state)}
    assert found == {(i.id, "L3") for i in [*items, *kept] if i.list_id == "L3"}
