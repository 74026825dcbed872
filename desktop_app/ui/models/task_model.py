"""Tasks of the current scope as a table: done, title, due, priority, tags, list.

Every edit goes through ``App.edit`` (validation, one action per edit); the
model never changes its rows itself: it repaints when the store says so.
Sorting (a header click) and hiding completed tasks only change which rows are
selected and in what order; the order itself comes from ``core.views``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication

from desktop_app.core import Priority, State, Task
from desktop_app.core import actions as act
from desktop_app.ui import colours
from desktop_app.ui.models.rows import ID_ROLE, ScopedRowsModel
from desktop_app.ui.problem_marks import TOOLTIP, marked_ids, warning_icon
from desktop_app.ui.scope import Scope, select_tasks
from desktop_app.ui.session import AppSession

AnyIndex = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole


class TaskColumn(enum.IntEnum):
    DONE = 0
    TITLE = 1
    DUE = 2
    PRIORITY = 3
    TAGS = 4
    LIST = 5


_COLUMNS = tuple(TaskColumn)  # by position: cheaper than TaskColumn(n) in every data() call
# data() runs ~7 times per painted cell; plain ints spare an enum lookup per comparison,
# and the roles never answered return at once.
_DISPLAY, _EDIT, _CHECK = int(Role.DisplayRole), int(Role.EditRole), int(Role.CheckStateRole)
_FOREGROUND, _FONT = int(Role.ForegroundRole), int(Role.FontRole)
_DECORATION, _TOOLTIP = int(Role.DecorationRole), int(Role.ToolTipRole)
_ANSWERED = frozenset({ID_ROLE, _DISPLAY, _EDIT, _CHECK, _FOREGROUND, _FONT, _DECORATION, _TOOLTIP})
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)
_CHECK_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsUserCheckable
_EDIT_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsEditable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags

# The field each sort reads besides the creation order (``core.views.sort_tasks``);
# a list's name comes from its id (the lists themselves are checked unchanged).
_ORDER_FIELD = {
    "created": "id",
    "done": "done",
    "title": "title",
    "due": "due",
    "priority": "priority",
    "tags": "tags",
    "list": "list_id",
}
_CREATION_KEY = attrgetter("created", "id")

SORT_KEY = {
    TaskColumn.DONE: "done",
    TaskColumn.TITLE: "title",
    TaskColumn.DUE: "due",
    TaskColumn.PRIORITY: "priority",
    TaskColumn.TAGS: "tags",
    TaskColumn.LIST: "list",
}  # any other column (-1: no sort indicator) means creation order


def day_label(day: date, today: date) -> str:
    """Upcoming's day names, as short as an ISO date: 'Tomorrow', then 'Fri 28 Nov'."""
    if day == today + timedelta(days=1):
        return "Tomorrow"
    return f"{day:%a} {day.day} {day:%b}"


def parse_tags(text: str) -> set[str]:
    """``"#home, errand"`` -> ``{"home", "errand"}`` (the engine validates each)."""
    return {t.strip().lstrip("#") for t in text.replace(",", " ").split()} - {""}


def is_checked(value: Any) -> bool:
    """Views hand over an int or a ``Qt.CheckState``; both mean the same."""
    if isinstance(value, Qt.CheckState):
        return value == Qt.CheckState.Checked
    return int(value) == Qt.CheckState.Checked.value


