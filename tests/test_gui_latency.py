"""The window stays responsive while the sync worker pulls 5,000 actions.

A QTimer ticks every 10 ms on the GUI thread during a real pull from a folder
remote (the worker thread reads and folds, then the view reloads on the GUI
thread); the largest gap between ticks is the longest the GUI stalled.

Wall-clock gaps also count time the machine gave to other processes: on a
loaded 2-core machine (other test suites beside this one) one pull measured
683 ms where the same pull alone measures 57-94 ms. So the pull is measured up
to three times, each into a fresh profile, and the best run must stay under
100 ms. Known weakness: 5,000 actions pulled from a folder take little more
than 100 ms even on the GUI thread (a round run there measured 164 ms, then
97 ms), so this test catches gross stalls, not a pull moved onto the GUI thread.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from desktop_app.app import App
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sync_worker import SyncController

ACTIONS = 5_000
TICK_MS = 10
MAX_STALL_MS = 100
ATTEMPTS = 3


def _worst_stall_ms(qtbot, data_dir: Path, remote: RemoteConfig) -> float:
    desktop = App(data_dir)
    set_remote(desktop, remote)
    window = MainWindow(desktop)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller = SyncController(desktop, poll_interval_ms=3_600_000)
    window.attach_sync(controller)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    try:
        qtbot.wait(100)  # the window's start-up work is not what this measures
        timer.start()
        qtbot.wait(50)
        failures: list[str] = []
        controller.sync_failed.connect(failures.append)
        with qtbot.waitSignal(controller.synced, raising=True, timeout=120_000) as blocker:
            blocker.connect(controller.sync_failed)  # a failure ends the wait at once
            controller.sync_now()
        assert failures == []
        qtbot.wait(300)  # the models' reload and the recount after it
        timer.stop()
        assert len(desktop.state.tasks) == ACTIONS
        assert window.task_model.rowCount() == ACTIONS
        return max((b - a) * 1000 for a, b in itertools.pairwise(ticks))
    finally:
        controller.shutdown()
        window.close()
        desktop.close()


def test_the_gui_never_stalls_over_100_ms_while_5000_actions_are_pulled(
    qtbot, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    remote = RemoteConfig(kind="folder", path=str(share))
    with App(tmp_path / "laptop") as laptop:
        set_remote(laptop, remote)
        for i in range(ACTIONS):  # one action each, as typed
            laptop.add_task(f"task {i}", tags=[f"t{i % 7}"])
        sync_now(laptop)

    stalls: list[float] = []
    for attempt in range(ATTEMPTS):
        stalls.append(_worst_stall_ms(qtbot, tmp_path / f"desktop{attempt}", remote))
        if stalls[-1] < MAX_STALL_MS:
            break
    print("GUI stall per pull (ms):", ", ".join(f"{s:.1f}" for s in stalls))
    assert min(stalls) < MAX_STALL_MS, f"the GUI stalled {min(stalls):.0f} ms at best: {stalls}"
