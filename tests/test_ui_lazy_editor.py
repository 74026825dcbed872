"""The note editor is made when first needed, and then is as if it had always been there.

Made on the turn after the first paint, when the Notes tab is shown, or when
anything asks for it; until then the window keeps what it would have handed it
(the saved mode, the filter, the current note) and hands it over when it is made.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.app import App
from desktop_app.ui.main_window import NOTES_TAB, TASKS_TAB, MainWindow
from desktop_app.ui.note_editor import NoteEditor, NoteMode
from desktop_app.ui.profile import window_settings


def test_the_editor_is_made_on_the_turn_after_the_first_paint(qtbot, engine: App) -> None:
    window = MainWindow(engine)
    qtbot.addWidget(window)
    assert window._note_editor is None  # the Tasks tab's first paint does not wait for it
    assert window.notes_splitter.count() == 2
    with qtbot.waitSignal(window.first_painted, timeout=5000):
        window.show()
    editor = window._note_editor
    assert isinstance(editor, NoteEditor)
    assert window.notes_splitter.widget(1) is editor
    assert window.note_editor is editor  # made once
    window.close()


def test_what_the_window_kept_is_handed_to_the_editor_when_it_is_made(
    qtbot, tmp_path: Path, engine: App
) -> None:
    first = engine.add_note("Groceries", body="eggs and flour")
    engine.add_note("Travel", body="pack the flour sifter")
    settings = window_settings(tmp_path)
    settings.setValue("notes/mode", NoteMode.EDIT.value)  # not the editor's own default
    window = MainWindow(engine, settings)
    qtbot.addWidget(window)
    window.filter_edit.setText("flour")
    window.note_list.setCurrentIndex(window.note_model.index(window.note_model.row_of(first), 0))
    assert window._note_editor is None
    window.tabs.setCurrentIndex(NOTES_TAB)  # showing the tab makes it
    editor = window._note_editor
    assert editor is not None
    assert editor.mode is NoteMode.EDIT
    assert editor.note_id == first
    assert editor.body.toPlainText() == "eggs and flour"
    assert editor.match_ranges(editor.body) == [(9, 14)]  # the filter's match, marked
    window.tabs.setCurrentIndex(TASKS_TAB)
    window.close()


def test_a_window_closed_before_the_editor_was_made_keeps_the_saved_note_and_mode(
    qtbot, tmp_path: Path, engine: App
) -> None:
    note = engine.add_note("Kept", body="x")
    settings = window_settings(tmp_path)
    settings.setValue("notes/mode", NoteMode.PREVIEW.value)
    window = MainWindow(engine, settings)
    qtbot.addWidget(window)
    window.note_list.setCurrentIndex(window.note_model.index(window.note_model.row_of(note), 0))
    window.close()
    assert window._note_editor is None
    assert settings.value("notes/mode") == NoteMode.PREVIEW.value
    assert settings.value("place/note") == note


def test_the_editor_takes_the_room_the_splitter_gives_it(qtbot, engine: App) -> None:
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    before = window.notes_splitter.sizes()
    window.resize(1400, 600)
    qtbot.waitUntil(lambda: window.notes_splitter.sizes() != before)
    after = window.notes_splitter.sizes()
    assert after[0] == before[0]  # the list keeps its width; the editor grows
    assert after[1] > before[1]
    window.close()
