"""Roll-up: fold the committed updates into a new immutable snapshot.

Safe to run anywhere (a device, a cron job, an AWS Lambda) and twice at once:
the snapshot for position L is a pure function of updates 1..L, so two roll-ups
write identical bytes and the create-only write lets the second one lose
harmlessly. Updates are deleted only after the retention period, and the newest
update is never deleted: writers find the head of the log by listing, so it
must stay visible (see docs/sync-protocol.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import msgspec

from desktop_app.core import State
from desktop_app.sync import protocol
from desktop_app.sync.collector import no_cycle_collection
from desktop_app.sync.engine import FETCH_WORKERS
from desktop_app.sync.log import BreakDecision, Walk, contiguous, read_workers, walk
from desktop_app.sync.protocol import ProtocolError, Snapshot, Unreadable
from desktop_app.sync.remote import RemoteError, RemoteNotFound, RemoteObjectUnusable, RemoteStore
from desktop_app.sync.sealed_store import SealedStore

DEFAULT_RETENTION = timedelta(days=90)


class RollupReport(msgspec.Struct):
    snapshot_position: int | None = None
    folded_updates: int = 0
    created: bool = False
    deleted_updates: int = 0
    deleted_snapshots: int = 0
    quarantined: list[str] = []

    def summary(self) -> str:
        if self.snapshot_position is None:
            return "nothing to roll up"
        verb = "wrote" if self.created else "found (another roll-up wrote it)"
        text = (
            f"{verb} snapshot {self.snapshot_position} from {self.folded_updates} update(s)"
            if self.folded_updates
            else f"snapshot {self.snapshot_position} is current"
        )
        text += (
            f"; deleted {self.deleted_updates} old update(s), "
            f"{self.deleted_snapshots} old snapshot(s)"
        )
        if self.quarantined:
            text += "; skipped unreadable " + ", ".join(self.quarantined)
        return text


def rollup(
    remote: RemoteStore,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    now_ms: Callable[[], int] | None = None,
    vault_id: str | None = None,
) -> RollupReport:
    """Fold every update committed before this call into a snapshot, then prune.

    ``vault_id``: the vault a device expects there (its own); another is refused.
    """
    # Paused until the roll-up has returned and dropped its state: resumed any
    # earlier (the prune), the first collection walked every object the fold had
    # left alive (docs/performance.md).
    with no_cycle_collection():
        return _rollup(remote, retention, now, now_ms, vault_id)


def _rollup(
    remote: RemoteStore,
    retention: timedelta,
    now: Callable[[], datetime],
    now_ms: Callable[[], int] | None,
    vault_id: str | None,
) -> RollupReport:
    try:
        meta = protocol.decode_meta(remote.get(protocol.META_KEY))
    except RemoteNotFound:
        raise RemoteError(f"{remote.describe()} holds no Tidemark vault") from None
    except Unreadable as exc:
        raise ProtocolError(
            f"{protocol.META_KEY} on {remote.describe()} is unreadable ({exc})"
        ) from None
    if vault_id is not None and meta.vault_id != vault_id:
        raise RemoteError(
            f"{remote.describe()} holds a different vault ({meta.vault_id[:8]}…) than this "
            f"device's ({vault_id[:8]}…); not rolling it up"
        )
    if meta.sealed and not isinstance(remote, SealedStore):
        raise ProtocolError(
            f"{remote.describe()} holds an encrypted vault: roll it up on a device that has "
            "its passphrase (`desktop-app rollup`), or give the Lambda TIDEMARK_PASSPHRASE"
        )
    started = now()
    report = RollupReport()
    updates = _positions(remote, protocol.UPDATES)
    base = _newest_snapshot(remote, meta.log_id, report)
    state, position, last, applied = State(), 0, "", set[str]()
    if base is not None:
        state, position, last = base.state.to_state(), base.position, base.last
        applied = set(base.applied)
        report.snapshot_position = position
    run = contiguous([p for p in updates if p > position], position)
    if run:

        def decide(p: int, last_id: str) -> BreakDecision:
            newest = max(_positions(remote, protocol.SNAPSHOTS), default=0)
            return "recheck" if newest < p - 1 else "stop"

        result = walk(
            remote,
            run,
            state=state,
            position=position,
            last=last,
            applied=applied,  # in memory: each update decoded just before its fold
            fetch_workers=read_workers(remote, FETCH_WORKERS),
            log_id=meta.log_id,
            on_break=decide,
            keep=False,  # nothing to store but the snapshot: no bytes or changes kept
            order=True,  # the applied ids in log order: they sort in one pass
        )
        if result.stop == "foreign":
            raise ProtocolError(
                f"{remote.describe()} changed while the roll-up read it; nothing was written"
            )
        report.quarantined = result.quarantined
        if result.stop == "newer" and result.newer is not None:
            raise result.newer
        if result.stop == "break":
            # Right after a position a newer snapshot covers: another roll-up retired
            # it while we read, and has done this work. Otherwise the log is changing
            # or damaged: write nothing.
            if max(_positions(remote, protocol.SNAPSHOTS), default=0) >= result.stop_position - 1:
                return report
            raise ProtocolError(
                f"update {result.stop_position} on {remote.describe()} does not follow the "
                "update before it; nothing was written"
            )
        newest = max(_positions(remote, protocol.SNAPSHOTS), default=0)
        if result.updates and protocol.decode_meta(remote.get(protocol.META_KEY)) != meta:
            raise ProtocolError(
                f"{remote.describe()} changed while the roll-up read it; nothing was written"
            )
        if result.updates and result.position > newest:
            stamp = now_ms() if now_ms else int(started.timestamp() * 1000)
            ids = _applied_ids(base, applied, result)
            # The sets that told duplicates apart go before the snapshot is built and
            # encoded, the peak of a roll-up's memory.
            base, applied, result.seen, result.order = None, set(), set(), None
            snapshot = Snapshot.of(
                result.state,
                result.position,
                stamp,
                ids,
                last=result.last,
                log=meta.log_id,
            )
            del ids
            data = protocol.encode(snapshot)
            del snapshot
            report.created = remote.put_if_absent(protocol.snapshot_key(result.position), data)
            report.snapshot_position = result.position
            report.folded_updates = result.updates
            position = result.position
        elif newest:
            report.snapshot_position = position = max(position, newest)
    _prune(remote, position, started - retention, report)
    return report


def _applied_ids(base: Snapshot | None, applied: set[str], result: Walk) -> Collection[str]:
    """Every id the snapshot lists (the base's and the walk's), each once, nearly in order.

    Sorting the set took most of a second at a million ids: its order is random.
    The base's ids are sorted and the walk's come in log order, which for ids made
    in time order (UUIDv7) is nearly sorted too, so the list sorts in about one
    pass. Only a base listing an id twice, or a merged state naming ids the base
    holds, repeats one; then the set it is.
    """
    ordered = result.order
    listed = base.applied if base is not None else ()
    if ordered is None or len(listed) != len(applied) or not applied.isdisjoint(result.seen):
        return applied | result.seen
    return [*listed, *ordered] if listed else ordered


def _positions(remote: RemoteStore, prefix: str) -> dict[int, datetime]:
    return {
        p: e.modified for e in remote.list(prefix) if (p := protocol.position_of(e.key)) is not None
    }


def _newest_snapshot(remote: RemoteStore, log_id: str, report: RollupReport) -> Snapshot | None:
    for position in sorted(_positions(remote, protocol.SNAPSHOTS), reverse=True):
        key = protocol.snapshot_key(position)
        try:
            snapshot = protocol.decode_snapshot(remote.get(key))
        except RemoteNotFound:
            continue
        except (Unreadable, RemoteObjectUnusable):
            report.quarantined.append(key)
            continue
        if snapshot.position == position and snapshot.log == log_id:
            return snapshot
        report.quarantined.append(key)
    return None


def _prune(remote: RemoteStore, covered: int, cutoff: datetime, report: RollupReport) -> None:
    """Delete what a snapshot covers and the retention period has passed."""
    if covered == 0:
        return
    updates = _positions(remote, protocol.UPDATES)
    newest = max(updates, default=0)
    for position, modified in sorted(updates.items()):
        if position <= covered and position != newest and modified < cutoff:
            remote.delete(protocol.update_key(position))
            report.deleted_updates += 1
    for position, modified in sorted(_positions(remote, protocol.SNAPSHOTS).items()):
        if position < covered and modified < cutoff:
            remote.delete(protocol.snapshot_key(position))
            report.deleted_snapshots += 1
