"""The simulator's remote: an in-memory RemoteStore that also knows the truth.

It stores objects like S3 does (create-only writes, listing in key order, an
ETag per write, the store's own clock in ``modified``), and on top keeps what
no real store can: every update ever created at each position of the log,
deleted or not. With that it checks invariant 5 the moment it is broken: an
update created at or below a snapshot of the same log, an update created again
at a position roll-up retired, or a snapshot whose state is not exactly the log
folded up to its position. Swapping the contents (wiped, restored from a
backup, another vault) starts a new ``Log``; scheduling and fault decisions live
in ``tests.simulate``, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from desktop_app.core import Action, State, apply, codec
from desktop_app.core.actions import MergeState
from desktop_app.sync import protocol
from desktop_app.sync.remote import RemoteEntry, RemoteNotFound


@dataclass
class StoredObject:
    data: bytes
    etag: str
    modified: datetime
    listed_from_step: int  # LIST shows the key from this step on (lagging listings)


@dataclass
class Genesis:
    """Where a log starts: empty at 0, or the snapshot that seeded an empty remote.

    Unknown (None in ``Log``) until the first update or snapshot is created: a
    log holding only ``meta.json`` is still empty, and may be seeded.
    """

    position: int
    state: State
    applied: frozenset[str]


@dataclass
class Log:
    """One remote log: its live objects and the history of every update in it."""

    label: str
    objects: dict[str, StoredObject] = field(default_factory=dict)
    history: dict[int, bytes] = field(default_factory=dict)
    genesis: Genesis | None = None
    highest_snapshot: int = -1
    orphans: list[int] = field(default_factory=list)  # positions created again after retiring
    unlinked: dict[int, bytes] = field(default_factory=dict)  # orphans by their link alone
    foreign_snapshots: list[int] = field(default_factory=list)  # labelled with another log

    def copy_as(self, label: str, fresh_etag: Callable[[], str], at: datetime) -> Log:
        """A restored backup: the same objects written again (new ETags and times)."""
        clone = Log(label, genesis=self.genesis, highest_snapshot=self.highest_snapshot)
        clone.history = dict(self.history)
        clone.objects = {
            key: StoredObject(obj.data, fresh_etag(), at, 0) for key, obj in self.objects.items()
        }
        return clone


def decode_or_empty(data: bytes) -> tuple[Action, ...]:
    """The actions of an update; none for bytes that are not one (quarantined)."""
    try:
        return protocol.decode_update(data).actions
    except Exception:
        return ()


def fold_log(genesis: Genesis, updates: list[bytes]) -> tuple[State, frozenset[str]]:
    """The log's state after ``updates`` (each action once), without the engine's code."""
    state, applied = genesis.state, set(genesis.applied)
    for data in updates:
        for action in decode_or_empty(data):
            if action.id not in applied:
                applied.add(action.id)
                state = apply(state, action)
                if isinstance(action.arg, MergeState):  # carries those actions' effect
                    applied.update(action.arg.applied)
    return state, frozenset(applied)


class SimRemote:
    """RemoteStore over an in-memory ``Log``; ``violations`` collects broken invariants."""

    def __init__(self, name: str, clock: Callable[[], datetime], step: Callable[[], int]) -> None:
        self.name = name
        self._clock = clock
        self._step = step
        self._writes = 0
        self.log = Log("original")
        self.violations: list[str] = []
        self.lag_steps = 0  # set per write by the simulator when listings lag

    # -- the RemoteStore port (called by SimStore proxies, one call at a time) -------

    def describe(self) -> str:
        return self.name

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        now = self._step()
        return [
            RemoteEntry(key=key, modified=obj.modified, etag=obj.etag)
            for key, obj in sorted(self.log.objects.items())
            if key.startswith(prefix) and key > start_after and obj.listed_from_step <= now
        ]

    def get(self, key: str) -> bytes:
        obj = self.log.objects.get(key)
        if obj is None:
            raise RemoteNotFound(f"{key} does not exist on {self.name}")
        return obj.data

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if key in self.log.objects:
            return False
        self._check_create(key, data)
        self.log.objects[key] = StoredObject(
            data, self.fresh_etag(), self._clock(), self._step() + self.lag_steps
        )
        return True

    def delete(self, key: str) -> None:
        self.log.objects.pop(key, None)

    # -- for the simulator --------------------------------------------------------------

    def fresh_etag(self) -> str:
        self._writes += 1
        return f'"w{self._writes}"'

    def plant(self, key: str, data: bytes) -> bool:
        """Another program (or a torn write) leaves ``data`` at ``key``: no checks."""
        if key in self.log.objects:
            return False
        if (position := protocol.position_of(key)) is not None and key.startswith(protocol.UPDATES):
            self.log.history.setdefault(position, data)
        self.log.objects[key] = StoredObject(data, self.fresh_etag(), self._clock(), self._step())
        return True

    def head(self) -> int:
        """The highest update position present (listed or not)."""
        positions = [
            p
            for key in self.log.objects
            if key.startswith(protocol.UPDATES) and (p := protocol.position_of(key)) is not None
        ]
        return max(positions, default=0)

    def swap(self, log: Log) -> Log:
        """Replace everything behind this name; returns the log that was there."""
        old, self.log = self.log, log
        return old

    def backup(self) -> Log:
        return copy.deepcopy(self.log)

    def restore(self, backup: Log) -> Log:
        return self.swap(backup.copy_as(f"restored {backup.label}", self.fresh_etag, self._clock()))

    def show_all(self) -> None:
        """End lagging listings (faults have stopped)."""
        for obj in self.log.objects.values():
            obj.listed_from_step = 0

    # -- invariant 5, checked as each object is created ------------------------------------

    def _check_create(self, key: str, data: bytes) -> None:
        if key == protocol.META_KEY:
            self._adopt_snapshots(data)
            return
        position = protocol.position_of(key)
        if position is None:
            return
        log = self.log
        if key.startswith(protocol.UPDATES):
            if position in log.history or position <= log.highest_snapshot:
                # A slow writer created a position roll-up had retired (an orphan). The
                # protocol allows the write but never the commit: its link does not fit,
                # no snapshot may include it (checked below) and its actions must come
                # back at the head (the oracle checks). ``history`` keeps the real one.
                log.orphans.append(position)
            elif not self._links(position, data):
                # Its link names an update this log never had before it (its writer
                # built on the log the store held before it was emptied or swapped):
                # every reader quarantines it, so it folds as nothing, and its actions
                # must come back at the head like an orphan's.
                log.orphans.append(position)
                log.unlinked[position] = data
            log.history.setdefault(position, data)
            self._relink(position + 1)
            if log.genesis is None:
                log.genesis = Genesis(0, State(), frozenset())
        elif key.startswith(protocol.SNAPSHOTS):
            self._check_snapshot(position, data)

    def _relink(self, position: int) -> None:
        """An update unlinked when it was written (nothing before it) follows a hole
        marker written there since: readers fold the update after a filled hole
        without checking its link (docs/sync-protocol.md, "A log with a hole in
        it"), so the oracle folds it too."""
        log = self.log
        data = log.unlinked.get(position)
        before = log.history.get(position - 1)
        if data is None or before is None:
            return
        try:
            protocol.decode_update(before)
        except Exception:  # a filler (or garbage): the next link is not checked
            del log.unlinked[position]
            log.orphans.remove(position)

    def _links(self, position: int, data: bytes) -> bool:
        """Can the update ``data`` at ``position`` follow what this log holds before it?
        False only when its link names an update the log never had there (garbage,
        format-1 updates without links and genesis updates are judged elsewhere)."""
        try:
            update = protocol.decode_update(data)
        except Exception:
            return True  # quarantined by every reader anyway
        if position == 1 or not update.prev:
            return True
        before = self.log.history.get(position - 1)
        if before is None:  # nothing there yet: only a snapshot there can explain it
            genesis = self.log.genesis
            if genesis is not None and genesis.position == position - 1:
                return True
            snapshot = self.log.objects.get(protocol.snapshot_key(position - 1))
            try:
                return snapshot is not None and (
                    protocol.decode_snapshot(snapshot.data).last == update.prev
                )
            except Exception:
                return False
        if position - 1 in self.log.unlinked:  # readers quarantined it: link past it
            return update.prev == protocol.quarantined_id(position - 1)
        try:
            return protocol.decode_update(before).id == update.prev
        except Exception:
            return update.prev == protocol.quarantined_id(position - 1)

    def _adopt_snapshots(self, meta_data: bytes) -> None:
        """``meta.json`` written into a store that held only snapshots labelled with
        its log (written there by a roll-up in flight when the store was emptied):
        the log goes on from the lowest of them, as the engine's readers take it."""
        log = self.log
        try:
            log_id = protocol.decode_meta(meta_data).log_id
        except Exception:
            return
        ours = []
        for position in log.foreign_snapshots:
            stored = log.objects.get(protocol.snapshot_key(position))
            try:
                snapshot = protocol.decode_snapshot(stored.data) if stored else None
            except Exception:
                continue
            if snapshot is not None and snapshot.log == log_id:
                ours.append((position, snapshot))
        if not ours:
            return
        position, snapshot = min(ours, key=lambda found: found[0])
        started = log.genesis is not None and (
            log.genesis.position > 0 or log.genesis.state != State() or log.genesis.applied
        )
        if started or any(p <= position for p in log.history):
            return  # the log had begun otherwise: they stay foreign
        log.genesis = Genesis(position, snapshot.state.to_state(), frozenset(snapshot.applied))
        log.foreign_snapshots = [p for p in log.foreign_snapshots if p not in dict(ours)]
        log.highest_snapshot = max(log.highest_snapshot, *dict(ours))

    def _check_snapshot(self, position: int, data: bytes) -> None:
        log = self.log
        try:
            snapshot = protocol.decode_snapshot(data)
        except Exception as exc:
            self.violations.append(f"snapshot {position} is unreadable ({exc})")
            return
        meta = log.objects.get(protocol.META_KEY)
        if meta is None or snapshot.log != protocol.decode_meta(meta.data).log_id:
            # Labelled with another log (a roll-up raced a swap of the store): readers
            # of this log ignore it, so it claims nothing here.
            log.foreign_snapshots.append(position)
            return
        state = snapshot.state.to_state()
        applied = frozenset(snapshot.applied)
        log.highest_snapshot = max(log.highest_snapshot, position)
        if log.genesis is None:  # seeding an empty remote: this snapshot is where the log starts
            log.genesis = Genesis(position, state, applied)
            return
        genesis = log.genesis
        if position < genesis.position:
            self.violations.append(
                f"snapshot {position} was written below snapshot {genesis.position}, "
                "where this log starts"
            )
            return
        missing = [p for p in range(genesis.position + 1, position + 1) if p not in log.history]
        if missing:
            self.violations.append(
                f"snapshot {position} covers update(s) {missing[:5]} that this log never had"
            )
            return
        updates = [  # an update with a link nothing in this log had folds as nothing
            b"" if p in log.unlinked else log.history[p]
            for p in range(genesis.position + 1, position + 1)
        ]
        want_state, want_applied = fold_log(genesis, updates)
        if applied != want_applied:
            lost = sorted(want_applied - applied)[:3]
            extra = sorted(applied - want_applied)[:3]
            self.violations.append(
                f"snapshot {position} lies about its actions (missing {lost}, extra {extra})"
            )
        elif codec.encode_state(state) != codec.encode_state(want_state):
            self.violations.append(
                f"snapshot {position} lies: its state is not the log folded up to {position}"
            )


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
