"""Organising from the window: Move to (menu, Ctrl+M picker), and header sorting per view.

Every move is one ``move_items`` call, so one action and one Ctrl+Z, whatever
the number of items. The sort a view was last given is remembered per sidebar
entry (All, Today, each list...), in ``QSettings`` when the window has them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from desktop_app.app.organise import move_items
from desktop_app.core.views import sorted_lists
from desktop_app.ui.scope import Scope
from desktop_app.ui.session import AppSession

if TYPE_CHECKING:  # dialogs: made when first opened, not before the first paint
    from PySide6.QtWidgets import QHeaderView

MAX_MENU_LISTS = 30  # beyond that, the menu offers the picker (Ctrl+M)


def describe(session: AppSession, ids: Sequence[str]) -> str:
    """'“Buy milk”' for one item, '3 items' for more."""
    state = session.state
    if len(ids) == 1:
        item = state.tasks.get(ids[0]) or state.notes.get(ids[0])
        if item is not None:
            return f"“{item.title}”"
    return f"{len(ids)} items"


def move(session: AppSession, ids: Sequence[str], list_id: str | None) -> str | None:
    """Move and say so in words (None when the engine refused: it showed why)."""
    what = describe(session, ids)
    ok, action = session.call(move_items, session.app, ids, list_id)
    if not ok:
        return None
    target = session.state.lists.get(list_id) if list_id else None
    where = f"“{target.name}”" if target else "No list"
    if action is None:
        return f"{what} already in {where}."
    them = "it" if len(ids) == 1 else "them"
    return f"Moved {what} to {where}. Ctrl+Z moves {them} back."


def pick_and_move(session: AppSession, ids: Sequence[str], parent: QWidget) -> str | None:
    """Ctrl+M: the list picker, then the move; None when cancelled or nothing was selected."""
    if not ids:
        return None
    state = session.state
    first = state.tasks.get(ids[0]) or state.notes.get(ids[0])
    current = first.list_id if first is not None else None
    from PySide6.QtWidgets import QDialog

    from desktop_app.ui.list_picker import ListPicker  # with Ctrl+M, not at start-up

    picker = ListPicker(state, describe(session, ids), current, parent)
    picker.filter_edit.setFocus()
    if picker.exec() != QDialog.DialogCode.Accepted or not picker.chosen[0]:
        return None
    return move(session, ids, picker.chosen[1])


def move_menu(
    session: AppSession,
    ids: Sequence[str],
    parent: QWidget,
    report: Callable[[str], None],
) -> QMenu:
    """'Move to' with every list and No list; a long list of lists ends with the picker."""
    menu = QMenu("&Move to", parent)
    lists = sorted_lists(session.state)
    targets: list[tuple[str, str | None]] = [("No list", None)]
    targets += [(lst.name, lst.id) for lst in lists[:MAX_MENU_LISTS]]
    first = session.state.tasks.get(ids[0]) or session.state.notes.get(ids[0]) if ids else None
    for label, list_id in targets:
        action = menu.addAction(label.replace("&", "&&"))
        if len(ids) == 1 and first is not None and first.list_id == list_id:
            action.setCheckable(True)
            action.setChecked(True)  # where it is now
        action.triggered.connect(
            lambda _=False, target=list_id: (msg := move(session, ids, target)) and report(msg)
        )
    menu.addSeparator()
    more = menu.addAction("Other list… (Ctrl+M)")
    more.triggered.connect(lambda: (msg := pick_and_move(session, ids, parent)) and report(msg))
    return menu


def context_menu(
    parent: QWidget,
    session: AppSession,
    ids: Sequence[str],
    actions: Sequence[QAction | None],
    report: Callable[[str], None],
) -> QMenu:
    """The right-click menu of tasks or notes: Move to, then the window's own actions."""
    menu = QMenu(parent)
    menu.addMenu(move_menu(session, ids, menu, report))
    menu.addSeparator()
    for action in actions:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    return menu


def scope_key(scope: Scope) -> str:
    return f"{scope.kind}:{scope.list_id or ''}"


class SortMemory(QObject):
    """Remembers the header sort of each view and restores it when the view comes back."""

    def __init__(self, header: QHeaderView, settings: QSettings | None) -> None:
        super().__init__(header)
        self._header = header
        self._settings = settings
        self._sorts: dict[str, tuple[int, Qt.SortOrder]] = {}
        self._key: str | None = None
        self._restoring = False
        header.sortIndicatorChanged.connect(self._remember)

    def switch(self, scope: Scope) -> None:
        """Show ``scope``'s own sort (creation order the first time)."""
        self._key = scope_key(scope)
        column, order = self._sorts.get(self._key) or self._load(self._key)
        self._restoring = True
        try:
            self._header.setSortIndicator(column, order)
        finally:
            self._restoring = False

    def _remember(self, column: int, order: Qt.SortOrder) -> None:
        if self._key is None or self._restoring:
            return
        self._sorts[self._key] = (column, order)
        if self._settings is not None:
            self._settings.setValue(f"sort/{self._key}", f"{column} {order.value}")

    def _load(self, key: str) -> tuple[int, Qt.SortOrder]:
        raw = self._settings.value(f"sort/{key}") if self._settings is not None else None
        try:
            column, order = (int(x) for x in str(raw).split())
            return column, Qt.SortOrder(order)
        except (TypeError, ValueError):
            return -1, Qt.SortOrder.AscendingOrder
