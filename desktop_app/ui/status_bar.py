"""The status bar: transient messages on the left; counts and sync status on the right."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton, QWidget

from desktop_app.ui.sync_status import SyncStatusLabel

MESSAGE_MS = 4000
ERROR_MS = 8000


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("counts")
        self.sync_label = SyncStatusLabel("Local only")
        self.counts_label.setContentsMargins(0, 0, 12, 0)
        self.sync_label.setContentsMargins(0, 0, 6, 0)
        self.addPermanentWidget(self.counts_label)
        self.addPermanentWidget(self.sync_label)
        # The conflict badge (a tool button, added on the turn after the first paint)
        # is taller than a label, and a status bar is as tall as its tallest widget,
        # shown or not: room for it from the start, so nothing moves when it comes.
        probe = QToolButton()
        probe.setAutoRaise(True)
        probe.setText("⚠")
        self.counts_label.setMinimumHeight(probe.sizeHint().height())

    def show_info(self, text: str) -> None:
        self.showMessage(text, MESSAGE_MS)

    def show_error(self, text: str) -> None:
        self.showMessage(f"⚠ {text[:1].upper()}{text[1:]}", ERROR_MS)

    def set_counts(self, text: str) -> None:
        self.counts_label.setText(text)

    def set_sync(self, text: str) -> None:
        self.sync_label.setText(text)
