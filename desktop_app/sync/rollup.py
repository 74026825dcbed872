"""Roll-up: fold the committed updates into a new immutable snapshot.

Safe to run anywhere (a device, a cron job, an AWS Lambda) and twice at once:
the snapshot for position L is a pure function of updates 1..L, so two roll-ups
write identical bytes and the create-only write lets the second one lose
harmlessly. Updates are deleted only after the retention period, and the newest
update is never deleted: writers find the head of the log by listing, so it
must stay visible (see docs/sync-protocol.md).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import msgspec

from desktop_app.core import State, codec
from desktop_app.sync import protocol
from desktop_app.sync.engine import FETCH_WORKERS, _contiguous, fold_new
from desktop_app.sync.protocol import ProtocolError, Snapshot, Update
from desktop_app.sync.remote import RemoteError, RemoteNotFound, RemoteStore

DEFAULT_RETENTION = timedelta(days=90)


class RollupReport(msgspec.Struct):
    snapshot_position: int | None = None
    folded_updates: int = 0
    created: bool = False
    deleted_updates: int = 0
    deleted_snapshots: int = 0

    def summary(self) -> str:
        if self.snapshot_position is None:
            return "nothing to roll up"
        verb = "wrote" if self.created else "found (another roll-up wrote it)"
        text = (
            f"{verb} snapshot {self.snapshot_position} from {self.folded_updates} update(s)"
            if self.folded_updates
            else f"snapshot {self.snapshot_position} is current"
        )
        return (
            f"{text}; deleted {self.deleted_updates} old update(s), "
            f"{self.deleted_snapshots} old snapshot(s)"
        )


def rollup(
    remote: RemoteStore,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    now_ms: Callable[[], int] | None = None,
) -> RollupReport:
    """Fold every update committed before this call into a snapshot, then prune."""
    try:
        protocol.decode_meta(remote.get(protocol.META_KEY))
    except RemoteNotFound:
        raise RemoteError(f"{remote.describe()} holds no Tidemark vault") from None
    started = now()
    report = RollupReport()
    snapshots = _positions(remote, protocol.SNAPSHOTS)
    updates = _positions(remote, protocol.UPDATES)
    base_position = max(snapshots, default=0)
    state, applied = State(), set()
    if snapshots:
        snap = protocol.decode_snapshot(remote.get(protocol.snapshot_key(base_position)))
        state, applied = snap.state.to_state(), set(snap.applied)
    run = _contiguous(sorted(p for p in updates if p > base_position), base_position)
    if run:
        fetched = _fetch_all(remote, run)
        seen: set[str] = set()
        state, _ = fold_new(state, fetched, applied.__contains__, seen)
        applied |= seen
        position = run[-1]
        stamp = now_ms() if now_ms else int(started.timestamp() * 1000)
        snapshot = Snapshot.of(state, position, stamp, applied)
        report.created = remote.put_if_absent(
            protocol.snapshot_key(position), protocol.encode(snapshot)
        )
        report.snapshot_position = position
        report.folded_updates = len(run)
        base_position = position
    elif snapshots:
        report.snapshot_position = base_position
    _prune(remote, base_position, started - retention, report)
    return report


def _positions(remote: RemoteStore, prefix: str) -> dict[int, datetime]:
    return {
        p: e.modified for e in remote.list(prefix) if (p := protocol.position_of(e.key)) is not None
    }


def _fetch_all(remote: RemoteStore, positions: list[int]) -> list[Update]:
    def fetch(position: int) -> Update:
        data = remote.get(protocol.update_key(position))
        try:
            return protocol.decode_update(data)
        except (codec.CodecError, msgspec.DecodeError) as exc:
            raise ProtocolError(f"update {position} is unreadable ({exc})") from None

    with ThreadPoolExecutor(max_workers=max(1, min(FETCH_WORKERS, len(positions)))) as pool:
        return list(pool.map(fetch, positions))


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
