"""Polish under pytest-qt: date picker, empty states, undo in words, profiles, tab order."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDateEdit

from desktop_app.app import App
from desktop_app.app.data_dir import may_be_platform_data_dir, platform_data_dir
from desktop_app.ui import profile
from desktop_app.ui.delegates import DueDateDelegate
from desktop_app.ui.main import CLOSING_SIGNALS, run
from desktop_app.ui.main_window import NOTES_TAB, TASKS_TAB, MainWindow
from desktop_app.ui.models import TaskColumn
from desktop_app.ui.scope import ALL, TODAY, Scope, list_scope

CTRL = Qt.KeyboardModifier.ControlModifier


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


def due_editor(qtbot, window: MainWindow, row: int) -> QDateEdit:
    index = window.task_model.index(row, TaskColumn.DUE)
    window.task_view.setCurrentIndex(index)
    window.task_view.edit(index)
    # The previous editor may still await its deleteLater: take the open one.
    (editor,) = [e for e in window.task_view.findChildren(QDateEdit, "dueEditor") if e.isVisible()]
    assert editor.calendarPopup()
    return editor


def test_the_due_date_is_picked_from_a_calendar(qtbot, window, engine) -> None:
    task = engine.add_task("dentist")
    editor = due_editor(qtbot, window, 0)
    editor.setDate(QDate(2030, 5, 17))
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # Qt commits on the next loop turn
    qtbot.waitUntil(lambda: str(engine.state.tasks[task].due) == "2030-05-17")

    editor = due_editor(qtbot, window, 0)
    assert editor.date() == QDate(2030, 5, 17)
    editor.setDate(DueDateDelegate.NO_DATE)  # the empty choice: no due date
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: engine.state.tasks[task].due is None)


def test_empty_lists_say_what_to_do_and_empty_results_say_so(qtbot, window, engine) -> None:
    assert window.task_empty.isVisible()
    assert "Type one in the box above" in window.task_empty.text()
    engine.add_task("milk")
    assert not window.task_empty.isVisible()
    window.filter_edit.setText("zebra")
    assert window.task_empty.isVisible()
    assert window.task_empty.text() == "No tasks match “zebra”. Escape clears the filter."
    window.filter_edit.clear()
    window.sidebar.select_scope(TODAY)
    assert window.task_empty.text().startswith("Nothing due today")
    window.tabs.setCurrentIndex(NOTES_TAB)
    assert "pick All or a list" in window.note_empty.text()


def test_undo_and_redo_name_what_they_did(qtbot, window, engine) -> None:
    task = engine.add_task("Buy milk")
    window.task_view.select_id(task)
    window.delete_selected_tasks()
    window.undo()
    assert window.statusBar().currentMessage() == "Undid: delete “Buy milk”."
    window.redo()
    assert window.statusBar().currentMessage() == "Redid: delete “Buy milk”."
    window.undo()
    engine.edit(task, done=True)
    window.undo()
    assert window.statusBar().currentMessage() == "Undid: tick “Buy milk”."
    ids = [engine.add_task(t) for t in ("a", "b")]
    home = engine.add_list("Home")
    window.sidebar.select_scope(list_scope(home))
    from desktop_app.app.organise import move_items

    move_items(engine, ids, home)
    window.undo()
    assert window.statusBar().currentMessage() == "Undid: move 2 items."


def test_an_undo_that_changes_a_note_shows_that_note(qtbot, window, engine) -> None:
    note = engine.add_note("Plan", body="first")
    engine.edit(note, body="second")
    window.tabs.setCurrentIndex(TASKS_TAB)
    window.undo()
    assert engine.state.notes[note].body == "first"
    assert window.tabs.currentIndex() == NOTES_TAB
    assert window.note_editor.note_id == note
    assert window.note_editor.body.toPlainText() == "first"
    assert window.statusBar().currentMessage() == "Undid: edit “Plan”."


def test_each_profile_keeps_its_own_window_state_and_names_itself(qtbot, tmp_path) -> None:
    seen: dict[str, str] = {}

    def close_soon(name: str, width: int) -> None:
        shown = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if not shown or not shown[0].first_paint_done:  # a loaded machine: not up yet
            QTimer.singleShot(20, lambda: close_soon(name, width))
            return
        (win,) = shown
        seen[name] = win.windowTitle()
        win.resize(width, 500)
        win.close()

    for name, width in (("work", 900), ("home", 1100)):
        QTimer.singleShot(50, lambda n=name, w=width: close_soon(n, w))
        assert run(tmp_path / name) == 0
    assert seen == {"work": "All — Tidemark (work)", "home": "All — Tidemark (home)"}
    for name in ("work", "home"):
        ini = QSettings(str(tmp_path / name / profile.SETTINGS_FILE), QSettings.Format.IniFormat)
        assert ini.value("window/geometry") is not None
        assert ini.value("notes/mode") == "split"
    assert profile.profile_name(platform_data_dir()) is None


def test_a_folder_named_like_the_default_elsewhere_is_still_a_named_profile(tmp_path) -> None:
    """The name check spares platformdirs only for folders that cannot be the default."""
    assert may_be_platform_data_dir(platform_data_dir())
    assert profile.profile_name(tmp_path / "tidemark") == "tidemark"
    assert profile.profile_name(tmp_path / "work") == "work"


@pytest.mark.parametrize(
    "sig", [s for s in CLOSING_SIGNALS if s != signal.SIGINT], ids=lambda s: s.name
)
def test_a_kill_or_a_closed_terminal_saves_the_note_being_typed(qtbot, tmp_path, sig) -> None:
    """`kill`, a logout or a closed terminal while typing: the words typed since the
    last pause (not yet an action) are saved, as closing the window saves them."""
    data = tmp_path / "profile"
    with App(data) as seed:
        note = seed.add_note("Draft")
    unhandled: list[int] = []
    previous = signal.signal(sig, lambda signum, frame: unhandled.append(signum))

    def type_then_get_killed() -> None:
        (win,) = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        QTimer.singleShot(5_000, win.close)  # were the signal not handled
        win.note_editor.idle_ms = 60_000  # only the close may save it
        win.tabs.setCurrentIndex(NOTES_TAB)
        win.select_note(note)
        win.note_editor.body.insertPlainText("typed just before the end")
        os.kill(os.getpid(), sig)

    QTimer.singleShot(50, type_then_get_killed)
    try:
        assert run(data) == 0
    finally:
        signal.signal(sig, previous)
    assert unhandled == []
    with App(data) as after:
        assert after.state.notes[note].body == "typed just before the end"


def _the_window() -> MainWindow:
    (win,) = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    return win


def test_the_last_list_tab_and_note_are_back_at_the_next_start(qtbot, tmp_path) -> None:
    data = tmp_path / "profile"
    with App(data) as seed:
        work = seed.add_list("Work")
        seed.add_note("Elsewhere")
        plan = seed.add_note("Plan", list_name="Work")
        seed.add_note("Agenda", list_name="Work")
    seen: list[tuple[Scope, int, str | None]] = []

    def leave_it_there() -> None:
        win = _the_window()
        win.sidebar.select_scope(list_scope(work))
        win.tabs.setCurrentIndex(NOTES_TAB)
        win.select_note(plan)
        win.close()

    def look_then_close(tries: int = 500) -> None:
        win = _the_window()
        if win.note_editor.note_id is None and tries:  # the note comes after the first paint
            QTimer.singleShot(10, lambda: look_then_close(tries - 1))
            return
        seen.append((win.scope, win.tabs.currentIndex(), win.note_editor.note_id))
        win.close()

    QTimer.singleShot(50, leave_it_there)
    assert run(data) == 0
    QTimer.singleShot(50, look_then_close)
    assert run(data) == 0
    assert seen == [(list_scope(work), NOTES_TAB, plan)]

    with App(data) as engine:  # the list goes away on another device, say
        engine.delete(work)
    QTimer.singleShot(50, look_then_close)
    assert run(data) == 0
    assert seen[-1][0] == ALL


def test_tab_leaves_the_task_table(qtbot, window, engine) -> None:
    engine.add_task("a")
    engine.add_task("b")
    window.task_view.setFocus()
    window.task_view.setCurrentIndex(window.task_model.index(0, TaskColumn.TITLE))
    qtbot.keyClick(window.task_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not window.task_view


def test_search_texts_follow_edits_and_never_span_fields(engine) -> None:
    from desktop_app.ui.scope import ALL, Haystacks, select_notes, select_tasks

    milk = engine.add_task("Buy milk", tags=["shop"])
    note = engine.add_note("Pancakes", body="2 eggs")
    hay = Haystacks()
    assert [t.id for t in select_tasks(engine.state, ALL, "#SHOP", haystacks=hay)] == [milk]
    assert select_tasks(engine.state, ALL, "milk #shop", haystacks=hay) == []  # two fields
    first = hay(engine.state.tasks[milk])
    assert hay(engine.state.tasks[milk]) is first  # unchanged item: the same text
    engine.edit(milk, title="Buy oat drink")
    assert select_tasks(engine.state, ALL, "milk", haystacks=hay) == []
    assert [n.id for n in select_notes(engine.state, ALL, "EGGS", hay)] == [note]


def test_the_status_counts_follow_the_filter(qtbot, window, engine) -> None:
    engine.add_task("milk")
    done = engine.add_task("bread")
    engine.edit(done, done=True)
    engine.add_note("milk prices")
    qtbot.waitUntil(lambda: window.status.counts_label.text() == "1 open · 1 done · 1 note")
    window.filter_edit.setText("milk")
    qtbot.waitUntil(
        lambda: window.status.counts_label.text() == "Filtered: 1 open · 0 done · 1 note"
    )


def test_ctrl_1_2_3_focus_the_sidebar_the_rows_and_the_editor(qtbot, window, engine) -> None:
    engine.add_task("a")
    note = engine.add_note("n")
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.sidebar.view
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.task_view
    assert window.task_view.currentIndex().isValid()  # arrows work at once
    window.select_note(note)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == NOTES_TAB
    assert QApplication.focusWidget() is window.note_editor.body
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.note_list
    qtbot.waitUntil(lambda: bool(window.styleSheet()))  # set right after the first paint
    assert ":focus { border: 2px solid palette(highlight)" in window.styleSheet()
    assert "QTableView#tasks:focus" in window.styleSheet()


def test_a_long_sync_message_never_widens_the_window(qtbot, window, engine) -> None:
    from desktop_app.ui.sync_status import MAX_WIDTH

    window.resize(700, 500)
    qtbot.wait(10)
    width = window.width()
    long = "Sync failed: " + "the endpoint answered something nobody expected, " * 8
    window.show_sync_status(long)
    qtbot.wait(10)
    assert window.width() == width
    label = window.status.sync_label
    assert label.width() <= MAX_WIDTH and label.text() == long
    assert long in label.toolTip()
    engine.add_task("waiting to be sent")
    with qtbot.waitSignal(label.clicked):
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    details = window.sync_details()
    assert details.startswith(long)
    assert "Changes waiting to be sent: 1" in details
    assert "Remote: none (this computer only)" in details
    assert "Last sync: never" in details


def run_palette(qtbot, window: MainWindow, typed: str, keys=()) -> list[str]:
    """Ctrl+K, type, optional arrows, Enter; returns what the palette listed."""
    from desktop_app.ui.command_palette import CommandPalette

    shown: list[str] = []

    def answer() -> None:
        palette = QApplication.activeModalWidget()
        assert isinstance(palette, CommandPalette)
        qtbot.keyClicks(palette.query, typed)
        shown.extend(palette.shown())
        for key in keys:
            qtbot.keyClick(palette.query, key)
        qtbot.keyClick(palette.query, Qt.Key.Key_Return)

    if not window.isActiveWindow():  # offscreen, a closed dialog hands activation back late
        with qtbot.waitActive(window):
            window.activateWindow()
    QTimer.singleShot(0, answer)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_K, CTRL)
    return shown


def test_ctrl_k_jumps_to_notes_tasks_lists_and_runs_commands(qtbot, window, engine) -> None:
    work = engine.add_list("Work")
    note = engine.add_note("Pancake recipe", list_name="Work")
    task = engine.add_task("Call the bank")
    engine.edit(task, done=True)
    window.task_model.set_hide_done(True)
    window.sidebar.select_scope(list_scope(work))

    shown = run_palette(qtbot, window, "panc")
    assert shown == ["Note: Pancake recipe"]
    assert window.tabs.currentIndex() == NOTES_TAB and window.note_editor.note_id == note

    shown = run_palette(qtbot, window, "bank")
    assert shown == ["Task: Call the bank    done"]
    assert window.tabs.currentIndex() == TASKS_TAB
    assert window.task_view.selected_ids() == [task]  # found though done ones were hidden

    run_palette(qtbot, window, "list work")
    assert window.scope == list_scope(work)

    shown = run_palette(qtbot, window, "hide completed")
    assert shown == ["Command: Hide Completed Tasks    Ctrl+Shift+H"]
    assert window.task_model.hide_done is True  # shown again above, hidden again now
