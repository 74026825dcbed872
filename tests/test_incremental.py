"""Issue 11: a sync round costs what changed, not the size of the vault.

Mechanisms, not timings: every SQLite statement a round runs is traced
(``set_trace_callback`` shows the statement with its bound values), so the tests
see which tables a round reads, what it writes and how many bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.app import App
from desktop_app.app.syncing import run_round, set_remote, sync_now
from desktop_app.core import Action, new_id
from desktop_app.core import actions as act
from desktop_app.storage import LocalStore
from desktop_app.sync.chunking import MAX_CHUNK
from desktop_app.sync.remote_config import RemoteConfig

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN IMMEDIATE)", re.IGNORECASE)


@contextmanager
def traced(local: LocalStore) -> Iterator[list[str]]:
    """Every statement ``local`` runs on this thread meanwhile."""
    statements: list[str] = []
    local.db.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        local.db.set_trace_callback(None)


def _vault(app: App, tasks: int, notes: int = 0) -> None:
    """``tasks`` tasks and ``notes`` notes journaled at once (fast), then synced."""
    now = datetime.now(UTC)
    at = int(now.timestamp() * 1000)
    args: list[act.Arg] = [
        act.NewTask(id=new_id(), title=f"task {i}", created=now) for i in range(tasks)
    ]
    args += [
        act.NewNote(id=new_id(), title=f"note {i}", body="words " * 40, created=now)
        for i in range(notes)
    ]
    app.local.record_many(Action(id=new_id(), device=app.device_id, at=at, arg=a) for a in args)
    app.reload_view()


def _pair(tmp_path: Path, tasks: int, notes: int = 0) -> tuple[App, App]:
    """Two devices on one folder remote, both holding the same vault."""
    share = tmp_path / "share"
    share.mkdir(parents=True)
    remote = RemoteConfig(kind="folder", path=str(share))
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    for app in (laptop, desktop):
        set_remote(app, remote)
    _vault(laptop, tasks, notes)
    sync_now(laptop)
    sync_now(desktop)
    return laptop, desktop


def test_an_idle_round_reads_no_state_and_writes_nothing(tmp_path: Path) -> None:
    laptop, desktop = _pair(tmp_path, 300, 50)
    try:
        sync_now(desktop)  # the last sync time was just saved: this round need not
        # A store opened afresh: no decoded base cached, as in a new CLI process.
        local = LocalStore.in_dir(tmp_path / "desktop")
        try:
            before = local.db.total_changes
            with traced(local) as statements:
                report = run_round(local, desktop.clock)
            assert report.pulled_actions == report.pushed_actions == 0
            assert local.db.total_changes == before
            assert [s for s in statements if WRITES.match(s)] == []
            assert [s for s in statements if re.search(r"checkpoints|base_items", s)] == []
            assert len(statements) <= 12, statements  # a few indexed reads
        finally:
            local.close()
    finally:
        laptop.close()
        desktop.close()


def _edit_round_writes(tmp_path: Path, tasks: int, notes: int) -> tuple[int, int, int, int]:
    """(rows, bytes) written by a round pushing 10 edits, then by one pulling them."""
    laptop, desktop = _pair(tmp_path, tasks, notes)
    try:
        for task_id in list(desktop.state.tasks)[:10]:
            desktop.edit(task_id, title="edited on the desktop")
        figures = []
        for app in (desktop, laptop):  # the push, then the pull
            rows = app.local.db.total_changes
            with traced(app.local) as statements:
                report = run_round(app.local, app.clock)
            assert report.pushed_actions + report.pulled_actions == 10
            written = sum(len(s) for s in statements if WRITES.match(s))
            figures += [app.local.db.total_changes - rows, written]
        sync_now(laptop)
        assert {t.title for t in laptop.state.tasks.values()} >= {"edited on the desktop"}
        return figures[0], figures[1], figures[2], figures[3]
    finally:
        laptop.close()
        desktop.close()


def test_a_ten_edit_round_writes_the_same_rows_whatever_the_vault_size(tmp_path: Path) -> None:
    small = _edit_round_writes(tmp_path / "small", 100, 20)
    large = _edit_round_writes(tmp_path / "large", 5_000, 1_000)
    push_rows, push_bytes, pull_rows, pull_bytes = large
    assert (push_rows, pull_rows) == (small[0], small[2])
    # The bytes differ only by what the edits carry (ids, titles), never the vault.
    assert push_bytes < 1.2 * small[1] and pull_bytes < 1.2 * small[3], (small, large)
    # (The push measured 19,983-20,000 bytes before the push anchor, ~150 bytes,
    # ids and times varying in length: the bound is a sanity check, not the measure.)
    assert push_bytes < 22_000 and pull_bytes < 22_000, large


def test_a_big_pull_commits_in_short_chunks(tmp_path: Path) -> None:
    """5,000 actions arrive in commits of at most ``MAX_CHUNK`` actions each (sized
    by their cost, tests/test_write_locks.py): the write lock is taken many times
    briefly, never once for the whole pull."""
    share = tmp_path / "share"
    share.mkdir()
    remote = RemoteConfig(kind="folder", path=str(share))
    with App(tmp_path / "laptop") as laptop, App(tmp_path / "desktop") as desktop:
        for app in (laptop, desktop):
            set_remote(app, remote)
            sync_now(app)  # both bound to the log before the burst
        _vault(laptop, 5_000)
        laptop.local.largest_write_rows = 0
        sync_now(laptop)
        desktop.local.largest_write_rows = desktop.local.longest_write_s = 0
        report = sync_now(desktop)
        assert report.pulled_actions == 5_000
        assert len(desktop.state.tasks) == 5_000
        # A chunk writes a row per item and per applied id (and, pushing, deletes
        # its actions from the journal), and a few more.
        assert desktop.local.largest_write_rows <= 2 * MAX_CHUNK + 20
        assert laptop.local.largest_write_rows <= 3 * MAX_CHUNK + 20
        print(
            f"5,000-action pull: longest write transaction "
            f"{desktop.local.longest_write_s * 1000:.1f} ms "
            f"({desktop.local.largest_write_rows} rows)"
        )


def _wal_frames(local: LocalStore, *, reset: bool = False) -> int:
    """Pages in the write-ahead log; ``reset`` empties it first (nothing else reads)."""
    mode = "TRUNCATE" if reset else "PASSIVE"
    busy, frames, _ = local.db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    assert busy == 0
    return frames


def test_a_round_beside_a_whole_base_checkpoint_writes_few_pages(tmp_path: Path) -> None:
    """A vault kept without a remote, then synced: its base is one big checkpoint row.
    Each round rewrites the few-byte view row beside it, and writes a few pages."""
    with App(tmp_path / "solo") as solo:
        _vault(solo, 5_000, 500)
    share = tmp_path / "share"
    share.mkdir()
    with App(tmp_path / "solo") as solo:
        (base_bytes,) = solo.local.db.execute(
            "SELECT length(body) FROM checkpoints WHERE name='base'"
        ).fetchone()
        assert base_bytes > 1_000_000  # the journal was folded into one base row
        set_remote(solo, RemoteConfig(kind="folder", path=str(share)))
        sync_now(solo)
        for task_id in list(solo.state.tasks)[:10]:
            solo.edit(task_id, title="edited")
        _wal_frames(solo.local, reset=True)
        report = run_round(solo.local, solo.clock)
        assert report.pushed_actions == 10
        page = solo.local.db.execute("PRAGMA page_size").fetchone()[0]
        written = _wal_frames(solo.local) * page
        assert written < base_bytes / 10, (written, base_bytes)


def test_checkpoints_are_a_rowid_table(tmp_path: Path) -> None:
    """In a WITHOUT ROWID table every row is a key, and SQLite reads a key whose
    payload overflows whole to compare it: rewriting the view row beside a 34 MB
    base read all 34 MB (60 ms a round at 100,000 tasks). Migration 5 undid it."""
    with App(tmp_path) as app:
        for title in ("one", "two", "three"):
            app.add_task(title)
    with App(tmp_path) as app:
        (sql,) = app.local.db.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='checkpoints'"
        ).fetchone()
        assert "WITHOUT ROWID" not in sql.upper()
        assert {t.title for t in app.state.tasks.values()} == {"one", "two", "three"}


def test_a_round_leaves_a_view_saved_whole_alone_and_close_frees_it(tmp_path: Path) -> None:
    """Freeing a view the App saved whole (every 1,000 edits, or on close) inside a
    round's commit held the write lock 75 ms at 100,000 items: the round marks it
    stale instead (``view_is_base``), and closing the App frees it, outside rounds."""
    laptop, desktop = _pair(tmp_path, 500, 50)
    try:
        for task_id in list(desktop.state.tasks)[:10]:
            desktop.edit(task_id, title="typed on the desktop")
        desktop.checkpoint()  # the view saved whole: the base plus 10 pending edits
        view_bytes = "SELECT length(body) FROM checkpoints WHERE name='view'"
        saved = desktop.local.db.execute(view_bytes).fetchone()[0]
        assert saved > 50_000
        for task_id in list(laptop.state.tasks)[-10:]:
            laptop.edit(task_id, title="typed on the laptop")
        sync_now(laptop)
        with traced(desktop.local) as statements:
            report = run_round(desktop.local, desktop.clock)
        assert report.pulled_actions == report.pushed_actions == 10
        assert [s for s in statements if "checkpoints" in s] == []  # not rewritten
        assert desktop.local.db.execute(view_bytes).fetchone()[0] == saved  # stale, kept
        desktop.reload_view()
        titles = [t.title for t in desktop.state.tasks.values()]
        assert titles.count("typed on the desktop") == titles.count("typed on the laptop") == 10
        state = desktop.state
        desktop.close()
        local = LocalStore.in_dir(tmp_path / "desktop")
        try:
            assert local.db.execute(view_bytes).fetchone()[0] == 0  # freed on close
            assert local.meta("view_is_base") is None
        finally:
            local.close()
        desktop = App(tmp_path / "desktop")
        assert desktop.state == state
    finally:
        laptop.close()
        desktop.close()
