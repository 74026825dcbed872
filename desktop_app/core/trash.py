"""The trash: deleted tasks, notes and lists, read from the state's tombstones.

Pure queries. What is shown, and which items are old enough to purge, are
functions of the state and a moment the caller passes in (no clock here), so
the purge that the app dispatches names the same ids on every replica that has
the same state and is asked at the same time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from desktop_app.core.model import Item, State, TaskList, Tombstone

KEEP_FOR = timedelta(days=30)
_EPOCH = datetime.fromtimestamp(0, tz=UTC)


class TrashEntry(msgspec.Struct, frozen=True):
    """One deleted item as the trash view shows it."""

    id: str
    item: Item
    deleted_at: datetime | None

    @property
    def kind(self) -> str:
        return self.item.__class__.__name__.replace("TaskList", "List")

    @property
    def title(self) -> str:
        return self.item.name if isinstance(self.item, TaskList) else self.item.title


def deleted_at(tomb: Tombstone) -> datetime:
    """When it was deleted; a tombstone older than the stamp falls back to the
    item's last change (the deletion cannot have come before it)."""
    if tomb.deleted_at is not None:
        return tomb.deleted_at
    item = tomb.item
    return item.created if isinstance(item, TaskList) else item.updated


def trash_entries(state: State) -> list[TrashEntry]:
    """Newest deletion first; ties by id so every replica lists the same order.

    A tombstone whose id is live again (restored elsewhere, then re-added) is not
    trash. A tombstone flagged ``edited`` is a merge problem: it is still shown,
    and restoring it settles the problem.
    """
    entries = [
        TrashEntry(item_id, tomb.item, tomb.deleted_at)
        for item_id, tomb in state.deleted.items()
        if state.find(item_id) is None
    ]
    entries.sort(key=lambda e: (-deleted_at(state.deleted[e.id]).timestamp(), e.id))
    return entries


def in_trash(state: State, item_id: str) -> bool:
    """Deleted and not live again (a restore elsewhere may have raced the delete)."""
    return item_id in state.deleted and state.find(item_id) is None


def trash_count(state: State) -> int:
    return sum(1 for item_id in state.deleted if in_trash(state, item_id))


def expired_ids(state: State, now: datetime, keep_for: timedelta = KEEP_FOR) -> tuple[str, ...]:
    """Ids deleted more than ``keep_for`` before ``now``, sorted.

    Tombstones flagged ``edited`` stay: someone edited the item after it was
    deleted, and the conflict panel still asks what to do with it.
    """
    limit = now - keep_for
    return tuple(
        sorted(
            item_id
            for item_id, tomb in state.deleted.items()
            if not tomb.edited and deleted_at(tomb) < limit and state.find(item_id) is None
        )
    )
