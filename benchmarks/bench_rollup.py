"""Roll-up of a long log: 1,000,000 actions (50,000 with ``--quick``) into a snapshot.

Run: ``.venv/bin/python benchmarks/bench_rollup.py [--quick] [--json]``

The log (10,000 updates of 100 actions: 100,000 new tasks, then title, done and tag
edits of them) lies in a folder remote, written once and cached under the temp folder.
Each side runs in a fresh process, so its peak resident memory is its own:

* **subject**: ``sync.rollup.rollup`` on the folder: list, read and decode every
  update, fold them, encode and write the snapshot.
* **floor**: the same update bytes, already in memory, decoded and folded
  (``protocol.decode_update`` + ``fold_new``): the work no roll-up can skip.

Goal: time <= 1.5x the floor. Peak memory is reported against the floor's.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # type: ignore[import-not-found]

from desktop_app.core import Action, State, new_id
from desktop_app.core import actions as act
from desktop_app.sync import protocol
from desktop_app.sync.engine import fold_new
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.protocol import Genesis, Update, VaultMeta
from desktop_app.sync.rollup import rollup

PER_UPDATE = 100
CACHE = Path(tempfile.gettempdir()) / "tidemark-bench-rollup"


def _arg(n: int, tasks: int, created: datetime) -> act.Arg:
    task_id = f"task-{n % tasks:07}"
    if n < tasks:
        return act.NewTask(id=task_id, title=f"task {n}", created=created)
    kind = n % 3
    if kind == 0:
        return act.TaskTitle(id=task_id, title=f"title {n}")
    if kind == 1:
        return act.TaskDone(id=task_id, done=bool(n % 2))
    return act.AddTag(id=task_id, tag=f"tag{n % 7}")


def write_log(folder: Path, total: int) -> None:
    """A log of ``total`` actions in updates of ``PER_UPDATE``, linked as devices link them."""
    remote = FolderRemoteStore(folder)
    ids = Genesis(vault_id=new_id(), log_id=new_id())
    at = int(time.time() * 1000)
    created = datetime.fromtimestamp(at / 1000, tz=UTC)
    tasks = max(1, total // 10)
    prev = ""
    for position in range(1, total // PER_UPDATE + 1):
        first = (position - 1) * PER_UPDATE
        actions = tuple(
            Action(id=new_id(), device="writer", at=at + n, arg=_arg(n, tasks, created))
            for n in range(first, first + PER_UPDATE)
        )
        update = Update(
            id=new_id(),
            device="writer",
            at=at + first,
            position=position,
            prev=prev,
            genesis=ids if position == 1 else None,
            actions=actions,
        )
        remote.put_if_absent(protocol.update_key(position), protocol.encode(update))
        prev = update.id
    meta = VaultMeta(format=protocol.FORMAT_VERSION, vault_id=ids.vault_id, log_id=ids.log_id)
    remote.put_if_absent(protocol.META_KEY, protocol.encode(meta))


def cached_log(total: int) -> Path:
    folder = CACHE / f"{total}-format{protocol.FORMAT_VERSION}"
    if not (folder / "done").exists():
        building = folder.with_suffix(".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        write_log(building, total)
        (building / "done").touch()
        building.rename(folder)
    return folder


def rollup_child(folder: str) -> dict[str, float]:
    """The subject, in a fresh process; removes the snapshot it wrote, for the next run."""
    remote = FolderRemoteStore(Path(folder))
    start = time.perf_counter()
    report = rollup(remote)
    elapsed = time.perf_counter() - start
    assert report.created and report.folded_updates, report
    for entry in remote.list(protocol.SNAPSHOTS):
        remote.delete(entry.key)
    return {"seconds": elapsed, "updates": report.folded_updates}


def floor_child(folder: str) -> dict[str, float]:
    """The floor, in a fresh process: decode and fold the same bytes, held in memory."""
    remote = FolderRemoteStore(Path(folder))
    positions = sorted(
        p for e in remote.list(protocol.UPDATES) if (p := protocol.position_of(e.key)) is not None
    )
    blobs = [remote.get(protocol.update_key(p)) for p in positions]
    start = time.perf_counter()
    seen: set[str] = set()
    state, count = fold_new(State(), map(protocol.decode_update, blobs), seen.__contains__, seen)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "actions": count, "tasks": len(state.tasks)}


def measure(quick: bool) -> list[dict]:
    total = 50_000 if quick else 1_000_000
    folder = str(cached_log(total))
    ours = harness.in_child("bench_rollup", "rollup_child", folder)
    floor = harness.in_child("bench_rollup", "floor_child", folder)
    assert floor["actions"] == total, floor
    label = f"roll-up of {total:,} actions"
    name = "decode+fold the same updates in memory"
    return [
        harness.record(
            f"{label}: time",
            ours["seconds"],
            "s",
            floor_name=name,
            floor_value=floor["seconds"],
            goal="<= 1.5x",
        ),
        harness.record(
            f"{label}: peak memory",
            ours["maxrss_mb"],
            "MB",
            floor_name=name,
            floor_value=floor["maxrss_mb"],
        ),
    ]


if __name__ == "__main__":
    harness.script_main(measure)
