"""Ctrl+K: jump to any list, tag, note or task, or run any menu command, by typing.

As in Obsidian's quick switcher and VS Code's palette: type a few letters,
arrows to choose, Enter to go. Words match in any order, case-blind, anywhere
in the entry; entries whose start matches rank first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

MAX_SHOWN = 200
ENTRY_ROLE = int(Qt.ItemDataRole.UserRole) + 20


@dataclass(frozen=True)
class Entry:
    kind: str  # "List", "Tag", "Note", "Task", "Command"
    label: str
    run: Callable[[], object]
    hint: str = ""  # a shortcut or where the item lives

    @property
    def shown(self) -> str:
        hint = f"    {self.hint}" if self.hint else ""
        return f"{self.kind}: {self.label}{hint}"


def rank(query: str, entries: Sequence[Entry]) -> list[Entry]:
    """Entries containing every word of ``query``; prefix matches, then shorter labels first."""
    words = query.casefold().split()
    if not words:
        return list(entries[:MAX_SHOWN])
    found = []
    for order, entry in enumerate(entries):
        text = f"{entry.kind} {entry.label}".casefold()
        if all(w in text for w in words):
            starts = not entry.label.casefold().startswith(words[0])
            found.append(((starts, len(entry.label), order), entry))
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found[:MAX_SHOWN]]


def command_entries(actions: Sequence[QAction]) -> list[Entry]:
    """Every enabled menu command with a name, with its shortcut as the hint."""
    entries = []
    for action in actions:
        name = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")
        if not name or action.isSeparator() or not action.isEnabled():
            continue
        keys = action.shortcut().toString()
        entries.append(Entry("Command", name, action.trigger, keys))
    return entries


class CommandPalette(QDialog):
    def __init__(self, entries: Sequence[Entry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle("Go to or run")
        self._entries = list(entries)
        self.chosen: Entry | None = None
        self.query = QLineEdit()
        self.query.setObjectName("paletteQuery")
        self.query.setPlaceholderText("Go to a list, tag, note or task, or run a command")
        self.query.textChanged.connect(self._refill)
        self.query.installEventFilter(self)
        self.results = QListWidget()
        self.results.setObjectName("paletteResults")
        self.results.itemActivated.connect(self._choose)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        self.resize(520, 380)
        self._refill("")

    def shown(self) -> list[str]:
        return [self.results.item(i).text() for i in range(self.results.count())]

    def _refill(self, text: str) -> None:
        self.results.clear()
        for entry in rank(text, self._entries):
            item = QListWidgetItem(entry.shown)
            item.setData(ENTRY_ROLE, entry)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Arrows and Enter in the query act on the results, so the hands stay on the keys.
        if (
            watched is self.query
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = self.results.currentRow() + step
                self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if (item := self.results.currentItem()) is not None:
                    self._choose(item)
                return True
        return super().eventFilter(watched, event)

    def _choose(self, item: QListWidgetItem) -> None:
        self.chosen = item.data(ENTRY_ROLE)
        self.accept()
