"""Background sync: a worker QObject on its own QThread, driven by signals.

The GUI thread never touches the network or waits on it. ``SyncController``
(GUI thread) asks the ``SyncWorker`` (worker thread) for a round through a
queued signal; the worker runs ``run_round`` against the local database (its
own SQLite connection) and the remote, and reports back with ``finished`` or
``failed``. The controller then reloads the App's view on the GUI thread, so the
user's typing never races the merge. Rounds run when ``PollSchedule`` says
(every few seconds while the window is in use, backing off to the Settings
dialog's "Sync every" when it is idle or hidden, at once when it is activated
again or the network returns), shortly after a burst of local edits, and on
demand; a request during a round queues exactly one more. ``ActivityWatch``
(ui/activity.py) tells the controller what the window is doing.

A failed round changed nothing locally (the engine commits per transaction) and
the app goes on working offline. The status bar says why it failed and when the
next try comes: after 5 s, 10 s, 20 s ... up to 5 minutes, with jitter
(``RetryBackoff``); the first success goes back to the normal timer. While it
waits, neither the timer nor edits start rounds; Sync Now (F5) always tries at once.

An encrypted vault whose passphrase is in neither the keyring nor the
environment: the worker reports ``needs_passphrase`` instead of blocking, the
controller opens a window-modal ``PassphraseDialog`` on the GUI thread and runs
the round again with the typed passphrase kept for the session (and in the
keyring if asked). A wrong one comes back as another ``needs_passphrase`` with
the reason. Cancel leaves the app working offline: the timer and edits ask no
more; F5 or saving Settings asks again.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QDialog, QWidget

from desktop_app.app import App, AppError, encryption
from desktop_app.app.encryption import PassphraseNeeded
from desktop_app.app.poll_schedule import PollPolicy, PollSchedule
from desktop_app.app.retry import RetryBackoff, describe_wait
from desktop_app.app.syncing import SYNC_ERRORS, get_remote, is_offline, run_window_round
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync.clock import Clock
from desktop_app.sync.engine import SyncReport
from desktop_app.ui.sync_status import offline_text

if TYPE_CHECKING:
    from desktop_app.ui.passphrase_dialog import PassphraseDialog

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = round(PollPolicy().cap_s * 1000)
AFTER_EDIT_MS = round(PollPolicy().debounce_s * 1000)


class SyncWorker(QObject):
    """Runs sync rounds; lives on the sync thread."""

    finished = Signal(object)  # SyncReport
    failed = Signal(str)
    offline = Signal(str)  # the remote did not answer at all: a failure, but not an error
    needs_passphrase = Signal(str, bool)  # label, a new vault (ask twice)
    progress = Signal(str)

    def __init__(self, local: LocalStore, clock: Clock) -> None:
        super().__init__()
        self._local = local
        self._clock = clock

    @Slot()
    def run_round(self) -> None:
        try:
            report = run_window_round(self._local, self._clock, on_progress=self.progress.emit)
        except PassphraseNeeded as exc:
            self.needs_passphrase.emit(exc.label, exc.confirm)
        except (*SYNC_ERRORS, AppError) as exc:
            (self.offline if is_offline(exc) else self.failed).emit(str(exc))
        except Exception as exc:  # a bug must not kill the thread or lose the message
            log.exception("sync round failed")
            self.failed.emit(f"Sync failed unexpectedly ({type(exc).__name__}: {exc})")
        else:
            self.finished.emit(report)


class SyncController(QObject):
    """Schedules rounds and applies their results; lives on the GUI thread."""

    status_changed = Signal(str)
    synced = Signal(object)  # SyncReport, after the view was reloaded
    sync_failed = Signal(str)
    passphrase_asked = Signal(object)  # the PassphraseDialog just opened
    _request = Signal()

    def __init__(
        self,
        app: App,
        *,
        poll_interval_ms: int = POLL_INTERVAL_MS,
        after_edit_ms: int = AFTER_EDIT_MS,
        backoff: RetryBackoff | None = None,
        policy: PollPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        """``poll_interval_ms`` is the slowest poll (the policy's cap), ``after_edit_ms``
        the pause that ends an edit burst; ``policy`` gives the rest."""
        super().__init__(parent)
        self._app = app
        self._now = clock
        policy = replace(
            policy or PollPolicy(), cap_s=poll_interval_ms / 1000, debounce_s=after_edit_ms / 1000
        )
        self._schedule = PollSchedule(policy, self._now())
        self._burst_started: float | None = None  # the first unpushed edit's time
        self._backoff = backoff or RetryBackoff()
        self._busy = False
        self._again = False
        self._declined = False  # the passphrase prompt was cancelled: no automatic rounds
        self._offline = False  # the last round found nobody answering
        self.passphrase_dialog: QDialog | None = None
        self.dialog_parent: QWidget | None = None  # the window, once it attaches
        self._thread = QThread()
        self._thread.setObjectName("tidemark-sync")
        self._worker = SyncWorker(app.local, app.clock)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run_round)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.offline.connect(self._on_offline)
        self._worker.needs_passphrase.connect(self._on_needs_passphrase)
        self._worker.progress.connect(self.status_changed)
        self._poll = QTimer(self)  # the next poll, re-planned after every round and event
        self._poll.setSingleShot(True)
        self._poll.timeout.connect(self._sync_automatically)
        self._soon = QTimer(self)  # the push after an edit burst
        self._soon.setSingleShot(True)
        self._soon.setInterval(after_edit_ms)
        self._soon.timeout.connect(self._sync_automatically)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        # A coarse timer may fire 5 % early; the wait the status bar announced is kept.
        self._retry.setTimerType(Qt.TimerType.PreciseTimer)
        self._retry.timeout.connect(self.sync_now)
        self._unsubscribe = app.store.subscribe(self._on_change)
        self._thread.start()
        self._plan()

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def policy(self) -> PollPolicy:
        return self._schedule.policy

    @property
    def poll_interval_ms(self) -> int:
        """The slowest poll: the Settings dialog's "Sync every"."""
        return round(self._schedule.policy.cap_s * 1000)

    @property
    def next_poll_in_ms(self) -> int | None:
        """Time left before the next poll, or None while a round runs or a retry waits."""
        return self._poll.remainingTime() if self._poll.isActive() else None

    def set_poll_interval(self, interval_ms: int) -> None:
        """The Settings dialog's sync interval, from now on: the cap of the backoff."""
        self._schedule.policy = replace(self._schedule.policy, cap_s=interval_ms / 1000)
        self._schedule.next_round_at = min(
            self._schedule.next_round_at, self._now() + interval_ms / 1000
        )
        self._plan()

    # -- what the window reports (ActivityWatch) -----------------------------------------

    def note_input(self) -> None:
        """Keyboard or mouse input in the window: it is in use."""
        before = self._schedule.next_round_at
        if self._schedule.input(self._now()) < before:
            self._plan()

    def set_window_active(self, active: bool) -> None:
        """The window was activated (poll at once, then often) or left (back off)."""
        before = self._schedule.next_round_at
        if self._schedule.set_focused(active, self._now()) < before:
            self._plan()

    def network_back(self) -> None:
        """The network is reachable again: a waiting retry or the next poll comes now."""
        self._schedule.wake(self._now())
        if self._retry.isActive():
            self._retry.stop()
            self._retry.start(self._due_in_ms())
        else:
            self._plan()

    def _due_in_ms(self) -> int:
        return max(0, round((self._schedule.next_round_at - self._now()) * 1000))

    def _plan(self) -> None:
        """Set the poll timer to the schedule's next round (not during a retry or round)."""
        if self._retry.isActive() or self._busy or not self._thread.isRunning():
            return
        self._poll.start(self._due_in_ms())

    @property
    def retry_in_ms(self) -> int | None:
        """Time left before the retry of a failed round, or None when none is due."""
        return self._retry.remainingTime() if self._retry.isActive() else None

    def has_remote(self) -> bool:
        try:
            return get_remote(self._app.local) is not None
        except SYNC_ERRORS:
            return True  # let the round report what is wrong with the setting

    @Slot()
    def sync_now(self) -> None:
        """A round now (F5): asks for a passphrase again even after Cancel."""
        self._declined = False
        self._start_round()

    @Slot()
    def _sync_automatically(self) -> None:
        if not self._declined:
            self._start_round()

    def _start_round(self) -> None:
        if self.passphrase_dialog is not None:
            return  # the round that asked runs again when the dialog closes
        if not self.has_remote():
            self.status_changed.emit("Local only: no sync remote is set")
            return
        if self._busy:
            self._again = True
            return
        self._retry.stop()  # this round is the retry; a failure schedules the next
        self._poll.stop()  # planned again when the round ends
        self._soon.stop()  # this round takes the edits made so far along
        self._burst_started = None
        self._busy = True
        self.status_changed.emit("Syncing…")
        self._request.emit()

    def sync_soon(self, delay_ms: int | None = None) -> None:
        """A round after ``delay_ms`` (default: the after-edit delay); cancelled by shutdown.
        Asks for a declined passphrase again (the settings changed)."""
        self._declined = False
        if delay_ms is None:
            self._soon.start()
        else:
            self._soon.start(delay_ms)

    def _on_change(self, state: object, action: object) -> None:
        if self._retry.isActive():
            if self._offline and action is not None:  # the count of what waits grows
                self._show_offline(self._retry.remainingTime() / 1000)
            return  # the retry after the last failure takes this edit along
        if action is not None and self.has_remote():
            now = self._now()
            if self._burst_started is None:
                self._burst_started = now
            due = self._schedule.policy.push_at(self._burst_started, now)
            self._soon.start(max(0, round((due - now) * 1000)))

    @Slot(object)
    def _on_finished(self, report: SyncReport) -> None:
        self._reload()
        when = datetime.now().strftime("%H:%M")
        text = f"Synced at {when}: {report.pulled_actions} in, {report.pushed_actions} out"
        if report.clock_warning:
            text = f"{text}. {report.clock_warning}"
        self._backoff.succeeded()
        self._offline = False
        self._retry.stop()
        self._schedule.round_finished(self._now())
        self._done()
        self._plan()
        self.status_changed.emit(text)
        self.synced.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._failed(message, offline=False)

    @Slot(str)
    def _on_offline(self, message: str) -> None:
        self._failed(message, offline=True)

    def _failed(self, message: str, *, offline: bool) -> None:
        # The round may have failed after its pull was saved (the push found the
        # remote gone): the view on disk moved on, so show it all the same.
        self._reload()
        wait_s = self._backoff.failed()
        self._schedule.round_finished(self._now())
        self._poll.stop()  # the backoff decides when to ask again, not the timer
        self._soon.stop()
        self._retry.start(round(wait_s * 1000))
        self._again = False  # a request made during this round waits for the retry too
        self._done()
        self._offline = offline
        if offline:  # edits go on locally; say what waits, not that something broke
            self._show_offline(wait_s)
        else:
            text = message.rstrip(".")
            self.status_changed.emit(
                f"Sync failed: {text}. Next try in {describe_wait(wait_s)}; F5 tries now."
            )
        self.sync_failed.emit(message)

    def _show_offline(self, wait_s: float) -> None:
        try:
            pending = self._app.local.pending_count()
        except (StorageError, sqlite3.Error):  # a count is not worth an error of its own
            pending = 0
        self.status_changed.emit(offline_text(pending, describe_wait(wait_s)))

    @Slot(str, bool)
    def _on_needs_passphrase(self, label: str, confirm: bool) -> None:
        from desktop_app.ui.passphrase_dialog import PassphraseDialog

        self._again = False  # the retry after the dialog takes any request along
        self._done()
        self.status_changed.emit("Waiting for the encrypted vault's passphrase")
        dialog = PassphraseDialog(label, confirm, self.dialog_parent)
        dialog.finished.connect(lambda result: self._on_passphrase(dialog, result))
        self.passphrase_dialog = dialog
        dialog.open()
        self.passphrase_asked.emit(dialog)

    def _on_passphrase(self, dialog: PassphraseDialog, result: int) -> None:
        self.passphrase_dialog = None
        dialog.deleteLater()
        config = get_remote(self._app.local)
        if result != QDialog.DialogCode.Accepted or config is None:
            self._declined = True
            self.status_changed.emit(
                "Working offline: the encrypted vault's passphrase was not entered. F5 asks again."
            )
            return
        encryption.keep_passphrase(config, dialog.passphrase(), remember=dialog.remember())
        self._start_round()

    def _reload(self) -> None:
        try:
            self._app.reload_view(only_if_changed=True)
        except AppError as exc:  # the database went away mid-round: say so, keep going
            self.status_changed.emit(f"Could not reload after sync: {exc}")

    def _done(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            QTimer.singleShot(0, self._sync_automatically)  # F5 cleared _declined

    def shutdown(self) -> None:
        """Stop timers and the thread; waits for a round in progress to end. Idempotent."""
        if not self._thread.isRunning():
            return
        self._poll.stop()
        self._soon.stop()
        self._retry.stop()
        self._unsubscribe()
        self._thread.quit()
        self._thread.wait()
