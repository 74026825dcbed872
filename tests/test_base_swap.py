"""Issue 11: a start-over that replaces the whole base (a new device's first pull)
holds the write lock a chunk at a time, and stays atomic (``storage/base_swap``).

Mechanisms, not timings: each write transaction is seen through
``LocalStore.on_write``; a kill between two commits is an exception raised from it
after the commit (a ``BaseException``, as a kill, so no cleanup runs on the way out).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.app import App
from desktop_app.app.errors import AppError
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import State, new_id
from desktop_app.core.model import Task
from desktop_app.storage import LocalStore, base_swap, local_store
from desktop_app.storage.base_swap import BaseSwap, FixedChunk
from desktop_app.storage.local_store import WriteStats
from desktop_app.sync import chunking
from desktop_app.sync.chunking import MAX_CHUNK
from desktop_app.sync.remote_config import RemoteConfig
from tests.counting import Killed, journal_tasks, kill_after

FEW = 20  # bookkeeping rows of a commit beside its items and applied ids
TASKS = 2_500  # past STAGE_ABOVE_ROWS: a first pull of it is staged


@pytest.fixture(autouse=True)
def steady_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks that grow by the same steps whatever the machine's speed, so a kill
    counted in commits lands at the same point in every run."""
    monkeypatch.setattr(chunking, "LOCK_BUDGET_S", 10.0)


def _joined(tmp_path: Path) -> tuple[App, App]:
    """A laptop holding ``TASKS`` tasks synced to a folder; a new desktop pointed at
    it, not yet synced (its first round starts over from the laptop's log)."""
    share = tmp_path / "share"
    share.mkdir(parents=True)
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    set_remote(laptop, RemoteConfig(kind="folder", path=str(share)))
    journal_tasks(laptop, TASKS)
    sync_now(laptop)
    set_remote(desktop, RemoteConfig(kind="folder", path=str(share)))
    return laptop, desktop


def _fresh_base(app: App):  # type: ignore[no-untyped-def]
    app.local._base_cache = None  # as a new process reads it
    return app.local.base()[0]


