"""LocalStore on real SQLite files: the journal, checkpoints, history and failure modes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.app import App
from desktop_app.core import Action, History, State, Task, fold, views
from desktop_app.core import actions as act
from desktop_app.storage import DB_NAME, LocalStore, StorageError, local_store
from desktop_app.storage.local_store import HISTORY_LIMIT, TRIM_HISTORY_EVERY
from desktop_app.storage.migrations import SCHEMA_VERSION
from desktop_app.sync import protocol
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.remote import RemoteEntry
from tests.sync_harness import Device, LostAck, SharedLog, Tap

T0 = datetime(2024, 1, 2, tzinfo=UTC)
EDIT = History("edit", None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / DB_NAME


@pytest.fixture
def local(db_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(db_path)
    yield store
    store.close()


def action(n: int, arg: act.Arg | None = None) -> Action:
    arg = arg or act.NewTask(id=f"t{n}", title=f"task {n}", created=T0)
    return Action(id=f"a{n:05}", device="dev", at=1_700_000_000_000 + n, arg=arg)


def raw(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path, isolation_level=None)


# -- set-up and durability settings ------------------------------------------------------


def test_connections_use_wal_and_full_sync(local: LocalStore) -> None:
    """Invariant 1 promises survival of a power cut, which needs synchronous=FULL."""
    assert local.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert local.db.execute("PRAGMA synchronous").fetchone()[0] == 2
    found: list[tuple[str, int]] = []

    def in_thread() -> None:
        db = local.db
        found.append(
            (
                db.execute("PRAGMA journal_mode").fetchone()[0],
                db.execute("PRAGMA synchronous").fetchone()[0],
            )
        )

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    assert found == [("wal", 2)]


def test_a_new_profile_is_migrated_and_has_a_stable_device_id(db_path: Path) -> None:
    first = LocalStore(db_path)
    device = first.device_id
    first.close()
    again = LocalStore(db_path)
    try:
        assert again.device_id == device
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert again.integrity_check() == "ok"
    finally:
        again.close()
    other = LocalStore(db_path.parent / "other" / DB_NAME)
    try:
        assert other.device_id != device
    finally:
        other.close()


def test_in_dir_names_the_database(tmp_path: Path) -> None:
    store = LocalStore.in_dir(tmp_path / "data")
    try:
        assert store.path == tmp_path / "data" / DB_NAME and store.path.exists()
    finally:
        store.close()


def test_a_newer_schema_is_refused_with_a_clear_message(db_path: Path) -> None:
    LocalStore(db_path).close()
    conn = raw(db_path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        LocalStore(db_path)


def test_a_file_that_is_not_a_database_is_a_storage_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is a shopping list, not a database" * 100)
    with pytest.raises(StorageError, match="not a readable"):
        LocalStore(db_path)


def test_an_unusable_location_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError):
        LocalStore(blocker / "sub" / DB_NAME)


# -- the journal ------------------------------------------------------------------------


def test_recorded_actions_come_back_in_order(local: LocalStore, db_path: Path) -> None:
    actions = [action(n) for n in range(5)]
    for a in actions:
        local.record(a, EDIT)
    local.record_many([action(n) for n in range(5, 8)])
    back = local.local_actions()
    assert [a for _, a in back][:5] == actions
    assert [a.id for _, a in back] == [f"a{n:05}" for n in range(8)]
    seqs = [seq for seq, _ in back]
    assert seqs == sorted(seqs) and local.last_seq() == seqs[-1]
    assert [a.id for _, a in local.local_actions(after_seq=seqs[5])] == ["a00006", "a00007"]
    assert local.pending_count() == 8
    other = LocalStore(db_path)
    try:
        assert [a for _, a in other.local_actions()] == [a for _, a in back]
    finally:
        other.close()


def test_last_seq_never_goes_back(local: LocalStore) -> None:
    """Checkpoint marks are seqs: a reused seq would hide an action behind a mark."""
    local.record_many([action(n) for n in range(3)])
    mark = local.last_seq()
    local.db.execute("DELETE FROM local_actions")
    assert local.last_seq() == mark
    local.record(action(9), EDIT)
    assert local.local_actions()[0][0] > mark


def test_a_duplicate_action_id_is_refused_whole(local: LocalStore) -> None:
    local.record(action(1), EDIT)
    with pytest.raises(StorageError):
        local.record_many([action(2), action(1)])
    assert [a.id for _, a in local.local_actions()] == ["a00001"]


def test_an_unreadable_journal_entry_is_a_storage_error(local: LocalStore) -> None:
    local.record(action(1), EDIT)
    local.db.execute("UPDATE local_actions SET body=?", (b'{"garbage": true}',))
    with pytest.raises(StorageError, match="unreadable"):
        local.local_actions()


def test_transactions_roll_back_on_error(local: LocalStore) -> None:
    with pytest.raises(RuntimeError), local.transaction() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
        raise RuntimeError("boom")
    assert local.meta("k") is None
    with local.transaction() as db:
        local.set_meta("k", "v", db)
    assert local.meta("k") == "v"
    local.set_meta("k", None)
    assert local.meta("k", "default") == "default"


def test_threads_each_get_a_connection_and_see_each_others_commits(local: LocalStore) -> None:
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for n in range(start, start + 20):
                local.record(action(n), EDIT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert local.pending_count() == 60


def test_a_full_disk_is_a_storage_error(local: LocalStore) -> None:
    """Front ends show StorageError/AppError as a sentence; a raw sqlite3 error is a crash.

    ``max_page_count`` makes SQLite answer SQLITE_FULL exactly as a full disk does.
    """
    local.record(action(0), EDIT)
    pages = local.db.execute("PRAGMA page_count").fetchone()[0]
    local.db.execute(f"PRAGMA max_page_count={pages}")
    big = act.NewNote(id="n1", title="big", body="x" * 200_000, created=T0)
    with pytest.raises(StorageError):
        local.record(action(1, big), EDIT)
    assert [a.id for _, a in local.local_actions()] == ["a00000"]


# -- undo history ------------------------------------------------------------------------


def test_history_stacks_follow_edit_undo_redo(local: LocalStore) -> None:
    inv1 = act.DeleteItem(id="t1")
    inv2 = act.TaskTitle(id="t1", title="old")
    local.record(action(1), History("edit", inv1))
    local.record(action(2, act.TaskTitle(id="t1", title="new")), History("edit", inv2))
    assert local.undo_top() == inv2 and local.redo_top() is None
    local.record(action(3, inv2), History("undo", act.TaskTitle(id="t1", title="new")))
    assert local.undo_top() == inv1
    assert local.redo_top() == act.TaskTitle(id="t1", title="new")
    local.record(action(4, act.TaskDone(id="t1", done=True)), History("edit", None))
    assert local.redo_top() is None and local.undo_top() == inv1


def test_history_is_capped(local: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exactly the newest seven steps can be undone, and the table stays bounded."""
    assert HISTORY_LIMIT >= 100  # a useful depth; the cap itself is tested at a small size
    monkeypatch.setattr(local_store, "HISTORY_LIMIT", 7)
    edits = 3 * TRIM_HISTORY_EVERY + 5
    for n in range(edits):
        local.record(action(n, act.TaskDone(id="t", done=bool(n % 2))), History("edit", inv(n)))
        assert history_rows(local, "undo") <= 7 + TRIM_HISTORY_EVERY
    assert local.history_size("undo") == 7
    assert undo_all(local, edits) == [inv(n) for n in reversed(range(edits - 7, edits))]
    assert history_rows(local, "undo") == 0 and local.history_size("redo") == 7


