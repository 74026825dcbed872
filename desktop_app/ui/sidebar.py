"""The list sidebar: All, No list and each list, with add, rename and delete buttons."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QMargins, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.delegates import CountDelegate
from desktop_app.ui.models import SidebarModel
from desktop_app.ui.models.list_model import COUNT_ROLE, GROUP_START_ROLE
from desktop_app.ui.scope import ALL, NO_LIST, Scope
from desktop_app.ui.view_state import KeepCurrent

Trigger = QAbstractItemView.EditTrigger
ROW_PADDING = QMargins(4, 3, 4, 3)  # left, top, right, bottom: room around each entry


class Sidebar(QWidget):
    scope_changed = Signal(object)  # Scope
    add_requested = Signal()
    rename_requested = Signal()
    delete_requested = Signal()

    def __init__(self, model: SidebarModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QListView()
        self.view.setObjectName("sidebar")
        # Connected before the view's own handlers, which move the current row to
        # the next one (it could be the Trash): a deleted list's items went to
        # No list, so that is where the view goes.
        self._current_removed = False
        model.rowsAboutToBeRemoved.connect(self._before_remove)
        self.view.setModel(model)
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(Trigger.DoubleClicked | Trigger.EditKeyPressed)
        self.delegate = CountDelegate(COUNT_ROLE, self.view, GROUP_START_ROLE, padding=ROW_PADDING)
        self.view.setItemDelegate(self.delegate)
        self.view.setAcceptDrops(True)  # tasks and notes dropped on a list move there
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.setDropIndicatorShown(True)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        KeepCurrent(self.view, model, on_lost=lambda: self.select_scope(ALL))
        model.rowsRemoved.connect(self._ensure_current)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for text, tip, signal in (
            ("+", "New list (Ctrl+Shift+L)", self.add_requested),
            ("✎", "Rename list (F2)", self.rename_requested),
            (
                "\N{MINUS SIGN}",
                "Delete list (Delete): its items move to No list",
                self.delete_requested,
            ),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.select_scope(ALL)

    @property
    def scope(self) -> Scope:
        current = self.view.currentIndex()
        row = self.model.item_at(current.row()) if current.isValid() else None
        return row.scope if row is not None else ALL

    def label_of(self, scope: Scope) -> str:
        row = self.model.row_of_scope(scope)
        return self.model.item_at(row).label if row >= 0 else "All"

    def select_scope(self, scope: Scope) -> None:
        row = self.model.row_of_scope(scope)
        if row < 0:
            row = self.model.row_of_scope(ALL)
        self.view.selectionModel().setCurrentIndex(
            self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def rename_current(self) -> None:
        current = self.view.currentIndex()
        if current.isValid() and self.model.flags(current) & Qt.ItemFlag.ItemIsEditable:
            self.view.edit(current)

    def _on_current(self) -> None:
        self.scope_changed.emit(self.scope)

    def _before_remove(self, parent: object, first: int, last: int) -> None:
        self._current_removed = first <= self.view.currentIndex().row() <= last

    def _ensure_current(self) -> None:
        if self._current_removed:
            self._current_removed = False
            self.select_scope(NO_LIST)
        elif not self.view.currentIndex().isValid():
            self.select_scope(ALL)
