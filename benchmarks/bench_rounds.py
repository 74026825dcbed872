"""Sync round cost against vault size: an idle round, and rounds of 10 edits.

Run: ``.venv/bin/python benchmarks/bench_rounds.py [--tasks 10000] [--notes 2000]``

Two devices share a folder remote. The vault (``--tasks`` tasks, ``--notes`` notes)
is made on one and pulled by the other; then, on the second device:

* **idle**: a round with nothing to do (median of 20);
* **push 10**: 10 task edits dispatched, then a round that pushes them (median of 7);
* **pull 10**: the first device pushes 10 edits, the second pulls them (median of 7).

Each figure is the engine's round alone (``run_round``), as the window's sync
thread runs it; the rows written per round (SQLite ``total_changes``) and the
longest write transaction (``LocalStore.longest_write_s``, when it exists) are
printed beside it, so a round that rewrites the vault shows here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # type: ignore[import-not-found]

from desktop_app.app import App
from desktop_app.app.syncing import run_round, set_remote, sync_now
from desktop_app.core import Action, new_id
from desktop_app.core import actions as act
from desktop_app.sync.remote_config import RemoteConfig


def _vault(app: App, tasks: int, notes: int) -> None:
    now = datetime.now(UTC)
    at = int(now.timestamp() * 1000)
    device = app.device_id
    rows: list[Action] = []
    for i in range(tasks):
        arg: act.Arg = act.NewTask(
            id=new_id(), title=f"task {i}", created=now, tags=frozenset({f"t{i % 7}"})
        )
        rows.append(Action(id=new_id(), device=device, at=at, arg=arg))
    for i in range(notes):
        arg = act.NewNote(id=new_id(), title=f"note {i}", body="words " * 40, created=now)
        rows.append(Action(id=new_id(), device=device, at=at, arg=arg))
    app.local.record_many(rows)
    app.reload_view()


def _edit(app: App, n: int, tag: str) -> None:
    ids = list(app.state.tasks.keys())[:n]
    for i, task_id in enumerate(ids):
        app.edit(task_id, title=f"{tag} {i} {time.perf_counter_ns()}")


def _round(app: App) -> tuple[float, int, float]:
    """(seconds, rows written, longest write transaction in seconds) of one round."""
    local = app.local
    if hasattr(local, "longest_write_s"):
        local.longest_write_s = 0.0
    before = local.db.total_changes
    start = time.perf_counter()
    run_round(local, app.clock)
    elapsed = time.perf_counter() - start
    rows = local.db.total_changes - before
    app.reload_view(only_if_changed=True)
    return elapsed, rows, getattr(local, "longest_write_s", float("nan"))


def _summary(samples: list[tuple[float, int, float]]) -> tuple[float, int, float]:
    """(median ms, most rows written, longest write transaction ms) of ``samples``."""
    seconds = statistics.median(s[0] for s in samples) * 1000
    return seconds, max(s[1] for s in samples), max(s[2] for s in samples) * 1000


def figures(tasks: int, notes: int) -> dict[str, tuple[float, int, float]]:
    """Idle, push-10 and pull-10 rounds on the second of two devices holding the vault."""
    with tempfile.TemporaryDirectory() as tmp:
        share = Path(tmp) / "share"
        share.mkdir()
        remote = RemoteConfig(kind="folder", path=str(share))
        laptop, desktop = App(Path(tmp) / "laptop"), App(Path(tmp) / "desktop")
        try:
            for app in (laptop, desktop):
                set_remote(app, remote)
            _vault(laptop, tasks, notes)
            sync_now(laptop)
            sync_now(desktop)
            sync_now(laptop)
            out = {"idle": _summary([_round(desktop) for _ in range(20)])}
            pushes = []
            for rep in range(7):
                _edit(desktop, 10, f"desk{rep}")
                pushes.append(_round(desktop))
            out["push 10"] = _summary(pushes)
            pulls = []
            for rep in range(7):
                sync_now(laptop)
                _edit(laptop, 10, f"lap{rep}")
                sync_now(laptop)
                pulls.append(_round(desktop))
            out["pull 10"] = _summary(pulls)
            return out
        finally:
            laptop.close()
            desktop.close()


def measure(quick: bool) -> list[dict]:
    """Each round at a vault of the given size against the same round at 100 tasks."""
    tasks, notes = (2_000, 400) if quick else (10_000, 2_000)
    small, big = figures(100, 20), figures(tasks, notes)
    return [
        harness.record(
            f"{name} round, {tasks:,} tasks + {notes:,} notes",
            big[name][0],
            "ms",
            floor_name="the same round at 100 tasks + 20 notes",
            floor_value=small[name][0],
            note=f"rows written <= {big[name][1]}, longest write {big[name][2]:.1f} ms",
        )
        for name in ("idle", "push 10", "pull 10")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=2_000)
    args = parser.parse_args()
    start = time.perf_counter()
    result = figures(args.tasks, args.notes)
    took = time.perf_counter() - start
    print(f"{args.tasks} tasks + {args.notes} notes, folder remote ({took:.1f} s)")
    for name, (ms, rows, lock) in result.items():
        print(f"{name:<10} {ms:8.1f} ms   rows written <= {rows:<6}  longest write {lock:6.1f} ms")


if __name__ == "__main__":
    main()
