"""The tasks table: inline editing, a priority picker, Space to toggle done, header sorting.

Rows drag onto the sidebar (a list, or No list) to move there. Sorting cycles
ascending, descending, then back to creation order on a third click.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop_app.ui.delegates import DueDateDelegate, PriorityDelegate
from desktop_app.ui.models import TaskColumn, TaskTableModel
from desktop_app.ui.shortcuts import keys
from desktop_app.ui.view_state import KeepCurrent

Trigger = QAbstractItemView.EditTrigger


class TaskTable(QTableView):
    def __init__(self, model: TaskTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tasks")
        # Hidden before the model comes: a visible row header asks the model for
        # ~900 row labels (10,000 rows) that nobody sees, before the first paint.
        self.verticalHeader().hide()
        self.setModel(model)
        self._model = model
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            Trigger.DoubleClicked | Trigger.EditKeyPressed | Trigger.SelectedClicked
        )
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setItemDelegateForColumn(TaskColumn.PRIORITY, PriorityDelegate(self))
        self.setItemDelegateForColumn(TaskColumn.DUE, DueDateDelegate(self))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TaskColumn.TITLE, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        header.resizeSection(TaskColumn.DONE, metrics.horizontalAdvance("Done") + 28)
        header.resizeSection(TaskColumn.DUE, metrics.horizontalAdvance("0000-00-00") + 28)
        header.resizeSection(TaskColumn.PRIORITY, metrics.horizontalAdvance("Normal") + 40)
        header.resizeSection(TaskColumn.TAGS, metrics.horizontalAdvance("#tag #tag #tag") + 20)
        header.resizeSection(TaskColumn.LIST, metrics.horizontalAdvance("Groceries and") + 20)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setTabKeyNavigation(False)  # Tab leaves the table, as in any form
        KeepCurrent(self, model)

        self.toggle_done_action = QAction("Toggle done", self)
        self.toggle_done_action.setShortcuts(keys("toggle_done"))
        self.toggle_done_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.toggle_done_action.triggered.connect(self.toggle_selected)
        self.addAction(self.toggle_done_action)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._model.forget_palette()
        super().changeEvent(event)

    def selected_ids(self) -> list[str]:
        """Selected task ids in row order (the current row if nothing is selected)."""
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        if not rows and self.currentIndex().isValid():
            rows = [self.currentIndex().row()]
        return [i for r in rows if (i := self._model.id_at(r)) is not None]

    def select_id(self, task_id: str) -> None:
        row = self._model.row_of(task_id)
        if row >= 0:
            self.selectRow(row)
            self.scrollTo(self._model.index(row, TaskColumn.TITLE))

    def show_list_column(self, show: bool) -> None:
        self.setColumnHidden(TaskColumn.LIST, not show)

    def toggle_selected(self) -> None:
        self._model.toggle_done(self.selected_ids())
