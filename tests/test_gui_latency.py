"""The window stays responsive while the sync worker pulls 5,000 actions.

A QTimer ticks every 10 ms on the GUI thread from before the round starts until
the window has reloaded after it; the largest gap between two ticks is the
longest the GUI thread could not run. One run, the worst gap of all of it: no
best-of-several. What is asserted is the GUI thread's own CPU time within any
one gap (``time.thread_time``): the work it did instead of handling events
(reloading, models, or a pull run there by mistake). The wall-clock worst gap
is printed beside it, with the worst gap of the same timer in an idle second
before the round: on this 2-core machine shared by other test runs the wall gap
measured 31-192 ms while the idle window alone measured up to 110 ms, so wall
time here measures the machine as much as the app.

What it does not measure: an edit typed meanwhile waits for the round's write
transactions (sized to hold the lock ~3 ms each, tests/test_write_locks.py checks
how) and for its own fsync. On this machine under load one durable commit alone
took up to 236 ms (p50 4 ms), so that wait is a figure of the disk;
benchmarks/bench_scale.py measures both, docs/performance.md reports them.

The desktop is bound to the log before the burst, as a device in use is: a new
device's first pull starts the base over in one transaction instead (see
docs/architecture.md, "Incremental local state").
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
# Known weakness: the GUI thread's own work between two ticks measured 13-83 ms
# here (the reload and the models after the round), and the whole round run on
# the GUI thread by mistake measured 87-119 ms: this catches gross stalls, not
# reliably a 5,000-action pull moved onto the GUI thread.
BASELINE_MS = 1_000


def test_the_gui_never_stalls_over_100_ms_while_5000_actions_are_pulled(
    qtbot, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    remote = RemoteConfig(kind="folder", path=str(share))
    desktop = App(tmp_path / "desktop")
    set_remote(desktop, remote)
    desktop.add_task("typed on the desktop")
    with App(tmp_path / "laptop") as laptop:
        set_remote(laptop, remote)
        sync_now(desktop)
        for i in range(ACTIONS):  # one action each, as typed
            laptop.add_task(f"task {i}", tags=[f"t{i % 7}"])
        sync_now(laptop)

    window = MainWindow(desktop)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller = SyncController(desktop, poll_interval_ms=3_600_000)
    window.attach_sync(controller)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    busy: list[float] = []  # the GUI thread's CPU time at each tick
    timer.timeout.connect(
        lambda: (ticks.append(time.perf_counter()), busy.append(time.thread_time()))
    )
    try:
        qtbot.wait(100)  # the window's start-up work is not what this measures
        timer.start()
        qtbot.wait(BASELINE_MS)
        idle_ticks, ticks[:], busy[:] = list(ticks), [], []
        qtbot.wait(50)  # ticks before the round starts, so a stall at its start counts
        failures: list[str] = []
        controller.sync_failed.connect(failures.append)
        with qtbot.waitSignal(controller.synced, raising=True, timeout=120_000) as blocker:
            blocker.connect(controller.sync_failed)  # a failure ends the wait at once
            controller.sync_now()
        qtbot.wait(300)  # the models' reload and the recount after it
        timer.stop()
        assert failures == []
        assert len(desktop.state.tasks) == ACTIONS + 1
        assert window.task_model.rowCount() == ACTIONS + 1
    finally:
        controller.shutdown()
        window.close()
        desktop.close()
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
    worst = max(gaps)
    idle = max((b - a) * 1000 for a, b in itertools.pairwise(idle_ticks))
    worked = max((b - a) * 1000 for a, b in itertools.pairwise(busy))
    print(
        f"GUI: {len(gaps)} ticks, worst gap {worst:.1f} ms wall, {worked:.1f} ms of the "
        f"GUI thread's own work; idle window's worst gap {idle:.1f} ms"
    )
    assert len(ticks) > 10, "the round ended before the timer could measure it"
    assert worked < MAX_STALL_MS, f"the GUI thread worked {worked:.0f} ms between two ticks"
