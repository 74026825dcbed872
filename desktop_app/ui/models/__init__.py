"""Qt item models over the immutable state; each refreshes itself from ``AppSession``."""

from desktop_app.ui.models.list_model import SidebarModel, SidebarRow
from desktop_app.ui.models.note_model import NoteListModel
from desktop_app.ui.models.rows import ID_ROLE, RowsModel
from desktop_app.ui.models.task_model import TaskColumn, TaskTableModel

__all__ = [
    "ID_ROLE",
    "NoteListModel",
    "RowsModel",
    "SidebarModel",
    "SidebarRow",
    "TaskColumn",
    "TaskTableModel",
]
