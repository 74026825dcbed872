"""sync.log.walk in batches (the same result whatever the batch size) and the roll-up on it."""

from __future__ import annotations

import gc
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core import Action, State, fold, new_id
from desktop_app.core import actions as act
from desktop_app.sync import log as log_module
from desktop_app.sync import protocol
from desktop_app.sync.chunking import ChunkSizer
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.log import Walk, walk
from desktop_app.sync.protocol import Genesis, Update, VaultMeta
from desktop_app.sync.rollup import rollup
from tests.counting import count_states_built

POSITIONS = 9


def _log(folder: Path, gone: int | None = None) -> tuple[FolderRemoteStore, str]:
    """Updates of two actions each (a new task, then its title), linked; a garbage
    object at position 4 (quarantined), and nothing at ``gone``."""
    remote = FolderRemoteStore(folder)
    ids = Genesis(vault_id=new_id(), log_id=new_id())
    at = int(time.time() * 1000)
    created = datetime.fromtimestamp(at / 1000, tz=UTC)
    prev = ""
    for p in range(1, POSITIONS + 1):
        task = f"task-{p}"
        args = (
            act.NewTask(id=task, title=f"t {p}", created=created),
            act.TaskTitle(id=task, title=f"title\n{p}"),
        )  # cleaned on the way in
        update = Update(
            id=new_id(),
            device="w",
            at=at + p,
            position=p,
            prev=prev,
            genesis=ids if p == 1 else None,
            actions=tuple(Action(id=new_id(), device="w", at=at + p, arg=a) for a in args),
        )
        prev = update.id
        if p == gone:
            continue
        key = protocol.update_key(p)
        remote.put_if_absent(key, b"not an update" if p == 4 else protocol.encode(update))
        if p == 4:
            prev = protocol.quarantined_id(4)
    return remote, ids.log_id


def _walk(remote: FolderRemoteStore, log_id: str, batch: int, **options: Any) -> Walk:
    """The whole test log walked from its start, ``batch`` positions at a time
    (nothing applied before, unless ``applied`` or ``applied_among`` says otherwise)."""
    if "applied" not in options:
        options.setdefault("applied_among", lambda ids: set())
    return walk(
        remote,
        list(range(1, POSITIONS + 1)),
        state=State(),
        position=0,
        last="",
        log_id=log_id,
        batch=batch,
        **{"fetch_workers": 4, **options},
    )


def _outcome(w: Walk) -> tuple:
    return (
        w.state,
        w.position,
        w.last,
        w.seen,
        w.quarantined,
        w.updates,
        w.actions,
        w.stop,
        w.stop_position,
        [i for i, _ in w.archive],
        sorted(w.changes.ids),
    )


@pytest.mark.parametrize("gone", [None, 6])
def test_a_walk_in_batches_folds_what_one_batch_folds(tmp_path: Path, gone: int | None) -> None:
    remote, log_id = _log(tmp_path, gone)
    whole = _walk(remote, log_id, batch=512)
    assert whole.quarantined == [protocol.update_key(4)]
    assert whole.state.tasks["task-2"].title == "title 2"
    if gone:
        assert (whole.stop, whole.stop_position, whole.position) == ("gone", gone, gone - 1)
        assert "task-7" not in whole.state.tasks  # nothing after the gap
    else:
        assert whole.position == POSITIONS and not whole.stop
    for batch in (1, 2, 3, 5):
        assert _outcome(_walk(remote, log_id, batch)) == _outcome(whole), batch


def _action_ids(remote: FolderRemoteStore, position: int) -> set[str]:
    update = protocol.decode_update(remote.get(protocol.update_key(position)))
    return {a.id for a in update.actions}


@pytest.mark.parametrize("gone", [None, 6])
def test_a_walk_given_the_applied_ids_folds_what_one_asking_per_batch_folds(
    tmp_path: Path, gone: int | None
) -> None:
    """``applied`` (a set in memory, asked per action, each update decoded as the fold
    reaches it) and ``applied_among`` (asked once per batch) skip the same actions and
    stop at the same place, whatever the batch size."""
    remote, log_id = _log(tmp_path, gone)
    applied = _action_ids(remote, 2) | {"not-in-the-log"}
    for batch in (1, 2, 3, 5, 512):
        asked = _walk(remote, log_id, batch, applied_among=applied.intersection)
        given_ = _walk(remote, log_id, batch, applied=applied)
        assert _outcome(given_) == _outcome(asked), batch
        assert "task-2" not in given_.state.tasks and "task-3" in given_.state.tasks
    with pytest.raises(TypeError):
        _walk(remote, log_id, 2, applied=applied, applied_among=applied.intersection)


