"""Ctrl+M: pick the list to move to by typing a few letters, then Enter (as in Things)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import State
from desktop_app.core.views import sorted_lists

NO_LIST_LABEL = "No list"
LIST_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 10


class ListPicker(QDialog):
    """Choose a list (or No list); ``chosen`` is ``(True, list_id or None)`` after Enter."""

    def __init__(
        self, state: State, what: str, current: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("listPicker")
        self.setWindowTitle("Move to list")
        self.chosen: tuple[bool, str | None] = (False, None)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Type to find a list")
        self.filter_edit.textChanged.connect(self._filter)
        self.filter_edit.installEventFilter(self)
        self.lists = QListWidget()
        self.lists.setObjectName("listPickerLists")
        entries = [(NO_LIST_LABEL, None)] + [(lst.name, lst.id) for lst in sorted_lists(state)]
        for label, list_id in entries:
            item = QListWidgetItem(label)
            item.setData(LIST_ID_ROLE, list_id)
            if list_id == current:
                item.setText(f"{label}  (now)")
            self.lists.addItem(item)
        self.lists.itemActivated.connect(self._choose_item)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Move")
        buttons.accepted.connect(self._choose_current)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Move {what} to:"))
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.lists, 1)
        layout.addWidget(buttons)
        self.resize(320, 360)
        self._filter("")

    def visible_labels(self) -> list[str]:
        return [
            self.lists.item(i).text()
            for i in range(self.lists.count())
            if not self.lists.item(i).isHidden()
        ]

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        first = None
        for i in range(self.lists.count()):
            item = self.lists.item(i)
            hidden = bool(needle) and needle not in item.text().casefold()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.lists.setCurrentItem(first)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up and Down in the filter move through the lists, so the hands stay on the keys.
        arrows = (Qt.Key.Key_Up, Qt.Key.Key_Down)
        if (
            watched is self.filter_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in arrows
        ):
            self._step(-1 if event.key() == Qt.Key.Key_Up else 1)
            return True
        return super().eventFilter(watched, event)

    def _step(self, delta: int) -> None:
        rows = [i for i in range(self.lists.count()) if not self.lists.item(i).isHidden()]
        if not rows:
            return
        current = self.lists.currentRow()
        position = rows.index(current) + delta if current in rows else 0
        self.lists.setCurrentRow(rows[max(0, min(position, len(rows) - 1))])

    def _choose_current(self) -> None:
        item = self.lists.currentItem()
        if item is not None and not item.isHidden():
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        self.chosen = (True, item.data(LIST_ID_ROLE))
        self.accept()
