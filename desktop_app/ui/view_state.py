"""Keeping the current and selected rows (by item id) across a model reset.

Resets happen when rows move (a rename re-sorts the sidebar); without this the
view would drop the user's place every time.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QObject
from PySide6.QtWidgets import QAbstractItemView

from desktop_app.ui.models.rows import RowsModel

Flag = QItemSelectionModel.SelectionFlag


class KeepCurrent(QObject):
    def __init__(
        self,
        view: QAbstractItemView,
        model: RowsModel,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(view)
        self._view, self._model, self._on_lost = view, model, on_lost
        self._current: str | None = None
        self._selected: list[str] = []
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self._restore)

    def _remember(self) -> None:
        current = self._view.currentIndex()
        self._current = self._model.id_at(current.row()) if current.isValid() else None
        rows = {i.row() for i in self._view.selectionModel().selectedIndexes()}
        self._selected = [i for r in sorted(rows) if (i := self._model.id_at(r)) is not None]

    def _restore(self) -> None:
        selection = self._view.selectionModel()
        row = self._model.row_of(self._current)
        if row >= 0:
            selection.setCurrentIndex(self._model.index(row, 0), Flag.NoUpdate)
        for item_id in self._selected:
            if (r := self._model.row_of(item_id)) >= 0:
                selection.select(self._model.index(r, 0), Flag.Select | Flag.Rows)
        if row < 0 and self._current is not None and self._on_lost is not None:
            self._on_lost()
        self._current, self._selected = None, []
