"""The main window under pytest-qt (offscreen): every edit path ends in App.state."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from desktop_app.app import App
from desktop_app.app.organise import move_items
from desktop_app.core import Action, State
from desktop_app.ui import qt_fixes
from desktop_app.ui.main import run
from desktop_app.ui.main_window import NOTES_TAB, TASKS_TAB, MainWindow
from desktop_app.ui.models import TaskColumn
from desktop_app.ui.models.rows import RowsModel
from desktop_app.ui.scope import (
    ALL,
    COMPLETED,
    NO_LIST,
    TODAY,
    UPCOMING,
    list_scope,
    select_notes,
    select_tasks,
    tag_scope,
)
from desktop_app.ui.shortcuts import SHORTCUTS

CHECKED = Qt.CheckState.Checked
ROLE_CHECK = Qt.ItemDataRole.CheckStateRole
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
DOCS = Path(__file__).resolve().parents[1] / "docs" / "ui.md"


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.note_editor.idle_ms = 60
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


@pytest.fixture
def actions(engine: App) -> list[Action | None]:
    """Every action dispatched from here on (one entry per store notification)."""
    seen: list[Action | None] = []
    engine.store.subscribe(lambda _state, action: seen.append(action))
    return seen


def titles(model: RowsModel) -> list[str]:
    return [model.item_at(r).title for r in range(model.rowCount())]


def type_enter(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


# -- opening -------------------------------------------------------------------------


def test_window_opens_from_the_checkpoint(qtbot, tmp_path: Path) -> None:
    with App(tmp_path / "d") as first:
        first.add_task("from last time", list_name="Home")
        first.add_note("a note", body="words")
    engine = App(tmp_path / "d")
    try:
        win = MainWindow(engine)
        qtbot.addWidget(win)
        assert titles(win.task_model) == ["from last time"]
        assert titles(win.note_model) == ["a note"]
        labels = [win.sidebar_model.item_at(r).label for r in range(6)]
        assert labels == ["All", "Today", "Upcoming", "Completed", "No list", "Home"]
        assert win.status.counts_label.text() == "1 open · 0 done · 1 note"
        win.close()
    finally:
        engine.close()


# -- tasks -----------------------------------------------------------------------------


def test_quick_add_puts_a_task_in_the_current_list(qtbot, window: MainWindow, engine) -> None:
    home = engine.add_list("Home")
    window.sidebar.select_scope(list_scope(home))
    type_enter(qtbot, window.quick_add, "Buy milk")

    assert titles(window.task_model) == ["Buy milk"]
    (task,) = engine.state.tasks.values()
    assert (task.title, task.list_id) == ("Buy milk", home)
    assert window.quick_add.text() == ""
    assert window.task_view.selected_ids() == [task.id]
    qtbot.waitUntil(lambda: window.status.counts_label.text().startswith("1 open"))


def test_done_toggle_repaints_only_that_row(qtbot, window: MainWindow, engine) -> None:
    ids = [engine.add_task(t) for t in ("a", "b", "c")]
    model = window.task_model
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged) as changed:
        assert model.setData(model.index(1, TaskColumn.DONE), CHECKED.value, ROLE_CHECK)
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row()) == (1, 1)
    assert resets == []
    assert engine.state.tasks[ids[1]].done
    assert model.index(1, TaskColumn.DONE).data(ROLE_CHECK) == CHECKED
    assert model.setData(model.index(1, TaskColumn.DONE), Qt.CheckState.Unchecked, ROLE_CHECK)
    assert not engine.state.tasks[ids[1]].done


def test_space_toggles_the_selected_tasks_as_one_step(qtbot, window: MainWindow, engine) -> None:
    ids = [engine.add_task(t) for t in ("a", "b")]
    window.task_view.selectAll()
    window.task_view.setFocus()
    qtbot.keyClick(window.task_view, Qt.Key.Key_Space)
    assert all(engine.state.tasks[i].done for i in ids)
    window.undo()
    assert not any(engine.state.tasks[i].done for i in ids)


def test_title_edits_inline(qtbot, window: MainWindow, engine) -> None:
    task_id = engine.add_task("old title")
    index = window.task_model.index(0, TaskColumn.TITLE)
    window.task_view.setFocus()
    window.task_view.setCurrentIndex(index)
    window.task_view.edit(index)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "new title")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next loop turn
    qtbot.waitUntil(lambda: engine.state.tasks[task_id].title == "new title")
    assert window.task_model.index(0, TaskColumn.TITLE).data() == "new title"


def test_other_columns_edit_through_the_engine(window: MainWindow, engine) -> None:
    task_id = engine.add_task("t", tags=["old"])
    model = window.task_model
    assert model.setData(model.index(0, TaskColumn.DUE), "2030-01-02")
    assert model.setData(model.index(0, TaskColumn.PRIORITY), "high")
    assert model.setData(model.index(0, TaskColumn.TAGS), "#new, other")
    task = engine.state.tasks[task_id]
    assert (str(task.due), task.priority.value, task.tags) == (
        "2030-01-02",
        "high",
        frozenset({"new", "other"}),
    )
    assert model.index(0, TaskColumn.TAGS).data() == "#new #other"
    assert model.setData(model.index(0, TaskColumn.DUE), "")
    assert engine.state.tasks[task_id].due is None


def test_app_errors_become_visible_messages(qtbot, window: MainWindow, engine) -> None:
    type_enter(qtbot, window.quick_add, "   ")
    assert "title cannot be empty" in window.statusBar().currentMessage().lower()
    assert engine.state.tasks == State().tasks

    engine.add_task("keep me")
    window.statusBar().clearMessage()
    model = window.task_model
    assert not model.setData(model.index(0, TaskColumn.TITLE), "")
    assert not model.setData(model.index(0, TaskColumn.DUE), "next tuesday")
    assert "invalid date" in window.statusBar().currentMessage().lower()
    assert titles(model) == ["keep me"]


def test_undo_and_redo_shortcuts(qtbot, window: MainWindow, engine) -> None:
    type_enter(qtbot, window.quick_add, "undo me")
    view = window.task_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert titles(window.task_model) == [] and not engine.state.tasks
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert titles(window.task_model) == ["undo me"]
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Y, CTRL)
    assert titles(window.task_model) == ["undo me"]
    qtbot.keyClick(view, Qt.Key.Key_Y, CTRL)
    assert window.statusBar().currentMessage() == "Nothing to redo."


def test_delete_key_removes_the_selected_tasks_in_one_undo_step(
    qtbot, window: MainWindow, engine
) -> None:
    for title in ("a", "b", "c"):
        engine.add_task(title)
    view = window.task_view
    view.setFocus()
    view.selectRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert titles(window.task_model) == ["b", "c"]
    view.selectAll()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert titles(window.task_model) == [] and not engine.state.tasks
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert titles(window.task_model) == ["b", "c"]


def test_delete_key_in_a_text_field_edits_text(qtbot, window: MainWindow, engine) -> None:
    engine.add_task("survivor")
    window.task_view.selectRow(0)
    window.quick_add.setText("abc")
    window.quick_add.setFocus()
    window.quick_add.home(False)
    qtbot.keyClick(window.quick_add, Qt.Key.Key_Delete)
    assert window.quick_add.text() == "bc"
    assert titles(window.task_model) == ["survivor"]


def test_ctrl_z_in_the_note_body_undoes_typing_not_an_action(
    qtbot, window: MainWindow, engine, actions
) -> None:
    note_id = engine.add_note("n", body="base")
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note_id)
    body = window.note_editor.body
    body.setFocus()
    body.moveCursor(body.textCursor().MoveOperation.End)
    qtbot.keyClicks(body, " more")
    qtbot.keyClick(body, Qt.Key.Key_Z, CTRL)
    assert body.toPlainText() == "base"
    window.note_editor.flush()
    assert len(actions) == 1  # only the add_note: the undone typing saved nothing
    assert engine.state.notes[note_id].body == "base"


def test_ctrl_f_filters_and_escape_clears(qtbot, window: MainWindow, engine) -> None:
    engine.add_task("buy milk", tags=["shop"])
    engine.add_task("call mum")
    window.task_view.setFocus()
    qtbot.keyClick(window.task_view, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is window.filter_edit
    qtbot.keyClicks(window.filter_edit, "#sho")
    assert titles(window.task_model) == ["buy milk"]
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.filter_edit.text() == ""
    assert titles(window.task_model) == ["buy milk", "call mum"]


# -- lists ---------------------------------------------------------------------------------


def test_lists_add_rename_delete(qtbot, window: MainWindow, engine) -> None:
    window.new_list()
    (lst,) = engine.state.lists.values()
    assert lst.name == "New list"
    assert window.scope == list_scope(lst.id)
    assert isinstance(QApplication.focusWidget(), QLineEdit)  # the name is open for editing
    window.sidebar.view.closePersistentEditor(window.sidebar.view.currentIndex())
    window.sidebar.view.setFocus()

    model = window.sidebar_model
    assert model.setData(model.index(model.row_of(lst.id), 0), "Errands")
    assert engine.state.lists[lst.id].name == "Errands"
    engine.add_task("stamps", list_name="Errands")
    assert titles(window.task_model) == ["stamps"]

    window.sidebar.view.setFocus()
    qtbot.keyClick(window.sidebar.view, Qt.Key.Key_Delete)
    assert not engine.state.lists
    assert window.scope.kind in ("all", "none")  # the view moved off the deleted list
    (task,) = engine.state.tasks.values()
    assert task.list_id is None
    window.sidebar.select_scope(NO_LIST)
    assert titles(window.task_model) == ["stamps"]
    window.undo()
    assert engine.state.tasks[task.id].list_id == lst.id


def test_a_duplicate_list_name_is_a_message(window: MainWindow, engine) -> None:
    engine.add_list("Home")
    other = engine.add_list("Work")
    model = window.sidebar_model
    assert not model.setData(model.index(model.row_of(other), 0), "home")
    assert "already exists" in window.statusBar().currentMessage()


# -- notes ---------------------------------------------------------------------------------


def test_note_body_saves_one_action_per_burst(qtbot, window: MainWindow, engine, actions) -> None:
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL | SHIFT)
    assert window.tabs.currentIndex() == NOTES_TAB
    assert QApplication.focusWidget() is window.quick_add
    type_enter(qtbot, window.quick_add, "Idea")
    (note,) = engine.state.notes.values()
    assert window.note_editor.note_id == note.id
    assert QApplication.focusWidget() is window.note_editor.body
    assert len(actions) == 1

    qtbot.keyClicks(window.note_editor.body, "hello tide")
    assert len(actions) == 1  # nothing per keystroke
    qtbot.waitUntil(lambda: len(actions) == 2, timeout=2000)
    qtbot.wait(3 * window.note_editor.idle_ms)
    assert len(actions) == 2
    assert engine.state.notes[note.id].body == "hello tide"

    # Leaving the editor ends the burst at once, without waiting for the pause.
    window.note_editor.idle_ms = 60_000
    qtbot.keyClicks(window.note_editor.body, "!")
    window.note_list.setFocus()
    assert len(actions) == 3
    assert engine.state.notes[note.id].body == "hello tide!"


def test_undo_reloads_the_open_note(qtbot, window: MainWindow, engine) -> None:
    note_id = engine.add_note("n", body="first")
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note_id)
    editor = window.note_editor
    assert editor.body.toPlainText() == "first"
    editor.body.setFocus()
    editor.body.moveCursor(editor.body.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.body, " second")
    window.undo()  # saves the burst as its own step, then undoes exactly that
    assert engine.state.notes[note_id].body == "first"
    assert editor.body.toPlainText() == "first"
    window.redo()
    assert editor.body.toPlainText() == "first second"


def test_unsaved_typing_survives_a_concurrent_change(qtbot, window: MainWindow, engine) -> None:
    note_id = engine.add_note("n", body="base")
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note_id)
    editor = window.note_editor
    editor.idle_ms = 60_000
    editor.body.setFocus()
    qtbot.keyClicks(editor.body, "mine ")
    engine.edit(note_id, body="theirs")  # e.g. arrived by sync while typing
    assert editor.body.toPlainText() == "mine base"  # the editor keeps the user's text
    editor.flush()
    note = engine.state.notes[note_id]
    assert note.body == "mine base"
    assert note.conflicts == ("theirs",)  # nobody's words vanish
    assert editor.conflict_banner.isVisibleTo(window)


def test_deleting_a_note(qtbot, window: MainWindow, engine) -> None:
    keep, gone = engine.add_note("keep"), engine.add_note("gone")
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(gone)
    window.note_list.setFocus()
    qtbot.keyClick(window.note_list, Qt.Key.Key_Delete)
    assert set(engine.state.notes) == {keep}
    assert window.note_editor.note_id in (keep, None)


# -- models ------------------------------------------------------------------------------


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "py-tester"])
@pytest.mark.parametrize("which", ["sidebar_model", "task_model", "note_model"])
def test_models_pass_the_model_tester(
    qtbot, qtmodeltester, engine, which: str, force_py: bool
) -> None:
    home = engine.add_list("Home")
    engine.add_task("t1", list_name="Home", tags=["x"], due="2020-01-01", priority="high")
    engine.add_task("t2")
    engine.add_note("n1", body="b", list_name="Home")
    win = MainWindow(engine)  # never shown: the model is what is under test
    model = getattr(win, which)
    qtmodeltester.check(model, force_py=force_py)
    # The tester stays attached: every kind of change below is checked as it happens.
    t3 = engine.add_task("t3", list_name="Work")
    n2 = engine.add_note("n2")
    engine.edit(t3, done=True)
    engine.edit(n2, body="changed", pinned=True)
    engine.edit(home, title="Zzz")  # re-sorts the sidebar: a reset
    win.sidebar.select_scope(list_scope(home))
    win.sidebar.select_scope(NO_LIST)
    win.filter_edit.setText("t")
    win.filter_edit.setText("")
    win.task_model.sort(TaskColumn.DUE, Qt.SortOrder.DescendingOrder)
    win.task_model.set_hide_done(True)
    for scope in (TODAY, UPCOMING, COMPLETED, tag_scope("x"), ALL):
        win.sidebar.select_scope(scope)
    move_items(engine, [t3, n2], home)
    win.task_model.set_hide_done(False)
    win.task_model.sort(-1, Qt.SortOrder.AscendingOrder)
    engine.delete(t3)
    engine.delete(n2)
    engine.undo()
    win.close()


def test_selection_functions_sort_stably(engine) -> None:
    a = engine.add_task("a")
    b = engine.add_task("b")
    engine.edit(a, done=True)
    state = engine.state
    assert [t.id for t in select_tasks(state, NO_LIST)] == [a, b]  # done does not move rows
    n1, n2 = engine.add_note("one"), engine.add_note("two")
    engine.edit(n1, pinned=True)
    assert [n.id for n in select_notes(engine.state, NO_LIST)] == [n1, n2]


def test_state_changes_from_another_thread_arrive_on_the_gui_thread(
    qtbot, window: MainWindow, engine
) -> None:
    worker = threading.Thread(target=engine.add_task, args=("from a worker",))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: titles(window.task_model) == ["from a worker"], timeout=2000)


# -- status, lifecycle -------------------------------------------------------------------------


def test_show_sync_status_sets_the_status_bar(window: MainWindow) -> None:
    window.show_sync_status("Synced 12:04")
    assert window.status.sync_label.text() == "Synced 12:04"


def test_counts_follow_the_scope_and_problems(qtbot, window: MainWindow, engine) -> None:
    engine.add_task("a", list_name="Home")
    done = engine.add_task("b")
    engine.edit(done, done=True)
    engine.add_note("n")
    qtbot.waitUntil(lambda: window.status.counts_label.text() == "1 open · 1 done · 1 note")
    window.sidebar.select_scope(NO_LIST)
    qtbot.waitUntil(lambda: window.status.counts_label.text() == "0 open · 1 done · 1 note")


def test_closing_the_window_checkpoints(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = App(data)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.note_editor.idle_ms = 60_000
    engine.add_task("t", list_name="L")
    note_id = engine.add_note("n")
    win.tabs.setCurrentIndex(NOTES_TAB)
    win.select_note(note_id)
    win.note_editor.body.setPlainText("typed, not yet saved")
    win.close()  # saves the open burst, then checkpoints
    saved = engine.local.load_checkpoint("view")
    assert saved is not None and saved[1] == engine.local.last_seq()
    state = engine.state
    engine.close()
    with App(data) as again:
        assert again.state == state
        assert again.state.notes[note_id].body == "typed, not yet saved"


def test_run_shows_the_window_and_closes_the_app(qtbot, tmp_path: Path, monkeypatch) -> None:
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    data = tmp_path / "data"
    with App(data) as seed:
        seed.add_task("seeded")
    seen: list[list[str]] = []

    def close_soon() -> None:
        (win,) = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        seen.append(titles(win.task_model))
        win.quit_action.trigger()

    QTimer.singleShot(50, close_soon)
    assert run(data) == 0
    assert seen == [["seeded"]]
    assert QApplication.applicationName() == "Tidemark"
    with App(data) as again:
        assert [t.title for t in again.state.tasks.values()] == ["seeded"]


def test_run_reports_an_unusable_data_dir(tmp_path: Path, monkeypatch) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    assert run(not_a_dir) == 1
    assert len(shown) == 1 and "Traceback" not in shown[0]
    assert gc.isenabled()  # paused for the start-up (collector.StartUpPause), never left off


def test_every_shortcut_is_documented() -> None:
    docs = DOCS.read_text()
    for name, sequences in SHORTCUTS.items():
        for keys in sequences:
            assert f"`{keys}`" in docs, f"{name}: {keys} missing from docs/ui.md"


def test_tabs_follow_ctrl_page_down_and_up(qtbot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_PageDown, CTRL)
    assert window.tabs.currentIndex() == NOTES_TAB
    qtbot.keyClick(window, Qt.Key.Key_PageUp, CTRL)
    assert window.tabs.currentIndex() == TASKS_TAB
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)
    assert QApplication.focusWidget() is window.quick_add


def test_launcher_without_a_command_opens_the_window(qtbot, tmp_path: Path, monkeypatch) -> None:
    from desktop_app import launcher

    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    monkeypatch.setenv("DESKTOP_APP_DATA_DIR", str(tmp_path / "profile"))
    opened: list[MainWindow] = []

    def close_soon() -> None:
        opened.extend(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        for win in opened:
            win.close()

    QTimer.singleShot(50, close_soon)
    assert launcher.main([]) == 0
    assert len(opened) == 1
    assert (tmp_path / "profile").is_dir()


def test_the_pyside_reference_leak_cannot_exhaust_none() -> None:
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None per void call."""
    if qt_fixes.INSTALLED:
        assert sys.getrefcount(None) > qt_fixes.RESERVE // 2
        assert sys.getrefcount(True) > qt_fixes.RESERVE // 2
    else:
        assert not qt_fixes.leaks_references()
