"""The background sync thread: rounds run off the GUI thread and results land on it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop_app.app import App
from desktop_app.app.syncing import set_remote
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.sync_worker import SyncController


@pytest.fixture
def folder_remote(tmp_path: Path) -> RemoteConfig:
    root = tmp_path / "shared"
    root.mkdir()
    return RemoteConfig(kind="folder", path=str(root))


def _controller(app: App, **kw) -> SyncController:
    return SyncController(app, poll_interval_ms=kw.pop("poll", 3_600_000), **kw)


def test_round_runs_on_the_worker_thread_and_reloads_the_view(
    qtbot, tmp_path: Path, folder_remote: RemoteConfig
) -> None:
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    for app in (laptop, desktop):
        set_remote(app, folder_remote)
    task = laptop.add_task("from the laptop")
    threads: list[str] = []
    import desktop_app.ui.sync_worker as worker_module

    original = worker_module.run_round

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    worker_module.run_round = spy
    try:
        up, down = _controller(laptop), _controller(desktop)
        with qtbot.waitSignals([up.synced], raising=True, timeout=10_000):
            up.sync_now()
        with qtbot.waitSignals([down.synced], raising=True, timeout=10_000):
            down.sync_now()
    finally:
        worker_module.run_round = original
    assert threads and all(name != threading.main_thread().name for name in threads)
    assert desktop.state.tasks[task].title == "from the laptop"
    up.shutdown()
    down.shutdown()
    laptop.close()
    desktop.close()


def test_edit_schedules_a_round_soon(qtbot, tmp_path: Path, folder_remote: RemoteConfig) -> None:
    app = App(tmp_path / "p")
    set_remote(app, folder_remote)
    controller = _controller(app, after_edit_ms=50)
    with qtbot.waitSignal(controller.synced, timeout=10_000) as blocker:
        app.add_task("typed")
    assert blocker.args[0].pushed_actions == 1
    assert app.local.pending_count() == 0
    controller.shutdown()
    app.close()


def test_failure_is_reported_and_the_app_keeps_working(qtbot, tmp_path: Path) -> None:
    app = App(tmp_path / "p")
    set_remote(app, RemoteConfig(kind="folder", path=str(tmp_path / "unplugged-drive")))
    controller = _controller(app)
    messages: list[str] = []
    controller.status_changed.connect(messages.append)
    with qtbot.waitSignal(controller.sync_failed, timeout=10_000) as blocker:
        controller.sync_now()
    assert "unplugged-drive" in blocker.args[0]
    assert messages[-1].startswith("Sync failed:")
    app.add_task("still works offline")
    assert app.local.pending_count() == 1
    controller.shutdown()
    app.close()


def test_without_a_remote_it_says_local_only(qtbot, tmp_path: Path) -> None:
    app = App(tmp_path / "p")
    controller = _controller(app)
    with qtbot.waitSignal(controller.status_changed, timeout=2_000) as blocker:
        controller.sync_now()
    assert "Local only" in blocker.args[0]
    assert not controller.busy
    controller.shutdown()
    app.close()


def test_window_shows_sync_status_and_syncs_from_its_action(
    qtbot, tmp_path: Path, folder_remote: RemoteConfig
) -> None:
    from PySide6.QtGui import QKeySequence

    from desktop_app.ui.main_window import MainWindow

    app = App(tmp_path / "p")
    set_remote(app, folder_remote)
    app.add_task("pending")
    window = MainWindow(app)
    qtbot.addWidget(window)
    controller = _controller(app)
    window.attach_sync(controller)
    assert QKeySequence("F5") in window.sync_action.shortcuts()
    assert window.sync_action in window.actions()  # active with the menu bar hidden too
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        window.sync_action.trigger()
    assert window.status.sync_label.text().startswith("Synced")
    assert app.local.pending_count() == 0
    window.close()
    controller.shutdown()
    app.close()


def test_an_idle_round_does_not_reload_the_view(
    qtbot, tmp_path: Path, folder_remote: RemoteConfig
) -> None:
    app = App(tmp_path / "p")
    set_remote(app, folder_remote)
    app.add_task("first")
    controller = _controller(app)
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        controller.sync_now()
    reloads: list[object] = []
    app.store.subscribe(lambda state, action: reloads.append(action))
    with qtbot.waitSignal(controller.synced, timeout=10_000) as blocker:
        controller.sync_now()
    assert blocker.args[0].pulled_actions == blocker.args[0].pushed_actions == 0
    assert reloads == []  # nothing changed: no snapshot load, no model reset
    controller.shutdown()
    app.close()
