"""The task and note models follow an edit by the items it changed alone
(``ScopedRowsModel.patch``), and their rows are always what a fresh selection
gives: in every scope, sort and order, with completed tasks hidden or not,
through edits, additions, deletions and undo."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from desktop_app.app import App, AppError
from desktop_app.core import actions as act
from desktop_app.ui.models.note_model import NoteListModel
from desktop_app.ui.models.task_model import TaskTableModel
from desktop_app.ui.scope import (
    ALL,
    COMPLETED,
    NO_LIST,
    TODAY,
    UPCOMING,
    Scope,
    list_scope,
    select_notes,
    select_tasks,
    tag_scope,
)
from desktop_app.ui.session import AppSession

DAY = date(2026, 3, 10)
DUES = [
    None,
    DAY - timedelta(days=2),
    DAY,
    DAY + timedelta(days=1),
    DAY + timedelta(days=3),
    DAY + timedelta(days=30),
]
TITLES = ["Buy milk", "call mum", "Alpha", "zeta", "buy milk"]
TAGS = ["home", "work"]


class Counting(TaskTableModel):
    """Counts whole selections, so a test can tell a patch from a fresh select."""

    selections = 0

    def select_unfiltered(self, state):  # type: ignore[no-untyped-def]
        self.selections += 1
        return super().select_unfiltered(state)


class CountingNotes(NoteListModel):
    selections = 0

    def select_unfiltered(self, state):  # type: ignore[no-untyped-def]
        self.selections += 1
        return super().select_unfiltered(state)


@pytest.fixture
def session(qapp, engine: App) -> Iterator[AppSession]:
    s = AppSession(engine)
    s.today = lambda: DAY
    yield s


def fresh_tasks(model: TaskTableModel, session: AppSession) -> list:
    descending = model._sort_order == Qt.SortOrder.DescendingOrder
    return select_tasks(
        session.state,
        model.scope,
        today=DAY,
        sort=model.sort_key,
        descending=descending,
        hide_done=model.hide_done,
    )


def rows(model) -> list:  # type: ignore[no-untyped-def]
    return [model.item_at(r) for r in range(model.rowCount())]


def test_a_title_edit_in_creation_order_patches_the_row_without_selecting_again(
    session: AppSession, qtmodeltester
) -> None:
    app = session.app
    ids = [app.add_task(f"Task {i}") for i in range(5)]
    model = Counting(session)
    qtmodeltester.check(model)
    before = model.selections
    changed: list[int] = []
    model.dataChanged.connect(
        lambda first, last: changed.extend(range(first.row(), last.row() + 1))
    )
    app.edit(ids[2], title="Renamed")
    assert model.selections == before  # patched, not selected again
    assert changed == [2]
    assert model.item_at(2).title == "Renamed"
    assert rows(model) == fresh_tasks(model, session)


def test_a_new_task_is_placed_by_bisection_and_a_ticked_one_leaves_a_list_hiding_them(
    session: AppSession, qtmodeltester
) -> None:
    app = session.app
    first = app.add_task("First")
    model = Counting(session)
    qtmodeltester.check(model)
    model.set_hide_done(True)
    before = model.selections
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.extend(range(a, b + 1)))
    app.add_task("Second")
    assert inserted == [1]
    removed: list[int] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.extend(range(a, b + 1)))
    app.edit(first, done=True)
    assert removed == [0]
    assert model.selections == before
    assert rows(model) == fresh_tasks(model, session)


def test_a_change_of_what_the_order_reads_selects_again(session: AppSession) -> None:
    app = session.app
    ids = [app.add_task(t) for t in ("b", "c", "d")]
    model = Counting(session)
    model.sort(1, Qt.SortOrder.AscendingOrder)  # by title
    before = model.selections
    app.edit(ids[2], title="a")
    assert model.selections == before + 1
    assert [t.title for t in rows(model)] == ["a", "b", "c"]


def test_a_note_body_edit_patches_the_note_list(session: AppSession, qtmodeltester) -> None:
    app = session.app
    ids = [app.add_note(f"Note {i}", body="x") for i in range(3)]
    model = CountingNotes(session)
    qtmodeltester.check(model)
    before = model.selections
    app.edit(ids[1], body="changed")
    assert model.selections == before
    assert rows(model) == select_notes(session.state, model.scope)


def test_a_filtered_list_selects_again(session: AppSession) -> None:
    app = session.app
    ids = [app.add_task(f"milk {i}") for i in range(3)]
    model = Counting(session)
    model.set_filter("milk")
    before = model.selections
    app.edit(ids[0], title="bread")
    assert model.selections == before + 1
    assert [t.id for t in rows(model)] == ids[1:]


def test_a_due_change_within_upcoming_moves_the_row(session: AppSession) -> None:
    app = session.app
    soon = app.add_task("soon", due=DAY + timedelta(days=1))
    app.add_task("later", due=DAY + timedelta(days=3))
    model = Counting(session)
    model.set_scope(UPCOMING)
    app.edit(soon, due=DAY + timedelta(days=5))
    assert [t.title for t in rows(model)] == ["later", "soon"]
    app.add_task("first", due=DAY + timedelta(days=2))
    assert [t.title for t in rows(model)] == ["first", "later", "soon"]


def test_a_new_task_goes_on_top_in_newest_first_order(session: AppSession) -> None:
    app = session.app
    app.add_task("old")
    model = Counting(session)
    model.sort(-1, Qt.SortOrder.DescendingOrder)
    app.add_task("new")
    assert [t.title for t in rows(model)] == ["new", "old"]


def test_a_pinned_note_moves_to_the_top(session: AppSession) -> None:
    app = session.app
    first = app.add_note("first")
    app.add_note("second")
    model = CountingNotes(session)
    app.edit(first, pinned=True)
    assert [n.title for n in rows(model)] == ["first", "second"]


def test_a_renamed_list_reorders_a_table_sorted_by_list(session: AppSession) -> None:
    app = session.app
    app.add_task("in a", list_name="A list")
    app.add_task("in b", list_name="B list")
    model = Counting(session)
    model.sort(5, Qt.SortOrder.AscendingOrder)  # by list name
    app.edit(app.state.list_named("A list").id, title="C list")
    assert [t.title for t in rows(model)] == ["in b", "in a"]


SCOPES = st.sampled_from(["all", "none", "today", "upcoming", "completed", "list0", "list1", "tag"])
STEP = st.one_of(
    st.tuples(st.just("title"), st.integers(0, 9), st.sampled_from(TITLES)),
    st.tuples(st.just("done"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("due"), st.integers(0, 9), st.sampled_from(DUES)),
    st.tuples(st.just("priority"), st.integers(0, 9), st.sampled_from(["low", "normal", "high"])),
    st.tuples(st.just("tag"), st.integers(0, 9), st.sampled_from(TAGS)),
    st.tuples(st.just("untag"), st.integers(0, 9), st.sampled_from(TAGS)),
    st.tuples(st.just("move"), st.integers(0, 9), st.sampled_from([None, 0, 1])),
    st.tuples(st.just("delete"), st.integers(0, 9), st.none()),
    st.tuples(st.just("add"), st.sampled_from(TITLES), st.sampled_from(DUES)),
    st.tuples(st.just("body"), st.integers(0, 9), st.sampled_from(["a", "b"])),
    st.tuples(st.just("pin"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("note"), st.sampled_from(TITLES), st.none()),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("rename"), st.integers(0, 1), st.sampled_from(["Alpha", "Zulu"])),
    st.tuples(st.just("several"), st.integers(0, 9), st.sampled_from(DUES)),
)


def scope_of(name: str, lists: list[str]) -> Scope:
    fixed = {"all": ALL, "none": NO_LIST, "today": TODAY, "upcoming": UPCOMING}
    if name in fixed:
        return fixed[name]
    if name == "completed":
        return COMPLETED
    if name == "tag":
        return tag_scope("home")
    return list_scope(lists[int(name[-1])])


def apply(app: App, step: tuple, lists: list[str]) -> None:
    kind, which, value = step
    tasks, notes = sorted(app.state.tasks), sorted(app.state.notes)
    try:
        if kind == "add":
            app.add_task(which, due=value)
        elif kind == "note":
            app.add_note(which, body="text")
        elif kind == "undo":
            app.undo()
        elif kind == "rename":
            app.edit(lists[which], title=value)
        elif kind == "several" and tasks:  # one action changing three tasks
            picked = {tasks[(which + k) % len(tasks)] for k in range(3)}
            steps = [act.TaskDue(id=t, due=value) for t in sorted(picked)]
            app.dispatch_steps([*steps, act.TaskDone(id=min(picked), done=True)])
        elif kind in ("body", "pin"):
            if notes:
                note = notes[which % len(notes)]
                app.edit(note, body=value) if kind == "body" else app.edit(note, pinned=value)
        elif tasks:
            task = tasks[which % len(tasks)]
            if kind == "title":
                app.edit(task, title=value)
            elif kind == "done":
                app.edit(task, done=value)
            elif kind == "due":
                app.edit(task, due=value)
            elif kind == "priority":
                app.edit(task, priority=value)
            elif kind == "tag":
                app.edit(task, add_tags=[value])
            elif kind == "untag":
                app.edit(task, remove_tags=[value])
            elif kind == "move":
                name = None if value is None else app.state.lists[lists[value]].name
                app.edit(task, list_name=name)
            elif kind == "delete":
                app.delete(task)
    except AppError:
        pass  # nothing to undo, and the like: the state is unchanged


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scope=SCOPES,
    column=st.integers(-1, 5),
    descending=st.booleans(),
    hide_done=st.booleans(),
    steps=st.lists(STEP, max_size=14),
)
def test_the_rows_are_a_fresh_selection_after_every_step(
    qapp, scope, column, descending, hide_done, steps
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp) / "data")
        try:
            session = AppSession(app)
            session.today = lambda: DAY
            lists = [app.add_list("Errands"), app.add_list("Work")]
            for i, title in enumerate(TITLES):
                app.add_task(title, due=DUES[i], list_name=["Errands", "Work", None][i % 3])
            app.add_note("A note", body="x")
            tasks, notes = Counting(session), CountingNotes(session)
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            tasks.sort(column, order)
            tasks.set_hide_done(hide_done)
            tasks.set_scope(scope_of(scope, lists))
            notes.set_scope(scope_of(scope, lists))
            for step in steps:
                apply(app, step, lists)
                assert rows(tasks) == fresh_tasks(tasks, session), step
                assert rows(notes) == select_notes(session.state, notes.scope), step
        finally:
            app.close()


def test_another_processs_edit_patches_the_rows_too(session: AppSession, qtmodeltester) -> None:
    """A task added or renamed from the CLI while the window is open: the window
    reads the journal tail another connection wrote, and follows it item by item."""
    app = session.app
    ids = [app.add_task(f"Task {i}") for i in range(4)]
    model = Counting(session)
    qtmodeltester.check(model)
    before = model.selections
    with App(app.data_dir) as cli:
        cli.edit(ids[1], title="renamed in a terminal")
        cli.add_task("added in a terminal")
    assert session.refresh_from_disk()
    assert model.selections == before
    assert [t.title for t in rows(model)] == [
        "Task 0",
        "renamed in a terminal",
        "Task 2",
        "Task 3",
        "added in a terminal",
    ]
    assert rows(model) == fresh_tasks(model, session)
