"""Offline is not an error: a remote nobody answers for says so calmly, with what waits.

Real parts only: a closed port on loopback (nothing listens, the connection is
refused), moto's S3 server for the cases where the remote answers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.app import App
from desktop_app.app.syncing import is_offline, set_remote
from desktop_app.sync.remote import RemoteError, RemoteUnreachable
from desktop_app.sync.remote_config import RemoteConfig, open_remote
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sync_status import OFFLINE
from desktop_app.ui.sync_worker import SyncController


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable(aws_env: None) -> RemoteConfig:
    url = f"http://127.0.0.1:{closed_port()}"
    return RemoteConfig(kind="s3", bucket="tidemark-test", endpoint_url=url, region="us-east-1")


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[tuple[MainWindow, SyncController]]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    controller = SyncController(engine, poll_interval_ms=3_600_000)
    win.attach_sync(controller)
    yield win, controller
    win.close()
    controller.shutdown()


def round_fails(qtbot, controller: SyncController) -> str:
    with qtbot.waitSignal(controller.sync_failed, timeout=20_000) as failed:
        controller.sync_now()
    return failed.args[0]


def test_a_closed_port_is_unreachable_and_counts_as_offline(unreachable) -> None:
    store = open_remote(unreachable)
    with pytest.raises(RemoteUnreachable, match="cannot reach") as info:
        store.list("updates/")
    assert is_offline(info.value)
    assert not is_offline(RemoteError("S3 refused the credentials"))


def test_the_status_bar_says_offline_with_the_pending_count(
    qtbot, window, engine: App, unreachable: RemoteConfig
) -> None:
    win, controller = window
    set_remote(engine, unreachable)
    engine.add_task("written on the train")
    engine.add_task("and another")
    message = round_fails(qtbot, controller)
    assert "cannot reach" in message
    label = win.status.sync_label.text()
    assert label.startswith(f"{OFFLINE} (2 waiting to sync)"), label
    assert "Sync failed" not in label
    # Editing carries on offline, and the count follows.
    engine.add_task("a third")
    assert win.status.sync_label.text().startswith(f"{OFFLINE} (3 waiting to sync)")
    assert engine.local.pending_count() == 3


def test_an_answering_remote_that_refuses_is_an_error_not_offline(
    qtbot, window, engine: App, s3_endpoint: str
) -> None:
    win, controller = window
    missing = RemoteConfig(
        kind="s3", bucket="no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1"
    )
    set_remote(engine, missing)
    engine.add_task("kept")
    message = round_fails(qtbot, controller)
    assert "does not exist" in message
    label = win.status.sync_label.text()
    assert label.startswith("Sync failed: the S3 bucket no-such-bucket"), label
    assert OFFLINE not in label


def test_back_online_the_status_says_synced(
    qtbot, window, engine: App, unreachable: RemoteConfig, s3_bucket: RemoteConfig
) -> None:
    win, controller = window
    set_remote(engine, unreachable)
    engine.add_task("waits for the network")
    round_fails(qtbot, controller)
    assert win.status.sync_label.text().startswith(OFFLINE)
    set_remote(engine, s3_bucket)  # the network is back (moto answers)
    with qtbot.waitSignal(controller.synced, timeout=20_000):
        controller.sync_now()
    assert win.status.sync_label.text().startswith("Synced at")
    assert engine.local.pending_count() == 0
    engine.add_task("after")  # no longer offline: an edit does not rewrite the label
    assert win.status.sync_label.text().startswith("Synced at")


def test_an_unplugged_sync_folder_is_offline(qtbot, window, engine: App, tmp_path: Path) -> None:
    win, controller = window
    set_remote(engine, RemoteConfig(kind="folder", path=str(tmp_path / "usb-stick")))
    engine.add_task("x")
    round_fails(qtbot, controller)
    assert win.status.sync_label.text().startswith(f"{OFFLINE} (1 waiting to sync)")
