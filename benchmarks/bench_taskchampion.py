"""Against TaskChampion (the Rust sync engine of Taskwarrior 3), same steps, same run.

Run: ``.venv/bin/python benchmarks/bench_taskchampion.py [--quick] [--json]``; needs the
``bench`` extra (``pip install -e '.[bench]'``: ``taskchampion3-py-dev``), else skipped.

Both sides sync two devices through a local folder (TaskChampion's local sync
server, Tidemark's folder remote) holding 10,000 tasks (2,000 with ``--quick``):

* **push+pull of 10 edits**: device A edits 10 task titles and syncs, then B
  syncs and has them. Goal: Tidemark <= 0.8x TaskChampion.
* **first pull of a new device**: a new replica/profile syncs the whole vault.
* **idle round**: a sync with nothing new on either side.

Tidemark's round is the window's (``run_round`` then ``App.reload_view``).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # type: ignore[import-not-found]
import profiles  # type: ignore[import-not-found]

from desktop_app.app import App

EDITS = 10


def taskchampion_times(root: Path, tasks: int, repeat: int) -> dict[str, float]:
    tc: Any = harness.peer("taskchampion", "taskchampion3-py-dev")
    server = root / "tc-server"
    server.mkdir()
    a = tc.Replica.new_on_disk(str(root / "tc-a"), True)
    ops = tc.Operations()
    uuids = []
    for n in range(tasks):
        uid = str(uuid.uuid4())
        uuids.append(uid)
        task = a.create_task(uid, ops)
        task.set_description(f"Task number {n} for the week", ops)
        task.set_status(tc.Status.Pending, ops)
    a.commit_operations(ops)
    a.sync_to_local(str(server), False)
    start = time.perf_counter()
    b = tc.Replica.new_on_disk(str(root / "tc-b"), True)
    b.sync_to_local(str(server), False)
    first_pull = time.perf_counter() - start
    assert len(b.all_task_uuids()) == tasks
    idle = harness.best(lambda: a.sync_to_local(str(server), False), repeat)
    step = tasks // EDITS
    push_pull = float("inf")
    for r in range(repeat):
        ops = tc.Operations()
        for n in range(EDITS):
            a.get_task(uuids[n * step]).set_description(f"edited {r} {n}", ops)
        a.commit_operations(ops)
        start = time.perf_counter()
        a.sync_to_local(str(server), False)
        b.sync_to_local(str(server), False)
        push_pull = min(push_pull, time.perf_counter() - start)
        assert b.get_task(uuids[0]).get_description() == f"edited {r} 0"
    return {"push_pull": push_pull, "first_pull": first_pull, "idle": idle}


def tidemark_times(root: Path, tasks: int, repeat: int) -> dict[str, float]:
    a, b, remote = profiles.synced_pair(tasks, 0, root / "tm")
    fresh = root / "tm-new"
    profiles.point_at(fresh, remote)
    start = time.perf_counter()
    with App(fresh) as app:
        profiles.sync_round(app)
        first_pull = time.perf_counter() - start
        assert len(app.state.tasks) == tasks
    push_pull = float("inf")
    with App(a) as app_a, App(b) as app_b:
        profiles.sync_round(app_a)  # warm: the vault check after point_at
        profiles.sync_round(app_b)
        idle = harness.best(lambda: profiles.sync_round(app_a), repeat)
        for r in range(repeat):
            changes = profiles.edits(app_a.state, EDITS, str(r))
            for arg in changes:
                app_a.dispatch(arg)
            start = time.perf_counter()
            profiles.sync_round(app_a)
            profiles.sync_round(app_b)
            push_pull = min(push_pull, time.perf_counter() - start)
            assert app_b.state.tasks[changes[0].id].title == changes[0].title
    return {"push_pull": push_pull, "first_pull": first_pull, "idle": idle}


def measure(quick: bool) -> list[dict]:
    tasks = 2_000 if quick else 10_000
    repeat = 3 if quick else 5
    label = f"{tasks:,} tasks, folder"
    with tempfile.TemporaryDirectory(prefix="tidemark-tc-") as tmp:
        try:
            theirs = taskchampion_times(Path(tmp), tasks, repeat)
        except harness.PeerMissing as exc:
            names = ("push+pull of 10 edits", "first pull of a new device", "idle round")
            return [harness.skipped(f"{n} vs TaskChampion, {label}", str(exc)) for n in names]
        ours = tidemark_times(Path(tmp), tasks, repeat)
    floor = "TaskChampion, same steps"
    return [
        harness.record(
            f"push+pull of {EDITS} edits vs TaskChampion, {label}",
            ours["push_pull"] * 1000,
            "ms",
            floor_name=floor,
            floor_value=theirs["push_pull"] * 1000,
            goal="<= 0.8x",
        ),
        harness.record(
            f"first pull of a new device vs TaskChampion, {label}",
            ours["first_pull"] * 1000,
            "ms",
            floor_name=floor,
            floor_value=theirs["first_pull"] * 1000,
        ),
        harness.record(
            f"idle round vs TaskChampion, {label}",
            ours["idle"] * 1000,
            "ms",
            floor_name=floor,
            floor_value=theirs["idle"] * 1000,
        ),
    ]


if __name__ == "__main__":
    harness.script_main(measure)
