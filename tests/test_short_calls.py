"""Issue 11: a sync round leaves the interpreter to the window's thread often.

A dispatch from the window's thread waits for the interpreter as well as for the
write lock; a single long C call in the round (a 30 MB decode, a full collection,
a sort of the whole vault) makes it wait. Mechanisms, not timings: a big update is
decoded in bounded pieces, to the same value, with the same verdict on bad bytes;
the cycle collector is paused for a round and resumed however it ends, with what
the round left alive moved to the oldest generation unwalked; a genesis merge sorts
and collects its ids in slices; what a new device's first pull built for the whole
vault is freed a slice at a time where it dies, not in one step at a return.
"""

from __future__ import annotations

import builtins
import gc
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.app import App
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import Action, State, StateDoc, codec, handlers, slices
from desktop_app.core.actions import MergeState
from desktop_app.core.changes import Changes
from desktop_app.core.model import Task
from desktop_app.storage import LocalStore, base_swap, local_store
from desktop_app.sync import big_update, collector, engine, protocol
from desktop_app.sync.clock import Clock
from desktop_app.sync.collector import no_cycle_collection
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.protocol import Genesis, Unreadable, Update
from desktop_app.sync.remote_config import RemoteConfig
from tests import strategies
from tests.counting import journal_tasks

T0 = datetime(2024, 1, 2, tzinfo=UTC)
# Titles that look like the places the pieces are cut, inside strings.
TRICKY = ('},"', "}}", '"tasks":{}', '},"tasks":{', '}}},"at":', "\\", '"')


def genesis(doc: StateDoc) -> Update:
    merge = Action(id="a-1", device="dev-1", at=1, arg=MergeState(state=doc, applied=("x",)))
    return Update(
        id="u-1",
        device="dev-1",
        at=1,
        position=1,
        genesis=Genesis(vault_id="v", log_id="l"),
        actions=(merge,),
    )


def many_tasks(count: int, titles: tuple[str, ...] = ("t",)) -> StateDoc:
    tasks = {
        f"task-{n:05}": Task(
            id=f"task-{n:05}", title=titles[n % len(titles)], created=T0, updated=T0
        )
        for n in range(count)
    }
    return StateDoc(tasks=tasks)


@contextmanager
def pieces_seen(piece_bytes: int) -> Iterator[list[int]]:
    """Every update decoded in pieces of about ``piece_bytes``; yields the byte
    length of each piece decoded."""
    seen: list[int] = []
    real = big_update._piece

    def spy(decoder: msgspec.json.Decoder, entries: bytes) -> Any:
        seen.append(len(entries))
        return real(decoder, entries)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(big_update, "PIECE_BYTES", piece_bytes)
        patch.setattr(big_update, "BIG_BYTES", 0)
        patch.setattr(big_update, "_piece", spy)
        yield seen


def one_call(data: bytes) -> Update:
    return msgspec.json.Decoder(Update).decode(data)


def longest_entry(doc: StateDoc) -> int:
    return max(
        (
            len(codec.encode({key: value}))
            for field in big_update.MAPS
            for key, value in getattr(doc, field).items()
        ),
        default=0,
    )


@settings(max_examples=60, deadline=None)
@given(strategies.states(max_items=30), st.integers(1, 400))
def test_a_big_update_is_decoded_in_bounded_pieces_to_the_one_call_value(
    state: State, piece_bytes: int
) -> None:
    doc = StateDoc.of(state)
    data = protocol.encode(genesis(doc))
    with pieces_seen(piece_bytes) as seen:
        decoded = protocol.decode_update(data)
    assert decoded == one_call(data)
    if any(getattr(doc, field) for field in big_update.MAPS):
        assert seen, "the maps were decoded in one call"
    # A piece is cut at the first entry ending past ``piece_bytes``.
    assert all(size <= piece_bytes + longest_entry(doc) + 2 for size in seen)


@given(st.lists(st.sampled_from(TRICKY) | strategies.texts(), min_size=1, max_size=6))
def test_cut_marks_inside_titles_change_nothing(titles: list[str]) -> None:
    doc = many_tasks(40, tuple(titles))
    data = protocol.encode(genesis(doc))
    with pieces_seen(64):
        assert protocol.decode_update(data) == one_call(data)


def test_a_genesis_of_a_thousand_tasks_takes_many_pieces() -> None:
    data = protocol.encode(genesis(many_tasks(1_000)))
    with pieces_seen(4_096) as seen:
        decoded = protocol.decode_update(data)
    assert decoded == one_call(data)
    assert len(seen) >= len(data) // 4_096 - 1
    assert max(seen) < 4_096 + 200


