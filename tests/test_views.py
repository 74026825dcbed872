"""Smart lists, sorting and moving without a window (core.views, app.organise)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.app import App, AppError
from desktop_app.app.organise import move_items, move_steps
from desktop_app.core import Priority, State, Task, TaskList, views

TODAY = date(2026, 3, 10)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def task(n: int, **fields) -> Task:
    at = T0 + timedelta(minutes=n)
    return Task(id=f"t{n}", title=fields.pop("title", f"t{n}"), created=at, updated=at, **fields)


def test_today_is_open_and_due_today_or_before() -> None:
    assert views.is_today(task(1, due=TODAY), TODAY)
    assert views.is_today(task(1, due=TODAY - timedelta(days=40)), TODAY)
    assert not views.is_today(task(1, due=TODAY + timedelta(days=1)), TODAY)
    assert not views.is_today(task(1, due=TODAY, done=True), TODAY)
    assert not views.is_today(task(1), TODAY)


def test_upcoming_is_the_next_seven_days_without_today() -> None:
    days = [views.is_upcoming(task(1, due=TODAY + timedelta(days=d)), TODAY) for d in range(-1, 9)]
    assert days == [False, False, True, True, True, True, True, True, True, False]
    assert not views.is_upcoming(task(1, due=TODAY + timedelta(days=2), done=True), TODAY)


def test_sorting_keeps_creation_order_for_ties_and_puts_blanks_last() -> None:
    home = TaskList(id="L1", name="home", created=T0)
    state = State().with_list(home)
    tasks = [
        task(1, title="b", due=TODAY, priority=Priority.LOW),
        task(2, title="A", list_id="L1", tags=frozenset({"x"})),
        task(3, title="c", due=TODAY - timedelta(days=1), priority=Priority.HIGH, done=True),
        task(4, title="a", list_id="gone"),
    ]

    def order(key: str, descending: bool = False) -> list[str]:
        return [t.id for t in views.sort_tasks(state, tasks[::-1], key, descending)]

    assert order("created") == ["t1", "t2", "t3", "t4"]
    assert order("created", True) == ["t4", "t3", "t2", "t1"]
    assert order("title") == ["t2", "t4", "t1", "t3"]  # case-blind, ties by creation
    assert order("due") == ["t3", "t1", "t2", "t4"]
    assert order("due", True) == ["t1", "t3", "t2", "t4"]  # undated stay last
    assert order("priority") == ["t3", "t2", "t4", "t1"]
    assert order("list") == ["t2", "t1", "t3", "t4"]  # a deleted list counts as none
    assert order("tags") == ["t2", "t1", "t3", "t4"]
    assert order("done") == ["t1", "t2", "t4", "t3"]
    with pytest.raises(ValueError):
        order("colour")


def test_moving_is_one_action_and_skips_items_already_there(tmp_path: Path) -> None:
    with App(tmp_path / "d") as app:
        work = app.add_list("Work")
        a = app.add_task("a", list_name="Work")
        b = app.add_task("b")
        n = app.add_note("n")
        assert [s.id for s in move_steps(app.state, [a, b, n, b, "nope"], work)] == [b, n]
        action = move_items(app, [a, b, n], work)
        assert action is not None
        assert {app.state.tasks[b].list_id, app.state.notes[n].list_id} == {work}
        assert move_items(app, [a, b], work) is None  # nothing to do: no action
        app.undo()
        assert app.state.tasks[b].list_id is None and app.state.notes[n].list_id is None
        with pytest.raises(AppError, match="no longer exists"):
            move_items(app, [a], "missing-list")
