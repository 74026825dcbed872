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
* **write locks** (goal <= 10 ms): the longest a round holds SQLite's write lock
  at a time (``WriteStats.held_s`` of its transactions: BEGIN IMMEDIATE to the end
  of COMMIT),
  in a round that pulls 5,000 actions, in a round with 10 edits each way and in a
  new device's first round (it pulls the whole vault: ``storage/base_swap``); and
  the longest a dispatch made meanwhile from another connection (another thread
  of the round's ``LocalStore``, as the window's, committing one row every 2 ms)
  waits for the lock. Floor: one durable single-row commit on the same database, no round
  running (median of 30).
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # type: ignore[import-not-found]
import msgspec
import profiles  # type: ignore[import-not-found]
from bench_window import window_records  # type: ignore[import-not-found]

from desktop_app.app import App
from desktop_app.app.syncing import run_round, run_window_round, short_interpreter_slices
from desktop_app.core import Action, new_id
from desktop_app.storage import LocalStore
from desktop_app.storage.local_store import WriteStats

EDITS = 10
PULLED = 5_000
LOCK_GOAL = "<= 10 ms"


def idle_round(a: Path, repeat: int) -> float:
    with App(a) as app:
        profiles.sync_round(app)  # warm: the vault check after point_at, the OS cache
        gc.collect()
        return harness.best(lambda: profiles.sync_round(app), repeat)


def edits_both_ways(app_a: App, app_b: App, salt: str) -> None:
    """B makes 10 edits and pushes them; A makes 10 of its own: A's next round pulls
    B's and pushes its own."""
    for arg in profiles.edits(app_b.state, EDITS, f"{salt}b", offset=1):
        app_b.dispatch(arg)
    profiles.sync_round(app_b)
    for arg in profiles.edits(app_a.state, EDITS, f"{salt}a"):
        app_a.dispatch(arg)
    gc.collect()


def edit_round(a: Path, b: Path, repeat: int) -> float:
    """Best time of A's round that pulls B's 10 edits and pushes its own 10."""
    times = []
    with App(a) as app_a, App(b) as app_b:
        profiles.sync_round(app_a)
        for r in range(repeat):
            edits_both_ways(app_a, app_b, f"{r}")
            times.append(harness.best(lambda app=app_a: profiles.sync_round(app), 1))
        profiles.sync_round(app_b)
        assert app_a.state.tasks == app_b.state.tasks, "the two devices did not converge"
    return min(times)


class Dispatcher(threading.Thread):
    """Commits one durable row every 2 ms through its own connection (its thread's),
    as the window does while a round runs: through the round's ``LocalStore``, as
    the window shares it, or a new one on ``data_dir``. ``waits`` holds how long
    each commit waited for the lock."""

    def __init__(self, data_dir: Path, store: LocalStore | None = None) -> None:
        super().__init__(name="dispatcher", daemon=True)
        self.owned = store is None
        self.store = store or LocalStore.in_dir(data_dir)
        self.stop = threading.Event()
        self.waits: list[float] = []
        self.holds: list[float] = []

    def commit_one(self, n: int) -> None:
        asked = time.perf_counter()
        with self.store.transaction() as db:
            locked = time.perf_counter()
            self.store.set_meta("bench_dispatch", str(n), db)
        self.waits.append(locked - asked)
        self.holds.append(time.perf_counter() - locked)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            self.commit_one(n)
            n += 1
            time.sleep(0.002)

    def __enter__(self) -> Dispatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join()
        if self.owned:
            self.store.close()


def durable_commit(data_dir: Path) -> float:
    """Median seconds of one durable single-row commit, nothing else running."""
    one = Dispatcher(data_dir)
    try:
        for n in range(30):
            one.commit_one(n)
    finally:
        one.store.close()
    return statistics.median(one.holds)


def compute_wait(data_dir: Path, seconds: float = 0.3) -> float:
    """The longest wait of the same dispatcher beside a thread that only computes in
    Python (no SQLite): the share of a dispatch's wait that is the interpreter's
    lock and the CPU, not SQLite's write lock."""
    with Dispatcher(data_dir) as window, short_interpreter_slices():
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            sum(i * i for i in range(10_000))
    return max(window.waits)


