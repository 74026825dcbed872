"""Natural-language quick add in the window: the hint before Enter, then one task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt

from desktop_app.app import App
from desktop_app.core import Priority
from desktop_app.ui.main_window import NOTES_TAB, MainWindow

FIXED_TODAY = date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    win.session.today = lambda: FIXED_TODAY
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


def test_the_hint_says_what_enter_will_add(qtbot, window: MainWindow, engine: App) -> None:
    engine.add_list("Family")
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.quick_add, "Call mum")
    assert window.quick_hint.isHidden()  # nothing special understood: no hint
    qtbot.keyClicks(window.quick_add, " tomorrow !high #family @family")
    assert window.quick_hint.isVisible()
    assert window.quick_hint.text() == (
        "Enter adds: “Call mum” · due tomorrow · high priority · #family · in family"
    )
    qtbot.keyClick(window.quick_add, Qt.Key.Key_Return)
    (task,) = engine.state.tasks.values()
    assert (task.title, task.due, task.priority) == ("Call mum", date(2026, 3, 11), Priority.HIGH)
    assert task.tags == {"family"} and engine.state.lists[task.list_id].name == "Family"
    assert window.quick_hint.isHidden() and window.quick_add.text() == ""


def test_a_new_list_is_named_in_the_hint_and_notes_take_the_text_as_typed(
    qtbot, window: MainWindow, engine: App
) -> None:
    window.quick_add.setFocus()
    qtbot.keyClicks(window.quick_add, "plan trip @Travel")
    assert window.quick_hint.text().endswith("in Travel (a new list)")
    window.tabs.setCurrentIndex(NOTES_TAB)
    assert window.quick_hint.isHidden()
    window.quick_add.setFocus()
    qtbot.keyClick(window.quick_add, Qt.Key.Key_Return)
    (note,) = engine.state.notes.values()
    assert note.title == "plan trip @Travel" and not engine.state.lists
