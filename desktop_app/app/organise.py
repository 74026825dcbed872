"""Moving tasks and notes between lists: one user intent, so one action however many items."""

from __future__ import annotations

from collections.abc import Iterable

from desktop_app.app.engine import App
from desktop_app.app.errors import AppError
from desktop_app.core import Action, State
from desktop_app.core import actions as act


def move_steps(state: State, item_ids: Iterable[str], list_id: str | None) -> list[act.ItemList]:
    """The steps moving each task or note not already there; lists themselves do not move."""
    if list_id is not None and list_id not in state.lists:
        raise AppError("that list no longer exists")
    steps = []
    for item_id in dict.fromkeys(item_ids):
        item = state.tasks.get(item_id) or state.notes.get(item_id)
        if item is not None and item.list_id != list_id:
            steps.append(act.ItemList(id=item_id, list_id=list_id))
    return steps


def move_items(app: App, item_ids: Iterable[str], list_id: str | None) -> Action | None:
    """Move tasks and notes to ``list_id`` (None: no list); None when nothing had to move."""
    return app.dispatch_steps(move_steps(app.state, item_ids, list_id))
