"""Every keyboard shortcut in one table (docs/ui.md lists the same; a test checks)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

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
    "settings": ("Ctrl+,",),
    "import_file": ("Ctrl+Shift+O",),
    "export_file": ("Ctrl+Shift+S",),
    "sync_now": ("F5",),
    "quit": ("Ctrl+Q",),
}


def keys(name: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in SHORTCUTS[name]]
