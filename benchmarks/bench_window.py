"""Window benchmarks: start-up against a bare QMainWindow, and one search keystroke. Not in CI.

Run: ``.venv/bin/python benchmarks/bench_window.py [--quick]`` (offscreen).

* **start-up**: a fresh process that starts the app the way ``desktop-app``
  does (``desktop_app.ui.main.run``) on a 10,000-task, 2,000-note profile, up
  to the end of the window's first paint, against a fresh process that paints
  a bare PySide6 ``QMainWindow``; both timed from process start, best of
  several runs, interleaved, same machine, same run. Goal: <= 2x.
* **search keystroke**: the filter box's work for one typed character (its
  text set, ``MainWindow._set_filter``: both models re-select and signal their
  views, the counts follow, and the views repaint with the matches marked)
  over the same profile, typing "call mum" one character at a time. Goal:
  <= 16 ms (one frame).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE = """
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1040, 660); w.show(); w.repaint(); app.processEvents()
print(time.time() - t0, time.process_time())
"""

TIDEMARK = """
import time, sys
t0 = float(sys.argv[1])
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from desktop_app.ui import main

class FirstPaint(QObject):  # the moment the real start-up path has painted the window
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and type(watched).__name__ == "MainWindow":
            QApplication.instance().removeEventFilter(self)
            QTimer.singleShot(
                0, lambda: (print(time.time() - t0, time.process_time()), watched.close())
            )
        return False

spy = FirstPaint()
main.application().installEventFilter(spy)
sys.exit(main.run(Path(sys.argv[2])))
"""


def make_profile(path: Path, tasks: int, notes: int) -> None:
    from desktop_app.app import App
    from desktop_app.core import actions as act

    with App(path) as app:
        lists = [app.add_list(f"List {i}") for i in range(20)]
        batch = []
        for i in range(tasks):
            title = "Call mum about Sunday" if i % 997 == 0 else f"Task number {i} for the week"
            _, steps = app.new_task_steps(
                title, tags=[f"t{i % 7}"], created=app._stamp()[1], lists={}
            )
            batch += [*steps, act.ItemList(id=steps[-1].id, list_id=lists[i % 20])]
            if len(batch) >= 2000:
                app.dispatch_steps(batch)
                batch = []
        for i in range(notes):
            _, steps = app.new_note_steps(
                f"Note {i}",
                body=f"Some words about topic {i}.\n\n- [ ] item\n" * 5,
                created=app._stamp()[1],
                lists={},
            )
            batch += steps
            if len(batch) >= 2000:
                app.dispatch_steps(batch)
                batch = []
        app.dispatch_steps(batch)
        app.checkpoint()


def spawn(script: str, *args: str) -> tuple[float, float]:
    """(wall seconds from process start, CPU seconds of the process) at the first paint."""
    out = subprocess.run(
        [sys.executable, "-c", script, str(time.time()), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def startup(profile: Path, runs: int) -> None:
    bare, ours = [], []
    for _ in range(runs):  # interleaved, so a busy moment hits both alike
        bare.append(spawn(BARE))
        ours.append(spawn(TIDEMARK, str(profile)))
    ratio = min(w for w, _ in ours) / min(w for w, _ in bare)
    cpu_ratio = min(c for _, c in ours) / min(c for _, c in bare)
    verdict = "ok" if ratio <= 2 else "over the 2x goal"
    print(
        f"  start-up   Tidemark {min(w for w, _ in ours) * 1000:6.0f} ms   bare QMainWindow "
        f"{min(w for w, _ in bare) * 1000:6.0f} ms   ratio {ratio:.2f}x  [{verdict}]\n"
        f"             CPU time to the first paint: {min(c for _, c in ours) * 1000:.0f} ms "
        f"against {min(c for _, c in bare) * 1000:.0f} ms, {cpu_ratio:.2f}x (steadier on a "
        "busy machine)"
    )


def keystroke(profile: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop_app.app import App
    from desktop_app.ui.main_window import MainWindow

    qt_app = QApplication.instance() or QApplication([])
    with App(profile) as engine:
        win = MainWindow(engine)
        win.show()
        qt_app.processEvents()
        times, cpu = [], []
        win.filter_edit.setFocus()  # focusing the filter prepares the search texts
        qt_app.processEvents()
        for _round in range(3):
            text = ""
            for ch in "call mum":
                text += ch
                start, start_cpu = time.perf_counter(), time.process_time()
                win.filter_edit.setText(text)
                qt_app.processEvents()
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            win.filter_edit.setText("")
            qt_app.processEvents()
        worst, median = max(times) * 1000, statistics.median(times) * 1000
        verdict = "ok" if worst <= 16 else "over the 16 ms goal"
        print(
            f"  keystroke  median {median:5.1f} ms   worst {worst:5.1f} ms  [{verdict}]   "
            f"CPU median {statistics.median(cpu) * 1000:.1f} ms, worst {max(cpu) * 1000:.1f} ms"
        )
        win.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        started = time.perf_counter()
        make_profile(profile, 10_000, 2_000)
        print(
            f"profile of 10,000 tasks and 2,000 notes built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        startup(profile, 3 if args.quick else 7)
        keystroke(profile)


if __name__ == "__main__":
    main()
