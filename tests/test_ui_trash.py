"""The Trash in the window (pytest-qt, real store): reach it by keys, restore with
Enter, delete for ever after asking, empty it, and the 30-day purge at start-up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop_app.app import App
from desktop_app.ui import main as ui_main
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.scope import TRASH

DAY_S = 86400.0


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


def trash_titles(win: MainWindow) -> list[str]:
    table = win.trash_view.table
    return [table.topLevelItem(i).text(0) for i in range(table.topLevelItemCount())]


def click_row(qtbot, win: MainWindow, row: int) -> None:
    """Select one row as a person does: a click (a plain setCurrentItem adds to the
    extended selection the row the Trash opened on)."""
    table = win.trash_view.table
    rect = table.visualItemRect(table.topLevelItem(row))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_trash_by_keys(qtbot, win: MainWindow) -> None:
    """Ctrl+1, then End (the Trash is the last sidebar entry), then Ctrl+2."""
    qtbot.keyClick(win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win.sidebar.view, Qt.Key.Key_End)
    assert win.scope == TRASH
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is win.trash_view.table


def test_deleted_items_show_in_the_trash_and_enter_restores(qtbot, window, engine) -> None:
    task = engine.add_task("Buy milk")
    note = engine.add_note("Ideas")
    engine.delete(task)
    engine.delete(note)
    open_trash_by_keys(qtbot, window)
    assert window.pages.currentWidget() is window.trash_view
    assert sorted(trash_titles(window)) == ["Buy milk", "Ideas"]
    assert not window.quick_add.isEnabled()
    qtbot.waitUntil(lambda: window.status.counts_label.text() == "2 items in the trash")

    row = next(i for i, t in enumerate(trash_titles(window)) if t == "Buy milk")
    click_row(qtbot, window, row)
    qtbot.keyClick(window.trash_view.table, Qt.Key.Key_Return)
    assert engine.state.tasks[task].title == "Buy milk"
    assert trash_titles(window) == ["Ideas"]
    assert "Restored “Buy milk”" in window.status.currentMessage()

    qtbot.keyClick(window.trash_view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert task not in engine.state.tasks  # one action, one undo
    assert sorted(trash_titles(window)) == ["Buy milk", "Ideas"]


def test_delete_for_ever_asks_first_and_the_filter_narrows(qtbot, window, engine) -> None:
    for title in ("alpha", "beta", "gamma"):
        engine.delete(engine.add_task(title))
    open_trash_by_keys(qtbot, window)
    questions: list[str] = []
    answer = [False]
    window.trash_view.confirm = lambda q: (questions.append(q), answer[0])[1]

    window.filter_edit.setText("bet")
    assert trash_titles(window) == ["beta"]
    window.trash_view.table.setFocus()
    click_row(qtbot, window, 0)
    qtbot.keyClick(window.trash_view.table, Qt.Key.Key_Delete)
    assert questions and "for ever" in questions[-1]
    assert len(engine.state.deleted) == 3  # cancelled: nothing happened
    answer[0] = True
    qtbot.keyClick(window.trash_view.table, Qt.Key.Key_Delete)
    assert len(engine.state.deleted) == 2 and trash_titles(window) == []
    window.filter_edit.clear()
    assert sorted(trash_titles(window)) == ["alpha", "gamma"]

    window.trash_view.empty_button.click()
    assert not engine.state.deleted and trash_titles(window) == []
    assert not window.trash_view.empty_button.isEnabled()


def test_the_sidebar_counts_the_trash_and_a_deleted_list_lands_in_no_list(
    qtbot, window, engine
) -> None:
    list_id = engine.add_list("Errands")
    engine.add_task("stamps", list_name="Errands")
    model = window.sidebar_model
    trash_row = model.row_of_scope(TRASH)
    assert model.item_at(trash_row).open_tasks == 0
    window.sidebar.select_scope(window.sidebar_model.item_at(model.row_of(list_id)).scope)
    window.sidebar.view.setFocus()
    qtbot.keyClick(window.sidebar.view, Qt.Key.Key_Delete)
    assert window.scope.kind == "none"  # not the Trash, which now follows the lists
    assert model.item_at(model.row_of_scope(TRASH)).open_tasks == 1
    assert trash_titles(window) == ["Errands"]


def test_start_up_purges_items_deleted_over_30_days_ago(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    past = App(data, wall=lambda: time.time() - 31 * DAY_S)
    old = past.add_task("old")
    past.delete(old)
    past.close()
    recent_app = App(data, wall=lambda: time.time() - DAY_S)
    recent = recent_app.add_task("recent")
    recent_app.delete(recent)
    recent_app.close()

    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    seen: list[list[str]] = []
    tries = iter(range(200))

    def look_and_close() -> None:
        shown = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        # The purge runs right after the first paint: look once it could have.
        if (not shown or old in shown[0].app.state.deleted) and next(tries, None) is not None:
            QTimer.singleShot(20, look_and_close)
            return
        (win,) = shown
        seen.append(sorted(win.app.state.deleted))
        win.quit_action.trigger()

    QTimer.singleShot(50, look_and_close)
    assert ui_main.run(data) == 0
    assert seen == [[recent]]


def test_the_trash_is_made_when_first_opened_with_the_filter_typed_before(
    qtbot, window, engine
) -> None:
    for title in ("Buy milk", "Call mum"):
        engine.delete(engine.add_task(title))
    window.filter_edit.setText("mil")  # keystrokes list nothing from the unopened trash
    assert window._trash_view is None
    open_trash_by_keys(qtbot, window)
    assert trash_titles(window) == ["Buy milk"]
    window.filter_edit.clear()
    assert sorted(trash_titles(window)) == ["Buy milk", "Call mum"]
