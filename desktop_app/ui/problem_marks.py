"""Which rows to mark with a warning: the items some merge problem is about.

Models ask per painted cell, so the answer is computed once per state (states
are immutable: the same object always has the same problems).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.core import State, rules

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

_last: tuple[State, frozenset[str]] | None = None


def marked_ids(state: State) -> frozenset[str]:
    global _last
    if _last is None or _last[0] is not state:
        _last = (state, rules.involved(state))
    return _last[1]


def seed(state: State, marked: frozenset[str]) -> None:
    """``state``'s marks, known without asking the rules (a saved first screen's rows:
    the rules read the whole state, which that screen does not hold)."""
    global _last
    _last = (state, marked)


def warning_icon() -> QIcon:
    # Imported here: a first screen without marked rows makes no QStyle (~5 ms of enums).
    from PySide6.QtWidgets import QApplication, QStyle

    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


TOOLTIP = "Changed on two devices at once: see the conflict panel (Ctrl+Shift+K)"
