"""Large synced profiles for the scale benchmarks, built fast and cached by size.

Dispatching 120,000 actions would take minutes, so the state is built directly and
saved through ``LocalStore`` as the base and the view. The first round against an
empty folder remote then writes it as the log's genesis (a ``merge_state``), and a
second device joins by pulling it. The pair and the remote are cached under the
temp folder, keyed by size and by the storage and protocol versions, and each
benchmark works on a fresh copy.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import immutables

from desktop_app.app import App
from desktop_app.app.engine import REMOTE_META
from desktop_app.app.syncing import run_round
from desktop_app.core import Note, Priority, State, Task, TaskList
from desktop_app.core import actions as act
from desktop_app.storage import LocalStore
from desktop_app.storage.migrations import SCHEMA_VERSION
from desktop_app.sync import protocol
from desktop_app.sync.remote_config import RemoteConfig

T0 = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
CACHE = Path(tempfile.gettempdir()) / "tidemark-bench-profiles"
LISTS = 20


def build_state(tasks: int, notes: int) -> State:
    """``tasks`` tasks and ``notes`` notes shaped like a real vault (lists, tags, dates)."""
    lists = {
        f"list-{n:02}": TaskList(id=f"list-{n:02}", name=f"List {n}", created=T0)
        for n in range(LISTS)
    }
    day0 = date(2024, 1, 2)
    task_map = {}
    for n in range(tasks):
        task_id = f"task-{n:07}"
        stamp = T0 + timedelta(seconds=n)
        task_map[task_id] = Task(
            id=task_id,
            title="Call mum about Sunday" if n % 997 == 0 else f"Task number {n} for the week",
            done=n % 5 == 0,
            due=day0 + timedelta(days=n % 90) if n % 3 == 0 else None,
            priority=(Priority.LOW, Priority.NORMAL, Priority.HIGH)[n % 3],
            list_id=f"list-{n % LISTS:02}" if n % 2 else None,
            tags=frozenset({f"t{n % 7}", "work"} if n % 4 == 0 else ()),
            created=stamp,
            updated=stamp,
        )
    note_map = {}
    for n in range(notes):
        note_id = f"note-{n:07}"
        stamp = T0 + timedelta(seconds=n)
        note_map[note_id] = Note(
            id=note_id,
            title=f"Note {n}",
            body=f"Some words about topic {n}.\n\n- [ ] item\n" * 5,
            list_id=f"list-{n % LISTS:02}" if n % 3 == 0 else None,
            created=stamp,
            updated=stamp,
        )
    return State(
        lists=immutables.Map(lists), tasks=immutables.Map(task_map), notes=immutables.Map(note_map)
    )


def seed(data_dir: Path, state: State) -> None:
    """A new profile whose saved base and view are ``state`` (no journal, no history)."""
    local = LocalStore.in_dir(data_dir)
    try:
        with local.transaction() as db:
            local.save_checkpoint("base", state, 0, db=db)
            local.save_checkpoint("view", state, 0, db=db)
    finally:
        local.close()


def point_at(data_dir: Path, remote: Path) -> None:
    """Make ``remote`` (a folder) the profile's remote, as ``desktop-app remote folder``."""
    local = LocalStore.in_dir(data_dir)
    try:
        with local.transaction() as db:
            config = RemoteConfig(kind="folder", path=str(remote))
            local.set_meta(REMOTE_META, config.to_json(), db)
    finally:
        local.close()


def sync_round(app: App) -> None:
    """One round as the window runs it: the round on the database, then the reload."""
    run_round(app.local, app.clock)
    app.reload_view(only_if_changed=True)


def synced_pair(tasks: int, notes: int, into: Path) -> tuple[Path, Path, Path]:
    """(device A, device B, remote folder) under ``into``: A founded the log with
    ``tasks`` and ``notes``, B joined by pulling it. Copied from the cache (built once)."""
    key = f"{tasks}t-{notes}n-schema{SCHEMA_VERSION}-format{protocol.FORMAT_VERSION}"
    cached = CACHE / key
    if not (cached / "done").exists():
        shutil.rmtree(cached, ignore_errors=True)
        building = CACHE / f"{key}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        a, b, remote = building / "a", building / "b", building / "remote"
        remote.mkdir()
        seed(a, build_state(tasks, notes))
        for device in (a, b):
            point_at(device, remote)
            with App(device) as app:
                sync_round(app)
        (building / "done").touch()
        building.rename(cached)
    into.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b", "remote"):
        shutil.copytree(cached / name, into / name)
    for device in ("a", "b"):
        point_at(into / device, into / "remote")
    return into / "a", into / "b", into / "remote"


def edits(state: State, count: int, salt: str, offset: int = 0) -> list[act.Arg]:
    """``count`` title edits of existing tasks spread over the vault (devices pass
    different offsets, so their edits do not conflict)."""
    ids = sorted(state.tasks)[offset :: max(1, len(state.tasks) // count)][:count]
    return [act.TaskTitle(id=task_id, title=f"edited {salt} {n}") for n, task_id in enumerate(ids)]
