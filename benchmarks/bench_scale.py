"""Scale: a 100,000-task / 20,000-note profile against an empty one, same run.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--quick] [--json]`` (``--quick``:
10,000 tasks and 2,000 notes).

Two devices share a folder remote (``profiles.synced_pair``). A round is what the
window runs: ``run_round`` on the database, then ``App.reload_view``.

* **idle round**: nothing new on either side. Floor: the same round on an empty
  profile. Goal <= 1.2x.
* **10 edits each way**: the other device pushed 10 title edits; this one made 10
  of its own; the round pulls those and pushes these. Floor: the same on the empty
  profile (which holds only the 20 tasks edited). Goal <= 1.5x.
* **start-up to first paint, peak memory, one search keystroke**: ``bench_window``'s
  measures over the big profile (fresh processes; floors: a bare PySide6 window,
  one frame).
* **profile size**: the profile's files on disk against the items alone as compact
  JSON (``msgspec.json.encode`` of every task, note and list).
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # type: ignore[import-not-found]
import msgspec
import profiles  # type: ignore[import-not-found]
from bench_window import window_records  # type: ignore[import-not-found]

from desktop_app.app import App

EDITS = 10


def idle_round(a: Path, repeat: int) -> float:
    with App(a) as app:
        profiles.sync_round(app)  # warm: the vault check after point_at, the OS cache
        gc.collect()
        return harness.best(lambda: profiles.sync_round(app), repeat)


def edit_round(a: Path, b: Path, repeat: int) -> float:
    """Best time of A's round that pulls B's 10 edits and pushes its own 10."""
    times = []
    with App(a) as app_a, App(b) as app_b:
        profiles.sync_round(app_a)
        for r in range(repeat):
            for arg in profiles.edits(app_b.state, EDITS, f"b{r}", offset=1):
                app_b.dispatch(arg)
            profiles.sync_round(app_b)
            for arg in profiles.edits(app_a.state, EDITS, f"a{r}"):
                app_a.dispatch(arg)
            gc.collect()
            times.append(harness.best(lambda app=app_a: profiles.sync_round(app), 1))
        profiles.sync_round(app_b)
        assert app_a.state.tasks == app_b.state.tasks, "the two devices did not converge"
    return min(times)


def items_json(a: Path) -> int:
    with App(a, read_only=True) as app:
        s = app.state
        return len(msgspec.json.encode([*s.lists.values(), *s.tasks.values(), *s.notes.values()]))


def disk_size(data_dir: Path) -> int:
    return sum(f.stat().st_size for f in data_dir.iterdir() if f.is_file())


def measure(quick: bool) -> list[dict]:
    tasks, notes = (10_000, 2_000) if quick else (100_000, 20_000)
    repeat = 3 if quick else 5
    label = f"{tasks:,} tasks + {notes:,} notes"
    with tempfile.TemporaryDirectory(prefix="tidemark-scale-") as tmp:
        root = Path(tmp)
        big_a, big_b, _ = profiles.synced_pair(tasks, notes, root / "big")
        empty_a, empty_b, _ = profiles.synced_pair(2 * EDITS, 0, root / "empty")
        floor = "the same round, empty profile"
        out = [
            harness.record(
                f"idle round, {label}",
                idle_round(big_a, repeat) * 1000,
                "ms",
                floor_name=floor,
                floor_value=idle_round(empty_a, repeat) * 1000,
                goal="<= 1.2x",
            ),
            harness.record(
                f"round with {EDITS} edits each way, {label}",
                edit_round(big_a, big_b, repeat) * 1000,
                "ms",
                floor_name=floor,
                floor_value=edit_round(empty_a, empty_b, repeat) * 1000,
                goal="<= 1.5x",
            ),
        ]
        out += window_records(big_a, label, 3 if quick else 5)
        with App(big_a):
            pass  # close checkpoints what the rounds left, as a user's profile would be
        out.append(
            harness.record(
                f"profile size on disk, {label}",
                disk_size(big_a) / 1e6,
                "MB",
                floor_name="the items as compact JSON",
                floor_value=items_json(big_a) / 1e6,
            )
        )
    return out


if __name__ == "__main__":
    harness.script_main(measure)
