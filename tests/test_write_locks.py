"""Issue 11: a sync round never holds SQLite's write lock for long at a time.

Mechanisms, not timings (benchmarks/bench_scale.py measures the holds): every
write transaction is seen through ``LocalStore.on_write`` (rows written, whether
it was fsynced), the chunk sizer is driven with budgets that make it go to its
bounds, and a kill between two commits is an exception raised from that hook.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from msgspec.structs import replace

from desktop_app.app import App
from desktop_app.app.syncing import (
    ROUND_SWITCH_INTERVAL_S,
    run_window_round,
    set_remote,
    sync_now,
)
from desktop_app.core import Action, State, new_id
from desktop_app.core import actions as act
from desktop_app.storage import LocalStore, local_store
from desktop_app.storage.local_store import WAL_AUTOCHECKPOINT_PAGES, WriteStats
from desktop_app.sync import chunking
from desktop_app.sync.chunking import FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, ChunkSizer
from desktop_app.sync.log import CHUNK_ACTIONS
from desktop_app.sync.remote_config import RemoteConfig
from tests.counting import Killed, journal_tasks, kill_after

FEW = 20  # bookkeeping rows of one commit beside its items and applied ids


def _bound_pair(tmp_path: Path) -> tuple[App, App]:
    """Two devices on one folder remote, both bound to its log (as devices in use)."""
    share = tmp_path / "share"
    share.mkdir()
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    for app in (laptop, desktop):
        set_remote(app, RemoteConfig(kind="folder", path=str(share)))
        sync_now(app)
    return laptop, desktop


def _writes(local: LocalStore) -> list[WriteStats]:
    seen: list[WriteStats] = []
    local.on_write = seen.append
    return seen


def _base_of(app: App) -> State:
    app.local._base_cache = None  # as a new process reads it
    return app.local.base()[0]


# -- chunks sized by their cost -----------------------------------------------------


def test_the_sizer_shrinks_at_once_and_grows_by_at_most_half_again() -> None:
    sizer = ChunkSizer(size=200, budget_s=0.005)
    sizer.observe(200, 0.020)  # four times the budget
    assert sizer.size == 50
    sizer.observe(50, 0.0001)  # far under it: at most GROWTH times bigger
    assert sizer.size == 75
    sizer.observe(100, 10.0)
    assert sizer.size == MIN_CHUNK
    for _ in range(20):
        sizer.observe(sizer.size, 0.0)
    assert sizer.size == MAX_CHUNK
    sizer.observe(0, 1.0)  # nothing folded: nothing learnt
    assert sizer.size == MAX_CHUNK


@pytest.mark.parametrize("budget_s, size", [(1e-9, MIN_CHUNK), (60.0, MAX_CHUNK)])
def test_a_pull_commits_in_chunks_sized_by_what_commits_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget_s: float, size: int
) -> None:
    """A budget no commit fits makes every chunk the smallest; one every commit fits
    makes them grow to the largest. Either way each commit writes about two rows
    per action (its item, its applied id), never the whole pull."""
    monkeypatch.setattr(chunking, "LOCK_BUDGET_S", budget_s)
    laptop, desktop = _bound_pair(tmp_path)
    try:
        journal_tasks(laptop, 2_400)
        sync_now(laptop)
        pulls = _writes(desktop.local)
        report = sync_now(desktop)
        assert report.pulled_actions == 2_400
        # The first chunk is sized before any commit was measured.
        assert pulls[0].rows <= 2 * FIRST_CHUNK + FEW
        assert max(w.rows for w in pulls[1:]) <= 2 * size + FEW
        # Each commit but the last of an update (12 here) holds a full chunk.
        assert len(pulls) <= 2_400 / size + 12 + 2
        if size == MIN_CHUNK:
            assert len(pulls) >= (2_400 - FIRST_CHUNK) / size
        assert _base_of(desktop) == _base_of(laptop)
    finally:
        laptop.close()
        desktop.close()


def test_folding_our_own_pushed_update_is_chunked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunking, "LOCK_BUDGET_S", 1e-9)
    laptop, desktop = _bound_pair(tmp_path)
    try:
        journal_tasks(laptop, 600)
        pushes = _writes(laptop.local)
        report = sync_now(laptop)
        assert report.pushed_actions == 600
        # Folding writes an item, an applied id and a journal row per action, and a
        # few more; beside the three groupings of 200 actions (one update each)
        # only the first chunk, sized before anything was measured, is bigger.
        big = [w.rows for w in pushes if w.rows > 3 * MIN_CHUNK + FEW]
        assert len(big) <= 3 + 1, big
        assert max(big) <= max(CHUNK_ACTIONS + 1, 3 * FIRST_CHUNK + FEW), big
        assert laptop.local.pending_count() == 0
    finally:
        laptop.close()
        desktop.close()


# -- commits without an fsync or a checkpoint inside the lock ---------------------------


def test_a_rounds_commits_skip_the_fsync_and_checkpoint_while_a_dispatch_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round's thread commits with synchronous=NORMAL and no automatic
    checkpoint, and checkpoints the WAL itself between its transactions; a
    dispatch made on another thread meanwhile, through the same store, is
    fsynced as always."""
    monkeypatch.setattr(local_store, "BACKGROUND_CHECKPOINT_ROWS", 100)
    laptop, desktop = _bound_pair(tmp_path)
    try:
        journal_tasks(laptop, 300)
        sync_now(laptop)
        local = desktop.local
        seen: list[tuple[str, WriteStats, int, int]] = []
        dispatched = threading.Event()

        def hook(stats: WriteStats) -> None:
            sync, auto = (local.db.execute(f"PRAGMA {p}").fetchone()[0] for p in PRAGMAS)
            seen.append((threading.current_thread().name, stats, sync, auto))
            if threading.current_thread() is threading.main_thread() and not dispatched.is_set():
                dispatched.set()  # "the window" dispatches while the round runs
                window = threading.Thread(
                    target=local.record_many, args=([_task(desktop)],), name="window"
                )
                window.start()
                window.join()

        local.on_write = hook
        statements: list[str] = []
        local.db.set_trace_callback(statements.append)
        report = sync_now(desktop)
        local.db.set_trace_callback(None)
        assert report.pulled_actions == 300
        round_writes = [s for s in seen if s[0] != "window"]
        window_writes = [s for s in seen if s[0] == "window"]
        assert round_writes and all(not s[1].durable for s in round_writes)
        assert {(s[2], s[3]) for s in round_writes} == {(1, 0)}  # NORMAL, no auto-checkpoint
        assert [(s[1].durable, s[2]) for s in window_writes] == [(True, 2)]  # FULL
        # After the round: this thread is back to FULL.
        sync, auto = (local.db.execute(f"PRAGMA {p}").fetchone()[0] for p in PRAGMAS)
        assert (sync, auto) == (2, WAL_AUTOCHECKPOINT_PAGES)
        local.on_write = None
        # It checkpointed every 100 rows or so, never inside a transaction.
        inside, checkpoints = False, 0
        for statement in statements:
            inside = statement.startswith("BEGIN") or (inside and statement != "COMMIT")
            if "wal_checkpoint" in statement:
                assert not inside
                checkpoints += 1
        assert checkpoints >= 3
        sync_now(desktop)  # the window's action goes out like any other
        sync_now(laptop)
        assert len(laptop.state.tasks) == 301
    finally:
        laptop.close()
        desktop.close()


