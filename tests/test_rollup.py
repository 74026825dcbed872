"""The roll-up's snapshot, byte for byte, against the plain fold it stands for.

A snapshot at position L is a pure function of updates 1..L (docs/sync-protocol.md):
every roll-up, however it reads and folds, must write exactly the bytes of the
obvious algorithm below. Logs are generated with duplicate actions (re-uploads,
ids repeated across devices), conflicting edits from several devices, dirty text
(cleaned on the way in), merged states carrying applied ids, unusable objects
(quarantined), and a roll-up part way whose pruning retires the early updates.
"""

from __future__ import annotations

import gc
import random
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from desktop_app.core import Action, State, StateDoc, apply
from desktop_app.core import actions as act
from desktop_app.core.actions import MergeState
from desktop_app.core.text import clean_arg_fully
from desktop_app.sync import log as log_module
from desktop_app.sync import protocol
from desktop_app.sync import rollup as rollup_module
from desktop_app.sync.engine import FETCH_WORKERS
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.log import Walk, _cleaned, fold_new, walk
from desktop_app.sync.protocol import Genesis, Snapshot, Update, VaultMeta
from desktop_app.sync.rollup import rollup
from tests import strategies

LOG_ID = "log-under-test"
STAMP_MS = 1_700_000_000_000
# Far enough ahead that every update is past the retention period: pruning retires
# all that a snapshot covers but the newest.
LATER = datetime.now(UTC) + timedelta(days=1)
GARBAGE = b"not an update"

# One update's actions, or None for an unusable object at that position.
Entry = tuple[Action, ...] | None


def reference_snapshot(entries: list[Entry], updates: list[Update | None]) -> bytes:
    """The snapshot of the whole log, folded the obvious way: every update in order,
    each action once (by id), its text cleaned, a merged state's ids counted applied."""
    state, applied, last = State(), set[str](), ""
    for position, update in enumerate(updates, start=1):
        if update is None:
            last = protocol.quarantined_id(position)
            continue
        for action in update.actions:
            if action.id in applied:
                continue
            arg = clean_arg_fully(action.arg)
            state = apply(state, replace(action, arg=arg))
            applied.add(action.id)
            if isinstance(arg, MergeState):
                applied.update(arg.applied)
        last = update.id
    snapshot = Snapshot.of(state, len(entries), STAMP_MS, applied, last=last, log=LOG_ID)
    return protocol.encode(snapshot)


def linked(entries: list[Entry]) -> list[Update | None]:
    """The updates of ``entries``, each naming the effective id of the one before."""
    updates: list[Update | None] = []
    prev = ""
    for position, actions in enumerate(entries, start=1):
        if actions is None:
            updates.append(None)
            prev = protocol.quarantined_id(position)
            continue
        update = Update(
            id=f"update-{position}",
            device="device-a",
            at=STAMP_MS + position,
            position=position,
            prev=prev,
            genesis=Genesis(vault_id="vault", log_id=LOG_ID) if position == 1 else None,
            actions=actions,
        )
        updates.append(update)
        prev = update.id
    return updates


def write(root: Path, updates: list[Update | None], start: int = 1) -> FolderRemoteStore:
    """Updates ``start``.. of the log into a folder remote (written directly: fast)."""
    (root / "updates").mkdir(exist_ok=True)
    (root / "snapshots").mkdir(exist_ok=True)
    meta = VaultMeta(format=protocol.FORMAT_VERSION, vault_id="vault", log_id=LOG_ID)
    (root / protocol.META_KEY).write_bytes(protocol.encode(meta))
    for position, update in enumerate(updates, start=1):
        if position >= start:
            data = GARBAGE if update is None else protocol.encode(update)
            (root / protocol.update_key(position)).write_bytes(data)
    return FolderRemoteStore(root)


def rolled(remote: FolderRemoteStore) -> int:
    report = rollup(remote, retention=timedelta(0), now=lambda: LATER, now_ms=lambda: STAMP_MS)
    assert report.snapshot_position is not None
    return report.snapshot_position


