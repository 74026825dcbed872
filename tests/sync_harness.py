"""Test doubles *around* real remote stores: a tap that records every commit and
can simulate a lost acknowledgement or a duplicated upload. The store underneath
is always a real one (a folder, or S3 over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from desktop_app.app import App
from desktop_app.core import State, fold, views
from desktop_app.sync import protocol
from desktop_app.sync.engine import SyncEngine, SyncReport
from desktop_app.sync.remote import RemoteEntry, RemoteStore, RemoteUnavailable


class LostAck(RemoteUnavailable):
    """The write happened but the client never heard back (a crash or a timeout)."""


class SharedLog:
    """Every update ever committed to one remote, even those pruned later."""

    def __init__(self) -> None:
        self.updates: dict[int, bytes] = {}
        self.delayed: list[protocol.Update] = []

    def flush_duplicates(self, store: RemoteStore, updates: list[protocol.Update]) -> None:
        """Commit copies of earlier updates at the next free positions (delayed retries)."""
        for update in updates:
            position = max(self.updates) + 1
            while True:
                copy = msgspec.structs.replace(update, position=position)
                data = protocol.encode(copy)
                if store.put_if_absent(protocol.update_key(position), data):
                    self.updates[position] = data
                    break
                position += 1

    def oracle(self) -> State:
        """The state every replica must reach: the full log, each action once."""
        seen: set[str] = set()
        actions = []
        for position in sorted(self.updates):
            for action in protocol.decode_update(self.updates[position]).actions:
                if action.id not in seen:
                    seen.add(action.id)
                    actions.append(action)
        return fold(State(), actions)

    def committed_ids(self) -> set[str]:
        return {
            a.id for data in self.updates.values() for a in protocol.decode_update(data).actions
        }


class Tap:
    """Wraps a real RemoteStore: records commits, simulates faults on demand."""

    def __init__(self, inner: RemoteStore, log: SharedLog | None = None) -> None:
        self.inner = inner
        self.shared = log or SharedLog()
        self.log = self.shared.updates
        self.lose_next_ack = False
        self.duplicate_next = False
        self.offline = False
        self.requests = 0

    def _check(self) -> None:
        self.requests += 1
        if self.offline:
            raise RemoteUnavailable("offline (test)")

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        self._check()
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        self._check()
        return self.inner.get(key)

    def delete(self, key: str) -> None:
        self._check()
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self._check()
        created = self.inner.put_if_absent(key, data)
        position = protocol.position_of(key)
        if created and key.startswith(protocol.UPDATES) and position is not None:
            self.log[position] = data
            if self.duplicate_next:
                # A retry of this upload lands later, after whatever others commit.
                self.duplicate_next = False
                self.shared.delayed.append(protocol.decode_update(data))
            if self.lose_next_ack:
                self.lose_next_ack = False
                raise LostAck("connection reset after the upload (test)")
        return created


class Device:
    """One machine: its own data dir, a skewed clock, an App and a sync engine."""

    def __init__(self, name: str, data_dir, remote: RemoteStore, skew_s: float = 0.0) -> None:
        import time

        self.name = name
        self.data_dir = data_dir
        self.remote = remote
        self.skew_s = skew_s
        self._wall = lambda: time.time() + skew_s
        self.app = App(data_dir, wall=self._wall)
        self.dispatched: list[str] = []

    def engine(self) -> SyncEngine:
        return SyncEngine(self.app.local, self.remote, self.app.clock)

    def sync(self) -> SyncReport:
        """A round, then its result in the App, as the window and the CLI do: a round
        that fails after its pull was saved still rewrote the view."""
        try:
            return self.engine().sync()
        finally:
            self.app.reload_view(only_if_changed=True)

    def restart(self) -> None:
        self.app.close()
        self.app = App(self.data_dir, wall=self._wall)

    def document(self) -> dict:
        return views.document(self.app.state)

    def close(self) -> None:
        self.app.close()


def now_utc() -> datetime:
    return datetime.now(UTC)
