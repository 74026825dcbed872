"""The Redux-like store: one immutable state, changed only by dispatched actions.

``dispatch`` writes the action to the journal (durably, before it returns),
applies its handler and tells subscribers. Undo and redo are not rewinds: they
dispatch the inverse action, so an undo syncs to other devices like any edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import msgspec

from desktop_app.core import transitions
from desktop_app.core.actions import Action, Arg
from desktop_app.core.ids import new_id
from desktop_app.core.model import State
from desktop_app.core.reducer import apply, invert

HistoryKind = Literal["edit", "undo", "redo"]


class History(msgspec.Struct, frozen=True):
    """How a dispatch changes the undo and redo stacks.

    edit: push ``inverse`` on undo and clear redo; undo: pop undo, push
    ``inverse`` on redo; redo: pop redo, push ``inverse`` on undo.
    """

    kind: HistoryKind
    inverse: Arg | None


class Journal(Protocol):
    """Where actions go before they take effect (the local SQLite store)."""

    def record(self, action: Action, history: History) -> None: ...

    def undo_top(self) -> Arg | None: ...

    def redo_top(self) -> Arg | None: ...


Listener = Callable[[State, Action | None], None]


class Store:
    def __init__(
        self,
        state: State,
        journal: Journal,
        device_id: str,
        clock: Callable[[], int],
    ) -> None:
        self._state = state
        self._journal = journal
        self.device_id = device_id
        self.clock = clock
        self._listeners: list[Listener] = []

    @property
    def state(self) -> State:
        return self._state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def dispatch(self, arg: Arg, at: int | None = None) -> Action:
        """Persist, apply and announce one action; returns it once it is on disk."""
        return self._dispatch(arg, "edit", at)

    def undo(self) -> Action | None:
        arg = self._journal.undo_top()
        return None if arg is None else self._dispatch(arg, "undo", None)

    def redo(self) -> Action | None:
        arg = self._journal.redo_top()
        return None if arg is None else self._dispatch(arg, "redo", None)

    def load_snapshot(self, state: State) -> None:
        """Replace the whole state (a snapshot or a rebased view from sync)."""
        self._state = state
        self._notify(None)

    def _dispatch(self, arg: Arg, kind: HistoryKind, at: int | None) -> Action:
        action = Action(
            id=new_id(), device=self.device_id, at=self.clock() if at is None else at, arg=arg
        )
        history = History(kind, invert(self._state, arg))
        self._journal.record(action, history)
        before, self._state = self._state, apply(self._state, action)
        transitions.note(before, self._state, transitions.touched_ids(before, arg))
        self._notify(action)
        return action

    def _notify(self, action: Action | None) -> None:
        for listener in list(self._listeners):
            listener(self._state, action)