def test_a_larger_limit_does_not_bring_back_dropped_steps(local: LocalStore) -> None:
    local.set_history_limit(3)
    for n in range(20):
        local.record(action(n), History("edit", inv(n)))
    local.set_history_limit(50)
    assert local.history_size("undo") == 3
    assert undo_all(local, 20) == [inv(19), inv(18), inv(17)]


def test_an_edit_deletes_no_old_step_but_every_64th(local: LocalStore) -> None:
    """Dropping the step past the limit on every dispatch walked the whole stack and
    rewrote two more pages per durable commit; the pushes trim in batches instead."""
    local.set_history_limit(5)
    statements: list[str] = []
    local.db.set_trace_callback(statements.append)
    for n in range(2 * TRIM_HISTORY_EVERY):
        local.record(action(n), History("edit", inv(n)))
    local.db.set_trace_callback(None)
    trims = [s for s in statements if s.startswith("DELETE FROM undo_steps WHERE seq <=")]
    assert len(trims) == 2
    # BEGIN, the journal row, the redo stack cleared, the undo entry, COMMIT
    assert len(statements) == 5 * 2 * TRIM_HISTORY_EVERY + len(trims) * 2
    assert local.history_size("undo") == 5


def inv(n: int) -> act.TaskTitle:
    return act.TaskTitle(id="t", title=str(n))


