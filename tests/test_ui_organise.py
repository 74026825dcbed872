"""Organising in the window (pytest-qt, real store): move, drag, sort, smart lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QMimeData, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop_app.app import App
from desktop_app.core import Action
from desktop_app.ui import organise
from desktop_app.ui.list_picker import ListPicker
from desktop_app.ui.main_window import NOTES_TAB, TASKS_TAB, MainWindow
from desktop_app.ui.models import TaskColumn
from desktop_app.ui.scope import ALL, COMPLETED, NO_LIST, TODAY, UPCOMING, list_scope, tag_scope

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
FIXED_TODAY = date(2026, 3, 10)  # a Tuesday


def make_window(qtbot, engine: App, settings: QSettings | None = None) -> MainWindow:
    win = MainWindow(engine, settings)
    win.session.today = lambda: FIXED_TODAY
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    return win


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = make_window(qtbot, engine)
    yield win
    win.close()


@pytest.fixture
def actions(engine: App) -> list[Action | None]:
    seen: list[Action | None] = []
    engine.store.subscribe(lambda _state, action: seen.append(action))
    return seen


def titles(model) -> list[str]:
    return [model.item_at(r).title for r in range(model.rowCount())]


def answer_picker(qtbot, typed: str) -> list[list[str]]:
    """When the picker opens, type ``typed`` and Enter; returns what it showed."""
    shown: list[list[str]] = []

    def answer() -> None:
        picker = QApplication.activeModalWidget()
        assert isinstance(picker, ListPicker)
        qtbot.keyClicks(picker.filter_edit, typed)
        shown.append(picker.visible_labels())
        qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    return shown


# -- moving -----------------------------------------------------------------------------------


def test_ctrl_m_moves_the_selected_tasks_with_the_picker(qtbot, window, engine, actions) -> None:
    home = engine.add_list("Home")
    work = engine.add_list("Work")
    ids = [engine.add_task(t, list_name="Home") for t in ("a", "b", "c")]
    window.task_view.setFocus()
    model, selection = window.task_model, window.task_view.selectionModel()
    for task_id in (ids[0], ids[2]):  # rows made in one millisecond may sort either way
        selection.select(
            model.index(model.row_of(task_id), 0),
            selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
        )
    actions.clear()
    shown = answer_picker(qtbot, "wo")
    qtbot.keyClick(window.task_view, Qt.Key.Key_M, CTRL)
    assert shown == [["Work"]]
    state = engine.state
    assert [state.tasks[i].list_id for i in ids] == [work, home, work]
    assert len(actions) == 1  # one action for both
    assert "Moved 2 items to “Work”" in window.statusBar().currentMessage()
    window.undo()
    assert {engine.state.tasks[i].list_id for i in ids} == {home}


def test_ctrl_m_moves_the_current_note_to_no_list(qtbot, window, engine) -> None:
    engine.add_list("Home")
    note = engine.add_note("Recipe", list_name="Home")
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note)
    shown = answer_picker(qtbot, "no l")
    window.move_action.trigger()
    assert shown == [["No list"]]
    assert engine.state.notes[note].list_id is None


def test_the_context_menu_moves_to_a_list(qtbot, window, engine) -> None:
    engine.add_list("Home")
    work = engine.add_list("Work")
    task = engine.add_task("report", list_name="Home")
    window.task_view.select_id(task)
    messages: list[str] = []
    menu = organise.move_menu(window.session, [task], window, messages.append)
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels[:3] == ["No list", "Home", "Work"]
    next(a for a in menu.actions() if a.text() == "Work").trigger()
    assert engine.state.tasks[task].list_id == work
    assert messages == ["Moved “report” to “Work”. Ctrl+Z moves it back."]


def drop_on_sidebar(qtbot, window: MainWindow, data: QMimeData, scope) -> QDropEvent:
    """Drag enter, move and drop over the sidebar row of ``scope``, as Qt delivers them."""
    view = window.sidebar.view
    model = window.sidebar_model
    point = view.visualRect(model.index(model.row_of_scope(scope), 0)).center()
    action, buttons, mods = (
        Qt.DropAction.MoveAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier(0),
    )
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    enter = QDragEnterEvent(point.toPointF(), actions, data, buttons, mods)
    QApplication.sendEvent(view.viewport(), enter)
    move = QDragMoveEvent(point.toPointF(), actions, data, buttons, mods)
    QApplication.sendEvent(view.viewport(), move)
    assert move.isAccepted()
    drop = QDropEvent(point.toPointF(), actions, data, buttons, mods)
    drop.setDropAction(action)
    QApplication.sendEvent(view.viewport(), drop)
    return drop


def test_dragging_tasks_onto_a_list_in_the_sidebar_moves_them(
    qtbot, window, engine, actions
) -> None:
    work = engine.add_list("Work")
    ids = [engine.add_task(t) for t in ("a", "b")]
    data = window.task_model.mimeData([window.task_model.index(r, 1) for r in (0, 1)])
    actions.clear()
    drop = drop_on_sidebar(qtbot, window, data, list_scope(work))
    assert drop.isAccepted()
    assert {engine.state.tasks[i].list_id for i in ids} == {work}
    assert len(actions) == 1
    assert window.statusBar().currentMessage() == "Moved 2 items to “Work”. Ctrl+Z moves them back."


def test_dragging_a_note_onto_no_list_and_not_onto_a_smart_view(qtbot, window, engine) -> None:
    work = engine.add_list("Work")
    note = engine.add_note("plan", list_name="Work")
    window.tabs.setCurrentIndex(NOTES_TAB)
    data = window.note_model.mimeData([window.note_model.index(0, 0)])
    drop_on_sidebar_today = window.sidebar_model.canDropMimeData(
        data,
        Qt.DropAction.MoveAction,
        -1,
        -1,
        window.sidebar_model.index(window.sidebar_model.row_of_scope(TODAY), 0),
    )
    assert not drop_on_sidebar_today
    drop_on_sidebar(qtbot, window, data, NO_LIST)
    assert engine.state.notes[note].list_id is None
    assert work


# -- the List column, sorting, hiding completed ---------------------------------------------


def test_the_list_column_shows_in_all_and_not_in_a_list(qtbot, window, engine) -> None:
    home = engine.add_list("Home")
    engine.add_task("milk", list_name="Home")
    engine.add_task("loose")
    view, model = window.task_view, window.task_model
    assert not view.isColumnHidden(TaskColumn.LIST)
    assert [model.index(r, TaskColumn.LIST).data() for r in range(2)] == ["Home", ""]
    window.sidebar.select_scope(list_scope(home))
    assert view.isColumnHidden(TaskColumn.LIST)
    window.sidebar.select_scope(TODAY)
    assert not view.isColumnHidden(TaskColumn.LIST)


def click_header(qtbot, window: MainWindow, column: int) -> None:
    header = window.task_view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_clicking_headers_sorts_and_each_view_keeps_its_sort(qtbot, engine, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    home = engine.add_list("Home")
    engine.add_task("b", due="2026-03-12", priority="low", list_name="Home")
    engine.add_task("c", priority="high", list_name="Home")
    engine.add_task("a", due="2026-03-11", list_name="Home")
    win = make_window(qtbot, engine, settings)
    model = win.task_model
    assert titles(model) == ["b", "c", "a"]  # creation order
    click_header(qtbot, win, TaskColumn.TITLE)
    assert titles(model) == ["a", "b", "c"]
    click_header(qtbot, win, TaskColumn.TITLE)
    assert titles(model) == ["c", "b", "a"]
    click_header(qtbot, win, TaskColumn.TITLE)
    assert titles(model) == ["b", "c", "a"]  # third click: back to creation order
    click_header(qtbot, win, TaskColumn.DUE)
    assert titles(model) == ["a", "b", "c"]  # no due date last
    win.sidebar.select_scope(list_scope(home))
    assert titles(model) == ["b", "c", "a"]  # this view was never sorted
    click_header(qtbot, win, TaskColumn.PRIORITY)
    assert titles(model) == ["c", "a", "b"]  # high, normal, low
    win.sidebar.select_scope(ALL)
    assert titles(model) == ["a", "b", "c"]  # All kept its due sort
    win.close()

    again = make_window(qtbot, engine, settings)  # and so does the next start
    assert titles(again.task_model) == ["a", "b", "c"]
    again.sidebar.select_scope(list_scope(home))
    assert titles(again.task_model)[0] == "c"
    again.close()


def test_hide_completed_tasks(qtbot, window, engine) -> None:
    done = engine.add_task("done one")
    engine.add_task("open one")
    engine.edit(done, done=True)
    qtbot.keyClick(window.task_view, Qt.Key.Key_H, CTRL | SHIFT)
    assert titles(window.task_model) == ["open one"]
    assert window.hide_done_action.isChecked()
    window.sidebar.select_scope(COMPLETED)
    assert titles(window.task_model) == ["done one"]  # Completed always shows them
    window.sidebar.select_scope(ALL)
    window.hide_done_action.trigger()
    assert titles(window.task_model) == ["done one", "open one"]


# -- smart lists --------------------------------------------------------------------------------


def test_today_upcoming_and_completed_on_a_fixed_clock(qtbot, window, engine) -> None:
    engine.add_task("overdue", due="2026-03-01")
    engine.add_task("today", due="2026-03-10")
    engine.add_task("tomorrow", due="2026-03-11")
    engine.add_task("in a week", due="2026-03-17")
    engine.add_task("in eight days", due="2026-03-18")
    engine.add_task("someday")
    finished = engine.add_task("finished today", due="2026-03-10")
    engine.edit(finished, done=True)
    engine.add_task("later this week", due="2026-03-13")
    engine.add_note("a note", body="notes are not in smart lists")
    model, sidebar = window.task_model, window.sidebar_model

    window.sidebar.select_scope(TODAY)
    assert titles(model) == ["overdue", "today"]
    assert window.tabs.currentIndex() == TASKS_TAB
    assert window.note_model.rowCount() == 0
    assert sidebar.item_at(sidebar.row_of_scope(TODAY)).open_tasks == 2
    qtbot.waitUntil(lambda: window.status.counts_label.text() == "2 open · 0 done · 0 notes")

    window.sidebar.select_scope(UPCOMING)
    assert titles(model) == ["tomorrow", "later this week", "in a week"]  # by day
    due = [model.index(r, TaskColumn.DUE).data() for r in range(3)]
    assert due == ["Tomorrow", "Fri 13 Mar", "Tue 17 Mar"]

    window.sidebar.select_scope(COMPLETED)
    assert titles(model) == ["finished today"]


def test_quick_add_in_today_makes_a_task_due_today(qtbot, window, engine) -> None:
    window.sidebar.select_scope(TODAY)
    assert "due today" in window.quick_add.placeholderText()
    window.quick_add.setFocus()
    qtbot.keyClicks(window.quick_add, "call the bank")
    qtbot.keyClick(window.quick_add, Qt.Key.Key_Return)
    (task,) = engine.state.tasks.values()
    assert task.due == FIXED_TODAY
    assert titles(window.task_model) == ["call the bank"]


def test_each_tag_has_a_sidebar_entry(qtbot, window, engine) -> None:
    engine.add_task("milk", tags=["shop"])
    engine.add_note("list", tags=["shop"])
    engine.add_task("other")
    sidebar = window.sidebar_model
    row = sidebar.row_of_scope(tag_scope("shop"))
    assert row >= 0 and sidebar.item_at(row).label == "#shop"
    window.sidebar.select_scope(tag_scope("shop"))
    assert titles(window.task_model) == ["milk"]
    assert titles(window.note_model) == ["list"]
    window.quick_add.setFocus()
    qtbot.keyClicks(window.quick_add, "eggs")
    qtbot.keyClick(window.quick_add, Qt.Key.Key_Return)
    assert titles(window.task_model) == ["milk", "eggs"]
