"""Start-up reads the 'view' checkpoint and replays only what was journaled after it.

A profile of 10,000 tasks and 2,000 notes must open without folding its history,
and edits made after the last checkpoint (a crash before close) must come back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from desktop_app.app import App, engine
from desktop_app.core import REGISTRY, Arg, Batch, State
from desktop_app.core import actions as act
from desktop_app.core.actions import ActionType
from desktop_app.storage import DB_NAME

T0 = datetime(2024, 1, 2, tzinfo=UTC)
TASKS, NOTES = 10_000, 2_000


class HandlerCalls:
    """Counts every handler call (batch steps included) by wrapping the registry.

    The reducer's one-step item edits are switched off so every replayed action
    goes through a (counted) handler.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name, kind in list(REGISTRY.items()):
            counted = msgspec.structs.replace(kind, handler=self._wrap(kind), edits=None)
            monkeypatch.setitem(REGISTRY, name, counted)

    def _wrap(self, kind: ActionType) -> Callable[[State, Arg], State]:
        def counted(state: State, arg: Arg) -> State:
            self.count += 1
            return kind.handler(state, arg)

        return counted


def profile_steps(tasks: int = TASKS, notes: int = NOTES) -> list[Arg]:
    steps: list[Arg] = [act.NewList(id="list-home", name="Home", created=T0)]
    steps += [
        act.NewTask(
            id=f"task-{n:06}",
            title=f"task number {n}",
            list_id="list-home" if n % 3 == 0 else None,
            tags=frozenset({"work"} if n % 2 else ()),
            created=T0,
        )
        for n in range(tasks)
    ]
    steps += [
        act.NewNote(id=f"note-{n:06}", title=f"note {n}", body="lorem ipsum " * 20, created=T0)
        for n in range(notes)
    ]
    return steps


@pytest.fixture(scope="module")
def big_profile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, State]:
    """Built once: one Batch (one journal write), then a checkpoint, then a clean close."""
    data_dir = tmp_path_factory.mktemp("big") / "profile"
    app = App(data_dir)
    app.dispatch(Batch(steps=tuple(profile_steps())))
    app.checkpoint()
    state = app.state
    app.close()
    return data_dir, state


@pytest.fixture
def opened() -> Iterator[list[App]]:
    apps: list[App] = []
    yield apps
    for app in apps:
        app.local.close()


def test_a_big_profile_opens_without_replaying_history(
    big_profile: tuple[Path, State], monkeypatch: pytest.MonkeyPatch, opened: list[App]
) -> None:
    data_dir, saved = big_profile
    assert len(saved.tasks) == TASKS and len(saved.notes) == NOTES
    calls = HandlerCalls(monkeypatch)
    app = App(data_dir)
    opened.append(app)
    assert calls.count == 0, "start-up ran handlers: it replayed history"
    assert app.state == saved
    assert app._since_checkpoint == 0


def test_edits_after_the_checkpoint_are_replayed_on_start(
    big_profile: tuple[Path, State], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A crash before close: the journal has edits the checkpoint does not."""
    data_dir = tmp_path / "copy"
    _copy_profile(big_profile[0], data_dir)
    app = App(data_dir)
    app.dispatch(act.TaskDone(id="task-000001", done=True))
    app.dispatch(act.NoteTitle(id="note-000002", title="renamed"))
    app.dispatch(act.DeleteItem(id="task-000003"))
    expected = app.state
    app.local.close()  # no App.close(): no checkpoint, as after a crash

    calls = HandlerCalls(monkeypatch)
    again = App(data_dir)
    try:
        assert calls.count == 3
        assert again.state == expected
        assert again.state.tasks["task-000001"].done
        assert "task-000003" not in again.state.tasks
        # A tail this short is cheaper to replay than a rewrite of the view; make
        # close() find it long enough to save.
        monkeypatch.setattr(engine, "CLOSE_CHECKPOINT_ACTIONS", 3)
    finally:
        again.close()
    calls.count = 0
    third = App(data_dir)  # close() checkpointed the replayed edits
    try:
        assert calls.count == 0 and third.state == expected
    finally:
        third.local.close()


def test_periodic_checkpoints_bound_the_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "CHECKPOINT_IN_DISPATCH_EVERY", 10)
    app = App(tmp_path / "p")
    for n in range(25):
        app.dispatch(act.NewTask(id=f"t{n}", title="x", created=T0))
    expected = app.state
    app.local.close()  # crash
    calls = HandlerCalls(monkeypatch)
    again = App(tmp_path / "p")
    try:
        assert calls.count == 5
        assert again.state == expected
    finally:
        again.local.close()


def test_an_empty_profile_starts_empty(tmp_path: Path) -> None:
    app = App(tmp_path / "new")
    try:
        assert app.state == State()
    finally:
        app.close()


def test_timestamps_stay_monotonic_across_a_clean_restart(tmp_path: Path) -> None:
    """Invariant 8: a device's timestamps only go up, even if its wall clock goes back.

    After a crash the replayed tail floors the clock; after a clean close the tail
    is empty, so the newest journaled time must be remembered some other way.
    """
    wall = [2_000_000_000.0]
    app = App(tmp_path / "p", wall=lambda: wall[0])
    first = app.dispatch(act.NewTask(id="t1", title="x", created=T0))
    app.close()
    wall[0] -= 3600  # the computer's clock is set back an hour (NTP, travel, a bad battery)
    again = App(tmp_path / "p", wall=lambda: wall[0])
    try:
        second = again.dispatch(act.NewTask(id="t2", title="y", created=T0))
        assert second.at > first.at
    finally:
        again.close()


def test_timestamps_stay_monotonic_across_a_crash(tmp_path: Path) -> None:
    wall = [2_000_000_000.0]
    app = App(tmp_path / "p", wall=lambda: wall[0])
    first = app.dispatch(act.NewTask(id="t1", title="x", created=T0))
    app.local.close()  # crash: the action stays in the tail
    wall[0] -= 3600
    again = App(tmp_path / "p", wall=lambda: wall[0])
    try:
        assert again.dispatch(act.NewTask(id="t2", title="y", created=T0)).at > first.at
    finally:
        again.close()


def _copy_profile(src: Path, dst: Path) -> None:
    """Copy a closed profile through SQLite's backup API (WAL-safe)."""
    dst.mkdir(parents=True)
    source = sqlite3.connect(src / DB_NAME)
    target = sqlite3.connect(dst / DB_NAME)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