def check(entries: list[Entry], part_way: int | None) -> None:
    """Roll up ``entries`` (first up to ``part_way``, pruning, then all of it) and
    compare the snapshot's bytes with the reference."""
    updates = linked(entries)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        remote = write(root, updates[:part_way] if part_way else updates)
        if part_way:
            assert rolled(remote) == part_way
            # The early updates are retired: the next roll-up starts from the snapshot.
            assert len(remote.list(protocol.UPDATES)) == 1
            write(root, updates, start=part_way + 1)
        assert rolled(remote) == len(entries)
        written = remote.get(protocol.snapshot_key(len(entries)))
    assert written == reference_snapshot(entries, updates)


# Ids shared by several updates (a re-upload, or one action seen twice), and fresh ones.
action_ids = st.sampled_from([f"shared-{n}" for n in range(6)]) | st.uuids().map(str)


# A merged state naming ids the log also holds (before it, after it, or in a snapshot).
merged_states = st.builds(
    act.MergeState,
    state=strategies.state_docs(),
    applied=st.lists(action_ids, max_size=3).map(tuple),
)


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[Entry], int | None]:
    action = st.builds(
        Action,
        id=action_ids,
        device=st.sampled_from(("device-a", "device-b", "device-c")),
        at=st.integers(min_value=0, max_value=strategies.MAX_MS),
        arg=strategies.args() | merged_states,
    )
    entries: list[Entry] = []
    for position in range(1, draw(st.integers(min_value=1, max_value=8)) + 1):
        if position > 1 and draw(st.integers(0, 5)) == 0:
            entries.append(None)
            continue
        repeat = entries and entries[-1] is not None and draw(st.integers(0, 6)) == 0
        entries.append(entries[-1] if repeat else tuple(draw(st.lists(action, max_size=4))))
    part_way = draw(st.none() | st.integers(min_value=1, max_value=len(entries)))
    return entries, part_way


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_a_rollup_writes_the_bytes_of_the_plain_fold(log: tuple[list[Entry], int | None]) -> None:
    entries, part_way = log
    check(entries, part_way)


def test_a_long_seeded_log_rolls_up_to_the_plain_folds_bytes() -> None:
    """More updates than a walk reads at a time (so several batches), many actions per
    update from few items and devices (conflicts), duplicates and unusable objects."""
    rng = random.Random(20261126)
    items = [f"item-{n}" for n in range(40)]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    entries: list[Entry] = []
    serial = 0
    for position in range(1, 1200):
        if position > 1 and rng.random() < 0.01:
            entries.append(None)
            continue
        actions = []
        for _ in range(rng.randint(0, 6)):
            serial += 1
            item, pick = rng.choice(items), rng.random()
            arg: act.Arg
            if pick < 0.3:
                arg = act.NewTask(id=item, title=f" new\n{serial} ", created=created)
            elif pick < 0.6:
                arg = act.TaskTitle(id=item, title=f"title {serial}")
            elif pick < 0.75:
                arg = act.AddTag(id=item, tag=rng.choice(["home", "#work", "a b", "x"]))
            elif pick < 0.9:
                arg = act.TaskDone(id=item, done=rng.random() < 0.5)
            else:
                arg = act.DeleteItem(id=item)
            # A random id (not in log order), a repeated one, or one in time order.
            action_id = rng.choice(
                [f"{rng.getrandbits(64):016x}", f"dup-{rng.randrange(50)}", f"{serial:012}"]
            )
            device = rng.choice(["device-a", "device-b"])
            actions.append(Action(id=action_id, device=device, at=rng.randrange(10**12), arg=arg))
        entries.append(tuple(actions))
    check(entries, part_way=700)


# -- how the roll-up lists the applied ids ---------------------------------------------


def test_a_fold_lists_each_id_it_adds_once_in_the_order_added() -> None:
    merged = act.MergeState(state=StateDoc.of(State()), applied=("m-2", "a-1", "m-1", "m-1"))
    update = Update(
        id="u",
        device="d",
        at=0,
        position=1,
        actions=tuple(
            Action(id=i, device="d", at=0, arg=arg)
            for i, arg in [
                ("z-1", act.TaskDone(id="t", done=True)),
                ("a-1", act.TaskDone(id="t", done=False)),
                ("z-1", act.TaskDone(id="t", done=False)),  # a duplicate: skipped
                ("old", act.TaskDone(id="t", done=False)),  # applied before: skipped
                ("m-0", merged),
                ("m-1", act.TaskDone(id="t", done=False)),  # the merged state applied it
            ]
        ),
    )
    seen: set[str] = set()
    order: list[str] = []
    _, count = fold_new(State(), [update], {"old"}.__contains__, seen, order=order)
    assert count == 3
    assert order == ["z-1", "a-1", "m-0", "m-2", "m-1"]
    assert set(order) == seen


