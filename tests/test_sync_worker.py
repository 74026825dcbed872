"""The background sync thread: rounds run off the GUI thread and results land on it."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from desktop_app.app import App
from desktop_app.app.syncing import set_remote
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.sync_status import OFFLINE
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

    original = worker_module.run_window_round

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    worker_module.run_window_round = spy
    try:
        up, down = _controller(laptop), _controller(desktop)
        with qtbot.waitSignals([up.synced], raising=True, timeout=10_000):
            up.sync_now()
        with qtbot.waitSignals([down.synced], raising=True, timeout=10_000):
            down.sync_now()
    finally:
        worker_module.run_window_round = original
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
    assert messages[-1].startswith(OFFLINE)  # an unplugged drive is offline, not an error
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


def test_failed_rounds_back_off_exponentially_and_success_resets(
    qtbot, tmp_path: Path, folder_remote: RemoteConfig
) -> None:
    """Issue 9: after a failure the next try waits base, 2 x base, 4 x base ... (capped,
    with jitter); edits and the poll timer do not start rounds meanwhile; F5 does; the
    first success goes back to polling."""
    from desktop_app.app.retry import RetryBackoff

    app = App(tmp_path / "p")
    unplugged = tmp_path / "unplugged-drive"
    set_remote(app, RemoteConfig(kind="folder", path=str(unplugged)))
    backoff = RetryBackoff(base_s=0.2, cap_s=0.5, jitter=0.0)
    controller = _controller(app, poll=50, after_edit_ms=10, backoff=backoff)
    messages: list[str] = []
    controller.status_changed.connect(messages.append)
    waits: list[int] = []
    failed_at: list[float] = []

    def note_failure(message: str) -> None:
        failed_at.append(time.monotonic())
        waits.append(controller.retry_in_ms or 0)

    controller.sync_failed.connect(note_failure)
    with qtbot.waitSignal(controller.sync_failed, timeout=10_000):
        controller.sync_now()
    app.add_task("typed offline")  # no round for this edit: the retry takes it
    qtbot.waitUntil(lambda: len(failed_at) >= 4, timeout=10_000)
    assert [round(w, -2) for w in waits[:4]] == [200, 400, 500, 500]
    gaps = [b - a for a, b in itertools.pairwise(failed_at[:4])]
    assert gaps[0] >= 0.18 and gaps[1] >= 0.38 and gaps[2] >= 0.48, gaps  # no 50 ms poll
    assert "Next try in 1 s; F5 tries now." in messages[-1]
    assert app.local.pending_count() == 1

    before = len(failed_at)
    controller.sync_now()  # F5 does not wait for the backoff
    qtbot.waitUntil(lambda: len(failed_at) > before, timeout=1_000)

    unplugged.mkdir()  # the drive is back
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        controller.sync_now()
    assert backoff.failures == 0
    assert controller.retry_in_ms is None
    assert app.local.pending_count() == 0
    with qtbot.waitSignal(controller.synced, timeout=2_000):
        pass  # the 50 ms poll runs again
    controller.shutdown()
    app.close()