def history_rows(local: LocalStore, stack: str) -> int:
    return local.db.execute(f"SELECT count(*) FROM {stack}_steps").fetchone()[0]


def undo_all(local: LocalStore, first: int) -> list[act.Arg]:
    """Undo until nothing is left; the steps undone, newest first."""
    undone: list[act.Arg] = []
    while (top := local.undo_top()) is not None:
        undone.append(top)
        local.record(action(first + len(undone), top), History("undo", inv(-1)))
    return undone


# -- checkpoints -----------------------------------------------------------------------------


def test_checkpoints_round_trip_and_replace(local: LocalStore) -> None:
    assert local.load_checkpoint("view") is None
    state = State().with_task(Task(id="t1", title="x", created=T0, updated=T0))
    local.save_checkpoint("view", state, 7)
    assert local.load_checkpoint("view") == (state, 7)
    local.save_checkpoint("view", State(), 9)
    assert local.load_checkpoint("view") == (State(), 9)
    assert local.load_checkpoint("base") is None


def test_an_unreadable_checkpoint_is_a_storage_error(local: LocalStore) -> None:
    local.save_checkpoint("view", State(), 1)
    local.db.execute("UPDATE checkpoints SET body=? WHERE name='view'", (b"{oops",))
    with pytest.raises(StorageError, match="unreadable"):
        local.load_checkpoint("view")


def test_integrity_check_is_ok_after_use(local: LocalStore) -> None:
    local.record_many([action(n) for n in range(50)])
    local.save_checkpoint("view", State(), local.last_seq())
    assert local.integrity_check() == "ok"


def test_close_then_use_again_reopens(local: LocalStore) -> None:
    local.record(action(1), EDIT)
    local.close()
    assert [a.id for _, a in local.local_actions()] == ["a00001"]


# -- the base between a pull and a push (issue 14) ---------------------------------------
# Real rounds on a real folder remote: these guards only show across pull, push and
# a second connection, which no single LocalStore call exercises.


def _devices(tmp_path: Path) -> tuple[Path, Device, Device]:
    root = tmp_path / "remote"
    root.mkdir()
    log = SharedLog()
    a = Device("a", tmp_path / "a", Tap(FolderRemoteStore(root), log))
    b = Device("b", tmp_path / "b", Tap(FolderRemoteStore(root), log))
    return root, a, b


def _disk_view(local: LocalStore) -> dict:
    """The base folded with every pending local action: what the device must show."""
    return views.document(fold(local.base()[0], [a for _, a in local.local_actions()]))


def test_commit_base_keeps_a_pending_edit_in_the_view_when_the_push_ack_is_lost(
    tmp_path: Path,
) -> None:
    """Guard 1: the pulled base is written with pending local actions rebased on it."""
    _, a, b = _devices(tmp_path)
    shared = a.app.add_task("shared")
    a.sync()
    b.sync()
    b.app.edit(shared, priority="high")
    b.app.add_task("from b")
    b.sync()
    a.app.edit(shared, title="pending on a")
    a.remote.lose_next_ack = True
    with pytest.raises(LostAck):
        a.engine().sync()  # pulled b's update, pushed, never heard back
    assert a.app.local.pending_count() == 1

    def shows_everything() -> None:
        task = a.app.state.tasks[shared]
        assert (task.title, task.priority.name) == ("pending on a", "HIGH")
        assert "from b" in {t.title for t in a.app.state.tasks.values()}
        assert a.document() == _disk_view(a.app.local)

    a.app.reload_view()
    shows_everything()
    a.restart()
    shows_everything()
    a.sync()
    b.sync()
    assert a.document() == b.document()
    assert b.app.state.tasks[shared].title == "pending on a"
    a.close()
    b.close()