def _schema(db: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    return [(kind, name) for kind, name, _ in rows]


def test_a_new_devices_first_pull_writes_a_chunk_per_commit(tmp_path: Path) -> None:
    laptop, desktop = _joined(tmp_path)
    try:
        before = _schema(desktop.local.db)
        writes: list[WriteStats] = []
        desktop.local.on_write = writes.append
        sync_now(desktop)
        desktop.local.on_write = None
        # Before: one commit wrote all 2,500 items and their applied ids.
        assert max(w.rows for w in writes) <= MAX_CHUNK + FEW
        assert sum(w.rows for w in writes) >= 2 * TASKS
        assert _fresh_base(desktop) == _fresh_base(laptop)
        assert desktop.local.applied_ids() == laptop.local.applied_ids()
        assert len(desktop.state.tasks) == TASKS
        assert base_swap.leftovers(desktop.local.db) == []
        assert _schema(desktop.local.db) == before  # the same tables and indexes
    finally:
        laptop.close()
        desktop.close()


def _first_pull_commits(tmp_path: Path) -> list[tuple[int, list[str]]]:
    """Each commit of a new device's first round (it has 30 tasks of its own to
    push after the pull): the base position and the staging tables after it."""
    laptop, desktop = _joined(tmp_path)
    try:
        journal_tasks(desktop, 30, salt="desktop ")
        seen: list[tuple[int, list[str]]] = []

        def look(stats: WriteStats) -> None:
            seen.append((desktop.local.base_position(), base_swap.leftovers(desktop.local.db)))

        desktop.local.on_write = look
        sync_now(desktop)
        return seen
    finally:
        laptop.close()
        desktop.close()


def _swap_commit(seen: list[tuple[int, list[str]]]) -> int:
    """The index of the commit that moved the base (the swap)."""
    return next(i for i, (position, _) in enumerate(seen) if position > 0)


def test_a_first_pull_stages_swaps_and_sweeps_in_turn(tmp_path: Path) -> None:
    """The commits the test below kills after: the claim, the chunks (tables staged
    after each), the swap (the base moves), then the sweep (the tables swapped out
    emptied, then dropped)."""
    seen = _first_pull_commits(tmp_path)
    swap = _swap_commit(seen)
    assert swap > 4
    assert all(len(tables) == 2 for _, tables in seen[:swap])  # staged meanwhile
    assert len(seen[swap][1]) == 2  # the two swapped out, not yet swept
    assert seen[-1][1] == []


@pytest.mark.parametrize("kill_at", ["claim", "chunks", "swap", "sweep"])
def test_a_kill_between_any_two_commits_of_a_staged_pull_loses_nothing(
    tmp_path: Path, kill_at: str
) -> None:
    """Killed after the staging's claim, in the middle of its chunks, right after
    the swap, or while the swapped-out tables are emptied: the next rounds converge,
    every action of both devices once, and no table is left behind."""
    swap = _swap_commit(_first_pull_commits(tmp_path / "count"))
    at = {"claim": 1, "chunks": swap // 2, "swap": swap + 1, "sweep": swap + 2}[kill_at]
    laptop, desktop = _joined(tmp_path)
    try:
        journal_tasks(desktop, 30, salt="desktop ")  # its own, to be pushed after the pull
        kill_after(desktop.local, at)
        with pytest.raises(Killed):
            sync_now(desktop)
        desktop.local.on_write = None
        desktop.close()
        desktop = App(tmp_path / "desktop")  # a new process
        for app in (desktop, laptop, desktop):
            sync_now(app)
        assert len(laptop.state.tasks) == len(desktop.state.tasks) == TASKS + 30
        assert _fresh_base(desktop) == _fresh_base(laptop)
        assert desktop.local.pending_count() == 0
        assert base_swap.leftovers(desktop.local.db) == []
    finally:
        laptop.close()
        desktop.close()


def _moment(tmp_path: Path, when: str) -> int:
    """The commit after which another process writes: between two chunks, or after
    the last chunk (the swap's own check is then the one that sees it)."""
    if when == "while staging":
        return 3
    return _swap_commit(_first_pull_commits(tmp_path / "count"))


@pytest.mark.parametrize("when", ["while staging", "before the swap"])
def test_a_commit_that_moves_the_base_while_staging_makes_the_staging_give_up(
    tmp_path: Path, when: str
) -> None:
    """Another process writes the base whole in the middle of the staging (here one
    holding a task the log never had): the staged rows were made over the old
    checkpoint, so they are dropped, and the start-over writes against the new one
    as before (in one transaction). The result is the log's state, without it."""
    at = _moment(tmp_path, when)
    laptop, desktop = _joined(tmp_path)
    other = LocalStore.in_dir(tmp_path / "desktop")
    try:
        commits = 0
        writes: list[WriteStats] = []

        def meanwhile(stats: WriteStats) -> None:
            nonlocal commits
            commits += 1
            writes.append(stats)
            if commits == at:
                now = datetime.now(UTC)
                ghost = Task(id=new_id(), title="never in the log", created=now, updated=now)
                other.save_checkpoint("base", State().with_task(ghost), 0)

        desktop.local.on_write = meanwhile
        sync_now(desktop)
        desktop.local.on_write = None
        assert max(w.rows for w in writes) > TASKS  # written whole, once given up
        assert _fresh_base(desktop) == _fresh_base(laptop)
        assert len(desktop.state.tasks) == TASKS
        assert base_swap.leftovers(desktop.local.db) == []
    finally:
        other.close()
        laptop.close()
        desktop.close()


@pytest.mark.parametrize("when", ["while staging", "before the swap"])
def test_a_start_over_that_fails_at_the_swap_leaves_no_staging_behind(
    tmp_path: Path, when: str
) -> None:
    """Another round moved the base's position meanwhile: the start-over refuses
    ("try again"), the old base stays whole, and its staged tables are dropped."""
    at = _moment(tmp_path, when)
    laptop, desktop = _joined(tmp_path)
    other = LocalStore.in_dir(tmp_path / "desktop")
    try:
        commits = 0

        def meanwhile(stats: WriteStats) -> None:
            nonlocal commits
            commits += 1
            if commits == at:
                other.commit_base(State(), 7, [])

        desktop.local.on_write = meanwhile
        with pytest.raises(AppError, match="at the same time"):
            sync_now(desktop)
        desktop.local.on_write = None
        assert base_swap.leftovers(desktop.local.db) == []
        assert desktop.local.base_position() == 7
    finally:
        other.close()
        laptop.close()
        desktop.close()


def test_a_newer_staging_makes_an_older_one_stop(tmp_path: Path) -> None:
    local = LocalStore.in_dir(tmp_path / "solo")
    try:
        rows = [("t", f"id{i:05}", b'{"x":1}') for i in range(3 * 100)]
        older, newer = BaseSwap(local, FixedChunk()), BaseSwap(local, FixedChunk())
        older.sizer.size = newer.sizer.size = 100  # type: ignore[misc]
        staged: list[bool] = []
        commits = 0

        def claim_meanwhile(stats: WriteStats) -> None:
            nonlocal commits
            commits += 1
            if commits == 2:  # the older one has claimed and written one chunk
                local.on_write = None
                staged.append(newer.stage(rows, ["a", "b"], lambda db: True))

        local.on_write = claim_meanwhile
        staged.insert(0, older.stage(rows, ["a"], lambda db: True))
        assert staged == [False, True]
        # The older staging's tables were swept by the newer claim; the newer's stay.
        assert sorted(base_swap.leftovers(local.db)) == [
            newer.staged("applied"),
            newer.staged("base_items"),
        ]
        with local.transaction() as db:
            assert not older.swap(db)
            assert newer.swap(db)
        assert local.db.execute("SELECT count(*) FROM base_items").fetchone() == (300,)
        assert local.applied_ids() == {"a", "b"}
        assert base_swap.sweep(local) == 2  # the two tables swapped out
        assert base_swap.leftovers(local.db) == []
    finally:
        local.close()


def test_small_start_overs_still_write_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staging costs a schema change and a sweep: below the threshold the one
    transaction is cheaper and short anyway."""
    monkeypatch.setattr(local_store, "STAGE_ABOVE_ROWS", 10 * TASKS)
    laptop, desktop = _joined(tmp_path)
    try:
        writes: list[WriteStats] = []
        desktop.local.on_write = writes.append
        sync_now(desktop)
        assert max(w.rows for w in writes) > TASKS
        assert _fresh_base(desktop) == _fresh_base(laptop)
    finally:
        laptop.close()
        desktop.close()


@given(st.lists(st.tuples(st.sampled_from("lnt"), st.text(max_size=4))), st.integers(1, 9))
def test_sorting_in_slices_is_sorting(items: list[tuple[str, str]], size: int) -> None:
    assert base_swap.sorted_in_slices(items, size) == sorted(items)


KILLED_CHILD = r"""
import sys, time
from desktop_app.app import App
from desktop_app.app.syncing import sync_now
app = App(sys.argv[1])
print("ready", flush=True)
started = time.perf_counter()
sync_now(app)
print("synced %.3f" % (time.perf_counter() - started), flush=True)
time.sleep(60)
"""
KILLS = 8


def _child(data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _new_device(tmp_path: Path, name: str, share: Path) -> Path:
    """A profile pointed at ``share`` with 20 tasks of its own, never synced."""
    with App(tmp_path / name) as app:
        set_remote(app, RemoteConfig(kind="folder", path=str(share)))
        journal_tasks(app, 20, salt=f"{name} ")
    return tmp_path / name


@pytest.mark.slow
def test_sigkill_at_moments_spread_over_a_first_pull_loses_nothing(tmp_path: Path) -> None:
    """A real process making a new device's first pull, killed at moments spread
    over the round (a calibration run times it): after each kill the profile is
    intact, the next rounds converge with every action of both devices, and the
    staging tables are gone."""
    for app in _joined(tmp_path):
        app.close()
    laptop_dir = tmp_path / "laptop"
    share = tmp_path / "share"
    calibration = _child(_new_device(tmp_path, "calibration", share))
    assert calibration.stdout is not None
    lines = [calibration.stdout.readline(), calibration.stdout.readline()]
    calibration.kill()
    calibration.wait(timeout=10)
    assert lines[1].startswith("synced"), lines
    round_s = float(lines[1].split()[1])
    landed_in_staging = 0
    for n in range(KILLS):
        device = _new_device(tmp_path, f"device{n}", share)
        child = _child(device)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(round_s * (n + 0.5) / KILLS)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        local = LocalStore.in_dir(device)
        try:
            assert local.integrity_check() == "ok"
            landed_in_staging += bool(base_swap.leftovers(local.db))
        finally:
            local.close()
        with App(device) as app, App(laptop_dir) as other:
            for each in (app, other, app):
                sync_now(each)
            assert _fresh_base(app) == _fresh_base(other)
            assert app.local.pending_count() == 0
            assert {t.title for t in app.state.tasks.values()} >= {f"device{n} task 0"}
            assert base_swap.leftovers(app.local.db) == []
    print(f"{landed_in_staging} of {KILLS} kills left staging tables ({round_s:.2f} s round)")
