"""Run one slow call (network, big files) off the GUI thread; its result comes back as a signal.

The GUI thread never waits on the network or the disk for long (docs/ui.md,
Threading rule). ``run_in_background`` hands ``fn`` to Qt's global thread pool
and delivers its return value, or the exception's one-line message, on the GUI
thread through queued signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from desktop_app.app import AppError

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self._fn, self.signals = fn, signals

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except AppError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a bug, not a user error: log it, say so plainly
            log.exception("background job failed")
            self.signals.failed.emit(f"Something went wrong ({type(exc).__name__}).")
        else:
            self.signals.done.emit(result)


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None],
    owner: QObject,
) -> QObject:
    """Start ``fn``; ``on_done(result)`` or ``on_failed(message)`` runs on ``owner``'s thread."""
    signals = _Signals(owner)  # lives with the owner: its slots run on the GUI thread
    signals.done.connect(on_done)
    signals.failed.connect(on_failed)
    signals.done.connect(signals.deleteLater)
    signals.failed.connect(signals.deleteLater)
    QThreadPool.globalInstance().start(_Job(fn, signals))
    return signals
