"""Folder-remote specifics: an unmounted share must not fork the vault."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.protocol import ProtocolError
from tests.sync_harness import Device


def test_an_unmounted_share_is_refused_not_forked(tmp_path: Path) -> None:
    share = tmp_path / "nas"
    share.mkdir()
    device = Device("laptop", tmp_path / "laptop", FolderRemoteStore(share))
    device.app.add_task("synced")
    device.sync()
    device.app.add_task("written while the share was away")
    before = device.document()

    share.rename(tmp_path / "nas-real")  # the share is unmounted...
    share.mkdir()  # ...leaving an empty mount point behind
    with pytest.raises(ProtocolError, match="no longer holds"):
        device.sync()
    assert device.document() == before
    assert device.app.local.pending_count() == 1
    assert list(share.iterdir()) == []  # nothing was written to the mount point

    share.rmdir()
    (tmp_path / "nas-real").rename(share)  # mounted again
    report = device.sync()
    assert report.pushed_actions == 1
    assert device.app.local.pending_count() == 0
    device.close()


def test_seeding_interrupted_after_the_vault_was_created_is_finished_later(
    tmp_path: Path,
) -> None:
    """A crash between writing meta.json and the seed snapshot must not strand the data."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    device = Device("laptop", tmp_path / "laptop", FolderRemoteStore(first))
    device.app.add_task("made before the move")
    device.sync()
    before = device.document()

    class CrashBeforeSeed(FolderRemoteStore):
        def put_if_absent(self, key: str, data: bytes) -> bool:
            if key.startswith("snapshots/"):
                raise OSError("power cut (test)")
            return super().put_if_absent(key, data)

    device.remote = CrashBeforeSeed(second)
    with pytest.raises(OSError):
        device.sync()
    assert (second / "meta.json").exists() and not (second / "snapshots").exists()

    device.remote = FolderRemoteStore(second)
    assert device.sync().seeded
    newcomer = Device("desktop", tmp_path / "desktop", FolderRemoteStore(second))
    newcomer.sync()
    assert newcomer.document() == before
    device.close()
    newcomer.close()
