"""Restoring and forgetting deleted items: each user intent is one action, so it syncs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from desktop_app.app.engine import App
from desktop_app.core import Action
from desktop_app.core import actions as act
from desktop_app.core.trash import TrashEntry, expired_ids, trash_entries


def entries(app: App) -> list[TrashEntry]:
    return trash_entries(app.state)


def _in_trash(app: App, item_ids: Iterable[str]) -> tuple[str, ...]:
    state = app.state
    return tuple(i for i in dict.fromkeys(item_ids) if i in state.deleted and not state.find(i))


def restore(app: App, item_ids: Iterable[str]) -> Action | None:
    """Bring items back (with any edit made after their deletion); one undo step."""
    return app.dispatch_steps([act.RestoreDeleted(id=i) for i in _in_trash(app, item_ids)])


def purge(app: App, item_ids: Iterable[str]) -> Action | None:
    """Forget items for good; None when none of them is in the trash."""
    ids = tuple(sorted(_in_trash(app, item_ids)))
    return app.dispatch(act.PurgeDeleted(ids=ids)) if ids else None


def empty(app: App) -> Action | None:
    return purge(app, (e.id for e in trash_entries(app.state)))


def purge_expired(app: App, now: datetime | None = None) -> Action | None:
    """The 30-day purge, run when the app opens: one action naming the ids, so
    replicas agree on what went whatever their clocks say."""
    moment = now or datetime.fromtimestamp(app.clock.now_ms() / 1000, tz=UTC)
    ids = expired_ids(app.state, moment)
    return app.dispatch(act.PurgeDeleted(ids=ids)) if ids else None
