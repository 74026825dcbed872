"""``run(data_dir)``: the desktop app's entry point (the launcher calls it).

Opening ``App`` only reads the local checkpoint plus the few actions journaled
after it, and the first paint comes from the screen the last session saved
while nothing changed since (``ui.first_screen``), so the window appears at
once; closing the window checkpoints, and ``App.close()`` runs however the
event loop ends. Nothing else comes before the first paint: the 30-day purge
and sync (the keyring, boto3, the sync modules) start on the event-loop turn
after it (``MainWindow.first_painted``).
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from desktop_app.app import App, AppError
from desktop_app.sync.collector import StartUpPause
from desktop_app.ui import system_libraries
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.profile import window_settings
from desktop_app.ui.resources import app_icon

if TYPE_CHECKING:
    from desktop_app.ui.sync_worker import SyncController

APP_NAME = "Tidemark"
ORGANIZATION = "Tidemark"
ORGANIZATION_DOMAIN = "tidemark.app"
# The desktop entry's id (packaging/<id>.desktop): Wayland's app id and the launcher
# icon the window groups under.
DESKTOP_ID = "io.github.tidemark.Tidemark"
log = logging.getLogger(__name__)
STARTUP_SYNC_DELAY_MS = 500  # after the window is up: start-up never waits on the network


# Signals that ask a program to end (SIGHUP: its terminal closed; absent on Windows).
CLOSING_SIGNALS = tuple(
    sig for name in ("SIGINT", "SIGTERM", "SIGHUP") if (sig := getattr(signal, name, None))
)


def application() -> QApplication:
    """The process's QApplication (created once), named so QSettings has a home."""
    qt_app = QApplication.instance()
    if not isinstance(qt_app, QApplication):
        qt_app = QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setApplicationDisplayName(APP_NAME)
    qt_app.setOrganizationName(ORGANIZATION)
    qt_app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    # The icon and the check-box style come after the first paint (Started).
    qt_app.setDesktopFileName(DESKTOP_ID)
    return qt_app


def _report_unexpected(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """A bug in a slot: log the traceback, show the user one plain sentence."""
    log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, exc, tb)))
    window = QApplication.activeWindow()
    if isinstance(window, MainWindow):
        window.show_error(f"Something went wrong ({kind.__name__}); details are in the log.")


class Started:
    """What ``run`` starts after the first paint, so that it can stop it however it ends."""

    def __init__(self, *, smoke: bool = False) -> None:
        self.sync: SyncController | None = None
        self.smoke = smoke  # --smoke: nothing to sync, only the window to draw

    def after_first_paint(self, engine: App, window: MainWindow) -> None:
        from desktop_app.app import settings, trash
        from desktop_app.ui import indicator_style
        from desktop_app.ui.sync_worker import SyncController

        QApplication.setWindowIcon(app_icon())  # dialogs' too (the window has set its own)
        # A Python style sees every primitive drawn, and PySide makes QStyle's and every
        # style option's classes for it: ~8 ms the first paint does without (its check
        # boxes are framed by Fusion alone for that one frame).
        if isinstance(qt_app := QApplication.instance(), QApplication):
            indicator_style.install(qt_app)
        try:  # the 30-day purge: one action naming the ids, so replicas agree
            trash.purge_expired(engine)
        except AppError as exc:  # the trash is only kept longer; say so and carry on
            log.warning("could not purge the trash: %s", exc)
        interval_ms = settings.sync_interval_s(engine) * 1000
        self.sync = SyncController(engine, poll_interval_ms=interval_ms)
        window.attach_sync(self.sync)
        if not self.smoke:
            self.sync.sync_soon(STARTUP_SYNC_DELAY_MS)

    def shutdown(self) -> None:
        if self.sync is not None:
            self.sync.shutdown()


def _smoke_check(window: MainWindow, failures: list[str]) -> None:
    """--smoke: once the shown window's events are processed, draw it whole, then close it."""
    QApplication.processEvents()
    if window.grab().isNull():
        failures.append("the window could not be drawn")
    window.close()


def run(data_dir: Path, *, smoke: bool = False, pause: StartUpPause | None = None) -> int:
    """Open the window on ``data_dir`` until it closes; ``smoke`` closes it once drawn.

    ``pause``: the collector's start-up pause, if the caller began it before importing
    this module (``launcher.open_window``); it ends on the turn after the first paint."""
    collector = pause if pause is not None else StartUpPause()
    if QApplication.instance() is None and (missing := system_libraries.check()) is not None:
        collector.resume()
        print(missing.message(), file=sys.stderr)  # Qt would abort with a misleading one
        return 1
    qt_app = application()
    try:
        # Lazy: the first paint may come from the screen the last session saved
        # (ui.first_screen); the state is read on the turn after it.
        engine = App(data_dir, lazy=True)
    except AppError as exc:
        collector.resume()
        from PySide6.QtWidgets import QMessageBox  # a dialog's class: made when first used

        qt_app.setWindowIcon(app_icon())
        QMessageBox.critical(None, APP_NAME, f"Tidemark cannot open its data.\n\n{exc}")
        return 1
    old_hook = sys.excepthook
    old_handlers = {sig: signal.getsignal(sig) for sig in CLOSING_SIGNALS}
    started = Started(smoke=smoke)
    try:
        prefs = window_settings(data_dir)
        window = MainWindow(engine, prefs)
        window.first_painted.connect(collector.resume)
        window.first_painted.connect(lambda: started.after_first_paint(engine, window))
        window.closed.connect(qt_app.quit)
        failures: list[str] = []

        def report(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
            failures.append(f"{kind.__name__}: {exc}")
            _report_unexpected(kind, exc, tb)

        sys.excepthook = report
        # Ctrl+C in the terminal, `kill`, a logout or a closed terminal close the
        # window the normal way: the note typed in the last moment is saved, then
        # the checkpoint and the window state. The idle timer lets Python run its
        # signal handler during exec().
        for sig in CLOSING_SIGNALS:
            signal.signal(sig, lambda *_: window.close())
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(250)
        if smoke:  # after what the first paint starts (sync included), so that is checked too
            window.first_painted.connect(
                lambda: QTimer.singleShot(0, lambda: _smoke_check(window, failures))
            )
        window.show()
        code = qt_app.exec()
        # Closing the last window quits a second time; drop that queued Quit so a
        # later event loop in this process (tests, an embedding host) is not ended.
        QCoreApplication.removePostedEvents(qt_app, QEvent.Type.Quit)
        prefs.sync()  # now, not when Python frees it: the profile may be gone by then
        if smoke and failures:
            print(f"Tidemark smoke test failed: {'; '.join(failures)}", file=sys.stderr)
            return 1
        return code
    finally:
        collector.resume()
        sys.excepthook = old_hook
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
        started.shutdown()
        engine.close()
