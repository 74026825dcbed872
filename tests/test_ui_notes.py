"""The note pane under pytest-qt: Markdown preview, ticking boxes, wiki links, tags, pin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFont, QTextCursor
from PySide6.QtWidgets import QApplication

from desktop_app.app import App
from desktop_app.core import Action
from desktop_app.ui.main_window import NOTES_TAB, MainWindow
from desktop_app.ui.note_editor import NoteMode
from desktop_app.ui.note_preview import NotePreview
from desktop_app.ui.scope import ALL, NO_LIST

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.note_editor.idle_ms = 60
    win.resize(1200, 700)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


@pytest.fixture
def actions(engine: App) -> list[Action | None]:
    seen: list[Action | None] = []
    engine.store.subscribe(lambda _state, action: seen.append(action))
    return seen


def open_note(window: MainWindow, note_id: str) -> None:
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note_id)
    assert window.note_editor.note_id == note_id


def anchor_point(preview: NotePreview, href: str) -> QPoint:
    """Where the link to ``href`` is drawn in the preview's viewport."""
    block = preview.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(preview.document())
                cursor.setPosition(fragment.position() + min(1, fragment.length() - 1))
                return preview.cursorRect(cursor).center()
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href!r} in the preview")


def click_link(qtbot, preview: NotePreview, href: str) -> None:
    qtbot.mouseClick(preview.viewport(), Qt.MouseButton.LeftButton, pos=anchor_point(preview, href))


def test_the_preview_renders_markdown_beside_a_monospace_editor(qtbot, window, engine) -> None:
    note_id = engine.add_note(
        "Plan", body="# Week\n\n- [ ] milk\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    open_note(window, note_id)
    editor = window.note_editor
    assert editor.mode is NoteMode.SPLIT
    assert editor.body.isVisible() and editor.preview.isVisible()
    font = editor.body.font()  # what the platform then picks depends on its fonts
    assert font.fixedPitch() and font.styleHint() == QFont.StyleHint.Monospace
    html = editor.preview.toHtml()
    assert "Week" in html and "<table" in html and "# Week" not in editor.preview.toPlainText()
    # The source is styled: the heading line has a format of its own.
    block = editor.body.document().firstBlock()
    assert block.layout().formats() and block.layout().formats()[0].format.fontWeight() > 400


def test_ctrl_e_toggles_the_preview_in_place(qtbot, window, engine) -> None:
    note_id = engine.add_note("Plan", body="**bold**")
    open_note(window, note_id)
    editor = window.note_editor
    editor.body.setFocus()
    qtbot.keyClick(editor.body, Qt.Key.Key_E, CTRL)
    assert editor.mode is NoteMode.PREVIEW
    assert not editor.body.isVisible() and editor.preview.isVisible()
    qtbot.keyClick(editor.preview, Qt.Key.Key_E, CTRL)
    assert editor.mode is NoteMode.SPLIT  # back to where it was
    qtbot.keyClick(editor.body, Qt.Key.Key_E, CTRL | SHIFT)
    assert editor.mode is NoteMode.EDIT and not editor.preview.isVisible()


def test_ticking_a_box_in_the_preview_is_one_action(qtbot, window, engine, actions) -> None:
    note_id = engine.add_note("Shop", body="- [ ] milk\n- [ ] eggs\n")
    open_note(window, note_id)
    preview = window.note_editor.preview
    actions.clear()
    click_link(qtbot, preview, "tidemark-task:1")
    assert engine.state.notes[note_id].body == "- [ ] milk\n- [x] eggs\n"
    assert len(actions) == 1
    assert window.note_editor.body.toPlainText() == "- [ ] milk\n- [x] eggs\n"
    # The preview follows, and one undo takes the tick back.
    qtbot.waitUntil(lambda: "\N{BALLOT BOX WITH CHECK}" in preview.toPlainText())
    window.undo()
    assert engine.state.notes[note_id].body == "- [ ] milk\n- [ ] eggs\n"


def test_a_tick_after_typing_saves_the_typing_first(qtbot, window, engine, actions) -> None:
    note_id = engine.add_note("Shop", body="- [ ] milk")
    open_note(window, note_id)
    editor = window.note_editor
    editor.idle_ms = 60_000
    editor.body.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(editor.body, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.body, "- [ ] bread")
    actions.clear()
    assert editor.tick_task(1)
    assert engine.state.notes[note_id].body == "- [ ] milk\n- [x] bread"
    assert len(actions) == 2  # the typing, then the tick: nothing typed is lost


def test_a_wiki_link_opens_its_note_and_the_note_lists_its_backlinks(qtbot, window, engine) -> None:
    home = engine.add_list("Home")
    target = engine.add_note("Pancakes", body="2 eggs", list_name="Home")
    source = engine.add_note("Week", body="Sunday: [[pancakes]]")
    window.sidebar.select_scope(window.sidebar.scope)  # All
    open_note(window, source)
    click_link(qtbot, window.note_editor.preview, f"tidemark-note:{target}")
    assert window.note_editor.note_id == target
    label = window.note_editor.backlinks_label
    assert label.isVisible() and "Week" in label.text()
    label.linkActivated.emit(source)
    assert window.note_editor.note_id == source
    assert home  # the link crossed lists: the scope was All all along


def test_a_link_to_a_missing_note_creates_it(qtbot, window, engine) -> None:
    source = engine.add_note("Week", body="[[Shopping list]]")
    open_note(window, source)
    click_link(qtbot, window.note_editor.preview, "tidemark-new:Shopping%20list")
    (created,) = [n for n in engine.state.notes.values() if n.title == "Shopping list"]
    assert window.note_editor.note_id == created.id


def test_a_wiki_link_outside_the_scope_widens_it(qtbot, window, engine) -> None:
    engine.add_list("Work")
    target = engine.add_note("Elsewhere", list_name="Work")
    source = engine.add_note("Diary", body="[[Elsewhere]]")
    window.sidebar.select_scope(NO_LIST)
    window.filter_edit.setText("diary")
    open_note(window, source)
    click_link(qtbot, window.note_editor.preview, f"tidemark-note:{target}")
    assert window.note_editor.note_id == target
    assert window.filter_edit.text() == ""
    assert window.scope == ALL


class UrlSink(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def test_external_links_open_in_the_browser(qtbot, window, engine) -> None:
    sink = UrlSink()
    QDesktopServices.setUrlHandler("https", sink, "open")
    try:
        note_id = engine.add_note("Links", body="[docs](https://example.org/docs)")
        open_note(window, note_id)
        click_link(qtbot, window.note_editor.preview, "https://example.org/docs")
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert sink.urls == ["https://example.org/docs"]


def test_tags_and_pin_edit_the_note(qtbot, window, engine, actions) -> None:
    older = engine.add_note("Older")
    note_id = engine.add_note("Newer")
    open_note(window, older)
    editor = window.note_editor
    editor.tags_edit.setFocus()
    editor.tags_edit.selectAll()
    qtbot.keyClicks(editor.tags_edit, "#idea, home")
    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Return)
    assert engine.state.notes[older].tags == {"idea", "home"}

    assert [window.note_model.id_at(r) for r in range(2)] == [note_id, older]
    editor.body.setFocus()
    qtbot.keyClick(editor.body, Qt.Key.Key_P, CTRL | SHIFT)
    assert engine.state.notes[older].pinned
    assert editor.pin_button.isChecked()
    assert [window.note_model.id_at(r) for r in range(2)] == [older, note_id]
    assert QApplication.focusWidget() is not None