def spy_on_snapshots(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The ``applied`` argument of every snapshot made (the reference's too)."""
    handed: list[object] = []
    made = Snapshot.of.__func__  # type: ignore[attr-defined]

    def of(cls: type[Snapshot], *args: Any, **kw: Any) -> Snapshot:
        handed.append(args[3])
        return made(cls, *args, **kw)

    monkeypatch.setattr(Snapshot, "of", classmethod(of))
    return handed


def test_a_rollup_hands_the_ids_over_in_log_order_not_as_a_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The base's (sorted) ids then the new ones in log order: nearly sorted, so the
    snapshot sorts them in about one pass (the set took most of a second at 1M)."""
    done = act.TaskDone(id="t", done=True)
    entries: list[Entry] = [
        tuple(Action(id=f"{p}-{n}", device="d", at=p, arg=done) for n in (2, 1))
        for p in range(1, 7)
    ]
    handed = spy_on_snapshots(monkeypatch)
    check(entries, part_way=3)
    first, second, _reference = handed
    assert first == ["1-2", "1-1", "2-2", "2-1", "3-2", "3-1"]
    assert second == [
        "1-1",
        "1-2",
        "2-1",
        "2-2",
        "3-1",
        "3-2",
        "4-2",
        "4-1",
        "5-2",
        "5-1",
        "6-2",
        "6-1",
    ]


def test_a_merged_state_naming_ids_the_base_holds_is_listed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the ordered list would repeat an id, the roll-up lists the set instead."""
    done = act.TaskDone(id="t", done=True)
    merged = act.MergeState(state=StateDoc.of(State()), applied=("1-a", "new"))
    entries: list[Entry] = [
        (Action(id="1-a", device="d", at=1, arg=done),),
        (Action(id="2-a", device="d", at=2, arg=merged),),
    ]
    handed = spy_on_snapshots(monkeypatch)
    check(entries, part_way=1)
    assert handed[1] == {"1-a", "2-a", "new"}  # [0]: the first roll-up, [2]: the reference


# -- the fold's own overheads ------------------------------------------------------------


def python_calls(name: str, work: Callable[[], object]) -> int:
    """How many times ``work`` calls the Python function ``name``."""
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        calls += event == "call" and frame.f_code.co_name == name

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_the_cycle_collector_stays_paused_through_the_prune(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resumed before the prune, the first collection walked every object the fold
    left alive (a third of a second at a million actions)."""
    paused: list[bool] = []
    prune = rollup_module._prune

    def spy(*args: Any) -> None:
        paused.append(not gc.isenabled())
        prune(*args)

    monkeypatch.setattr(rollup_module, "_prune", spy)
    done = act.TaskDone(id="t", done=True)
    check([(Action(id=f"a-{p}", device="d", at=p, arg=done),) for p in range(1, 4)], None)
    assert paused == [True]
    assert gc.isenabled()


def calls_per_action_check(flush: Callable[[Walk], None] | None) -> int:
    """Python calls a walk of 20 actions makes to ask whether one was applied."""
    done = act.TaskDone(id="t", done=True)
    updates = linked([(Action(id=f"a-{p}", device="d", at=p, arg=done),) * 2 for p in range(10)])
    with tempfile.TemporaryDirectory() as folder:
        remote = write(Path(folder), updates)
        return python_calls(
            "known_or_flushed",
            lambda: walk(
                remote,
                list(range(1, 11)),
                state=State(),
                position=0,
                last="",
                applied_among=set[str]().intersection,
                log_id=LOG_ID,
                flush=flush,
                fetch_workers=1,
            ),
        )


def test_a_walk_without_flushes_asks_in_c_whether_an_action_was_applied() -> None:
    assert calls_per_action_check(None) == 0
    assert calls_per_action_check(Walk.flushed_now) > 0  # the same walk with flushes


def test_the_next_batch_is_read_while_one_is_folded(tmp_path: Path) -> None:
    """The reads of batch 2 are under way before batch 1 is folded: the fold of batch 1
    (where ``applied_among`` is asked) waits for them, and would wait in vain if they
    only started after it."""
    done = act.TaskDone(id="t", done=True)
    updates = linked([(Action(id=f"a-{p}", device="d", at=p, arg=done),) for p in range(1, 7)])
    both_read = threading.Event()
    read: set[int] = set()

    class Watched(FolderRemoteStore):
        def get(self, key: str) -> bytes:
            position = protocol.position_of(key)
            read.add(position or 0)
            if {3, 4} <= read:
                both_read.set()
            return super().get(key)

    write(tmp_path, updates)
    waited: list[bool] = []

    def applied_among(ids: list[str]) -> set[str]:
        if not waited:  # batch 1 (positions 1 and 2)
            waited.append(both_read.wait(timeout=5))
        return set()

    result = walk(
        Watched(tmp_path),
        list(range(1, 7)),
        state=State(),
        position=0,
        last="",
        applied_among=applied_among,
        log_id=LOG_ID,
        batch=2,
        fetch_workers=2,
    )
    assert waited == [True]
    assert (result.position, result.actions, result.stop) == (6, 6, "")


def test_a_rollup_drops_its_duplicate_tests_before_building_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the snapshot is built (and encoded: a roll-up's peak memory), no set of
    applied ids is left: only the list the snapshot takes."""
    sets_holding_ids: list[int] = []
    made = Snapshot.of.__func__  # type: ignore[attr-defined]

    def of(cls: type[Snapshot], *args: Any, **kw: Any) -> Snapshot:
        one_id = next(iter(args[3]))
        sets_holding_ids.append(sum(isinstance(r, set) for r in gc.get_referrers(one_id)))
        return made(cls, *args, **kw)

    monkeypatch.setattr(Snapshot, "of", classmethod(of))
    done = act.TaskDone(id="t", done=True)
    entries: list[Entry] = [(Action(id=f"a-{p}", device="d", at=p, arg=done),) for p in range(4)]
    check(entries, part_way=2)
    assert sets_holding_ids[:2] == [0, 0]  # the two roll-ups ([2]: the reference's own set)


def test_an_update_already_clean_is_checked_without_building_a_cleaned_copy() -> None:
    """The one pass over a pulled update's text (``is_clean_arg`` per action) decides;
    the cleaning path, one call and one replace per action, runs only when some text
    is dirty, and then cleans exactly as before."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    clean = tuple(
        Action(
            id=f"a-{n}", device="d", at=n, arg=act.NewTask(id=f"t{n}", title="ok", created=created)
        )
        for n in range(5)
    )
    update = Update(id="u", device="d", at=0, position=1, actions=clean)
    assert _cleaned(update) is update
    assert python_calls("clean_arg", lambda: _cleaned(update)) == 0
    dirty = replace(
        update, actions=(*clean, replace(clean[0], arg=act.TaskTitle(id="t0", title="a\nb")))
    )
    assert python_calls("clean_arg", lambda: _cleaned(dirty)) == 6
    assert _cleaned(dirty).actions[-1].arg.title == "a b"  # type: ignore[attr-defined]


def test_a_rollup_reads_a_folder_without_reader_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's reads are the interpreter's work: threads only contend with the fold
    for it. A store that does not say (S3) is read by a pool of ``FETCH_WORKERS``."""
    pools: list[int] = []
    executor = log_module.ThreadPoolExecutor

    def counted(max_workers: int) -> Any:
        pools.append(max_workers)
        return executor(max_workers=max_workers)

    monkeypatch.setattr(log_module, "ThreadPoolExecutor", counted)
    done = act.TaskDone(id="t", done=True)
    entries: list[Entry] = [
        (Action(id=f"a-{p}", device="d", at=p, arg=done),) for p in range(1, 40)
    ]
    check(entries, None)
    assert pools == []

    class Unsaid:  # a store that names no number of readers, as S3RemoteStore
        def __init__(self, inner: FolderRemoteStore) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            if name == "read_workers":
                raise AttributeError(name)
            return getattr(self.inner, name)

    (tmp_path / "again").mkdir()
    remote = write(tmp_path / "again", linked(entries))
    rollup(Unsaid(remote), retention=timedelta(0), now=lambda: LATER)  # type: ignore[arg-type]
    assert pools == [FETCH_WORKERS]
