"""The core Store over a real LocalStore: persist first, then apply, then announce.

Undo and redo are inverse actions written to the same journal, so they survive
a restart and sync like any edit.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.core import Action, State, Store, TaskList, fold
from desktop_app.core import actions as act
from desktop_app.storage import LocalStore, StorageError

T0 = datetime(2024, 1, 2, tzinfo=UTC)


def counter_clock(start: int = 1_700_000_000_000):
    ticks = itertools.count(start)
    return lambda: next(ticks)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "profile" / "tidemark.sqlite3"


@pytest.fixture
def local(db_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(db_path)
    yield store
    store.close()


@pytest.fixture
def store(local: LocalStore) -> Store:
    return Store(State(), local, local.device_id, counter_clock())


def reopen(db_path: Path) -> tuple[LocalStore, Store]:
    """What a restart sees: a new connection, the state rebuilt from the journal."""
    local = LocalStore(db_path)
    state = fold(State(), (a for _, a in local.local_actions()))
    return local, Store(state, local, local.device_id, counter_clock(1_800_000_000_000))


def journal_ids(db_path: Path) -> list[str]:
    other = LocalStore(db_path)
    try:
        return [a.id for _, a in other.local_actions()]
    finally:
        other.close()


def new_task(task_id: str = "t1", title: str = "milk") -> act.NewTask:
    return act.NewTask(id=task_id, title=title, created=T0)


# -- durability --------------------------------------------------------------------------


def test_dispatch_is_on_disk_before_it_returns(store: Store, db_path: Path) -> None:
    for n in range(5):
        action = store.dispatch(new_task(f"t{n}"))
        assert journal_ids(db_path)[-1] == action.id
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT count(*) FROM local_actions").fetchone()[0] == 5
    finally:
        raw.close()


def test_subscribers_see_only_what_is_already_durable(store: Store, db_path: Path) -> None:
    seen: list[bool] = []
    store.subscribe(lambda state, action: seen.append(action.id in journal_ids(db_path)))
    store.dispatch(new_task())
    store.dispatch(act.TaskDone(id="t1", done=True))
    assert seen == [True, True]


def test_a_failed_journal_write_changes_nothing(store: Store, local: LocalStore) -> None:
    """Apply-after-persist: if the write fails, the state and the listeners stay put."""
    store.dispatch(new_task())
    calls: list[Action | None] = []
    store.subscribe(lambda state, action: calls.append(action))
    before = store.state
    local.db.execute("DROP TABLE local_actions")
    with pytest.raises(StorageError):
        store.dispatch(act.TaskTitle(id="t1", title="bread"))
    assert store.state is before
    assert calls == []


# -- subscribers ---------------------------------------------------------------------------


def test_subscribers_get_the_new_state_and_the_action(store: Store) -> None:
    calls: list[tuple[State, Action | None]] = []
    unsubscribe = store.subscribe(lambda state, action: calls.append((state, action)))
    action = store.dispatch(new_task())
    assert calls == [(store.state, action)]
    assert "t1" in calls[0][0].tasks and action.arg == new_task()
    assert action.device == store.device_id
    unsubscribe()
    store.dispatch(act.TaskDone(id="t1", done=True))
    assert len(calls) == 1


def test_a_listener_may_unsubscribe_while_being_notified(store: Store) -> None:
    calls: list[str] = []
    unsubscribe_first = store.subscribe(lambda s, a: (calls.append("first"), unsubscribe_first()))
    store.subscribe(lambda s, a: calls.append("second"))
    store.dispatch(new_task())
    store.dispatch(act.TaskDone(id="t1", done=True))
    assert calls == ["first", "second", "second"]


def test_load_snapshot_replaces_the_state_and_notifies(store: Store) -> None:
    store.dispatch(new_task())
    calls: list[Action | None] = []
    store.subscribe(lambda state, action: calls.append(action))
    snapshot = State().with_list(TaskList(id="l9", name="Inbox", created=T0))
    store.load_snapshot(snapshot)
    assert store.state is snapshot
    assert calls == [None]


# -- undo and redo ---------------------------------------------------------------------------


def test_undo_and_redo_walk_the_history(store: Store) -> None:
    store.dispatch(new_task())
    store.dispatch(act.TaskTitle(id="t1", title="bread"))
    store.dispatch(act.TaskDone(id="t1", done=True))
    assert store.undo() is not None
    assert not store.state.tasks["t1"].done
    assert store.undo() is not None
    assert store.state.tasks["t1"].title == "milk"
    assert store.redo() is not None
    assert store.state.tasks["t1"].title == "bread"
    assert store.undo() and store.undo()
    assert "t1" not in store.state.tasks
    assert store.undo() is None
    for _ in range(3):
        assert store.redo() is not None
    assert store.state.tasks["t1"].done and store.state.tasks["t1"].title == "bread"
    assert store.redo() is None


def test_undo_and_redo_are_journaled_actions(store: Store, db_path: Path) -> None:
    """They sync like edits: the journal holds the inverse arguments, not a rewind."""
    store.dispatch(new_task())
    undo = store.undo()
    redo = store.redo()
    assert undo is not None and redo is not None
    assert undo.arg == act.DeleteItem(id="t1")
    assert isinstance(redo.arg, act.RestoreTask)
    assert journal_ids(db_path)[-2:] == [undo.id, redo.id]


def test_a_new_edit_clears_redo(store: Store) -> None:
    store.dispatch(new_task())
    store.dispatch(act.TaskTitle(id="t1", title="bread"))
    store.undo()
    store.dispatch(act.TaskDone(id="t1", done=True))
    assert store.redo() is None
    assert store.state.tasks["t1"].title == "milk"


def test_an_edit_that_changes_nothing_adds_no_undo_step(store: Store) -> None:
    store.dispatch(new_task())
    store.dispatch(act.TaskTitle(id="t1", title="milk"))
    store.undo()
    assert "t1" not in store.state.tasks


def test_history_survives_reopening(db_path: Path, local: LocalStore, store: Store) -> None:
    store.dispatch(new_task())
    store.dispatch(act.TaskTitle(id="t1", title="bread"))
    store.dispatch(act.TaskTitle(id="t1", title="jam"))
    store.undo()
    expected = store.state
    local.close()

    local2, store2 = reopen(db_path)
    try:
        assert store2.state == expected
        store2.redo()
        assert store2.state.tasks["t1"].title == "jam"
        store2.undo()
        store2.undo()
        assert store2.state.tasks["t1"].title == "milk"
    finally:
        local2.close()

    local3, store3 = reopen(db_path)
    try:
        assert store3.state.tasks["t1"].title == "milk"
        store3.redo()
        assert store3.state.tasks["t1"].title == "bread"
    finally:
        local3.close()


def test_undo_of_an_item_deleted_meanwhile_is_a_harmless_no_op(store: Store) -> None:
    """Sync may remove what an undo step edits; handlers tolerate it (invariant 7)."""
    store.dispatch(new_task())
    store.dispatch(act.TaskTitle(id="t1", title="bread"))
    store.load_snapshot(store.state.without("t1"))
    assert store.undo() is not None
    assert "t1" not in store.state.tasks
    assert store.redo() is None  # nothing changed, so nothing to redo