class _PauseBeforeCommit:
    """A real remote that runs ``meanwhile`` once, when the round fetches its first
    update: after its list, before its commit_base."""

    def __init__(self, inner: FolderRemoteStore, meanwhile: Callable[[], None]) -> None:
        self.inner = inner
        self.meanwhile: Callable[[], None] | None = meanwhile

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        if key.startswith(protocol.UPDATES) and self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None
            run()
        return self.inner.get(key)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        return self.inner.put_if_absent(key, data)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()


def test_the_slower_of_two_rounds_on_one_profile_is_refused_and_a_retry_converges(
    tmp_path: Path,
) -> None:
    """Guard 3 (``expected_position``): the window's round and ``desktop-app sync`` at
    once. The slower must not commit its older base over the faster one's."""
    root, a, b = _devices(tmp_path)
    a.app.add_task("a0")
    a.sync()
    b.sync()
    b.app.add_task("b1")
    b.sync()
    a.app.add_task("a1")  # pending on A: the faster round pushes it
    cli = App(a.data_dir)  # a second connection to A's profile, as another process

    def faster_round() -> None:
        b.app.add_task("b2")  # lands after the slower round listed
        b.sync()
        SyncEngine(cli.local, FolderRemoteStore(root), cli.clock).sync()

    slower = SyncEngine(
        a.app.local, _PauseBeforeCommit(FolderRemoteStore(root), faster_round), a.app.clock
    )
    with pytest.raises(StorageError, match=r"another sync .* try again"):
        slower.sync()
    cli.close()
    a.sync()  # the retry
    b.sync()
    everything = {"a0", "a1", "b1", "b2"}
    assert {t.title for t in a.app.state.tasks.values()} == everything
    assert a.document() == b.document() == _disk_view(a.app.local)
    assert a.app.local.pending_count() == 0
    a.restart()
    assert {t.title for t in a.app.state.tasks.values()} == everything
    a.close()
    b.close()


def at_schema(db_path: Path, version: int) -> sqlite3.Connection:
    """A profile made by the app of schema ``version`` (its migrations, run as it ran them)."""
    from desktop_app.storage.migrations import MIGRATIONS

    conn = raw(db_path)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version={number}")
    return conn


def test_checkpoints_of_schema_4_survive_the_move_to_a_rowid_table(db_path: Path) -> None:
    conn = at_schema(db_path, 4)  # checkpoints WITHOUT ROWID, with both rows
    conn.executescript(
        """
        DROP TABLE checkpoints;
        CREATE TABLE checkpoints(
            name TEXT PRIMARY KEY CHECK (name IN ('view', 'base')),
            mark INTEGER NOT NULL,
            body BLOB NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO checkpoints VALUES ('base', 7, x'0102'), ('view', 9, x'030405');
        PRAGMA user_version=4;
        """
    )
    conn.close()
    store = LocalStore(db_path)
    try:
        rows = store.db.execute("SELECT name, mark, body FROM checkpoints ORDER BY name")
        assert rows.fetchall() == [("base", 7, b"\x01\x02"), ("view", 9, b"\x03\x04\x05")]
        (sql,) = store.db.execute(
            "SELECT sql FROM sqlite_master WHERE name='checkpoints'"
        ).fetchone()
        assert "WITHOUT ROWID" not in sql.upper()
        assert store.integrity_check() == "ok"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("view", "flagged"), [((0, b""), True), ((9, b""), False), ((0, b"{}"), False)]
)
def test_schema_5_views_a_round_made_the_base_are_flagged_so_in_schema_6(
    db_path: Path, view: tuple[int, bytes], flagged: bool
) -> None:
    """Migration 6: the view row a round wrote (mark 0, no body) becomes the flag
    ``view_is_base``; a folded journal's (a mark) or a saved view stays a row."""
    conn = at_schema(db_path, 5)
    conn.execute("INSERT OR REPLACE INTO checkpoints VALUES ('view', ?, ?)", view)
    conn.close()
    store = LocalStore(db_path)
    try:
        assert (store.meta("view_is_base") == "1") is flagged
        loaded = store.load_checkpoint("view")
        assert loaded is not None and loaded[1] == view[0]
    finally:
        store.close()


