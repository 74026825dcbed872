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


@pytest.mark.parametrize("who_finishes", ["the founder", "a newcomer"])
def test_founding_interrupted_between_genesis_and_meta_is_finished_later(
    tmp_path: Path, who_finishes: str
) -> None:
    """A crash after the genesis and before meta.json must not strand the data, and
    a device joining in between must build on the genesis, never under it."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    device = Device("laptop", tmp_path / "laptop", FolderRemoteStore(first))
    device.app.add_task("made before the move")
    device.sync()
    before = device.document()

    class CrashBeforeMeta(FolderRemoteStore):
        def put_if_absent(self, key: str, data: bytes) -> bool:
            if key == "meta.json":
                raise OSError("power cut (test)")
            return super().put_if_absent(key, data)

    device.remote = CrashBeforeMeta(second)
    set_remote_again(device)
    with pytest.raises(OSError):
        device.sync()
    assert (second / "updates" / "000000000001").exists() and not (second / "meta.json").exists()

    newcomer = Device("desktop", tmp_path / "desktop", FolderRemoteStore(second))
    newcomer.app.add_task("joined mid-seed")
    if who_finishes == "a newcomer":
        newcomer.sync()  # writes meta.json from the genesis, commits above it
    device.remote = FolderRemoteStore(second)
    device.sync()
    newcomer.sync()
    device.sync()
    assert (second / "meta.json").exists()
    assert device.document() == newcomer.document()
    titles = {t["title"] for t in device.document()["tasks"]}
    assert titles == {"made before the move", "joined mid-seed"}
    assert before["tasks"][0]["title"] == "made before the move"
    device.close()
    newcomer.close()


def set_remote_again(device: Device) -> None:
    """What `desktop-app remote ...` does: the next round binds to the remote afresh."""
    device.app.local.set_meta("vault_remote", None)