PRAGMAS = ("synchronous", "wal_autocheckpoint")


def _task(app: App) -> Action:
    now = datetime.now(UTC)
    arg = act.NewTask(id=new_id(), title="typed in the window", created=now)
    return Action(id=new_id(), device=app.device_id, at=int(now.timestamp() * 1000), arg=arg)


def test_an_idle_round_sets_no_pragma(tmp_path: Path) -> None:
    laptop, desktop = _bound_pair(tmp_path)
    try:
        statements: list[str] = []
        desktop.local.db.set_trace_callback(statements.append)
        sync_now(desktop)
        desktop.local.db.set_trace_callback(None)
        assert not [s for s in statements if "PRAGMA" in s], statements
    finally:
        laptop.close()
        desktop.close()


# -- a kill between two commits -------------------------------------------------------


@pytest.mark.parametrize("kill_at", [2, 4, 9])
def test_a_kill_between_chunks_leaves_a_state_the_next_round_converges_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: int
) -> None:
    """Small chunks, and a kill after the ``kill_at``-th commit of a pull and of a
    push (the own update folded chunk by chunk): the next rounds converge, every
    action once, nothing pending."""
    monkeypatch.setattr(chunking, "LOCK_BUDGET_S", 1e-9)
    laptop, desktop = _bound_pair(tmp_path)
    try:
        journal_tasks(laptop, 300)
        journal_tasks(desktop, 200)
        for app in (laptop, desktop):  # the laptop's push, then the desktop's pull + push
            kill_after(app.local, kill_at)
            with pytest.raises(Killed):
                sync_now(app)
            app.local.on_write = None
        for app in (desktop, laptop, desktop):
            sync_now(app)
        assert len(laptop.state.tasks) == len(desktop.state.tasks) == 500
        assert _base_of(desktop) == _base_of(laptop)
        assert laptop.local.pending_count() == desktop.local.pending_count() == 0
    finally:
        laptop.close()
        desktop.close()


