"""Every keyboard shortcut in one table (docs/ui.md lists the same; a test checks)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence

SHORTCUTS: dict[str, tuple[str, ...]] = {
    "new_task": ("Ctrl+N",),
    "new_note": ("Ctrl+Shift+N",),
    "new_list": ("Ctrl+Shift+L",),
    "undo": ("Ctrl+Z",),
    "redo": ("Ctrl+Shift+Z", "Ctrl+Y"),
    "find": ("Ctrl+F",),
    "delete": ("Delete",),
    "toggle_done": ("Space",),
    "rename": ("F2",),
    "show_tasks": ("Ctrl+PgUp",),
    "show_notes": ("Ctrl+PgDown",),
    "focus_sidebar": ("Ctrl+1",),
    "focus_list": ("Ctrl+2",),
    "focus_editor": ("Ctrl+3",),
    "toggle_preview": ("Ctrl+E",),
    "split_preview": ("Ctrl+Shift+E",),
    "pin_note": ("Ctrl+Shift+P",),
    "move_to_list": ("Ctrl+M",),
    "hide_completed": ("Ctrl+Shift+H",),
    "palette": ("Ctrl+K",),
    "settings": ("Ctrl+,",),
    "import_file": ("Ctrl+Shift+O",),
    "export_file": ("Ctrl+Shift+S",),
    "sync_now": ("F5",),
    "conflicts": ("Ctrl+Shift+K",),
    "quit": ("Ctrl+Q",),
}


def keys(name: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in SHORTCUTS[name]]


# Window commands that must work while typing. Text fields bind some of these keys
# themselves on X11 (Ctrl+K deletes to the end of the line, Ctrl+E moves there).
OVER_TEXT = (
    "palette",
    "toggle_preview",
    "split_preview",
    "pin_note",
    "move_to_list",
    "settings",
    "focus_sidebar",
    "focus_list",
    "focus_editor",
)


class WindowKeysWin(QObject):
    """Installed on a text field: the keys in ``OVER_TEXT`` go to the window's actions."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._keys = {QKeySequence(k) for name in OVER_TEXT for k in SHORTCUTS[name]}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            if pressed in self._keys:
                event.ignore()  # not overridden: the shortcut system delivers it
                return True
        return super().eventFilter(watched, event)