def test_a_walk_given_the_applied_ids_decodes_each_update_just_before_its_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding a whole batch before folding it left the decoded updates cold in the
    cache when their fold came (~0.5 s of a roll-up of a million actions)."""
    remote, log_id = _log(tmp_path)
    events: list[str] = []
    decode, fold_into = protocol.decode_update, log_module.fold_into

    def decoding(data: bytes) -> Update:
        events.append("decode")
        return decode(data)

    def folding(*args: Any, **kw: Any) -> int:
        events.append("fold")
        return fold_into(*args, **kw)

    monkeypatch.setattr(protocol, "decode_update", decoding)
    monkeypatch.setattr(log_module, "fold_into", folding)
    result = _walk(remote, log_id, batch=512, applied=set(), fetch_workers=1)
    assert result.position == POSITIONS
    # Position 4 is garbage: decoded (and quarantined), never folded.
    assert events == ["decode", "fold"] * 3 + ["decode"] + ["decode", "fold"] * 5
    events.clear()
    _walk(remote, log_id, batch=512, fetch_workers=1)  # asking per batch: decoded first
    assert events == ["decode"] * POSITIONS + ["fold"] * (POSITIONS - 1)
    events.clear()
    meta = VaultMeta(format=protocol.FORMAT_VERSION, vault_id=new_id(), log_id=log_id)
    remote.put_if_absent(protocol.META_KEY, protocol.encode(meta))
    assert rollup(remote).created  # a roll-up walks the same way
    assert events == ["decode", "fold"] * 3 + ["decode"] + ["decode", "fold"] * 5


def test_a_walk_cuts_its_run_into_batches_that_start_small() -> None:
    run = list(range(1, 2001))
    parts = log_module.batches(run, 512)
    assert [len(p) for p in parts] == [16, 32, 64, 128, 256, 512, 512, 480]
    assert [p for part in parts for p in part] == run
    assert [len(p) for p in log_module.batches(run[:7], 3)] == [3, 3, 1]
    assert log_module.batches([], 512) == []


def test_a_long_walk_starts_folding_after_a_few_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after a whole batch of 512: the first batch holds ``WALK_FIRST`` positions."""
    remote, actions = _edits_log(tmp_path, 99)
    reads: list[str] = []
    get = remote.get

    def counted(key: str) -> bytes:
        reads.append(key)
        return get(key)

    monkeypatch.setattr(remote, "get", counted)
    read_before_fold: list[int] = []
    fold_into = log_module.fold_into

    def folding(*args: Any, **kw: Any) -> int:
        read_before_fold.append(len(reads))
        return fold_into(*args, **kw)

    monkeypatch.setattr(log_module, "fold_into", folding)
    run = list(range(1, len(actions) + 1))
    result = walk(remote, run, state=State(), position=0, last="", applied=set(), fetch_workers=1)
    assert result.position == 100 and result.state.tasks["t"].title == "title 99"
    assert read_before_fold[0] == log_module.WALK_FIRST == 16


def test_a_walk_that_keeps_nothing_folds_the_same(tmp_path: Path) -> None:
    """A roll-up's walk: the same state and ids, no bytes or changed items kept."""
    remote, log_id = _log(tmp_path)
    kept, bare = _walk(remote, log_id, batch=2), _walk(remote, log_id, batch=2, keep=False)
    assert (bare.state, bare.seen, bare.last) == (kept.state, kept.seen, kept.last)
    assert kept.archive and kept.changes.ids
    assert not bare.archive and not bare.changes.ids


@pytest.mark.parametrize("enabled", [True, False])
def test_a_rollup_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    """A roll-up pauses the collector while it folds (a sixth of a long run)."""
    remote, log_id = _log(tmp_path)
    meta = VaultMeta(format=protocol.FORMAT_VERSION, vault_id=new_id(), log_id=log_id)
    remote.put_if_absent(protocol.META_KEY, protocol.encode(meta))
    (gc.enable if enabled else gc.disable)()
    try:
        report = rollup(remote)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert report.created and report.snapshot_position == POSITIONS
    snapshot = protocol.decode_snapshot(remote.get(protocol.snapshot_key(POSITIONS)))
    assert snapshot.state.to_state() == _walk(remote, log_id, batch=3).state


@pytest.mark.parametrize("batch", [1, 3, 512])
def test_every_flush_hands_on_the_items_its_actions_changed(tmp_path: Path, batch: int) -> None:
    """What the sync engine stores at each flush: the changed items noted since the
    last one, in the ``Changes`` the walk holds then (a flush starts a new one)."""
    remote, log_id = _log(tmp_path)
    noted: list[set[str]] = []

    def flush(w: Walk) -> None:
        noted.append(set(w.changes.ids))
        w.flushed_now()

    result = _walk(remote, log_id, batch, flush=flush, chunk=ChunkSizer(size=1))
    noted.append(set(result.changes.ids))
    assert len(noted) > POSITIONS
    assert set().union(*noted) == set(result.state.tasks)
    assert all(len(ids) <= 1 for ids in noted)  # one action per flush, one task each


