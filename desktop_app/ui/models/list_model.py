"""The sidebar: All, No list, then every list by name, each with its open-task count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from desktop_app.core import State
from desktop_app.core.views import sorted_lists
from desktop_app.ui.models.rows import ID_ROLE, RowsModel
from desktop_app.ui.problem_marks import TOOLTIP, marked_ids, warning_icon
from desktop_app.ui.scope import ALL, NO_LIST, Scope, list_scope
from desktop_app.ui.session import AppSession

AnyIndex = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
SCOPE_ROLE = ID_ROLE + 1
COUNT_ROLE = ID_ROLE + 2


@dataclass(frozen=True)
class SidebarRow:
    """One sidebar entry; a value, so an unchanged row compares equal and is not repainted."""

    id: str
    label: str
    scope: Scope
    open_tasks: int

    @property
    def is_list(self) -> bool:
        return self.scope.kind == "list"


def sidebar_rows(state: State) -> list[SidebarRow]:
    per_list: Counter[str | None] = Counter()
    for task in state.tasks.values():
        if not task.done:
            per_list[task.list_id if task.list_id in state.lists else None] += 1
    rows = [
        SidebarRow("*all", "All", ALL, per_list.total()),
        SidebarRow("*none", "No list", NO_LIST, per_list[None]),
    ]
    rows += [
        SidebarRow(lst.id, lst.name, list_scope(lst.id), per_list[lst.id])
        for lst in sorted_lists(state)
    ]
    return rows


class SidebarModel(RowsModel):
    HEADERS = ("Lists",)

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        super().__init__(session, parent)

    def select(self, state: State) -> Sequence[SidebarRow]:
        return sidebar_rows(state)

    def affected(self, old: State, new: State) -> bool:
        return old.tasks is not new.tasks or old.lists is not new.lists

    def row_of_scope(self, scope: Scope) -> int:
        return next((i for i, r in enumerate(self._rows) if r.scope == scope), -1)

    def data(self, index: AnyIndex, role: int = Role.DisplayRole) -> Any:
        row: SidebarRow | None = self.item_at(index.row()) if index.isValid() else None
        if row is None or index.column() != 0:
            return None
        if role in (Role.DisplayRole, Role.EditRole):
            return row.label
        if role == ID_ROLE:
            return row.id
        if role == SCOPE_ROLE:
            return row.scope
        if role == COUNT_ROLE:
            return row.open_tasks
        marked = row.id is not None and row.id in marked_ids(self._session.state)
        if role == Role.ToolTipRole:
            return f"{row.open_tasks} open task(s)" + (f"\n{TOOLTIP}" if marked else "")
        if role == Role.DecorationRole and marked:
            return warning_icon()
        if role == Role.FontRole and not row.is_list:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        row: SidebarRow | None = self.item_at(index.row()) if index.isValid() else None
        if row is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if row.is_list else flags

    def setData(self, index: AnyIndex, value: Any, role: int = Role.EditRole) -> bool:
        row: SidebarRow | None = self.item_at(index.row()) if index.isValid() else None
        if row is None or not row.is_list or role != Role.EditRole or value is None:
            return False
        return self._session.call(self._session.app.edit, row.id, title=str(value))[0]
