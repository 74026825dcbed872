"""The sidebar: All, the smart lists, No list, every list by name, then every tag.

Each row shows its open-task count. Tasks and notes dropped on a list (or on
No list) move there, as one action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec
from PySide6.QtCore import QMimeData, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from desktop_app.core import State
from desktop_app.core.views import sorted_lists
from desktop_app.ui import organise
from desktop_app.ui.models.rows import ID_ROLE, ITEM_IDS_MIME, RowsModel, item_ids_of
from desktop_app.ui.models.sidebar_counts import CountsMemo, SidebarCounts
from desktop_app.ui.problem_marks import TOOLTIP, marked_ids, warning_icon
from desktop_app.ui.scope import (
    ALL,
    COMPLETED,
    NO_LIST,
    TODAY,
    TRASH,
    UPCOMING,
    Scope,
    list_scope,
    tag_scope,
)
from desktop_app.ui.session import AppSession

AnyIndex = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
SCOPE_ROLE = ID_ROLE + 1
COUNT_ROLE = ID_ROLE + 2
GROUP_START_ROLE = ID_ROLE + 3  # the first row of lists, and of tags: a rule above it


class SidebarRow(msgspec.Struct, frozen=True):
    """One sidebar entry; a value, so an unchanged row compares equal and is not repainted."""

    id: str
    label: str
    scope: Scope
    open_tasks: int
    group_start: bool = False

    @property
    def is_list(self) -> bool:
        return self.scope.kind == "list"

    @property
    def takes_drops(self) -> bool:
        """Dropping an item means 'move it here': only lists and No list can say where."""
        return self.scope.kind in ("list", "none")


def sidebar_rows(
    state: State, today: date, counts: SidebarCounts | None = None
) -> list[SidebarRow]:
    """The rows; ``counts`` are ``state``'s when the caller kept them up to date."""
    counts = counts or SidebarCounts.of(state, today)
    per_list, per_tag = counts.per_list, counts.per_tag
    due_today, upcoming = counts.due_today, counts.upcoming
    tags = set(per_tag).union(counts.note_tags)
    rows = [
        SidebarRow("*all", "All", ALL, sum(per_list.values())),
        SidebarRow("*today", "Today", TODAY, due_today),
        SidebarRow("*upcoming", "Upcoming", UPCOMING, upcoming),
        SidebarRow("*completed", "Completed", COMPLETED, 0),
        SidebarRow("*none", "No list", NO_LIST, per_list.get(None, 0), group_start=True),
    ]
    rows += [
        SidebarRow(lst.id, lst.name, list_scope(lst.id), per_list.get(lst.id, 0))
        for lst in sorted_lists(state)
    ]
    rows += [
        SidebarRow(f"#{tag}", f"#{tag}", tag_scope(tag), per_tag.get(tag, 0), group_start=i == 0)
        for i, tag in enumerate(sorted(tags, key=lambda t: (t.casefold(), t)))
    ]
    # Its count is of deleted items (not open tasks): how much the trash holds.
    rows.append(SidebarRow("*trash", "Trash", TRASH, counts.trash, True))
    return rows


class SidebarModel(RowsModel):
    HEADERS = ("Lists",)
    moved = Signal(str)  # what a drop did, in words, for the status bar

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        self._counts = CountsMemo()  # before the first select, which super() makes
        if (preview := session.preview) is not None:
            self._counts.seed(preview.state, preview.today, preview.counts)
        super().__init__(session, parent)

    def counts_of(self, state: State, today: date) -> SidebarCounts:
        """The sidebar's numbers for ``state`` (from the last ones, when they lead there)."""
        return self._counts.counts(state, today)

    def select(self, state: State) -> Sequence[SidebarRow]:
        today = self._session.today()
        return sidebar_rows(state, today, self._counts.counts(state, today))

    def affected(self, old: State, new: State) -> bool:
        return (
            old.tasks is not new.tasks
            or old.lists is not new.lists
            or (
                old.notes is not new.notes  # a note's tags make tag rows
            )
        )

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
        if role == GROUP_START_ROLE:
            return row.group_start
        marked = row.id is not None and row.id in marked_ids(self._session.state)
        if role == Role.DecorationRole and marked:
            return warning_icon()
        if role == Role.ToolTipRole:
            if row.scope == COMPLETED:
                return "Tasks marked done, in every list"
            tip = f"{row.open_tasks} open task(s)"
            tip = f"{tip}. Drop tasks or notes here to move them." if row.takes_drops else tip
            return tip + (f"\n{TOOLTIP}" if marked else "")
        if role == Role.FontRole and not row.is_list and row.scope.kind != "tag":
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        row: SidebarRow | None = self.item_at(index.row()) if index.isValid() else None
        if row is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if row.takes_drops:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags | Qt.ItemFlag.ItemIsEditable if row.is_list else flags

    def setData(self, index: AnyIndex, value: Any, role: int = Role.EditRole) -> bool:
        row: SidebarRow | None = self.item_at(index.row()) if index.isValid() else None
        if row is None or not row.is_list or role != Role.EditRole or value is None:
            return False
        return self._session.call(self._session.app.edit, row.id, title=str(value))[0]

    # -- dropping tasks and notes on a list ----------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def _drop_target(self, row: int, parent: AnyIndex) -> SidebarRow | None:
        # Dropped onto an entry (parent is it), never between entries.
        if row != -1 or not parent.isValid():
            return None
        target: SidebarRow | None = self.item_at(parent.row())
        return target if target is not None and target.takes_drops else None

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        return bool(item_ids_of(data)) and self._drop_target(row, parent) is not None

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        target = self._drop_target(row, parent)
        ids = item_ids_of(data)
        if target is None or not ids:
            return False
        list_id = target.scope.list_id if target.is_list else None
        # The source rows are left alone (their models do not remove rows): the
        # store's echo moves them, as it does for every other edit.
        message = organise.move(self._session, ids, list_id)
        if message is not None:
            self.moved.emit(message)
        return message is not None