def _edits_log(folder: Path, edits: int) -> tuple[FolderRemoteStore, list[Action]]:
    """A format-1 log (no links): a new task, then one title edit per update."""
    remote = FolderRemoteStore(folder)
    at = int(time.time() * 1000)
    created = datetime.fromtimestamp(at / 1000, tz=UTC)
    args: list[act.Arg] = [act.NewTask(id="t", title="t 0", created=created)]
    args += [act.TaskTitle(id="t", title=f"title {i}") for i in range(1, edits + 1)]
    actions = [Action(id=new_id(), device="w", at=at + i, arg=a) for i, a in enumerate(args)]
    for p, action in enumerate(actions, start=1):
        update = Update(id=new_id(), device="w", at=action.at, position=p, actions=(action,))
        remote.put_if_absent(protocol.update_key(p), protocol.encode(update))
    return remote, actions


def test_a_walk_folds_a_batch_of_edits_into_one_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mechanism: 30 one-edit updates in one batch build the state once, not once
    an update; and every flush still commits the state folded up to it."""
    remote, actions = _edits_log(tmp_path, 30)
    run = list(range(1, len(actions) + 1))
    built = count_states_built(monkeypatch)
    plain = walk(remote, run, state=State(), position=0, last="", applied_among=lambda ids: set())
    assert plain.state.tasks["t"].title == "title 30" and plain.actions == 31
    assert built() <= 2  # the new task's own, then the batch's
    monkeypatch.undo()

    # Across batches too: one Folding for the whole walk (built anew for each batch,
    # each copied again every node of the maps it edited).
    built = count_states_built(monkeypatch)
    batched = walk(remote, run, state=State(), position=0, last="", applied=set(), batch=3)
    assert batched.state == plain.state
    assert built() <= 2
    monkeypatch.undo()

    committed: list[tuple[int, State]] = []

    def flush(w: Walk) -> None:
        committed.append((w.actions, w.state))
        w.flushed_now()

    walk(
        remote,
        run,
        state=State(),
        position=0,
        last="",
        applied_among=lambda ids: set(),
        flush=flush,
        chunk=ChunkSizer(size=7),
    )
    assert [n for n, _ in committed] == [7, 14, 21, 28]
    for n, state in committed:
        assert state == fold(State(), actions[:n]), n


def test_a_walk_of_a_folder_asks_for_the_next_batch_before_it_reads_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read inline, a folder's disk would sit idle during each fold: the walk names the
    next batch (``prefetch``) before reading this one, so a log out of the page cache
    comes from the disk while the fold runs. Positions it holds copies of are not named."""
    remote, actions = _edits_log(tmp_path, 99)  # 100 positions: batches of 16, 32, 52
    events: list[tuple[str, int]] = []
    get, prefetch = remote.get, remote.prefetch

    def reading(key: str) -> bytes:
        events.append(("get", protocol.position_of(key) or 0))
        return get(key)

    def ahead(keys: list[str]) -> None:
        positions = [protocol.position_of(key) or 0 for key in keys]
        events.append(("ahead", positions[0]))
        events.append(("ahead-last", positions[-1]))
        prefetch(keys)

    monkeypatch.setattr(remote, "get", reading)
    monkeypatch.setattr(remote, "prefetch", ahead)
    run = list(range(1, len(actions) + 1))
    copies = {p: get(protocol.update_key(p)) for p in (17, 18)}
    result = walk(
        remote,
        run,
        state=State(),
        position=0,
        last="",
        applied=set(),
        local_copies=copies,
        fetch_workers=remote.read_workers,
    )
    assert result.position == 100 and result.state.tasks["t"].title == "title 99"
    gets = [("get", p) for p in range(1, 101) if p not in copies]
    # The first batch is read as it is (a walk of one batch names none); the second is
    # named before it, but for the positions held as copies.
    assert events == [
        *[("ahead", 19), ("ahead-last", 48)],
        *gets[:16],
        *[("ahead", 49), ("ahead-last", 100)],
        *gets[16:],
    ]


def test_a_folder_prefetch_advises_the_system_and_skips_what_it_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise here: prefetch does nothing")
    remote, _ = _edits_log(tmp_path, 2)
    advised: list[int] = []
    real = os.posix_fadvise

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append(advice)
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", advise)
    keys = [protocol.update_key(p) for p in (1, 2, 3, 9)]  # 9 does not exist
    remote.prefetch(keys)
    assert advised == [os.POSIX_FADV_WILLNEED] * 3
    assert [remote.get(key) for key in keys[:3]]  # nothing held open or changed


def test_a_sealed_folder_is_read_as_its_folder_is(tmp_path: Path) -> None:
    """An encrypted folder vault is walked like a plain one: inline, with read-ahead
    (a pool of threads and no read-ahead made its pulls 1.2-1.3x the plain ones)."""
    from desktop_app.sync.sealed_store import SealedStore

    folder = FolderRemoteStore(tmp_path / "vault")
    sealed = SealedStore(folder, bytes(32))
    assert log_module.read_workers(sealed, 8) == log_module.read_workers(folder, 8) == 1
    assert sealed.prefetch == folder.prefetch  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        sealed.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