def test_a_schema_6_profile_keeps_its_steps_and_grouped_actions_through_7_and_8(
    db_path: Path,
) -> None:
    """Migration 7 indexes only grouped actions by update; 8 moves each stack of the
    one history table (its seqs interleaved) to a table of its own."""
    from desktop_app.core import codec

    conn = at_schema(db_path, 6)
    history = [("undo", 1), ("redo", 9), ("undo", 2), ("undo", 3), ("redo", 8)]
    conn.executemany(
        "INSERT INTO history(stack, body) VALUES (?, ?)",
        [(stack, codec.encode(inv(n))) for stack, n in history],
    )
    conn.execute("INSERT INTO updates(id, status, at) VALUES ('u1', 'new', 1)")
    conn.executemany(
        "INSERT INTO local_actions(id, body, update_id) VALUES (?, ?, ?)",
        [
            ("a00001", codec.encode_action(action(1)), "u1"),
            ("a00002", codec.encode_action(action(2)), None),
        ],
    )
    conn.close()
    store = LocalStore(db_path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.integrity_check() == "ok"
        assert (store.history_size("undo"), store.history_size("redo")) == (3, 2)
        assert [a.id for a in store.update_actions("u1")] == ["a00001"]
        assert store.pending_count() == 2
        assert store.redo_top() == inv(8)
        assert undo_all(store, 100) == [inv(3), inv(2), inv(1)]
        (sql,) = store.db.execute(
            "SELECT sql FROM sqlite_master WHERE name='local_actions_by_update'"
        ).fetchone()
        assert "WHERE update_id IS NOT NULL" in sql
    finally:
        store.close()


def test_a_dispatch_writes_four_pages(local: LocalStore) -> None:
    """The journal row, its id index, the sequence and the undo step: the floor's three
    and one (the redo stack's emptying and the ungrouped action write nothing)."""
    for n in range(5):
        local.record(action(n), History("edit", inv(n)))
    before = local.db.total_changes
    pages_before = wal_frames(local)
    for n in range(5, 25):
        local.record(action(n), History("edit", inv(n)))
    assert local.db.total_changes > before
    assert (wal_frames(local) - pages_before) / 20 <= 4.2


def wal_frames(local: LocalStore) -> int:
    wal = Path(str(local.path) + "-wal")
    return (wal.stat().st_size - 32) // (24 + local.db.execute("PRAGMA page_size").fetchone()[0])


def test_a_checkpoint_is_read_through_a_blob_handle(tmp_path: Path) -> None:
    """No statement selects a checkpoint's body: SQLite would assemble the whole value
    in a buffer of its own before Python copies it (a 50 MB note touched twice). The
    blob handle gives the same bytes, and outside a transaction the plain read does."""
    with App(tmp_path / "data") as app:
        app.add_task("kept")
        app.add_note("long", body="words " * 50_000)
        app.checkpoint()
    store = LocalStore.in_dir(tmp_path / "data", read_only=True)
    try:
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        try:
            state, _mark = store.load_checkpoint("view")
        finally:
            store.db.set_trace_callback(None)
        assert [t.title for t in state.tasks.values()] == ["kept"]
        assert [n.body for n in state.notes.values()] == ["words " * 50_000]
        reads = [s for s in statements if "FROM checkpoints" in s]
        assert reads, statements
        assert not any("body" in s.split("FROM")[0] for s in reads), reads
        outside = {n: local_store._checkpoint_row(store.db, n) for n in ("view", "base")}
        with store.read_transaction() as db:
            inside = {n: local_store._checkpoint_row(db, n) for n in ("view", "base")}
        assert outside == inside
        assert max(len(row[0]) for row in inside.values() if row) > 300_000
    finally:
        store.close()
