"""A quiet sentence in an empty list: what to do next, or that the filter found nothing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel

from desktop_app.ui import colours


class EmptyState(QLabel):
    """Shown over ``view``'s viewport while its model has no rows; ``text()`` is asked each time.

    It moves onto the viewport the first time the list is empty: a list with rows at
    start-up never asks PySide for its viewport before the first paint (the first
    plain ``QWidget`` handed back makes PySide create every widget class, ~6 ms).
    """

    def __init__(self, view: QAbstractItemView, text: Callable[[], str]) -> None:
        super().__init__(view)
        self.hide()
        self.setObjectName("emptyState")
        self._view, self._text = view, text
        self._placed = False
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        model = view.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self.refresh)
        self.refresh()

    def place(self) -> None:
        """Onto the viewport, in its colours, following its size and palette from now on
        (once; the window also calls it before a search's first key can empty the list)."""
        if self._placed:
            return
        self._placed = True
        viewport = self._view.viewport()
        self.setParent(viewport)
        self._apply_palette()
        viewport.installEventFilter(self)

    def _apply_palette(self) -> None:
        """Quiet but readable on the list's background, in a light or a dark palette."""
        palette = self.palette()
        quiet = colours.placeholder(self._view.viewport().palette())
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, QPalette.ColorRole.WindowText, quiet)
        self.setPalette(palette)

    def refresh(self) -> None:
        empty = self._view.model().rowCount() == 0
        if empty:
            self.place()
        if empty:
            self.setText(self._text())
            self.setGeometry(self._view.viewport().rect().adjusted(24, 24, -24, -24))
        self.setVisible(empty)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.refresh()
        elif event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        return super().eventFilter(watched, event)