def test_a_big_update_with_bad_utf8_in_a_title_is_unreadable_not_a_crash() -> None:
    """msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string; a torn big
    update on a remote must be quarantined (``Unreadable``) like any other."""
    data = protocol.encode(genesis(many_tasks(200, ("a title",))))
    torn = data.replace(b"a title", b"a \xfftle", 1)
    with pieces_seen(1_024), pytest.raises(protocol.Unreadable):
        protocol.decode_update(torn)


class Searched(bytes):
    """Bytes that note how far each ``find`` on them may look."""

    spans: list[int]

    def find(self, sub: Any, start: Any = 0, end: Any = None) -> int:  # type: ignore[override]
        self.spans.append((len(self) if end is None else end) - start)
        return super().find(sub, start, end)


def test_the_cuts_are_searched_for_a_window_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(big_update, "FIND_BYTES", 256)
    monkeypatch.setattr(big_update, "PIECE_BYTES", 1_024)
    data = Searched(protocol.encode(genesis(many_tasks(300, TRICKY))))
    data.spans = []
    assert big_update.decode_in_pieces(data, one_call) == one_call(bytes(data))
    assert data.spans and max(data.spans) <= 256 + 16


@given(st.binary(max_size=60), st.binary(min_size=1, max_size=3), st.integers(0, 70))
def test_finding_a_window_at_a_time_is_finding(data: bytes, sub: bytes, start: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(big_update, "FIND_BYTES", 4)
        assert big_update._find(data, sub, start) == data.find(sub, start)
        assert big_update._find(data, sub, start, 40) == data.find(sub, start, 40)


def decoy(data: bytes) -> bytes:
    """``data`` with an unknown field ahead of ``actions`` holding a state's maps:
    one call skips it; cut by the finds alone, its entries would fill the state."""
    extra = b'{"aaa":{"deleted":{},"lists":{},"notes":{},"tasks":{"task-x":{}}},'
    return extra + data[1:]


def test_a_state_in_an_unknown_field_is_skipped_as_one_call_skips_it() -> None:
    """The maps an unknown field holds, laid out as the cuts expect them, ahead of a
    genesis whose own maps are empty: they are not the state's."""
    entries = codec.encode(many_tasks(300).tasks)[1:-1]
    maps = b'{"deleted":{},"lists":{},"notes":{},"tasks":{' + entries + b"}}}"
    data = b'{"aaa":{"x":{"y":' + maps + b',"at":1},' + protocol.encode(genesis(StateDoc()))[1:]
    expected = one_call(data)
    assert not expected.actions[0].arg.state.tasks
    with pieces_seen(512):
        assert protocol.decode_update(data) == expected


def spaced(data: bytes) -> bytes:
    return data.replace(b'":', b'": ')


def duplicated(data: bytes) -> bytes:
    """A second, empty ``tasks`` map after the first: one call keeps the last."""
    return data.replace(b'}}},"at":', b'},"tasks":{}}},"at":', 1)


def broken_entry(data: bytes) -> bytes:
    return data.replace(b'"title":"t"', b'"title":7', 1)


@pytest.mark.parametrize("change", [decoy, spaced, duplicated, broken_entry])
def test_an_update_not_shaped_for_pieces_reads_as_one_call_reads_it(change: Any) -> None:
    data = change(protocol.encode(genesis(many_tasks(300))))
    try:
        expected: Any = one_call(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        expected = type(exc)
    with pieces_seen(512):
        try:
            got: Any = protocol.decode_update(data)
        except Unreadable:
            got = msgspec.ValidationError if change is broken_entry else Unreadable
    assert got == expected


# -- the write lock, handed over ------------------------------------------------------


def test_a_round_lets_a_writer_that_asked_for_the_lock_go_first(tmp_path: Path) -> None:
    """A round committing chunk after chunk (a first pull's staging) takes the lock
    again right after each commit; a dispatch from another thread that asked for it
    meanwhile goes before the round's next chunk."""
    store = LocalStore.in_dir(tmp_path / "data")
    order: list[str] = []
    stop = threading.Event()

    def round_() -> None:
        with store.background_writes():
            for n in range(500):
                if stop.is_set():
                    return
                with store.transaction() as db:
                    store.set_meta("round", str(n), db)
                    time.sleep(0.002)  # the chunk's hold
                order.append("round")

    worker = threading.Thread(target=round_)
    worker.start()
    try:
        for n in range(5):
            while order.count("round") < 3 * (n + 1):
                time.sleep(0.001)
            order.append("asked")
            with store.transaction() as db:
                store.set_meta("dispatch", str(n), db)
            order.append("dispatched")
    finally:
        stop.set()
        worker.join()
        store.close()
    # The chunk under way goes first, and one more if the round began it between
    # "asked" and the dispatch's start (without the hand-over: 6 to 44 chunks).
    asked = [i for i, what in enumerate(order) if what == "asked"]
    dispatched = [i for i, what in enumerate(order) if what == "dispatched"]
    went_first = [order[a:d].count("round") for a, d in zip(asked, dispatched, strict=True)]
    assert max(went_first) <= 2, went_first


# -- the cycle collector ------------------------------------------------------------


class Failing:
    """A folder remote whose reads fail once the round is under way, noting
    whether the collector ran meanwhile."""

    def __init__(self, inner: FolderRemoteStore) -> None:
        self.inner = inner
        self.collecting: list[bool] = []

    def list(self, prefix: str, start_after: str = "") -> list:
        self.collecting.append(gc.isenabled())
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        self.collecting.append(gc.isenabled())
        raise OSError("the disk went away")

    def put_if_absent(self, key: str, data: bytes) -> bool:
        return self.inner.put_if_absent(key, data)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def describe(self) -> str:
        return "failing folder"


def test_a_round_pauses_the_collector_and_resumes_it_when_it_fails(
    tmp_path: Path, nothing_frozen
) -> None:
    (tmp_path / "remote").mkdir()
    founder = LocalStore.in_dir(tmp_path / "a")
    remote = FolderRemoteStore(tmp_path / "remote")
    try:
        SyncEngine(founder, remote, Clock()).sync()  # founds the log: something to read
    finally:
        founder.close()
    failing = Failing(remote)
    local = LocalStore.in_dir(tmp_path / "b")
    assert gc.isenabled()
    try:
        with pytest.raises(OSError, match="went away"):
            SyncEngine(local, failing, Clock()).sync()
    finally:
        local.close()
    assert failing.collecting and not any(failing.collecting)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.fixture
def nothing_frozen(monkeypatch: pytest.MonkeyPatch):
    """A process whose start-up froze nothing for good (an in-process window test may
    have, and CPython 3.12+ starts with objects of its own frozen)."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    monkeypatch.setattr(collector, "_kept_frozen", False)
    yield
    if frozen:
        gc.freeze()


def test_what_a_paused_block_leaves_alive_is_aged_without_a_walk(nothing_frozen) -> None:
    gc.collect()
    with no_cycle_collection():
        kept = [[n] for n in range(2_000)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in kept)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_what_the_window_froze_at_start_up_stays_frozen_after_a_round(nothing_frozen) -> None:
    """``gc.unfreeze`` would give the collector the whole vault the window froze."""
    start_up = [[n] for n in range(1_000)]
    collector.freeze_for_good()
    frozen = gc.get_freeze_count()
    with no_cycle_collection():
        kept = [[n] for n in range(1_000)]
    # Frozen objects are in no generation the collector walks. (The count alone can
    # drop by the odd object another test's thread frees meanwhile.)
    walked = {id(o) for o in gc.get_objects()}
    assert id(start_up) not in walked and not any(id(item) in walked for item in start_up)
    assert gc.get_freeze_count() > frozen - 100
    assert gc.isenabled() and start_up and kept
    gc.unfreeze()


def test_a_pause_already_in_place_is_left_to_its_owner() -> None:
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- slices ---------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 5), st.text(max_size=3))), st.integers(1, 9))
def test_sorting_in_slices_by_a_key_is_sorting_by_it_ties_included(
    items: list[tuple[int, str]], size: int
) -> None:
    def first(item: tuple[int, str]) -> int:
        return item[0]

    assert slices.sorted_in_slices(items, size, key=first) == sorted(items, key=first)


@given(st.lists(st.integers(0, 50)), st.integers(1, 9))
def test_updating_in_slices_is_updating(items: list[int], size: int) -> None:
    into = {-1}
    slices.update_in_slices(into, items, size)
    assert into == {-1, *items}


class CountingSet(set):
    largest = 0

    def update(self, *others: Any) -> None:
        for other in others:
            self.largest = max(self.largest, len(other))
        super().update(*others)


def test_a_genesis_merge_sorts_and_collects_ids_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes: list[int] = []

    def counted_sorted(items: Any, **kwargs: Any) -> list:
        items = list(items)
        sizes.append(len(items))
        return builtins.sorted(items, **kwargs)

    monkeypatch.setattr(slices, "SORT_SLICE", 16)
    monkeypatch.setattr(slices, "UPDATE_SLICE", 16)
    for module in (handlers, slices):
        monkeypatch.setattr(module, "sorted", counted_sorted, raising=False)
    arg = MergeState(state=many_tasks(300))
    merged = handlers.merge_state(State(), arg)
    assert dict(merged.tasks) == arg.state.tasks and sizes and max(sizes) <= 16
    changes = Changes()
    changes.ids = CountingSet()
    changes.note(State(), arg)
    assert changes.ids == set(arg.state.tasks) and changes.ids.largest <= 16


# -- freeing ----------------------------------------------------------------------------


class Slices(list):
    """A list that notes how many items each deletion takes out."""

    def __init__(self, items: Any) -> None:
        super().__init__(items)
        self.deleted: list[int] = []

    def __delitem__(self, index: Any) -> None:
        before = len(self)
        super().__delitem__(index)
        self.deleted.append(before - len(self))


@given(st.integers(0, 300), st.integers(1, 40))
def test_releasing_in_slices_empties_a_list_a_slice_at_a_time(count: int, size: int) -> None:
    """Each deletion is one C call freeing what it takes out; between two the
    interpreter can hand itself to another thread."""
    items = Slices([object() for _ in range(count)])
    slices.release_in_slices(items, size)
    assert items == [] and sum(items.deleted) == count and max(items.deleted, default=0) <= size


@given(st.sets(st.integers()))
def test_releasing_in_slices_empties_a_set_and_a_dict(keys: set[int]) -> None:
    mapping = dict.fromkeys(keys)
    slices.release_in_slices(keys)
    slices.release_in_slices(mapping)
    assert keys == set() and mapping == {}


class Released:
    """``release_in_slices`` as the product calls it, noting each container given (no
    reference kept): its size, how many of its items only it kept alive (what its
    release frees), and what they are (``kind``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[int, int, str]] = []
        for module in (local_store, base_swap, handlers, engine):
            monkeypatch.setattr(module, "release_in_slices", self)

    def __call__(self, items: Any, slice_size: int = 0) -> None:
        alone = 0
        for item in items:
            # The container, this loop's name and the call's argument hold it.
            alone += sys.getrefcount(item) <= 3
        self.calls.append((len(items), alone, kind(next(iter(items), None))))
        slices.release_in_slices(items, slice_size)


def kind(item: Any) -> str:
    """The type of ``item``, or a row's shape ("row of bytes": encoded, "row of Task")."""
    if type(item) is tuple and len(item) == 3:
        return f"row of {type(item[2]).__name__}"
    return type(item).__name__


NEW_DEVICE_TASKS = 1_500  # past STAGE_ABOVE_ROWS: the first pull is staged and swapped


def test_a_first_pull_frees_the_rows_it_staged_a_slice_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new device's first pull encodes a row for every item of the vault and
    compares them all; at 100,000 tasks each list died in one step when its function
    returned (18 and 13 ms of the interpreter, during which a dispatch from the
    window could not run). Each is released where it dies: every row it holds is
    freed by the release, none is left for the return."""
    share = tmp_path / "share"
    share.mkdir()
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    try:
        set_remote(laptop, RemoteConfig(kind="folder", path=str(share)))
        journal_tasks(laptop, NEW_DEVICE_TASKS)
        sync_now(laptop)
        set_remote(desktop, RemoteConfig(kind="folder", path=str(share)))
        released = Released(monkeypatch)
        sync_now(desktop)
        assert len(desktop.state.tasks) == NEW_DEVICE_TASKS
    finally:
        laptop.close()
        desktop.close()
    n = NEW_DEVICE_TASKS
    # Encoded and staged (LocalStore._staged_base): every row and its body freed by
    # its release. Staging sorted a copy, released before (BaseSwap.stage).
    assert (n, n, "row of bytes") in released.calls
    assert (n, 0, "row of bytes") in released.calls
    assert (n, n, "tuple") in released.calls  # the applied ids' rows, staged
    # Compared with the empty base (LocalStore.replace_base): every row freed by it.
    assert (n, n, "row of Task") in released.calls
    # The ids the walk noted (SyncEngine._start_over).
    assert (n, 0, "str") in released.calls


def test_a_genesis_merge_frees_its_whole_vault_lists_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = Released(monkeypatch)
    arg = MergeState(state=many_tasks(300))
    handlers.merge_state(State(), arg)
    assert sorted(released.calls) == [(300, 0, "Task"), (300, 0, "str")]