class TaskTableModel(ScopedRowsModel):
    HEADERS = ("Done", "Title", "Due", "Priority", "Tags", "List")

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        self.today = session.today()
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._hide_done = False
        self._colours: dict[str, QColor] | None = None
        super().__init__(session, parent)

    # -- selection -----------------------------------------------------------------

    def unfiltered_key(self, state: State) -> tuple[tuple[object, ...], tuple[object, ...]]:
        self.today = self._session.today()  # 'overdue' stays right past midnight
        settings = (self._scope, self.today, self._sort_column, self._sort_order, self._hide_done)
        return (state.tasks, state.lists), settings

    def select_unfiltered(self, state: State) -> Sequence[Task]:
        return select_tasks(
            state,
            self._scope,
            "",
            today=self.today,
            sort=self.sort_key,
            descending=self._sort_order == Qt.SortOrder.DescendingOrder,
            hide_done=self._hide_done,
        )

    def counted(self, state: State, scope: Scope, needle: str, today: date) -> Sequence[Task]:
        """The tasks the status bar counts: this scope and filter, done ones included.

        While nothing is hidden these are the rows shown, so nothing is selected again
        (a keystroke in the filter would otherwise scan every task twice).
        """
        shown = state is self._state and (scope, needle, today) == (
            self._scope,
            self._filter,
            self.today,
        )
        if shown and not self._hide_done:
            return self._rows
        return select_tasks(state, scope, needle, today=today, sort=None, haystacks=self._haystacks)

    def shows(self, state: State, item: Task) -> bool:
        if self._hide_done and item.done and self._scope.kind != "completed":
            return False
        return self._scope.contains(state, item, self.today)

    def order_key(self, item: Task) -> object:
        return (item.created, getattr(item, _ORDER_FIELD[self._effective_sort()]))

    def insert_key(self) -> Callable[[Task], Any] | None:
        """Creation order, ascending: (created, id), unique per task."""
        if self._effective_sort() != "created" or self._sort_order != Qt.SortOrder.AscendingOrder:
            return None
        return _CREATION_KEY

    def _effective_sort(self) -> str:
        return "due" if self._scope.kind == "upcoming" else self.sort_key

    @property
    def sort_key(self) -> str:
        return SORT_KEY.get(self._sort_column, "created")  # type: ignore[call-overload]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: reorder the rows (the view keeps the current task by id)."""
        if (column, order) == (self._sort_column, self._sort_order):
            return
        self._sort_column, self._sort_order = column, order
        self.refresh()

    @property
    def hide_done(self) -> bool:
        return self._hide_done

    def set_hide_done(self, hide: bool) -> None:
        if hide != self._hide_done:
            self._hide_done = hide
            self.refresh()

    def affected(self, old: State, new: State) -> bool:
        return old.tasks is not new.tasks or old.lists is not new.lists

    # -- reading -------------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if role not in _ANSWERED:
            return None
        task: Task | None = self.item_at(index.row()) if index.isValid() else None
        if task is None:
            return None
        column = _COLUMNS[index.column()]
        if role == ID_ROLE:
            return task.id
        if role == _CHECK and column is TaskColumn.DONE:
            return Qt.CheckState.Checked if task.done else Qt.CheckState.Unchecked
        if role == _DISPLAY:
            return self._display(task, column)
        if role == _EDIT:
            return self._edit_text(task, column)
        if role == _FOREGROUND:
            return self._foreground(task, column)
        if role == _FONT and column is TaskColumn.TITLE and task.done:
            font = QFont()
            font.setStrikeOut(True)
            return font
        marks = column is TaskColumn.TITLE and role in (_DECORATION, _TOOLTIP)
        if marks and task.id in marked_ids(self._session.state):
            return warning_icon() if role == _DECORATION else TOOLTIP
        if role == _TOOLTIP and column is TaskColumn.DUE and task.due is not None:
            when = f"{task.due:%A} {task.due.day} {task.due:%B %Y}"
            return f"Overdue: {when}" if self._overdue(task) else when
        return None

    def _display(self, task: Task, column: TaskColumn) -> str | None:
        if column is TaskColumn.DONE:
            return None
        if column is TaskColumn.PRIORITY:
            return task.priority.name.capitalize()
        if column is TaskColumn.TAGS:
            return " ".join(f"#{t}" for t in sorted(task.tags))
        if column is TaskColumn.LIST:
            lst = self._state.lists.get(task.list_id) if task.list_id else None
            return lst.name if lst else ""
        if column is TaskColumn.DUE and task.due and self._scope.kind == "upcoming":
            return day_label(task.due, self.today)
        return self._edit_text(task, column)

    @staticmethod
    def _edit_text(task: Task, column: TaskColumn) -> str | None:
        if column is TaskColumn.TITLE:
            return task.title
        if column is TaskColumn.DUE:
            return task.due.isoformat() if task.due else ""
        if column is TaskColumn.PRIORITY:
            return task.priority.value
        if column is TaskColumn.TAGS:
            return " ".join(sorted(task.tags))
        return None

    def _overdue(self, task: Task) -> bool:
        return not task.done and task.due is not None and task.due < self.today

    def text_colours(self) -> dict[str, QColor]:
        """Muted, overdue and high-priority text, from the palette (``forget_palette``
        makes them again when it changes). Colours, not brushes: the delegate takes a
        colour as its text brush, and making the first ``QBrush`` makes PySide build
        the gradient and image classes it could be made from (~2 ms before the first
        paint)."""
        if self._colours is None:
            palette = QGuiApplication.palette()
            self._colours = {
                "muted": colours.muted(palette),
                "overdue": colours.overdue(palette),
                "high": colours.high_priority(palette),
            }
        return self._colours

    def forget_palette(self) -> None:
        """The palette changed (dark mode switched): recolour every row."""
        self._colours = None
        if self.rowCount():
            last = self.index(self.rowCount() - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Role.ForegroundRole])

    def _foreground(self, task: Task, column: TaskColumn) -> QColor | None:
        text = self.text_colours()
        if task.done:
            return text["muted"]
        if column is TaskColumn.DUE and self._overdue(task):
            return text["overdue"]
        if column is TaskColumn.PRIORITY:
            return text["high" if task.priority is Priority.HIGH else "muted"]
        if column in (TaskColumn.TAGS, TaskColumn.LIST):
            return text["muted"]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        # Rows drag onto a list in the sidebar.
        if index.column() == TaskColumn.DONE:
            return _CHECK_FLAGS
        if index.column() == TaskColumn.LIST:
            return _ROW_FLAGS  # moved with Ctrl+M, the context menu or a drag
        return _EDIT_FLAGS

    # -- writing --------------------------------------------------------------------------

    def setData(self, index: AnyIndex, value: Any, role: int = Role.EditRole) -> bool:
        task: Task | None = self.item_at(index.row()) if index.isValid() else None
        if task is None or value is None:
            return False
        column = _COLUMNS[index.column()]
        app = self._session.app
        if column is TaskColumn.DONE:
            if role != Role.CheckStateRole:
                return False
            return self._session.call(app.edit, task.id, done=is_checked(value))[0]
        if role != Role.EditRole:
            return False
        text = str(value)
        if column is TaskColumn.TITLE:
            return self._session.call(app.edit, task.id, title=text)[0]
        if column is TaskColumn.DUE:
            return self._session.call(app.edit, task.id, due=text.strip() or None)[0]
        if column is TaskColumn.PRIORITY:
            return self._session.call(app.edit, task.id, priority=text)[0]
        if column is TaskColumn.LIST:
            return False
        wanted = parse_tags(text)
        return self._session.call(
            app.edit,
            task.id,
            add_tags=sorted(wanted - task.tags),
            remove_tags=sorted(task.tags - wanted),
        )[0]

    def toggle_done(self, task_ids: Sequence[str]) -> None:
        """Space on selected rows: all done unless all already are (one undo step)."""
        tasks = [t for i in task_ids if (t := self._state.tasks.get(i)) is not None]
        if not tasks:
            return
        done = not all(t.done for t in tasks)
        app = self._session.app
        if len(tasks) == 1:
            self._session.call(app.edit, tasks[0].id, done=done)
            return
        steps = [act.TaskDone(id=t.id, done=done) for t in tasks if t.done != done]
        self._session.call(app.dispatch_steps, steps)
