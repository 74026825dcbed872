"""What the person is doing with the window, told to the sync controller.

Polling follows use (``app/poll_schedule.py``): the controller needs to hear
when the window is activated or left, when it gets keyboard or mouse input,
and when the network comes back. Qt knows all three; this object listens and
passes them on, so neither the window nor the controller grows the plumbing.

Input is watched with an application-wide event filter, which sees every
event: it compares the type and at most once a second tells the controller.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
_WINDOW = frozenset(
    {
        QEvent.Type.Show,
        QEvent.Type.Hide,
        QEvent.Type.WindowStateChange,
        QEvent.Type.ActivationChange,
    }
)
INPUT_NOTE_S = 1.0  # the schedule's idle threshold is a minute: once a second is plenty
NETWORK_DELAY_MS = 1_000  # load the reachability plugin after the first paint


class ActivityListener(Protocol):
    def note_input(self) -> None: ...
    def set_window_active(self, active: bool) -> None: ...
    def network_back(self) -> None: ...


class ActivityWatch(QObject):
    """Watches ``window`` and the application for the ``listener`` (the SyncController)."""

    def __init__(self, window: QWidget, listener: ActivityListener) -> None:
        super().__init__(window)
        self._window = window
        self._listener = listener
        self._last_note = -INPUT_NOTE_S
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        self._app_active = app.applicationState() == Qt.ApplicationState.ApplicationActive
        self._reported: bool | None = None
        self._online: bool | None = None
        app.applicationStateChanged.connect(self._on_app_state)
        app.installEventFilter(self)
        QTimer.singleShot(NETWORK_DELAY_MS, self, self._watch_network)
        self._report()

    def stop(self) -> None:
        """Stop listening (the window closes)."""
        app = QGuiApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
            app.applicationStateChanged.disconnect(self._on_app_state)

    def window_active(self) -> bool:
        """Activated, shown and not minimised: someone can see it."""
        window = self._window
        return self._app_active and window.isVisible() and not window.isMinimized()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _INPUT:
            now = time.monotonic()
            if now - self._last_note >= INPUT_NOTE_S:
                self._last_note = now
                self._listener.note_input()
        elif kind in _WINDOW and watched is self._window:
            self._report()
        return False

    def _on_app_state(self, state: Qt.ApplicationState) -> None:
        self._app_active = state == Qt.ApplicationState.ApplicationActive
        self._report()

    def _report(self) -> None:
        active = self.window_active()
        if active != self._reported:
            self._reported = active
            self._listener.set_window_active(active)

    def _watch_network(self) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        if not QNetworkInformation.loadDefaultBackend():
            log.info("no network reachability backend: a retry waits for its timer")
            return
        info = QNetworkInformation.instance()
        if info is None or not info.supports(QNetworkInformation.Feature.Reachability):
            return
        self._online = info.reachability() == QNetworkInformation.Reachability.Online
        info.reachabilityChanged.connect(self._on_reachability)

    def _on_reachability(self, reachability: object) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        online = reachability == QNetworkInformation.Reachability.Online
        if online and self._online is False:
            self._listener.network_back()
        self._online = online
