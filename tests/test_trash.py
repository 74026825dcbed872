"""The trash: deletion stamps, restore (one action that syncs), delete for ever
and the 30-day purge that names its ids so replicas agree."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop_app.app import trash
from desktop_app.core.trash import expired_ids, trash_entries
from desktop_app.sync.folder_store import FolderRemoteStore
from tests.sync_harness import Device

DAY_S = 86400.0


def test_a_deletion_carries_the_moment_of_its_action(tmp_path: Path) -> None:
    device = Device("laptop", tmp_path / "laptop", FolderRemoteStore(tmp_path / "share"))
    app = device.app
    task = app.add_task("Buy milk")
    app.edit(task, title="Buy oat milk")
    action = app.dispatch(app.delete_step(task))
    tomb = app.state.deleted[task]
    assert tomb.deleted_at == action.when
    [entry] = trash.entries(app)
    assert (entry.id, entry.title, entry.kind) == (task, "Buy oat milk", "Task")


def test_restore_is_one_action_that_syncs_and_undoes(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    laptop = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share))
    desktop = Device("desktop", tmp_path / "desktop", FolderRemoteStore(share))
    a = laptop.app.add_task("a")
    b = laptop.app.add_note("b")
    laptop.app.dispatch_steps([laptop.app.delete_step(a), laptop.app.delete_step(b)])
    laptop.sync()
    desktop.sync()
    assert {e.id for e in trash.entries(desktop.app)} == {a, b}

    before = desktop.app.local.pending_count()
    trash.restore(desktop.app, [a, b])
    assert desktop.app.local.pending_count() == before + 1  # one action
    assert trash.entries(desktop.app) == []
    desktop.sync()
    laptop.sync()
    assert laptop.app.state.tasks[a].title == "a" and b in laptop.app.state.notes
    assert laptop.document() == desktop.document()

    desktop.app.undo()
    assert a not in desktop.app.state.tasks and len(trash.entries(desktop.app)) == 2


def test_delete_for_ever_and_empty_trash(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    laptop = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share))
    desktop = Device("desktop", tmp_path / "desktop", FolderRemoteStore(share))
    ids = [laptop.app.add_task(t) for t in "abc"]
    laptop.app.dispatch_steps([laptop.app.delete_step(i) for i in ids])
    trash.purge(laptop.app, [ids[0]])
    assert [e.id for e in trash.entries(laptop.app)] == ids[:0:-1] or len(
        trash.entries(laptop.app)
    ) == 2
    assert ids[0] not in laptop.app.state.deleted
    trash.empty(laptop.app)
    assert trash.entries(laptop.app) == [] and not laptop.app.state.deleted
    assert trash.empty(laptop.app) is None  # nothing to do, nothing dispatched
    laptop.sync()
    desktop.sync()
    assert not desktop.app.state.deleted and laptop.document() == desktop.document()


def test_items_older_than_30_days_are_purged_by_one_action_naming_them(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    # The laptop deletes "old" 31 days ago (by its clock), "recent" 2 days ago.
    past = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share), skew_s=-31 * DAY_S)
    old = past.app.add_task("old")
    past.app.delete(old)
    past.sync()
    past.app.close()
    recent_dev = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share), skew_s=-2 * DAY_S)
    recent = recent_dev.app.add_task("recent")
    recent_dev.app.delete(recent)
    recent_dev.sync()
    recent_dev.app.close()

    now_dev = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share))
    action = trash.purge_expired(now_dev.app)
    assert action is not None and action.arg.ids == (old,)
    assert [e.id for e in trash.entries(now_dev.app)] == [recent]
    assert trash.purge_expired(now_dev.app) is None  # opening again changes nothing
    now_dev.sync()
    # A replica whose clock is far behind still drops exactly what the action named.
    behind = Device("desktop", tmp_path / "desktop", FolderRemoteStore(share), skew_s=-40 * DAY_S)
    behind.sync()
    assert behind.document() == now_dev.document()
    assert [e.id for e in trash.entries(behind.app)] == [recent]


def test_an_edited_tombstone_is_not_purged_while_its_problem_is_open(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    laptop = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share))
    desktop = Device("desktop", tmp_path / "desktop", FolderRemoteStore(share))
    task = laptop.app.add_task("shared")
    laptop.sync()
    desktop.sync()
    laptop.app.delete(task)
    desktop.app.edit(task, title="edited meanwhile")
    laptop.sync()
    desktop.sync()
    laptop.sync()
    state = laptop.app.state
    assert state.deleted[task].edited
    later = datetime.fromtimestamp(time.time(), tz=UTC) + timedelta(days=60)
    assert expired_ids(state, later) == ()
    assert [e.title for e in trash_entries(state)] == ["edited meanwhile"]
