"""Issue 6's scenarios, each through a real folder store (S3 ones in test_sync_s3):
moved vaults, joining mid-seed, commits into retired positions, torn and hostile
objects, newer formats, leaked connections and timestamps after a crash.

Each ends converged with nothing lost, or in a clear refusal that loses nothing.
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from desktop_app.core import codec, views
from desktop_app.sync import protocol
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.protocol import NewerFormat, ProtocolError
from desktop_app.sync.remote import RemoteUnavailable
from desktop_app.sync.rollup import rollup
from tests.sync_harness import Device


def folder(tmp_path: Path, name: str) -> FolderRemoteStore:
    root = tmp_path / name
    root.mkdir()
    return FolderRemoteStore(root)


def point_at(device: Device, store: FolderRemoteStore) -> None:
    """What `desktop-app remote ...` does: a new remote, bound afresh next round."""
    device.remote = store
    device.app.local.set_meta("vault_remote", None)


def titles(device: Device) -> set[str]:
    doc = device.document()
    return {t["title"] for t in doc["tasks"]} | {n["title"] for n in doc["notes"]}


def converged(*devices: Device) -> None:
    for _ in range(2):
        for device in devices:
            device.sync()
    first = codec.encode_state(devices[0].app.state)
    for device in devices[1:]:
        assert codec.encode_state(device.app.state) == first, device.name
    for device in devices:
        assert device.app.local.pending_count() == 0, device.name


@pytest.fixture
def old(tmp_path: Path) -> FolderRemoteStore:
    return folder(tmp_path, "old")


# -- 1. moving the vault to a new, empty remote ------------------------------------------


def test_move_device_behind_keeps_its_unsynced_edit(tmp_path: Path, old) -> None:
    a = Device("a", tmp_path / "a", old)
    b = Device("b", tmp_path / "b", old)
    a.app.add_task("shared")
    a.sync()
    b.sync()
    for i in range(3):  # b falls a few updates behind
        a.app.add_task(f"a{i}")
        a.sync()
    new = folder(tmp_path, "new")
    point_at(a, new)
    assert a.sync().seeded
    b.app.add_task("b offline edit")
    point_at(b, new)
    report = b.sync()
    converged(a, b)
    assert titles(a) == {"shared", "a0", "a1", "a2", "b offline edit"}
    assert report.rebound
    newcomer = Device("c", tmp_path / "c", new)
    newcomer.sync()
    assert titles(newcomer) == titles(a)


def test_move_device_ahead_pushes_what_the_new_remote_lacks(tmp_path: Path, old) -> None:
    a = Device("a", tmp_path / "a", old)
    b = Device("b", tmp_path / "b", old)
    c = Device("c", tmp_path / "c", old)
    a.app.add_task("shared")
    a.sync()
    b.sync()
    b.app.add_task("b committed on the old remote")
    b.sync()
    c.app.add_task("c committed, a never saw it")
    c.sync()
    b.sync()  # b is now ahead of a
    new = folder(tmp_path, "new")
    point_at(a, new)
    a.sync()
    point_at(b, new)
    report = b.sync()
    converged(a, b)
    assert titles(a) == {"shared", "b committed on the old remote", "c committed, a never saw it"}
    assert report.rebound and report.repushed == 2
    # No second snapshot claims a position of its own: the new log has one genesis.
    assert not list((tmp_path / "new").glob("snapshots/*"))


def test_move_with_an_update_sent_but_never_confirmed(tmp_path: Path, old, monkeypatch) -> None:
    """The update landed on the old remote, the crash came before it was folded
    locally: it is pushed again to the new remote, and its local copy is never
    read in place of what the new remote holds at that number."""
    a = Device("a", tmp_path / "a", old)
    b = Device("b", tmp_path / "b", old)
    a.app.add_task("shared")
    a.sync()
    b.sync()
    b.app.add_task("sent, unconfirmed")
    crash = RuntimeError("crash after the upload (test)")

    def crash_before_fold(self, *args, **kwargs):
        raise crash

    with monkeypatch.context() as patch:
        patch.setattr(SyncEngine, "_fold_own", crash_before_fold)
        with pytest.raises(RuntimeError):
            b.sync()
    assert b.app.local.own_updates("sent")
    new = folder(tmp_path, "new")
    point_at(a, new)
    a.sync()
    for i in range(3):  # the new remote's positions fill with other updates
        a.app.add_task(f"new remote {i}")
        a.sync()
    point_at(b, new)
    b.sync()
    converged(a, b)
    assert "sent, unconfirmed" in titles(a)
    assert {"new remote 0", "new remote 1", "new remote 2"} <= titles(b)


def test_a_log_replaced_under_the_same_name_is_noticed_and_rejoined(tmp_path: Path) -> None:
    store = folder(tmp_path, "share")
    a = Device("a", tmp_path / "a", store)
    b = Device("b", tmp_path / "b", store)
    a.app.add_task("before the wipe")
    a.sync()
    b.sync()
    b.app.add_task("b's last committed edit")
    b.sync()
    a.sync()
    # The share is wiped and re-seeded from a device that never saw b's edit.
    for path in sorted((tmp_path / "share").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    c = Device("c", tmp_path / "c", store)
    c.app.add_task("c's own vault")
    c.app.local.set_meta("vault_id", a.app.local.meta("vault_id"))  # restored from a backup
    c.sync()
    c.app.add_task("c after founding")
    c.sync()
    report = b.sync()  # b never re-pointed: it must notice the new log on its own
    converged(a, b, c)
    assert titles(a) >= {"before the wipe", "b's last committed edit", "c after founding"}
    assert report.rebound


def test_an_emptied_remote_is_refused_until_set_again(tmp_path: Path) -> None:
    store = folder(tmp_path, "bucket")
    a = Device("a", tmp_path / "a", store)
    a.app.add_task("kept")
    a.sync()
    for path in sorted((tmp_path / "bucket").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    before = a.document()
    with pytest.raises(ProtocolError, match="no longer holds"):
        a.sync()
    assert a.document() == before
    assert not list((tmp_path / "bucket").iterdir())
    point_at(a, store)  # the user says: this is on purpose
    assert a.sync().seeded
    fresh = Device("fresh", tmp_path / "fresh", store)
    fresh.sync()
    assert titles(fresh) == {"kept"}


def backed_up_pair(tmp_path: Path) -> tuple[FolderRemoteStore, Device, Device]:
    """Two devices on a "nas" folder holding one task, copied to "backup"."""
    store = folder(tmp_path, "nas")
    a = Device("a", tmp_path / "a", store)
    b = Device("b", tmp_path / "b", store)
    a.app.add_task("in the backup")
    a.sync()
    b.sync()
    shutil.copytree(tmp_path / "nas", tmp_path / "backup")
    return store, a, b


def restore_backup(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "nas")
    shutil.copytree(tmp_path / "backup", tmp_path / "nas")


def test_a_restored_older_copy_gets_back_what_it_lacks(tmp_path: Path) -> None:
    _, a, b = backed_up_pair(tmp_path)
    b.app.add_task("after the backup")
    b.sync()
    a.sync()
    restore_backup(tmp_path)
    b.sync()
    a.sync()
    converged(a, b)
    assert titles(a) == {"in the backup", "after the backup"}


def test_a_restored_copy_whose_position_another_device_reused(tmp_path: Path) -> None:
    """The restore drops a's update; b's next one lands at its position. a must not
    take b's update for its own (they diverged, and a's edit left the log)."""
    store, a, b = backed_up_pair(tmp_path)
    a.app.add_task("lost with the restore")
    a.sync()
    restore_backup(tmp_path)
    b.app.add_task("b after the restore")
    b.sync()  # lands where a's update was
    a.sync()
    converged(a, b)
    assert titles(b) == {"in the backup", "lost with the restore", "b after the restore"}
    newcomer = Device("c", tmp_path / "c", store)
    newcomer.sync()
    assert titles(newcomer) == titles(b)


def test_a_restore_between_a_devices_pull_and_its_push_loses_nothing(tmp_path: Path) -> None:
    """b folds a's update, the store is restored from a backup without it, and b's
    next update lands right after the hole, linked to the lost one (seed 9112 of
    the simulator). a's edit must come back, and every device must end in one
    order: b folded a's title before its own, the log now holds them the other
    way round."""
    _, a, b = backed_up_pair(tmp_path)
    b.remote = RetireBeforePut(tmp_path / "nas", None)  # defined below: a hook before a put
    task = next(t.id for t in a.app.state.tasks.values() if t.title == "in the backup")
    a.app.edit(task, title="a's title, lost with the restore")
    a.app.add_task("a's task, lost with the restore")
    a.sync()
    b.remote.before = lambda: restore_backup(tmp_path)
    b.app.edit(task, title="b's title")
    b.app.add_task("b's task, written past the hole")
    b.sync()  # pulls a's update, then the restore, then b's update lands after the hole
    newcomer = Device("c", tmp_path / "c", folder(tmp_path, "unused"))
    newcomer.remote = b.remote
    converged(a, b, newcomer)
    assert titles(a) - {"a's title, lost with the restore", "b's title"} == {
        "a's task, lost with the restore",
        "b's task, written past the hole",
    }
    late = Device("d", tmp_path / "d", FolderRemoteStore(tmp_path / "nas"))
    late.sync()
    assert codec.encode_state(late.app.state) == codec.encode_state(a.app.state)


# -- 3. a commit into a position that roll-up already retired --------------------------


class RetireBeforePut(FolderRemoteStore):
    """Runs ``before`` once, just before this device's next update upload: the
    moment a slow writer (a suspended laptop) is between its listing and its write."""

    def __init__(self, root, before) -> None:
        super().__init__(root)
        self.before = before

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if key.startswith(protocol.UPDATES) and self.before is not None:
            hook, self.before = self.before, None
            hook()
        return super().put_if_absent(key, data)


def synced_pair(tmp_path: Path) -> tuple[Path, Device, Device]:
    """Two devices on one folder remote, both at the founding update ("start")."""
    root = tmp_path / "remote"
    root.mkdir()
    a = Device("a", tmp_path / "a", FolderRemoteStore(root))
    b = Device("b", tmp_path / "b", FolderRemoteStore(root))
    a.app.add_task("start")
    a.sync()
    b.sync()
    return root, a, b


def test_a_commit_into_a_retired_position_is_never_lost(tmp_path: Path) -> None:
    root, a, b = synced_pair(tmp_path)

    def others_commit_and_roll_up() -> None:
        for i in range(3):
            b.app.add_task(f"b{i}")
            b.sync()
        rollup(FolderRemoteStore(root), retention=timedelta(0))

    slow = RetireBeforePut(root, others_commit_and_roll_up)
    a.remote = slow
    a.app.add_task("slow writer")
    start = a.app.local.base()[1]
    a.sync()
    # a's create landed where a retired update was: below the snapshot.
    assert (root / "updates" / f"{start + 1:012d}").exists()
    snapshots = sorted(int(p.name) for p in (root / "snapshots").iterdir())
    assert snapshots[-1] > start + 1
    reader = Device("reader", tmp_path / "reader", FolderRemoteStore(root))
    converged(a, b, reader)
    assert titles(reader) == {"start", "b0", "b1", "b2", "slow writer"}
    rollup(FolderRemoteStore(root), retention=timedelta(0))
    late = Device("late", tmp_path / "late", FolderRemoteStore(root))
    late.sync()
    assert titles(late) == titles(reader)


def test_an_orphan_at_the_newest_snapshots_own_position_is_never_lost(tmp_path: Path) -> None:
    """The roll-up's snapshot lands exactly where the slow writer's update lands: a
    commit follows the snapshot before the roll-up deletes, so the update there is
    retired and the slow writer creates it again (simulator seed 60101, skew). Its
    base then sits at the snapshot's own position, on an update the snapshot
    does not name."""
    root, a, b = synced_pair(tmp_path)

    class CommitAfterTheSnapshot(FolderRemoteStore):
        def put_if_absent(self, key: str, data: bytes) -> bool:
            created = super().put_if_absent(key, data)
            if key.startswith(protocol.SNAPSHOTS):
                b.app.add_task("b after the snapshot")
                b.sync()
            return created

    def others_commit_and_roll_up() -> None:
        b.app.add_task("b0")
        b.sync()
        rollup(CommitAfterTheSnapshot(root), retention=timedelta(0))

    a.remote = RetireBeforePut(root, others_commit_and_roll_up)
    start = a.app.local.base()[1]
    a.app.add_task("slow writer")
    a.sync()
    snapshots = sorted(int(p.name) for p in (root / "snapshots").iterdir())
    assert snapshots == [start + 1]  # a's update is at the snapshot's position, not in it
    assert (root / "updates" / f"{start + 1:012d}").exists()
    reader = Device("reader", tmp_path / "reader", FolderRemoteStore(root))
    converged(a, b, reader)
    assert titles(reader) == {"start", "b0", "b after the snapshot", "slow writer"}


# -- hostile, torn and newer objects --------------------------------------------------------


def _next_key(root: Path) -> Path:
    highest = max(int(p.name) for p in (root / "updates").iterdir())
    return root / "updates" / f"{highest + 1:012d}"


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff not json",
        b'{"format": 2, "id": "u", "device": "d", "at": 1, "position": 3, "actions": [',
        b'{"hello": "another program"}',
        b"[" * 100_000 + b"]" * 100_000,
        b"",
    ],
    ids=["binary", "torn", "another-program", "deeply-nested", "empty"],
)
def test_an_unusable_object_is_quarantined_the_same_way_everywhere(
    tmp_path: Path, garbage: bytes
) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    a = Device("a", tmp_path / "a", FolderRemoteStore(root))
    b = Device("b", tmp_path / "b", FolderRemoteStore(root))
    a.app.add_task("before")
    a.sync()
    b.sync()
    bad = _next_key(root)
    bad.write_bytes(garbage)
    a.app.add_task("after")
    report = a.sync()
    assert report.quarantined == [f"updates/{bad.name}"]
    assert "skipped unreadable" in report.summary()
    b.app.add_task("b after")
    converged(a, b)
    rollup(FolderRemoteStore(root), retention=timedelta(0))
    c = Device("c", tmp_path / "c", FolderRemoteStore(root))
    c.sync()
    assert titles(c) == titles(a) == {"before", "after", "b after"}
    assert codec.encode_state(c.app.state) == codec.encode_state(a.app.state)


def test_an_oversized_object_is_quarantined_unread(tmp_path: Path, monkeypatch) -> None:
    from desktop_app.sync import remote

    root = tmp_path / "remote"
    root.mkdir()
    a = Device("a", tmp_path / "a", FolderRemoteStore(root))
    a.app.add_task("before")
    a.sync()
    monkeypatch.setattr(remote, "MAX_OBJECT_BYTES", 64 * 1024)
    huge = _next_key(root)
    huge.write_bytes(b"{" + b" " * (1024 * 1024) + b"}")
    snapshot = root / "snapshots" / huge.name
    snapshot.parent.mkdir()
    snapshot.write_bytes(b"x" * (1024 * 1024))  # a huge "snapshot" too
    fresh = Device("fresh", tmp_path / "fresh", FolderRemoteStore(root))
    report = fresh.sync()
    assert f"updates/{huge.name}" in report.quarantined
    assert f"snapshots/{huge.name}" in report.quarantined
    a.app.add_task("after")
    converged(a, fresh)
    assert titles(fresh) == {"before", "after"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"format": 3, "id": "u", "device": "d", "at": 1, "position": 0, "actions": []}',
        b'{"format": 2, "id": "u", "device": "d", "at": 1, "position": 0, "prev": "",'
        b' "actions": [{"id": "x", "device": "d", "at": 1,'
        b' "arg": {"action": "set_task_colour", "id": "t", "colour": "red"}}]}',
    ],
    ids=["newer-format", "unknown-action"],
)
def test_a_newer_object_is_never_skipped(tmp_path: Path, body: bytes) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    a = Device("a", tmp_path / "a", FolderRemoteStore(root))
    b = Device("b", tmp_path / "b", FolderRemoteStore(root))
    a.app.add_task("before")
    a.sync()
    a.app.add_task("committed just before the newer one")
    a.sync()
    newer = _next_key(root)
    newer.write_bytes(body.replace(b'"position": 0', f'"position": {int(newer.name)}'.encode()))
    b.app.add_task("b's pending edit")
    with pytest.raises(NewerFormat, match="update Tidemark"):
        b.sync()
    b.app.reload_view()  # what the window does after any round, failed or not
    assert titles(b) == {"before", "committed just before the newer one", "b's pending edit"}
    assert b.app.local.pending_count() == 1  # kept for the upgraded app to send
    assert b.app.local.base()[1] == int(newer.name) - 1
    with pytest.raises(NewerFormat):
        rollup(FolderRemoteStore(root))


# -- 6. connections and 9. time ----------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_rounds_do_not_leak_database_connections(tmp_path: Path) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    writer = Device("w", tmp_path / "w", FolderRemoteStore(root))
    reader = Device("r", tmp_path / "r", FolderRemoteStore(root))
    writer.app.add_task("warm up")
    writer.sync()
    reader.sync()
    open_files = len(list(Path("/proc/self/fd").iterdir()))
    for round_ in range(30):
        for i in range(3):
            writer.app.add_task(f"t{round_}-{i}")
            writer.sync()
        reader.app.add_task(f"r{round_}")
        reader.sync()  # pulls several updates on pool threads
    assert len(list(Path("/proc/self/fd").iterdir())) - open_files < 10


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    """A pool thread that touched the store must not keep its connection (and its
    file descriptors) for ever: the window ran out of them after a few dozen rounds."""
    import threading

    from desktop_app.storage import LocalStore

    local = LocalStore(tmp_path / "db.sqlite3")
    local.pending_count()
    open_files = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(60):
        worker = threading.Thread(target=local.pending_count)
        worker.start()
        worker.join()
    local.pending_count()
    threading.Thread(target=local.pending_count).start()
    assert len(list(Path("/proc/self/fd").iterdir())) - open_files < 10
    local.close()


def test_timestamps_never_go_back_after_a_crash(tmp_path: Path) -> None:
    store = folder(tmp_path, "remote")
    offset = [0.0]
    device = Device("a", tmp_path / "a", store)
    device._wall = lambda: time.time() + offset[0]
    device.restart()
    device.app.add_task("first")
    stamped = max(t.created for t in device.app.state.tasks.values())
    device.sync()  # folds and drops the journaled action
    assert device.app.local.pending_count() == 0
    device.app.local.close()  # a crash: no checkpoint, no clean close
    offset[0] = -3600.0  # the wall clock is set back an hour meanwhile
    from desktop_app.app import App

    device.app = App(device.data_dir, wall=device._wall)
    later = device.app.add_task("second")
    assert device.app.state.tasks[later].created > stamped


def test_an_unreachable_remote_mid_round_loses_nothing(tmp_path: Path) -> None:
    store = folder(tmp_path, "remote")
    a = Device("a", tmp_path / "a", store)
    a.app.add_task("one")

    class DropsUploads(FolderRemoteStore):
        def put_if_absent(self, key: str, data: bytes) -> bool:
            if key.startswith(protocol.UPDATES) and key != protocol.update_key(1):
                raise RemoteUnavailable("offline (test)")
            return super().put_if_absent(key, data)

    a.remote = DropsUploads(tmp_path / "remote")
    with pytest.raises(RemoteUnavailable):
        a.sync()
    assert titles(a) == {"one"}
    a.remote = store
    a.sync()
    b = Device("b", tmp_path / "b", store)
    b.sync()
    assert views.document(b.app.state) == a.document()


def test_pulled_titles_and_tags_are_cleaned_the_same_everywhere(tmp_path: Path) -> None:
    """Another program (or an older version) wrote an action with a line break and
    a terminal escape in a title and a space in a tag: every device applies the
    cleaned text, identically, and the title cannot fake a line in `show`."""
    from desktop_app.core import Action
    from desktop_app.core import actions as act

    root = tmp_path / "remote"
    root.mkdir()
    a = Device("a", tmp_path / "a", FolderRemoteStore(root))
    b = Device("b", tmp_path / "b", FolderRemoteStore(root))
    task_id = a.app.add_task("plain")
    a.sync()
    b.sync()
    last = a.app.local.base_link()[0]
    position = a.app.local.base()[1] + 1
    dirty = act.Batch(
        steps=(
            act.TaskTitle(id=task_id, title="evil\n- [ ] fake task\x1b[31m"),
            act.AddTag(id=task_id, tag="two words"),
        )
    )
    action = Action(id="dirty-1", device="other", at=1_800_000_000_000, arg=dirty)
    update = protocol.Update(
        id="dirty-update", device="other", at=1, position=position, prev=last, actions=(action,)
    )
    (root / "updates" / f"{position:012d}").write_bytes(protocol.encode(update))
    converged(a, b)
    task = a.app.state.tasks[task_id]
    assert "\n" not in task.title and "\x1b" not in task.title
    assert all(" " not in tag for tag in task.tags)
    assert codec.encode_state(a.app.state) == codec.encode_state(b.app.state)


def test_a_store_emptied_under_a_roll_up_keeps_one_log(tmp_path: Path) -> None:
    """The store is emptied (or swapped for an empty one) while a roll-up writes, so
    its snapshot lands in the empty store. A device of that log carries on past the
    snapshot; another, pointed at the store again, finds no ``meta.json``. Founding
    a new log under the snapshot put two logs in one store (simulator seed 5130,
    ``remote_empty``): the devices never synced again. It writes the snapshot's
    log's ``meta.json`` again instead, and both carry on in that log."""
    root, a, b = synced_pair(tmp_path)
    for i in range(2):
        b.app.add_task(f"b{i}")
        b.sync()
    a.sync()
    rollup(FolderRemoteStore(root), retention=timedelta(0))
    snapshots = root / "snapshots"
    kept = {p.name: p.read_bytes() for p in snapshots.iterdir()}
    shutil.rmtree(root)
    snapshots.mkdir(parents=True)
    for name, data in kept.items():  # the roll-up's write, into the emptied store
        (snapshots / name).write_bytes(data)
    b.app.add_task("b after the store was emptied")
    b.sync()  # its update is gone, the snapshot covers it: on from the snapshot
    a.app.add_task("a after the store was emptied")
    point_at(a, FolderRemoteStore(root))
    a.sync()
    converged(a, b)
    assert titles(a) == {
        "start",
        "b0",
        "b1",
        "b after the store was emptied",
        "a after the store was emptied",
    }
    assert (root / protocol.META_KEY).exists()
    assert sorted(p.name for p in (root / "updates").iterdir())[0] != protocol.update_key(1)[-12:]
    late = Device("late", tmp_path / "late", FolderRemoteStore(root))
    late.sync()
    assert titles(late) == titles(a)


def test_a_new_device_refuses_a_store_with_snapshots_but_no_description(tmp_path: Path) -> None:
    """It cannot tell whose log the snapshots are: it says so, and founds nothing."""
    root, a, _ = synced_pair(tmp_path)
    a.sync()
    rollup(FolderRemoteStore(root), retention=timedelta(0))
    (root / protocol.META_KEY).unlink()
    stranger = Device("stranger", tmp_path / "stranger", FolderRemoteStore(root))
    stranger.app.add_task("kept here")
    with pytest.raises(ProtocolError, match=r"snapshots of a vault's log but no meta\.json"):
        stranger.sync()
    assert not (root / protocol.META_KEY).exists()
    assert titles(stranger) == {"kept here"}
