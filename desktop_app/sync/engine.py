"""One sync round: pull before push, every action once, nothing lost.

The round, in order (docs/sync-protocol.md explains why each step is safe):

1. **Bind** (first round with a remote): read ``meta.json``; refuse another
   vault. An empty remote gets a new log whose genesis (update 1) holds this
   device's state; ``meta.json`` is written after it. If the remote's log is
   not the one this device's positions belong to, **rebind**: start from that
   log's newest snapshot and re-push every action of ours it lacks.
2. **Pull**: list updates from the base position on (the only request when
   idle). Check the base's update is still the one we folded (else the log was
   replaced: rebind, or refuse an empty mount point). Fold the gapless run,
   checking each update's link to the one before; a hole or a broken link means
   a snapshot covers it (load it, re-push what it lacks of ours). A hole no
   snapshot covers was lost from the store: fill it, start over (``holes``).
   The round after a push lists from the base that push built on, to see it
   still there. It commits in chunks sized so that each holds SQLite's write
   lock briefly (``chunking``).
3. **Push**: group pending actions into one update and create it at
   ``base + 1`` naming the base's update as ``prev``. If the position is taken,
   pull again and build on what landed. A created update is folded at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from msgspec.structs import replace

from desktop_app.core import Action, State, StateDoc, new_id
from desktop_app.core.actions import MergeState
from desktop_app.core.changes import Changes
from desktop_app.core.slices import release_in_slices
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync import chunking, holes, protocol
from desktop_app.sync.chunking import ChunkSizer
from desktop_app.sync.clock import Clock
from desktop_app.sync.collector import no_cycle_collection
from desktop_app.sync.log import (
    CHUNK_ACTIONS,
    BreakDecision,
    OnBreak,
    Walk,
    contiguous,
    fold_new,
    merged_ids,
    walk,
)
from desktop_app.sync.probe import verify_create_only
from desktop_app.sync.protocol import (
    Genesis,
    ProtocolError,
    Snapshot,
    Unreadable,
    Update,
    VaultMeta,
)
from desktop_app.sync.remote import (
    RemoteEntry,
    RemoteError,
    RemoteNotFound,
    RemoteObjectUnusable,
    RemoteStore,
)

__all__ = ["FETCH_WORKERS", "SyncEngine", "SyncReport", "contiguous", "fold_new"]

log = logging.getLogger(__name__)

MAX_PUSH_TRIES = 20
FETCH_WORKERS = 16


class SyncReport(msgspec.Struct):
    pulled_updates: int = 0
    pulled_actions: int = 0
    pushed_actions: int = 0
    pushed_position: int | None = None
    snapshot_loaded: int | None = None
    position: int = 0
    seeded: bool = False
    rebound: bool = False
    repushed: int = 0
    quarantined: list[str] = []
    clock_warning: str | None = None

    def summary(self) -> str:
        parts = [
            f"pulled {self.pulled_actions} action(s) in {self.pulled_updates} update(s)",
            f"pushed {self.pushed_actions} action(s)",
        ]
        if self.snapshot_loaded is not None:
            parts.insert(0, f"loaded snapshot {self.snapshot_loaded}")
        if self.rebound:
            parts.insert(0, "joined the remote's log")
        if self.seeded:
            parts.insert(0, "seeded the new remote with this device's data")
        if self.repushed:
            parts.append(f"sent again {self.repushed} change(s) the remote lacked")
        if self.quarantined:
            parts.append("skipped unreadable " + ", ".join(self.quarantined))
        return "; ".join(parts) + f"; at position {self.position}"


class _Committer:
    """Commits a walk's folded actions chunk by chunk (``walk``'s ``flush``),
    remembering the base each commit leaves, which the next one builds on, and
    sizing the next chunk by what this one held the write lock for."""

    def __init__(self, engine: SyncEngine, base: State, position: int) -> None:
        self.engine = engine
        self.state = base
        self.position = position

    def __call__(self, walked: Walk) -> None:
        moved = walked.position != self.position
        if not moved and not walked.seen:
            return
        cost = self.engine.local.commit_base(
            walked.state,
            walked.position,
            walked.seen,
            confirmed=walked.own,
            expected_position=self.position,
            archive=walked.archive,
            last=walked.last if moved else None,
            etag=walked.etag if moved else None,
            since=self.state,
            changes=walked.changes,
        )
        self.engine._wrote = True
        self.engine.chunk.observe(walked.unflushed, cost.held_s)
        self.state, self.position = walked.state, walked.position
        walked.flushed_now()


class SyncEngine:
    """Runs sync rounds for one local store against one remote store."""

    def __init__(
        self,
        local: LocalStore,
        remote: RemoteStore,
        clock: Clock,
        *,
        remote_name: str | None = None,
        on_progress: Callable[[str], None] | None = None,
        fetch_workers: int = FETCH_WORKERS,
        sealed: bool = False,
    ) -> None:
        """``fetch_workers=1`` fetches on the calling thread (the simulator's choice).

        ``sealed``: ``remote`` seals and opens object bodies (``sealed_store``); the
        vault must say it is encrypted, and a log founded here will.
        """
        self.fetch_workers = fetch_workers
        self.sealed = sealed
        self.local = local
        self.remote = remote
        self.clock = clock
        self.remote_name = remote_name or remote.describe()
        self._progress = on_progress or (lambda message: None)
        self._wrote = False  # this round committed something (see _note_round)
        self.chunk = ChunkSizer(budget_s=chunking.LOCK_BUDGET_S)  # actions per commit

    # -- the round ------------------------------------------------------------------

    def sync(self) -> SyncReport:
        report = SyncReport()
        self._wrote = False
        self.chunk = ChunkSizer(budget_s=chunking.LOCK_BUDGET_S)
        # Short locks (docs/architecture.md), and no collection of the whole heap in
        # the middle of the round (sync/collector.py).
        with self.local.background_writes(), no_cycle_collection():
            self._bind(report)
            self._pull(report)
            self._push(report)
            report.clock_warning = self.clock.skew_message()
            self._note_round()
        return report

    def _note_round(self) -> None:
        """Keep the clock offset and the time of the last sync for the next start and
        ``status``; an idle round writes them only when they moved (the offset by a
        millisecond, the time by a minute), so polling leaves the database alone."""
        offset = f"{self.clock.offset_s:.3f}"
        now = datetime.now(UTC)
        last = self.local.meta("last_sync")
        try:
            stale = last is None or (now - datetime.fromisoformat(last)).total_seconds() >= 60
        except ValueError:
            stale = True
        changed = offset != self.local.meta("clock_offset_s")
        if stale or changed or self._wrote:
            with self.local.transaction() as db:
                self.local.set_meta("clock_offset_s", offset, db)
                self.local.set_meta("last_sync", now.isoformat(timespec="seconds"), db)
            # What a start-over killed mid-way left (base_swap): one schema read.
            self.local.sweep_staging(ChunkSizer(budget_s=chunking.LOCK_BUDGET_S))

    # -- binding --------------------------------------------------------------------

    @property
    def _log_id(self) -> str:
        return self.local.meta("log_id") or ""

    def _bind(self, report: SyncReport) -> None:
        """First round with this remote: find (or found) its log and bind to it."""
        if self.local.meta("vault_remote") == self.remote_name:
            return
        verify_create_only(self.remote)  # 3 requests, once: never trust overwrites
        meta = self._read_meta()
        if meta is None:
            meta = self._found_log(report)
        self._check_vault(meta)
        if meta.log_id != self._log_id:
            self._rebind(meta, report)
        with self.local.transaction() as db:
            self.local.set_meta("vault_id", meta.vault_id, db)
            self.local.set_meta("vault_remote", self.remote_name, db)

    def _read_meta(self) -> VaultMeta | None:
        try:
            data = self.remote.get(protocol.META_KEY)
        except RemoteNotFound:
            return None
        try:
            return protocol.decode_meta(data)
        except Unreadable as exc:
            raise ProtocolError(
                f"{protocol.META_KEY} on {self.remote_name} is unreadable ({exc}); "
                "it is not a Tidemark vault this version can use"
            ) from None

    def _check_vault(self, meta: VaultMeta) -> None:
        if meta.sealed and not self.sealed:
            raise ProtocolError(
                f"{self.remote_name} holds an encrypted vault: set the remote again with "
                "--encrypt and enter its passphrase"
            )
        if self.sealed and not meta.sealed:
            raise ProtocolError(
                f"{self.remote_name} holds a vault that is not encrypted; encryption starts "
                "with a new, empty location (`desktop-app remote ... --encrypt`)"
            )
        local_vault = self.local.meta("vault_id")
        if local_vault is not None and meta.vault_id != local_vault:
            raise RemoteError(
                f"{self.remote_name} holds a different vault ({meta.vault_id[:8]}…) "
                f"than this device's ({local_vault[:8]}…); choose the right remote, or a new "
                "empty location to copy this device's data to"
            )

    def _found_log(self, report: SyncReport) -> VaultMeta:
        """Start a log on an empty remote: genesis first, ``meta.json`` after it.

        A device that finds the genesis but no ``meta.json`` (the founder crashed
        in between, or is writing it now) writes the same ``meta.json`` from it.
        A remote that holds snapshots is not empty: see ``_meta_from_snapshots``.
        """
        kept = self._meta_from_snapshots(report)
        if kept is not None:
            return kept
        base, _ = self.local.base()
        applied = self.local.applied_ids()
        vault_id = self.local.meta("vault_id") or new_id()
        at = self.clock.now_ms()
        actions: tuple[Action, ...] = ()
        if applied or base.tasks or base.notes or base.lists:
            merge = MergeState(state=StateDoc.of(base), applied=tuple(sorted(applied)))
            actions = (Action(id=new_id(), device=self.local.device_id, at=at, arg=merge),)
        ids = Genesis(vault_id=vault_id, log_id=new_id())
        position, prev = 1, ""
        while True:
            genesis = Update(
                id=new_id(),
                device=self.local.device_id,
                at=at,
                position=position,
                prev=prev,
                genesis=ids,
                actions=actions,
            )
            key = protocol.update_key(position)
            if self.remote.put_if_absent(key, protocol.encode(genesis)):
                report.seeded = bool(actions)
                break
            try:
                genesis = protocol.decode_update(self.remote.get(key))
            except Unreadable:
                # Garbage where the log starts: quarantined, like anywhere else.
                if position >= MAX_PUSH_TRIES:
                    raise ProtocolError(
                        f"{self.remote_name} holds no vault but {position} unreadable "
                        "updates: it is not a location Tidemark can use"
                    ) from None
                position, prev = position + 1, protocol.quarantined_id(position)
                continue
            if genesis.genesis is None:
                raise ProtocolError(
                    f"{self.remote_name} holds updates but no {protocol.META_KEY}: it is "
                    "not a Tidemark vault this version can join"
                )
            break
        assert genesis.genesis is not None
        meta = VaultMeta(
            format=protocol.SEALED_VAULT_FORMAT if self.sealed else protocol.FORMAT_VERSION,
            vault_id=genesis.genesis.vault_id,
            log_id=genesis.genesis.log_id,
            sealed=protocol.SEALED if self.sealed else "",
        )
        if not self.remote.put_if_absent(protocol.META_KEY, protocol.encode(meta)):
            meta = self._read_meta() or meta
        return meta

    def _meta_from_snapshots(self, report: SyncReport) -> VaultMeta | None:
        """No ``meta.json``, but snapshots: the store was emptied (or swapped for an
        empty one) while a roll-up was writing, or a device kept writing the old log
        into it. Founding a new log at position 1 under them mixed two logs in one
        store: devices of the old one carried on past its snapshot, the founder's
        walk broke on their updates, and it never synced again (simulator seed 5130,
        ``remote_empty``). A device of the snapshot's log writes that log's
        ``meta.json`` again and carries on in it; any other device refuses."""
        if not self._snapshot_positions():
            return None
        vault_id = self.local.meta("vault_id")
        snapshot = self._newest_snapshot(after=0, report=report)  # of our log only
        if snapshot is None or not self._log_id or vault_id is None:
            raise ProtocolError(
                f"{self.remote_name} holds snapshots of a vault's log but no "
                f"{protocol.META_KEY}; sync first from a device that used this location "
                "before, or choose a new, empty location"
            )
        meta = VaultMeta(
            format=protocol.SEALED_VAULT_FORMAT if self.sealed else protocol.FORMAT_VERSION,
            vault_id=vault_id,
            log_id=snapshot.log,
            sealed=protocol.SEALED if self.sealed else "",
        )
        if not self.remote.put_if_absent(protocol.META_KEY, protocol.encode(meta)):
            meta = self._read_meta() or meta
        return meta

    def _decode_update_at(self, position: int) -> Update:
        key = protocol.update_key(position)
        try:
            return protocol.decode_update(self.remote.get(key))
        except (Unreadable, RemoteObjectUnusable) as exc:
            raise ProtocolError(f"{key} on {self.remote_name} is unreadable ({exc})") from None

    def _rebind(self, meta: VaultMeta, report: SyncReport) -> None:
        """Start over on ``meta``'s log: its state, then what it lacks of ours."""
        self._progress("reading the vault's log")
        start = self.local.base_position()
        snapshot = self._newest_snapshot(after=0, log_id=meta.log_id, report=report)
        entries = self.remote.list(protocol.UPDATES)
        self._start_over(
            snapshot,
            entries,
            report,
            expected_position=start,
            forget_positions=True,
            meta={"log_id": meta.log_id, "vault_id": meta.vault_id},
        )
        report.rebound = True

    def _relog(self, report: SyncReport, *, position_gone: bool) -> bool:
        """The base's update changed or vanished: find out what the remote holds now.

        Returns True if this round is done (rebound); False if the log is the same
        one (the caller carries on). Refuses an empty mount point or wiped store.
        """
        meta = self._read_meta()
        if meta is None:
            raise ProtocolError(
                f"{self.remote_name} no longer holds this vault (its description and update "
                f"{self.local.base_position()} are missing); if it is a removable drive or network "
                "share, connect it and try again; if you emptied it on purpose, set the "
                "remote again to copy this device's data to it"
            )
        self._check_vault(meta)
        if meta.log_id != self._log_id or position_gone:
            self._rebind(meta, report)
            return True
        return False

    # -- pull -----------------------------------------------------------------------

    def _pull(self, report: SyncReport, *, mended: bool = False) -> None:
        # No state is read until the listing shows something to fold: an idle round
        # is this position, the base's link, one LIST and the pending check.
        position = self.local.base_position()
        last, etag = self.local.base_link()
        anchor = holes.decode_anchor(self.local.meta(holes.ANCHOR_META))
        if anchor is not None and anchor.position >= position:
            anchor = None  # our push never moved the base past it: the base check covers it
        low = anchor.position if anchor is not None else position
        entries = self.remote.list(protocol.UPDATES, protocol.update_key(low - 1) if low else "")
        listed = {p: e for e in entries if (p := protocol.position_of(e.key)) is not None}
        report.position = position
        runs = holes.gaps(listed, low)
        if runs:
            newest = max(self._snapshot_positions(), default=0)
            hole = holes.unexplained_hole(runs, newest)
            if hole is not None and not mended:
                self._mend_hole(hole, position, report)
                return
        if anchor is not None:
            if not self._anchor_holds(anchor, listed):
                # The update our push built on was replaced: another log under the
                # same name (rebind), or ours is linked to one the log no longer
                # holds. Start over from the log; push again what it lacks.
                if not self._relog(report, position_gone=False):
                    self._start_over_from_log(report, position)
                return
            with self.local.transaction() as db:
                self.local.set_meta(holes.ANCHOR_META, None, db)
        if position:
            here = listed.get(position)
            if here is not None:
                if here.etag and here.etag != etag:
                    # A changed etag, or the first sight of our own update since we
                    # pushed it: still the update we folded, or another log under the
                    # same name (wiped and founded again)? One GET tells.
                    if not self._same_update_at(position, last):
                        if self._relog(report, position_gone=False):
                            return
                        # Same log, another update where ours was: a commit into a
                        # position roll-up retired, or an older copy restored and the
                        # position reused. Ours may be gone from the log: start over
                        # from it, and push again what it lacks of ours.
                        self._start_over_from_log(report, position)
                        return
                    self.local.set_base_etag(position, here.etag)
            elif not any(p > position for p in listed):
                # Our update and everything after it are gone: an empty mount point, a
                # wiped or restored store, unless a snapshot covers it.
                snapshot = self._newest_snapshot(after=position - 1, report=report)
                if snapshot is None:
                    self._relog(report, position_gone=True)
                else:
                    self._start_over(snapshot, entries, report, expected_position=position)
                return
        after = [p for p in listed if p > position]
        if position == 0 or (after and min(after) != position + 1):
            snapshot = self._newest_snapshot(after=position, report=report)
            if snapshot is not None:
                self._start_over(snapshot, entries, report, expected_position=position)
                return
        run = contiguous(after, position)
        if not run:
            return
        base, at = self.local.base()
        if at != position:
            raise StorageError("another sync of this profile ran at the same time; try again")
        self._progress(f"downloading {len(run)} update(s)")
        own = self._own_update_ids()
        committed = _Committer(self, base, position)
        result = walk(
            self.remote,
            run,
            state=base,
            position=position,
            last=last,
            applied_among=self.local.applied_among,
            etags={p: e.etag for p, e in listed.items()},
            local_copies=self.local.sent_bodies(),
            own_ids=own,
            fetch_workers=self.fetch_workers,
            on_break=self._break_decision(position, self._log_id),
            log_id=self._log_id,
            flush=committed,
            chunk=self.chunk,
        )
        self._refuse_foreign(result)
        if result.stop == "break":
            snapshot = self._newest_snapshot(after=result.stop_position - 2, report=report)
            if snapshot is not None and (
                snapshot.position > committed.position
                # Our base is at the snapshot's position but is not its update: ours
                # was committed into a position roll-up had retired (an orphan).
                or (snapshot.position == committed.position and snapshot.last != result.last)
            ):
                self._start_over(snapshot, entries, report, expected_position=committed.position)
                return
        report.pulled_updates += result.updates
        report.pulled_actions += result.actions
        report.quarantined += result.quarantined
        report.position = result.position
        committed(result)
        if result.stop == "break" and not self._relog(report, position_gone=False):
            raise ProtocolError(
                f"update {result.stop_position} on {self.remote_name} does not follow the "
                "update before it (the store is changing or damaged); nothing after it was "
                "read; sync again later"
            )
        if result.stop == "newer" and result.newer is not None:
            raise result.newer

    def _mend_hole(self, hole: int, position: int, report: SyncReport) -> None:
        """Position ``hole`` is missing below a listed update and no snapshot covers
        it: the store lost it (restored from an older copy) after a device built on
        it. Fill it with a marker every reader quarantines, so every device links
        past it alike (the create-only write decides the position, as for any
        commit); then, if this device may have folded the lost update, start over
        from the log, which pushes again what the log lacks."""
        if self._relog(report, position_gone=False):
            return  # another log under the same name: rebound to it
        key = protocol.update_key(hole)
        log.warning(
            "%s is missing from %s below later updates: marking it lost", key, self.remote_name
        )
        self.remote.put_if_absent(key, protocol.hole_filler(hole))
        if hole > position:
            self._pull(report, mended=True)  # nothing folded here came from it
        else:
            self._start_over_from_log(report, position)

    def _anchor_holds(self, anchor: holes.PushAnchor, listed: dict[int, RemoteEntry]) -> bool:
        """Is the update our last push built on still the one we folded? (Missing
        means retired under a snapshot: the hole check has already ruled out a loss.)"""
        entry = listed.get(anchor.position)
        if entry is None or (anchor.etag and entry.etag == anchor.etag):
            return True
        return self._same_update_at(anchor.position, anchor.last)

    def _start_over_from_log(self, report: SyncReport, position: int) -> None:
        snapshot = self._newest_snapshot(after=0, report=report)
        entries = self.remote.list(protocol.UPDATES)
        self._start_over(snapshot, entries, report, expected_position=position)

    def _break_decision(self, start: int, log_id: str) -> OnBreak:
        """A link broke at position p of a walk that started at ``start``. A newer
        snapshot covering p - 1 explains it (a commit into a retired position: start
        over from it); so does a replaced log (rebind). A link that stays broken when
        read again is a stray (an older log's writer, a copied object): quarantined,
        like any unusable object. Otherwise the store changed while we read: stop."""

        def decide(p: int, last: str) -> BreakDecision:
            newest = max(self._snapshot_positions(), default=0)
            if newest >= p - 1 and (newest != start or self._snapshot_disowns(newest, last)):
                return "stop"
            meta = self._read_meta()
            if meta is None or meta.log_id != log_id:
                return "stop"
            return "recheck"

        return decide

    def _snapshot_disowns(self, position: int, last: str) -> bool:
        """Does the snapshot at ``position`` (our base's position) name another update
        there than the one we folded? Then ours was committed after roll-up retired
        the position (a laptop asleep between its listing and its upload): an orphan
        the log will never link to, so the snapshot explains the break."""
        try:
            snapshot = protocol.decode_snapshot(self.remote.get(protocol.snapshot_key(position)))
        except (RemoteNotFound, RemoteObjectUnusable, Unreadable):
            return False
        return snapshot.log == self._log_id and snapshot.last != last

    def _same_update_at(self, position: int, last: str) -> bool:
        try:
            data = self.remote.get(protocol.update_key(position))
        except RemoteNotFound:
            return False
        except RemoteObjectUnusable:
            return last == protocol.quarantined_id(position)
        try:
            return protocol.decode_update(data).id == last
        except Unreadable:
            return last == protocol.quarantined_id(position)

    def _own_update_ids(self) -> set[str]:
        return {u for u, *_ in self.local.own_updates("new")} | {
            u for u, *_ in self.local.own_updates("sent")
        }

    def _start_over(
        self,
        snapshot: Snapshot | None,
        entries: list[RemoteEntry],
        report: SyncReport,
        *,
        expected_position: int,
        forget_positions: bool = False,
        meta: dict[str, str | None] | None = None,
    ) -> None:
        """Replace the base with the log's own (from ``snapshot`` or its start) and
        queue again whatever this device knows that the log lacks."""
        if snapshot is not None:
            state, position, last = snapshot.state.to_state(), snapshot.position, snapshot.last
            applied = set(snapshot.applied)
            report.snapshot_loaded = snapshot.position
        else:
            state, position, last, applied = State(), 0, "", set()
        listed = {p: e for e in entries if (p := protocol.position_of(e.key)) is not None}
        run = contiguous([p for p in listed if p > position], position)
        self._progress(f"downloading {len(run)} update(s)")
        log_id = (meta or {}).get("log_id") or self._log_id
        result = walk(
            self.remote,
            run,
            state=state,
            position=position,
            last=last,
            applied_among=applied.intersection,
            etags={p: e.etag for p, e in listed.items()},
            local_copies={} if forget_positions else self.local.sent_bodies(),
            fetch_workers=self.fetch_workers,
            on_break=self._break_decision(position, log_id),
            log_id=log_id,
        )
        self._refuse_foreign(result)
        if result.stop == "break":
            raise ProtocolError(
                f"update {result.stop_position} on {self.remote_name} does not follow the "
                "update before it (the store is changing); nothing was saved; sync again"
            )
        if result.updates == 0 and snapshot is not None:
            result.etag = listed[position].etag if position in listed else ""
        log_applied = applied | result.seen
        lacking = self.local.applied_ids() - log_applied
        repush = self.local.archived_actions(lacking)
        without_bodies = lacking - merged_ids(repush)
        if without_bodies:
            # Known here only as state (a snapshot or genesis of an older log).
            old_base, _ = self.local.base()
            merge = MergeState(state=StateDoc.of(old_base), applied=tuple(sorted(without_bodies)))
            repush.insert(
                0,
                Action(id=new_id(), device=self.local.device_id, at=self.clock.now_ms(), arg=merge),
            )
        report.repushed += len(repush)
        report.pulled_updates += result.updates
        report.pulled_actions += result.actions
        report.quarantined += result.quarantined
        report.position = result.position
        self._wrote = True
        self.local.replace_base(
            result.state,
            result.position,
            log_applied,
            last=result.last,
            etag=result.etag,
            repush=repush,
            forget_positions=forget_positions,
            expected_position=expected_position,
            meta={**(meta or {}), holes.ANCHOR_META: None},
            chunk=ChunkSizer(budget_s=chunking.LOCK_BUDGET_S),  # rows per staged commit
        )
        # The ids the walk collected are garbage now: a whole vault's, freed in one
        # step at the return (core.slices).
        for ids in (result.changes.ids, result.seen, applied, log_applied):
            release_in_slices(ids)
        if result.stop == "newer" and result.newer is not None:
            raise result.newer

    def _refuse_foreign(self, result: Walk) -> None:
        if result.stop == "foreign":
            raise ProtocolError(
                f"{self.remote_name} changed while this round read it (it now holds another "
                "log); nothing was saved; sync again"
            )

    def _snapshot_positions(self) -> list[int]:
        return sorted(
            p
            for e in self.remote.list(protocol.SNAPSHOTS)
            if (p := protocol.position_of(e.key)) is not None
        )

    def _newest_snapshot(
        self, after: int, report: SyncReport, log_id: str | None = None
    ) -> Snapshot | None:
        """The newest usable snapshot past ``after`` of the log (ours, or ``log_id``)."""
        log_id = self._log_id if log_id is None else log_id
        for position in reversed(self._snapshot_positions()):
            if position <= after:
                return None
            key = protocol.snapshot_key(position)
            self._progress(f"loading snapshot {position}")
            try:
                snapshot = protocol.decode_snapshot(self.remote.get(key))
            except RemoteNotFound:
                continue  # pruned while we listed
            except (Unreadable, RemoteObjectUnusable) as exc:
                log.warning("quarantined %s: %s", key, exc)
                report.quarantined.append(key)
                continue
            if snapshot.position != position or snapshot.log != log_id:
                report.quarantined.append(key)
                continue
            return snapshot
        return None

    # -- push -----------------------------------------------------------------------

    def _push(self, report: SyncReport) -> None:
        # At most CHUNK_ACTIONS per update: grouping one stays a short write (a
        # burst of 5,000 edits goes as 25 updates); folding it is chunked as a pull is.
        while (
            self.local.group_pending(new_id(), self.clock.now_ms(), CHUNK_ACTIONS) == CHUNK_ACTIONS
        ):
            pass
        failures = 0
        while failures < MAX_PUSH_TRIES:
            pending = self.local.own_updates("new")
            if not pending:
                return
            update_id = pending[0][0]
            actions = tuple(self.local.update_actions(update_id))
            base, position = self.local.base()
            last, _ = self.local.base_link()
            at = self.clock.now_ms()
            update = Update(
                id=update_id,
                device=self.local.device_id,
                at=at,
                position=position + 1,
                prev=last,
                actions=actions,
            )
            body = protocol.encode(update)
            if self.remote.put_if_absent(protocol.update_key(position + 1), body):
                self._keep_anchor(position)
                self.local.mark_sent(update_id, position + 1, at, body)
                report.pushed_actions += len(actions)
                report.pushed_position = position + 1
                self._fold_own(update, body, base)
                report.position = position + 1
            else:
                # Another device took the position: fold what landed, build on it.
                self._pull(report)
                failures += 1
        raise RemoteError(f"{self.remote_name} is too busy right now; sync will try again")

    def _keep_anchor(self, position: int) -> None:
        """Remember the base the first push since the last check built on: the
        store may have lost it between our listing and our write (restored from
        an older copy), and the next round lists from it to see. A crash before
        this leaves the base there, which the next round's base check covers."""
        if self.local.meta(holes.ANCHOR_META) is not None:
            return
        last, etag = self.local.base_link()
        anchor = holes.encode_anchor(holes.PushAnchor(position, last, etag))
        with self.local.transaction() as db:
            self.local.set_meta(holes.ANCHOR_META, anchor, db)

    def _fold_own(self, update: Update, body: bytes, base: State) -> None:
        """Our update landed right after the base: fold it in without downloading it,
        ``self.chunk.size`` actions per commit (the base stays before it until the last)."""
        known = self.local.applied_among([a.id for a in update.actions])
        done: set[str] = set()

        def is_applied(action_id: str) -> bool:
            return action_id in known or action_id in done

        state, position = base, update.position - 1
        actions = update.actions
        lo, last = 0, False
        while not last:
            size = self.chunk.size
            part = replace(update, actions=actions[lo : lo + size])
            seen: set[str] = set()
            changes = Changes()
            folded, count = fold_new(state, [part], is_applied, seen, changes)
            lo += size
            last = lo >= len(actions)
            cost = self.local.commit_base(
                folded,
                update.position if last else position,
                seen,
                confirmed=[update.id] if last else [],
                expected_position=position,
                archive=[(update.id, body)] if last else [],
                last=update.id if last else None,
                etag="" if last else None,
                since=state,
                changes=changes,
            )
            self._wrote = True
            self.chunk.observe(count, cost.held_s)
            state = folded
            done.update(seen)