# -- starting over: compared outside the lock, only the difference written ----------


def test_a_start_over_compares_outside_the_lock_and_writes_the_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with App(tmp_path / "solo") as app:
        journal_tasks(app, 500)
        local = app.local
        local.commit_base(app.state, 1, [a for a, *_ in _ids(local)])
        base, _ = local.base()
        applied = local.applied_ids()
        some = sorted(base.tasks)[0]
        edited = base.tasks.set(some, replace(base.tasks[some], title="from the snapshot"))
        snapshot = replace(base, tasks=edited)
        locked: list[bool] = []
        compare = local_store.changed_rows

        def watched(old: State, new: State):  # type: ignore[no-untyped-def]
            locked.append(local.db.in_transaction)
            return compare(old, new)

        monkeypatch.setattr(local_store, "changed_rows", watched)
        writes = _writes(local)
        local.replace_base(
            snapshot,
            2,
            applied | {"one-more"},
            last="u2",
            etag="",
            repush=[],
            forget_positions=False,
            expected_position=1,
        )
        assert locked == [False]  # compared before the lock, not inside it
        # One item row, one applied id, the bookkeeping: not 500 of each again.
        assert writes[-1].rows <= FEW
        local._base_cache = None
        assert local.base() == (snapshot, 2)
        assert local.applied_ids() == applied | {"one-more"}


def _ids(local: LocalStore) -> list[tuple[str]]:
    return local.db.execute("SELECT id FROM local_actions").fetchall()


# -- a dispatch that finds the lock taken ---------------------------------------------


def test_while_a_round_runs_a_dispatch_that_finds_the_lock_taken_polls_for_it(
    tmp_path: Path,
) -> None:
    """SQLite's busy handler sleeps 1, 2, 5, 10, 15... ms between tries, so a 3 ms
    commit could keep a dispatch waiting 8 ms; while a round runs on another thread
    of the store, the store's own poll every millisecond is what runs
    (``lock_waits`` counts the polls begun)."""
    local = LocalStore(tmp_path / "db.sqlite3")
    try:
        local.set_meta("x", "0")
        holding, release = threading.Event(), threading.Event()

        def round_holding_the_lock() -> None:
            with local.background_writes(), local.transaction() as db:
                local.set_meta("x", "1", db)
                holding.set()
                release.wait(5)

        sync = threading.Thread(target=round_holding_the_lock)
        sync.start()
        assert holding.wait(5)
        window = threading.Thread(target=local.set_history_limit, args=(7,))
        window.start()
        window.join(0.05)  # it found the lock taken and is polling
        release.set()
        window.join()
        sync.join()
        assert local.history_limit() == 7
        assert local.lock_waits == 1
        local.set_meta("x", "2")  # no round now: no poll begun
        assert local.lock_waits == 1
    finally:
        local.close()


def test_a_window_round_hands_the_interpreter_over_every_millisecond(
    tmp_path: Path,
) -> None:
    """While the window's round runs, a dispatch on the GUI thread waits at most a
    millisecond for the interpreter after each SQLite call, not 5 (Python's default)."""
    laptop, desktop = _bound_pair(tmp_path)
    try:
        journal_tasks(laptop, 50)
        sync_now(laptop)
        before = sys.getswitchinterval()
        during: list[float] = []
        desktop.local.on_write = lambda stats: during.append(sys.getswitchinterval())
        run_window_round(desktop.local, desktop.clock)
        assert during and set(during) == {ROUND_SWITCH_INTERVAL_S}
        assert sys.getswitchinterval() == before
    finally:
        laptop.close()
        desktop.close()
