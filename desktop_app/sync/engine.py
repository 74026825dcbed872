"""One sync round: pull before push, every action once, nothing lost.

The round, in order (docs/sync-protocol.md explains why each step is safe):

1. **Vault**: on the first round with a remote, read or create ``meta.json``;
   refuse a remote that belongs to another vault. A new, empty remote is seeded
   with a snapshot of what this device already has, never the other way round.
2. **Pull**: list updates after the base position (the only request when idle).
   If the list starts past ``position + 1`` (older updates rolled up and
   retired), load the newest snapshot first. Fetch the contiguous run
   concurrently, reuse local copies of this device's own updates, fold each
   action into the base once (dedupe by action id), and rebase the local
   pending actions on top, all in one SQLite transaction.
3. **Push**: group every pending action into one update and create it at the
   next free position; on a collision try the next one. An update that lands
   right after the base is folded in at once, saving a download next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import msgspec

from desktop_app.core import Action, CodecError, State, apply, new_id
from desktop_app.storage import LocalStore
from desktop_app.sync import protocol
from desktop_app.sync.clock import Clock
from desktop_app.sync.protocol import ProtocolError, Snapshot, Update, VaultMeta
from desktop_app.sync.remote import RemoteError, RemoteNotFound, RemoteStore

log = logging.getLogger(__name__)

MAX_PUSH_ATTEMPTS = 100
FETCH_WORKERS = 16


class SyncReport(msgspec.Struct):
    pulled_updates: int = 0
    pulled_actions: int = 0
    pushed_actions: int = 0
    pushed_position: int | None = None
    snapshot_loaded: int | None = None
    position: int = 0
    seeded: bool = False
    clock_warning: str | None = None

    def summary(self) -> str:
        parts = [
            f"pulled {self.pulled_actions} action(s) in {self.pulled_updates} update(s)",
            f"pushed {self.pushed_actions} action(s)",
        ]
        if self.snapshot_loaded is not None:
            parts.insert(0, f"loaded snapshot {self.snapshot_loaded}")
        if self.seeded:
            parts.insert(0, "seeded the new remote with this device's data")
        return "; ".join(parts) + f"; at position {self.position}"


def fold_new(
    state: State,
    updates: Iterable[Update],
    applied: Callable[[str], bool],
    seen: set[str],
) -> tuple[State, int]:
    """Apply, in order, each action of ``updates`` not applied before.

    ``seen`` collects the ids applied now. One flat loop: this is the hot path
    of a large pull, and per-update call overhead is measurable there.
    """
    count = 0
    for update in updates:
        for action in update.actions:
            action_id = action.id
            if action_id in seen or applied(action_id):
                continue
            state = apply(state, action)
            seen.add(action_id)
            count += 1
    return state, count


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
    ) -> None:
        """``fetch_workers=1`` fetches on the calling thread (the simulator's choice)."""
        self.fetch_workers = fetch_workers
        self.local = local
        self.remote = remote
        self.clock = clock
        self.remote_name = remote_name or remote.describe()
        self._progress = on_progress or (lambda message: None)

    # -- the round ------------------------------------------------------------------

    def sync(self) -> SyncReport:
        report = SyncReport()
        seeded = self._ensure_vault()
        report.seeded = seeded
        self._pull(report)
        self._push(report)
        report.clock_warning = self.clock.skew_message()
        self.local.set_meta("clock_offset_s", f"{self.clock.offset_s:.3f}")
        self.local.set_meta("last_sync", datetime.now(UTC).isoformat(timespec="seconds"))
        return report

    # -- vault ------------------------------------------------------------------------

    def _ensure_vault(self) -> bool:
        """Bind this device to the remote's vault; True if we seeded a new remote."""
        if self.local.meta("vault_remote") == self.remote_name:
            return False
        local_vault = self.local.meta("vault_id")
        try:
            remote_meta = protocol.decode_meta(self.remote.get(protocol.META_KEY))
        except RemoteNotFound:
            remote_meta = None
        except CodecError as exc:
            raise ProtocolError(
                f"{protocol.META_KEY} on the remote is unreadable ({exc})"
            ) from None
        seeded = False
        if remote_meta is None:
            vault_id = local_vault or new_id()
            meta = VaultMeta(format=protocol.FORMAT_VERSION, vault_id=vault_id)
            if not self.remote.put_if_absent(protocol.META_KEY, protocol.encode(meta)):
                # Another device created the vault a moment ago: join theirs.
                remote_meta = protocol.decode_meta(self.remote.get(protocol.META_KEY))
            else:
                seeded = self._seed_new_remote()
                remote_meta = meta
        elif remote_meta.vault_id == local_vault and not self._holds_position():
            # We created this vault earlier but stopped before seeding it.
            seeded = self._seed_new_remote()
        if local_vault is not None and remote_meta.vault_id != local_vault:
            raise RemoteError(
                f"{self.remote_name} holds a different vault ({remote_meta.vault_id[:8]}…) "
                f"than this device's ({local_vault[:8]}…); choose the right remote, or a new "
                "empty location to copy this device's data to"
            )
        self.local.set_meta("vault_id", remote_meta.vault_id)
        self.local.set_meta("vault_remote", self.remote_name)
        return seeded

    def _seed_new_remote(self) -> bool:
        """Give a new remote what this device already has, so it wipes nothing."""
        base, position = self.local.base()
        if position == 0 and not base.tasks and not base.notes and not base.lists:
            return False
        snapshot = Snapshot.of(base, position, self.clock.now_ms(), self.local.applied_ids())
        self.remote.put_if_absent(protocol.snapshot_key(position), protocol.encode(snapshot))
        return True

    # -- pull -------------------------------------------------------------------------

    def _pull(self, report: SyncReport) -> None:
        base, position = self.local.base()
        start_position = position
        snapshot: Snapshot | None = None
        # List from our own last update on: it must still be there (or be retired
        # under a snapshot), which tells a live remote from an empty mount point.
        start = protocol.update_key(position - 1) if position else ""
        entries = self.remote.list(protocol.UPDATES, start)
        positions = [p for e in entries if (p := protocol.position_of(e.key)) is not None]
        if positions and positions[0] == position:
            positions = positions[1:]
        elif position and not positions:
            self._check_not_replaced(position)
        if position == 0 or (positions and positions[0] != position + 1):
            snapshot = self._newest_snapshot(after=position)
            if snapshot is not None:
                position = snapshot.position
                positions = [p for p in positions if p > position]
        run = _contiguous(positions, position)
        if positions and not run:
            raise ProtocolError(
                f"{self.remote_name} is missing updates {position + 1} to {positions[0] - 1} "
                "and has no snapshot covering them"
            )
        if snapshot is None and not run:
            report.position = position
            return
        if snapshot is not None:
            base = snapshot.state.to_state()
            report.snapshot_loaded = snapshot.position
        updates = self._fetch(run)
        applied_before = set(snapshot.applied) if snapshot else None
        is_applied = self._applied_check(updates, applied_before)
        seen: set[str] = set()
        base, report.pulled_actions = fold_new(base, updates, is_applied, seen)
        report.pulled_updates = len(updates)
        new_position = run[-1] if run else position
        own = {u for u, *_ in self.local.own_updates("new")} | {
            u for u, *_ in self.local.own_updates("sent")
        }
        self.local.commit_base(
            base,
            new_position,
            (applied_before or set()) | seen,
            replace_applied=snapshot is not None,
            confirmed=[u.id for u in updates if u.id in own],
            expected_position=start_position,
        )
        report.position = new_position

    def _holds_position(self) -> bool:
        """Whether the remote has our base position: the update there, a later
        one, or a snapshot at or after it."""
        _, position = self.local.base()
        if position == 0:
            return True
        if self.remote.list(protocol.UPDATES, protocol.update_key(position - 1)):
            return True
        return self._snapshot_covers(position)

    def _snapshot_covers(self, position: int) -> bool:
        return any(
            (p := protocol.position_of(e.key)) is not None and p >= position
            for e in self.remote.list(protocol.SNAPSHOTS)
        )

    def _check_not_replaced(self, position: int) -> None:
        """Update ``position`` is gone and nothing follows it: unless a snapshot
        covers it, this is not the log we synced with (an unmounted share, a
        wiped bucket). Writing into it would fork the vault, so stop here."""
        if self._snapshot_covers(position):
            return
        raise ProtocolError(
            f"{self.remote_name} no longer holds this vault's updates (update {position} is "
            "missing); if it is a removable drive or network share, connect it and try again"
        )

    def _applied_check(
        self, updates: list[Update], applied_before: set[str] | None
    ) -> Callable[[str], bool]:
        if applied_before is not None:
            return applied_before.__contains__
        ids = [a.id for u in updates for a in u.actions]
        known = self.local.applied_among(ids)
        return known.__contains__

    def _newest_snapshot(self, after: int) -> Snapshot | None:
        keys = [
            (p, e.key)
            for e in self.remote.list(protocol.SNAPSHOTS)
            if (p := protocol.position_of(e.key)) is not None and p > after
        ]
        if not keys:
            return None
        position, key = max(keys)
        self._progress(f"loading snapshot {position}")
        snapshot = self._decode(key, protocol.decode_snapshot)
        if snapshot.position != position:
            raise ProtocolError(f"snapshot {key} names position {snapshot.position}")
        return snapshot

    def _fetch(self, positions: list[int]) -> list[Update]:
        """Fetch updates concurrently, using local copies of our own where we have them."""
        if not positions:
            return []
        mine = {pos: uid for uid, pos, _ in self.local.own_updates("sent") if pos is not None}
        self._progress(f"downloading {len(positions)} update(s)")

        def fetch(position: int) -> Update:
            if position in mine:
                uid = mine[position]
                actions = tuple(self.local.update_actions(uid))
                return Update(id=uid, device="", at=0, position=position, actions=actions)
            key = protocol.update_key(position)
            return self._decode(key, protocol.decode_update)

        if len(positions) == 1 or self.fetch_workers <= 1:
            return [fetch(p) for p in positions]
        with ThreadPoolExecutor(max_workers=min(self.fetch_workers, len(positions))) as pool:
            return list(pool.map(fetch, positions))

    def _decode(self, key: str, decode: Callable[[bytes], msgspec.Struct]) -> msgspec.Struct:
        data = self.remote.get(key)
        try:
            return decode(data)
        except (CodecError, msgspec.DecodeError) as exc:
            raise ProtocolError(f"{key} on {self.remote_name} is unreadable ({exc})") from None

    # -- push -------------------------------------------------------------------------

    def _push(self, report: SyncReport) -> None:
        self.local.group_pending(new_id(), self.clock.now_ms())
        head = report.position
        for update_id, _, _ in self.local.own_updates("new"):
            actions = tuple(self.local.update_actions(update_id))
            position = head = self._commit(update_id, actions, head)
            report.pushed_actions += len(actions)
            report.pushed_position = position
            if position == report.position + 1:
                self._fold_own(update_id, actions, position)
                report.position = position

    def _commit(self, update_id: str, actions: tuple[Action, ...], head: int) -> int:
        """Create the update at the first free position after ``head``."""
        position = head + 1
        for attempt in range(MAX_PUSH_ATTEMPTS):
            at = self.clock.now_ms()
            update = Update(
                id=update_id, device=self.local.device_id, at=at, position=position, actions=actions
            )
            if self.remote.put_if_absent(protocol.update_key(position), protocol.encode(update)):
                self.local.mark_sent(update_id, position, at)
                return position
            if attempt % 8 == 7:
                # Far behind a busy log: jump to the end instead of probing one by one.
                entries = self.remote.list(protocol.UPDATES, protocol.update_key(position))
                listed = [p for e in entries if (p := protocol.position_of(e.key)) is not None]
                position = max([position, *listed])
            position += 1
        raise RemoteError(f"could not find a free position on {self.remote_name}; try again")

    def _fold_own(self, update_id: str, actions: tuple[Action, ...], position: int) -> None:
        """Our update landed right after the base: fold it in without downloading it."""
        base, base_position = self.local.base()
        if base_position != position - 1:
            return
        own = Update(id=update_id, device="", at=0, position=position, actions=actions)
        known = self.local.applied_among([a.id for a in actions])
        seen: set[str] = set()
        base, _ = fold_new(base, [own], known.__contains__, seen)
        self.local.commit_base(
            base, position, seen, confirmed=[update_id], expected_position=base_position
        )


def _contiguous(positions: list[int], after: int) -> list[int]:
    """The gapless run of positions starting at ``after + 1``."""
    run: list[int] = []
    expected = after + 1
    for p in positions:
        if p != expected:
            break
        run.append(p)
        expected += 1
    return run
