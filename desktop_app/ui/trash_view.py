"""The Trash: deleted tasks, notes and lists, with Restore, Delete for ever and Empty Trash.

Every button is one engine call (``app/trash.py``), so one action that syncs.
Enter restores the selected rows, Delete forgets them after asking; the 30-day
purge runs when the app opens (``ui/main.py``), not here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.app import trash
from desktop_app.core import State
from desktop_app.core.trash import KEEP_FOR, TrashEntry
from desktop_app.ui.session import AppSession

ID_ROLE = Qt.ItemDataRole.UserRole


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%d %b %Y %H:%M") if moment else "a while ago"


class TrashView(QWidget):
    def __init__(
        self,
        session: AppSession,
        show_message: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._show_message = show_message
        self._filter = ""
        self._deleted = None  # the tombstone map last shown: skip work when unchanged
        # Asks before forgetting anything; tests replace it.
        self.confirm: Callable[[str], bool] = self._ask

        self.table = QTreeWidget()
        self.table.setObjectName("trash")
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setHeaderLabels(["Title", "Kind", "Deleted"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setColumnWidth(0, 360)
        self.table.itemActivated.connect(lambda *_: self.restore_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)

        days = KEEP_FOR.days
        self.note = QLabel(
            f"Deleted items stay here for {days} days, then go for good. "
            "Enter restores the selected ones; Delete removes them for ever."
        )
        self.note.setWordWrap(True)
        self.restore_button = QPushButton("&Restore")
        self.restore_button.clicked.connect(self.restore_selected)
        self.forget_button = QPushButton("Delete for E&ver…")
        self.forget_button.clicked.connect(self.forget_selected)
        self.empty_button = QPushButton("Empty &Trash…")
        self.empty_button.clicked.connect(self.empty)
        buttons = QHBoxLayout()
        for button in (self.restore_button, self.forget_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.empty_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        session.state_changed.connect(self._on_state)
        self.refresh()

    # -- what is shown -------------------------------------------------------------------

    def entries(self) -> list[TrashEntry]:
        needle = self._filter.casefold()
        return [e for e in trash.entries(self._session.app) if needle in e.title.casefold()]

    def set_filter(self, text: str) -> None:
        self._filter = text.strip()
        self.refresh()

    def _on_state(self, state: State, action: object) -> None:
        if state.deleted is not self._deleted:
            self.refresh()

    def refresh(self) -> None:
        self._deleted = self._session.state.deleted
        chosen = set(self.selected_ids())
        current = self.table.currentItem()
        current_id = current.data(0, ID_ROLE) if current else None
        self.table.clear()
        for entry in self.entries():
            row = QTreeWidgetItem([entry.title, entry.kind, _when(entry.deleted_at)])
            row.setData(0, ID_ROLE, entry.id)
            self.table.addTopLevelItem(row)
            row.setSelected(entry.id in chosen)
            if entry.id == current_id:
                self.table.setCurrentItem(
                    row, 0, self.table.selectionModel().SelectionFlag.NoUpdate
                )
        if self.table.currentItem() is None and self.table.topLevelItemCount():
            self.table.setCurrentItem(self.table.topLevelItem(0))
        self._update_buttons()

    def selected_ids(self) -> list[str]:
        rows = self.table.selectedItems()
        if not rows and (current := self.table.currentItem()) is not None:
            rows = [current]
        return [r.data(0, ID_ROLE) for r in rows]

    def _update_buttons(self) -> None:
        has_rows = self.table.topLevelItemCount() > 0
        self.restore_button.setEnabled(has_rows)
        self.forget_button.setEnabled(has_rows)
        self.empty_button.setEnabled(bool(self._session.state.deleted))

    # -- what the user does ----------------------------------------------------------------

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = f"{len(ids)} items" if len(ids) > 1 else self._title(ids[0])
        ok, action = self._session.call(trash.restore, self._session.app, ids)
        if ok and action is not None:
            self._show_message(f"Restored {what}. Ctrl+Z deletes it again.")

    def forget_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = f"{len(ids)} items" if len(ids) > 1 else self._title(ids[0])
        if not self.confirm(f"Delete {what} for ever? This cannot be undone."):
            return
        ok, action = self._session.call(trash.purge, self._session.app, ids)
        if ok and action is not None:
            self._show_message(f"Deleted {what} for ever.")

    def empty(self) -> None:
        count = len(trash.entries(self._session.app))
        if not count:
            return
        if not self.confirm(
            f"Delete all {count} items in the trash for ever? This cannot be undone."
        ):
            return
        ok, action = self._session.call(trash.empty, self._session.app)
        if ok and action is not None:
            self._show_message(f"Emptied the trash ({count} items).")

    def _title(self, item_id: str) -> str:
        entry = next((e for e in trash.entries(self._session.app) if e.id == item_id), None)
        return f"“{entry.title}”" if entry else "the item"

    def _ask(self, question: str) -> bool:
        from PySide6.QtWidgets import QMessageBox  # a dialog's class: made when first used

        answer = QMessageBox.question(
            self,
            "Tidemark",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
