"""Notes of the current scope as a one-column list (title; pinned ones bold)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from desktop_app.core import Note, State
from desktop_app.ui.models.rows import ID_ROLE, ScopedRowsModel
from desktop_app.ui.problem_marks import TOOLTIP, marked_ids, warning_icon
from desktop_app.ui.scope import Scope, select_notes

AnyIndex = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
PREVIEW_CHARS = 300


class NoteListModel(ScopedRowsModel):
    HEADERS = ("Title",)
    SEARCHED = "notes"

    def unfiltered_key(self, state: State) -> tuple[tuple[object, ...], tuple[object, ...]]:
        return (state.notes, state.lists), (self._scope,)

    def select_unfiltered(self, state: State) -> Sequence[Note]:
        return select_notes(state, self._scope)

    def shows(self, state: State, item: Note) -> bool:
        return not self._scope.tasks_only and self._scope.contains(state, item, date.today())

    def order_key(self, item: Note) -> object:
        return (item.pinned, item.created)

    def counted(self, state: State, scope: Scope, needle: str) -> Sequence[Note]:
        """The notes the status bar counts: the rows shown, unless asked about others."""
        if state is self._state and (scope, needle) == (self._scope, self._filter):
            return self._rows
        return select_notes(state, scope, needle, self._haystacks)

    def affected(self, old: State, new: State) -> bool:
        return old.notes is not new.notes or old.lists is not new.lists

    def data(self, index: AnyIndex, role: int = Role.DisplayRole) -> Any:
        note: Note | None = self.item_at(index.row()) if index.isValid() else None
        if note is None or index.column() != 0:
            return None
        if role in (Role.DisplayRole, Role.EditRole):
            return note.title
        if role == ID_ROLE:
            return note.id
        marked = note.id in marked_ids(self._session.state)
        if role == Role.ToolTipRole:
            preview = note.body[:PREVIEW_CHARS].strip()
            if marked:
                preview = f"{TOOLTIP}\n\n{preview}"
            return preview or None
        if role == Role.FontRole and note.pinned:
            font = QFont()
            font.setBold(True)
            return font
        if role == Role.DecorationRole and marked:
            return warning_icon()
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: AnyIndex, value: Any, role: int = Role.EditRole) -> bool:
        note: Note | None = self.item_at(index.row()) if index.isValid() else None
        if note is None or role != Role.EditRole or value is None:
            return False
        return self._session.call(self._session.app.edit, note.id, title=str(value))[0]
