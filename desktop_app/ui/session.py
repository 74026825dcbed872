"""The window's handle on the Qt-free ``App``: store changes become a Qt signal.

Every widget and model talks to the engine through one ``AppSession`` so that
(1) a state change reaches them as ``state_changed`` on the GUI thread, even
when it was caused elsewhere (the sync worker will load snapshots from its own
thread: Qt queues a signal emitted there), and (2) an ``AppError`` becomes a
plain message in the status bar instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.app import App, AppError
from desktop_app.core import Action, State
from desktop_app.storage import StorageError

if TYPE_CHECKING:
    from desktop_app.ui.first_screen import Preview

T = TypeVar("T")
log = logging.getLogger(__name__)

# How often the window looks for writes by other processes (the CLI) and by its
# own sync thread: well under a second, and one SQLite pragma when nothing changed.
DISK_POLL_MS = 400
# A pause in editing this long saves the view when a start would replay much
# (``App.checkpoint_due``): the rewrite of the whole view (0.5 s at 100,000 tasks)
# waits for a pause instead of landing on a keystroke.
IDLE_CHECKPOINT_MS = 3000


class AppSession(QObject):
    """Wraps one ``App``; does not own it (whoever opened it closes it)."""

    state_changed = Signal(object, object)  # (State, Action | None)
    error = Signal(str)

    def __init__(
        self, app: App, parent: QObject | None = None, preview: Preview | None = None
    ) -> None:
        """``preview``: a saved first screen to show until ``app`` has read its state
        (``ui.first_screen``); then ``state_changed`` hands the models the real one."""
        super().__init__(parent)
        self.app = app
        # What "today" is for Today, Upcoming and overdue dates; tests fix it.
        self.today: Callable[[], date] = date.today
        self.preview = preview
        self._unsubscribe: Callable[[], None] | None = None
        self._disposed = False
        self._failing = False
        self.disk_poll = QTimer(self)
        self.disk_poll.setObjectName("diskPoll")
        self.disk_poll.setInterval(DISK_POLL_MS)
        self.disk_poll.timeout.connect(self.refresh_from_disk)
        self.idle_checkpoint = QTimer(self)
        self.idle_checkpoint.setObjectName("idleCheckpoint")
        self.idle_checkpoint.setSingleShot(True)
        self.idle_checkpoint.setInterval(IDLE_CHECKPOINT_MS)
        self.idle_checkpoint.timeout.connect(self.checkpoint_if_due)
        self.state_changed.connect(self._restart_idle_checkpoint)
        app.when_loaded(self._on_loaded)

    @property
    def state(self) -> State:
        """What the window shows: the app's state, or the preview until it is read."""
        preview = self.preview
        return preview.state if preview is not None else self.app.state

    def load(self) -> None:
        """Read the app's state, if not yet done (raises ``AppError``)."""
        self.app.load()

    def _on_loaded(self) -> None:
        """The app has read its state (``load``, or anything that needed it): follow
        its changes, and hand the models the whole state in place of the preview."""
        if self._disposed:
            return
        self._unsubscribe = self.app.store.subscribe(self._on_store)
        if self.preview is not None:
            self.preview = None
            self.state_changed.emit(self.app.state, None)

    def _on_store(self, state: State, action: Action | None) -> None:
        self.state_changed.emit(state, action)

    def _restart_idle_checkpoint(self, state: State, action: object) -> None:
        """Again from now: saving waits for a pause (on the GUI thread, as the timer
        must be: a change made on the sync thread arrives here queued)."""
        self.idle_checkpoint.start()

    def checkpoint_if_due(self) -> bool:
        """Save the view if a start would replay much (``App.checkpoint_due``)."""
        if not self.app.checkpoint_due:
            return False
        ok, _ = self.call(self.app.checkpoint)
        return ok

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> tuple[bool, T | None]:
        """Run one engine call; on a user-level error show it and return ``(False, None)``."""
        try:
            return True, fn(*args, **kwargs)
        except AppError as exc:
            self.error.emit(str(exc))
        except StorageError as exc:  # undo/redo reach the journal without App's wrapper
            log.warning("local store error: %s", exc)
            self.error.emit(str(exc))
        return False, None

    def watch_disk(self, interval_ms: int = DISK_POLL_MS) -> None:
        """Poll for other connections' writes on the GUI thread (see ``refresh_from_disk``)."""
        self.disk_poll.start(interval_ms)

    def refresh_from_disk(self) -> bool:
        """Show edits another process (or the sync thread) saved; the models follow
        through ``state_changed`` like after any edit, keeping selection and typing.

        A failure is reported once, not every poll, until a refresh works again.
        """
        if not self.app.loaded:
            return False  # what it reads when loaded is the disk as it is then
        try:
            changed = self.app.refresh_from_disk()
        except AppError as exc:
            if not self._failing:
                self._failing = True
                self.error.emit(str(exc))
            return False
        self._failing = False
        return changed

    def dispose(self) -> None:
        """Stop listening to the store (the window is going away)."""
        self._disposed = True
        self.disk_poll.stop()
        self.idle_checkpoint.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
