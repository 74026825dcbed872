"""Convergence (invariants 2, 3, 4, 9): many devices, random offline spells, lost
acknowledgements, duplicated uploads, skewed clocks, roll-ups at random moments,
restarts. Every device must end with byte-identical state, equal to the oracle
built from every update ever committed, with every dispatched action present
exactly once.

Runs on a real FolderRemoteStore. ``TIDEMARK_CONVERGENCE_EXAMPLES`` raises the
example count for a long local run (CI uses 300).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.app import App
from desktop_app.core import Priority, codec, fold, views
from desktop_app.core import actions as act
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.remote import RemoteUnavailable
from desktop_app.sync.rollup import rollup
from tests.sync_harness import Device, SharedLog, Tap

EXAMPLES = int(os.environ.get("TIDEMARK_CONVERGENCE_EXAMPLES", "300"))
# Durability is the crash test's subject, not this one's: profiles and the remote
# live in RAM (tmpfs) where there is one, so fsync costs nothing and the time goes
# to the view checks after every step. Still real SQLite files and real folders.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

EDIT_KINDS = (
    "add_task", "add_note", "add_list", "title", "done", "due", "priority", "body",
    "move", "tag", "untag", "delete", "undo", "redo", "resolve", "resolve",
)  # fmt: skip

device_index = st.integers(min_value=0, max_value=4)
edit = st.tuples(
    st.just("edit"),
    device_index,
    st.sampled_from(EDIT_KINDS),
    st.integers(min_value=0, max_value=7),
    st.sampled_from(["milk", "Milk", "report", "ideas", "x"]),
)
operation = st.one_of(
    edit,
    edit,
    edit,
    st.tuples(st.just("sync"), device_index),
    st.tuples(st.just("sync"), device_index),
    st.tuples(st.just("offline"), device_index),
    st.tuples(st.just("lost_ack"), device_index),
    st.tuples(st.just("duplicate"), device_index),
    st.tuples(st.just("duplicate"), device_index),
    st.tuples(st.just("restart"), device_index),
    st.tuples(st.just("rollup"), st.booleans()),
)


def _edit(device: Device, kind: str, pick: int, word: str, pool: list[str], lists: list[str]):
    app = device.app
    created = datetime.now(UTC)
    target = pool[pick % len(pool)] if pool else "missing"
    if kind == "add_task":
        list_name = word if pick % 3 == 0 else None
        pool.append(app.add_task(f"{word} {pick}", list_name=list_name, tags=[word.lower()]))
        return
    if kind == "add_note":
        pool.append(app.add_note(f"note {pick}", body=f"{word}\n"))
        return
    if kind == "add_list":
        list_id = f"list-{word.lower()}-{pick}"
        lists.append(list_id)
        app.dispatch(act.NewList(id=list_id, name=word, created=created))
        return
    if kind == "undo":
        app.undo()
        return
    if kind == "redo":
        app.redo()
        return
    if kind == "resolve":  # settle a problem this device sees, as the panel would
        if problems := app.problems():
            problem = problems[pick % len(problems)]
            options = [o for o in problem.options if o != "edit"]
            app.resolve_problem(problem.id, options[pick % len(options)])
        return
    task = app.state.tasks.get(target)
    arg: act.Arg = {
        "title": lambda: act.TaskTitle(
            id=target, title=f"{word} {pick}", base=task.title if task else None
        ),
        "done": lambda: act.TaskDone(id=target, done=pick % 2 == 0),
        "due": lambda: act.TaskDue(
            id=target,
            due=date(2026, 1, 1) + timedelta(days=pick),
            base=task.due if task else None,
            base_known=task is not None,
        ),
        "priority": lambda: act.TaskPriority(id=target, priority=list(Priority)[pick % 3]),
        "body": lambda: act.NoteBody(
            id=target,
            body=f"{word} by {device.name}",
            base=getattr(app.state.notes.get(target), "body", None),
        ),
        "move": lambda: act.ItemList(
            id=target, list_id=lists[pick % len(lists)] if lists else None
        ),
        "tag": lambda: act.AddTag(id=target, tag=word.lower()),
        "untag": lambda: act.RemoveTag(id=target, tag=word.lower()),
        "delete": lambda: (
            act.DeleteItem(id=lists[pick % len(lists)])
            if lists and pick % 4 == 0
            else app.delete_step(target)
        ),
    }[kind]()
    app.dispatch(arg)


def shown_on_start(device: Device) -> dict:
    """What ``show --json`` would print now: the profile as a new process loads it.

    The peek closes only its connection: a checkpoint on the way out would change
    the profile under the device it is checking.
    """
    fresh = App(device.data_dir)
    try:
        return views.document(fresh.state)
    finally:
        fresh.local.close()


def check_views(devices: list[Device], mine: dict[str, set[str]], step: int) -> None:
    """After every step, on every device (issue 14): what the user sees is the base
    folded with every pending local action, and none of its own actions is gone."""
    for device in devices:
        local = device.app.local
        pending = local.local_actions()
        expected = views.document(fold(local.base()[0], [a for _, a in pending]))
        where = f"{device.name} after step {step}"
        assert views.document(device.app.state) == expected, f"the window, {where}"
        assert shown_on_start(device) == expected, f"show --json, {where}"
        kept = {a.id for _, a in pending} | local.applied_among(mine[device.name])
        assert mine[device.name] <= kept, f"a dispatched action vanished, {where}"


def run_program(root: Path, n_devices: int, skews: list[float], ops: list[tuple]) -> None:
    store_root = root / "remote"
    store_root.mkdir()
    log = SharedLog()
    devices = [
        Device(f"d{i}", root / f"d{i}", Tap(FolderRemoteStore(store_root), log), skews[i])
        for i in range(n_devices)
    ]
    pool: list[str] = []
    lists: list[str] = []
    dispatched: set[str] = set()
    mine: dict[str, set[str]] = {d.name: set() for d in devices}
    try:
        for step, op in enumerate(ops):
            kind, who = op[0], op[1]
            if kind == "rollup":
                retention = timedelta(0) if who else timedelta(days=90)
                if (store_root / "meta.json").exists():  # no vault yet: nothing to roll up
                    rollup(Tap(FolderRemoteStore(store_root), log), retention=retention)
                check_views(devices, mine, step)
                continue
            device = devices[who % n_devices]
            if kind == "edit":
                before = device.app.local.last_seq()
                _edit(device, op[2], op[3], op[4], pool, lists)
                new = {a.id for _, a in device.app.local.local_actions(after_seq=before)}
                dispatched |= new
                mine[device.name] |= new
            elif kind == "offline":
                device.remote.offline = not device.remote.offline
            elif kind == "restart":
                device.restart()
            else:
                # Retries of earlier uploads land before or after this round.
                retries, log.delayed = log.delayed, []
                if who % 2:
                    log.flush_duplicates(FolderRemoteStore(store_root), retries)
                device.remote.lose_next_ack = kind == "lost_ack"
                device.remote.duplicate_next = kind == "duplicate"
                # Offline, or the acknowledgement was lost: a later round retries.
                with contextlib.suppress(RemoteUnavailable):
                    device.sync()
                if not who % 2:
                    log.flush_duplicates(FolderRemoteStore(store_root), retries)
                device.remote.lose_next_ack = device.remote.duplicate_next = False
            check_views(devices, mine, step)

        for device in devices:
            device.remote.offline = False
        log.flush_duplicates(FolderRemoteStore(store_root), log.delayed)
        for _ in range(2):
            for device in devices:
                device.sync()
        newcomer = Device("new", root / "new", Tap(FolderRemoteStore(store_root), log))
        newcomer.sync()
        devices.append(newcomer)

        expected = views.document(log.oracle())
        expected_bytes = codec.encode_state(log.oracle())
        for device in devices:
            assert device.document() == expected, device.name
            assert codec.encode_state(device.app.state) == expected_bytes, device.name
            assert device.app.local.pending_count() == 0, device.name
        assert dispatched <= log.committed_ids(), "an acknowledged action was lost"
    finally:
        for device in devices:
            device.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    n_devices=st.integers(min_value=3, max_value=5),
    skews=st.lists(st.floats(min_value=-7200, max_value=7200), min_size=5, max_size=5),
    ops=st.lists(operation, max_size=50),
)
def test_devices_converge(n_devices: int, skews: list[float], ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        run_program(Path(tmp), n_devices, skews, ops)


def test_long_offline_device_rebases_on_newest_snapshot(tmp_path: Path) -> None:
    """A device whose base was rolled up and retired still merges its unsent edits."""
    store_root = tmp_path / "remote"
    store_root.mkdir()
    log = SharedLog()
    laptop = Device("laptop", tmp_path / "laptop", Tap(FolderRemoteStore(store_root), log))
    desktop = Device("desktop", tmp_path / "desktop", Tap(FolderRemoteStore(store_root), log))
    shared = laptop.app.add_task("shared task")
    laptop.sync()
    desktop.sync()
    offline_edit = laptop.app.add_note("written on the plane")
    laptop.app.edit(shared, title="renamed offline")
    for i in range(5):
        desktop.app.add_task(f"desktop {i}")
        desktop.sync()
    report = rollup(FolderRemoteStore(store_root), retention=timedelta(0))
    assert report.deleted_updates >= 4
    result = laptop.sync()
    assert result.snapshot_loaded is not None
    desktop.sync()
    assert laptop.document() == desktop.document() == views.document(log.oracle())
    assert laptop.app.state.notes[offline_edit].title == "written on the plane"
    assert laptop.app.state.tasks[shared].title == "renamed offline"
    laptop.close()
    desktop.close()


def test_delayed_duplicate_upload_takes_effect_once(tmp_path: Path) -> None:
    """A retried upload landing after a newer edit must not undo that edit."""
    ops = [
        ("edit", 0, "add_task", 0, "milk"),
        ("sync", 0),
        ("sync", 1),
        ("edit", 0, "title", 0, "x"),
        ("duplicate", 0),  # d0's title edit will be committed again later
        ("edit", 1, "title", 0, "report"),
        ("sync", 4),  # d1 pushes "report"; then the retried "x" lands after it
        ("sync", 2),
    ]
    run_program(tmp_path, 3, [0.0] * 5, ops)


def test_a_pending_edit_stays_visible_when_a_round_loses_its_ack(tmp_path: Path) -> None:
    """Between a pull that moved the base and the push's lost acknowledgement, the
    device must go on showing its unsent edit (issue 14; checked after every step)."""
    ops = [
        ("edit", 0, "add_task", 0, "milk"),
        ("sync", 0),
        ("sync", 1),
        ("edit", 1, "title", 0, "report"),
        ("sync", 1),
        ("edit", 0, "done", 0, "x"),  # pending on d0 while d1's title waits remotely
        ("lost_ack", 0),  # pulls the title, pushes, never hears back
        ("restart", 0),
        ("sync", 0),
    ]
    run_program(tmp_path, 3, [0.0] * 5, ops)


@settings(max_examples=max(50, EXAMPLES // 3), deadline=None)
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(
                st.just("edit"),
                device_index,
                st.sampled_from(["title", "done", "tag", "untag"]),
                st.just(0),
                st.sampled_from(["milk", "report", "x"]),
            ),
            st.tuples(st.just("duplicate"), device_index),
            st.tuples(st.just("lost_ack"), device_index),
            st.tuples(st.just("sync"), device_index),
        ),
        max_size=30,
    )
)
def test_retried_uploads_take_effect_once(ops: list[tuple]) -> None:
    """Exactly once (invariant 3): edits of one task while uploads get retried late."""
    setup = [("edit", 0, "add_task", 0, "milk"), ("sync", 0), ("sync", 1), ("sync", 2)]
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        run_program(Path(tmp), 3, [0.0] * 5, setup + ops)