def locked_round(app: App, taken: list[float]) -> tuple[float, float]:
    """(longest write-lock hold of ``app``'s round, longest wait of a dispatch from
    another connection meanwhile), in seconds; ``taken`` gets how many of the
    dispatches found the lock taken, of how many, and the longest of them spent
    polling for the lock (the rest of a wait is the interpreter's and the CPU's)."""
    holds: list[float] = []
    round_thread = threading.current_thread()

    def held(stats: WriteStats) -> None:  # the round's transactions, not the dispatcher's
        if threading.current_thread() is round_thread:
            holds.append(stats.held_s)

    waits = app.local.lock_waits
    app.local.longest_lock_wait_s = 0.0
    app.local.on_write = held
    try:
        with Dispatcher(app.local.path.parent, app.local) as window:
            time.sleep(0.01)  # dispatching before the round starts
            run_window_round(app.local, app.clock)  # as the window's sync thread runs it
    finally:
        app.local.on_write = None
    taken[0] += app.local.lock_waits - waits
    taken[1] += len(window.waits)
    taken[2] = max(taken[2], app.local.longest_lock_wait_s)
    return max(holds), max(window.waits)


def pull_locks(a: Path, b: Path, repeat: int, taken: list[float]) -> tuple[float, float]:
    """A's rounds that each pull ``PULLED`` title edits B pushed: worst hold and wait."""
    holds, waits = [], []
    with App(a) as app_a, App(b) as app_b:
        profiles.sync_round(app_a)
        for r in range(repeat):
            at = app_b.clock.now_ms()
            args = profiles.edits(app_b.state, PULLED, f"pull{r}", offset=r + 1)
            app_b.local.record_many(
                Action(id=new_id(), device=app_b.device_id, at=at, arg=arg) for arg in args
            )
            run_round(app_b.local, app_b.clock)
            app_b.reload_view()
            gc.collect()
            hold, wait = locked_round(app_a, taken)
            holds.append(hold)
            waits.append(wait)
            app_a.reload_view()
        assert app_a.state.tasks == app_b.state.tasks, "the two devices did not converge"
    return max(holds), max(waits)


def edit_locks(a: Path, b: Path, repeat: int, taken: list[float]) -> tuple[float, float]:
    """A's rounds that pull B's 10 edits and push their own 10: worst hold and wait."""
    holds, waits = [], []
    with App(a) as app_a, App(b) as app_b:
        profiles.sync_round(app_a)
        for r in range(repeat):
            edits_both_ways(app_a, app_b, f"l{r}")
            hold, wait = locked_round(app_a, taken)
            holds.append(hold)
            waits.append(wait)
            app_a.reload_view()
    return max(holds), max(waits)


def first_pull_locks(remote: Path, into: Path, taken: list[float]) -> tuple[float, float]:
    """A new device's first round (it pulls the whole vault): worst hold and wait."""
    profiles.point_at(into, remote)
    with App(into) as app:
        gc.collect()
        return locked_round(app, taken)


def lock_records(root: Path, tasks: int, notes: int, quick: bool) -> list[dict]:
    """The write-lock figures of a 5,000-action pull, a 10-edit round and a new
    device's first pull."""
    label = f"{tasks:,} tasks + {notes:,} notes"
    a, b, remote = profiles.synced_pair(tasks, notes, root / "locks")
    floor_name = "one durable single-row commit, same database"
    floor = durable_commit(a) * 1000
    pull_taken, edit_taken, first_taken = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    first_hold, first_wait = first_pull_locks(remote, root / "locks" / "new", first_taken)
    pull_hold, pull_wait = pull_locks(a, b, 2 if quick else 3, pull_taken)
    edit_hold, edit_wait = edit_locks(a, b, 3 if quick else 5, edit_taken)
    computing = compute_wait(a) * 1000

    def note(taken: list[float]) -> str:
        return (
            f"{taken[0]:.0f} of {taken[1]:.0f} dispatches found the lock taken, the longest "
            f"polled {taken[2] * 1000:.1f} ms for it; beside a thread computing without "
            f"SQLite one waited up to {computing:.1f} ms"
        )

    pulling, editing = f"round pulling {PULLED:,} actions", f"round with {EDITS} edits each way"
    figures = [
        (f"longest write-lock hold, {pulling}, {label}", pull_hold, None),
        (f"longest dispatch wait, {pulling}, {label}", pull_wait, note(pull_taken)),
        (f"longest write-lock hold, {editing}, {label}", edit_hold, None),
        (f"longest dispatch wait, {editing}, {label}", edit_wait, note(edit_taken)),
        (f"longest write-lock hold, a new device's first pull, {label}", first_hold, None),
        (
            f"longest dispatch wait, a new device's first pull, {label}",
            first_wait,
            note(first_taken),
        ),
    ]
    return [
        harness.record(
            name,
            value * 1000,
            "ms",
            floor_name=floor_name,
            floor_value=floor,
            goal=LOCK_GOAL,
            note=text,
        )
        for name, value, text in figures
    ]


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
        out += lock_records(root, tasks, notes, quick)
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
