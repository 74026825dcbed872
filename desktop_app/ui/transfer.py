"""File > Import and File > Export: file dialogs, a progress dialog, and the work off-thread.

Reading an Obsidian vault or writing thousands of files can take seconds, so the
work runs on a worker thread (``app.transfer``) while a progress dialog says so;
an import then lands on the GUI thread as one action (one Ctrl+Z). One transfer
at a time: the menu items are disabled while one runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.ui.background import run_in_background
from desktop_app.ui.session import AppSession

if TYPE_CHECKING:
    from PySide6.QtWidgets import QProgressDialog  # made with the first import or export

    from desktop_app.app.transfer import ImportPlan

PROGRESS_DELAY_MS = 400  # quick transfers never flash a dialog

EXPORT_FILTERS = {
    "Tidemark JSON, for backups and import (*.json)": "json",
    "One Markdown document, to read or print (*.md)": "markdown",
}


class _ImportProgress(QObject):
    """Carries the worker's (done, total) to the GUI thread, a few times a second."""

    moved = Signal(int, int)
    INTERVAL_S = 0.05

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:  # on the worker's thread
        now = time.monotonic()
        if now - self._last >= self.INTERVAL_S or (total and done == total):
            self._last = now
            self.moved.emit(done, total)  # queued: the dialog updates on the GUI thread


class Transfers(QObject):
    finished = Signal(str)  # what happened, in words
    progressed = Signal(str)  # how far a long import got, in words
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, session: AppSession, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._parent = parent
        self._progress: QProgressDialog | None = None
        self._import_progress: _ImportProgress | None = None
        self._importing = ""

    @property
    def busy(self) -> bool:
        return self._progress is not None

    # -- the menu's dialogs ------------------------------------------------------------------

    def choose_import_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # a dialog's class: made when first used

        path, _ = QFileDialog.getOpenFileName(
            self._parent,
            "Import a JSON export or a Markdown file",
            str(Path.home()),
            "Tidemark JSON or Markdown (*.json *.md *.markdown);;All files (*)",
        )
        if path:
            self.import_from(Path(path))

    def choose_import_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # a dialog's class: made when first used

        path = QFileDialog.getExistingDirectory(
            self._parent, "Import a folder of Markdown notes (Obsidian, Joplin…)", str(Path.home())
        )
        if path:
            self.import_from(Path(path))

    def choose_export_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # a dialog's class: made when first used

        path, chosen = QFileDialog.getSaveFileName(
            self._parent,
            "Export everything",
            str(Path.home() / "tidemark.json"),
            ";;".join(EXPORT_FILTERS),
        )
        if path:
            kind = EXPORT_FILTERS.get(chosen) or (
                "markdown" if path.lower().endswith(".md") else "json"
            )
            self.export_to(Path(path), kind)

    def choose_export_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # a dialog's class: made when first used

        path = QFileDialog.getExistingDirectory(
            self._parent, "Export as Markdown files into an empty folder", str(Path.home())
        )
        if path:
            self.export_to(Path(path), "markdown-folder")

    # -- the work ------------------------------------------------------------------------------

    def import_from(self, path: Path) -> None:
        """Read ``path`` off-thread, then dispatch it as one action."""
        if self.busy:
            return
        from desktop_app.app import transfer  # the exchange code loads when first used

        app = self._session.app
        self._start(f"Reading {path.name}…")
        progress = self._import_progress = _ImportProgress(self)
        self._importing = path.name
        progress.moved.connect(self._show_progress)  # a slot of this GUI-thread object: queued
        run_in_background(
            lambda: transfer.plan(app, path, progress), self._planned, self._failed, self
        )

    @Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        """Files found so far while the folder is walked; then n of N read."""
        dialog, name = self._progress, self._importing
        if dialog is None:
            return
        if total:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total - 1))  # the dialog closes itself at its maximum
            text = f"Reading {name}: {done:,} of {total:,} files…"
        else:
            text = f"Looking through {name}: {done:,} files found…"
        dialog.setLabelText(text)
        self.progressed.emit(text)

    def export_to(self, path: Path, kind: str) -> None:
        if self.busy:
            return
        from desktop_app.app import transfer

        state = self._session.state  # immutable: safe to hand to the worker
        self._start(f"Writing {path.name}…")
        run_in_background(
            lambda: transfer.export_to(state, path, kind), self._done, self._failed, self
        )

    def _start(self, text: str) -> None:
        from PySide6.QtWidgets import QProgressDialog  # a dialog's class: made when first used

        progress = QProgressDialog(text, "", 0, 0, self._parent)
        progress.setObjectName("transferProgress")
        progress.setWindowTitle("Tidemark")
        progress.setCancelButton(None)  # a half-read import is worth nothing: let it finish
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(PROGRESS_DELAY_MS)
        progress.setValue(0)
        self._progress = progress
        self.busy_changed.emit(True)

    def _stop(self) -> None:
        if self._import_progress is not None:
            self._import_progress.deleteLater()  # what it queued still arrives first
            self._import_progress = None
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None
        self.busy_changed.emit(False)

    def _planned(self, planned: ImportPlan) -> None:
        from desktop_app.app import transfer

        self._stop()
        ok, text = self._session.call(transfer.commit, self._session.app, planned)
        if ok and text:
            self.finished.emit(text)

    def _done(self, text: str) -> None:
        self._stop()
        self.finished.emit(text)

    def _failed(self, text: str) -> None:
        self._stop()
        self.failed.emit(text)
