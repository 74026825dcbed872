"""Search under pytest-qt: the filter's matches are highlighted in the rows and in the note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from desktop_app.app import App
from desktop_app.ui import colours
from desktop_app.ui.main_window import NOTES_TAB, MainWindow
from desktop_app.ui.models import TaskColumn
from desktop_app.ui.note_editor import NoteMode
from desktop_app.ui.scope import match_spans


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.resize(1000, 600)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def count_colour(image: QImage, wanted) -> int:
    """Pixels of exactly ``wanted`` (the highlight is a flat fill)."""
    rgb = wanted.rgb()
    return sum(
        image.pixel(x, y) == rgb
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )


def test_match_spans_are_case_blind_and_count_utf16_units() -> None:
    assert match_spans("Buy MILK and milk", " milk ") == [(4, 4), (13, 4)]
    assert match_spans("Buy milk", "") == []
    assert match_spans("Buy milk", "bread") == []
    assert match_spans("a.b", ".") == [(1, 1)]  # the needle is text, not a pattern
    assert match_spans("🐄 milk", "milk") == [(3, 4)]  # the cow is two UTF-16 units


def test_the_rows_highlight_what_the_filter_matched(qtbot, window, engine) -> None:
    engine.add_task("Buy milk", tags=["shop"])
    engine.add_task("Milk the goat, then milk the cow")
    engine.add_task("Bread")
    engine.add_note("Milkshake recipe")
    window.filter_edit.setText("milk")
    model, delegate = window.task_model, window.task_matches
    assert model.rowCount() == 2
    spans = {
        model.item_at(r).title: delegate.spans(model.index(r, TaskColumn.TITLE))
        for r in range(model.rowCount())
    }
    assert spans == {"Buy milk": [(4, 4)], "Milk the goat, then milk the cow": [(0, 4), (20, 4)]}
    assert window.task_view.itemDelegateForColumn(TaskColumn.TITLE) is delegate
    # The fill is painted: the mark colour shows in the table, and is gone once cleared.
    mark, _ = colours.mark(window.task_view.palette())
    shown = window.task_view.viewport().grab().toImage()
    assert count_colour(shown, mark) > 50
    window.tabs.setCurrentIndex(NOTES_TAB)
    note_index = window.note_model.index(0, 0)
    assert window.note_matches.spans(note_index) == [(0, 4)]
    assert count_colour(window.note_list.viewport().grab().toImage(), mark) > 20
    window.tabs.setCurrentIndex(0)
    window.filter_edit.setText("")
    assert delegate.spans(model.index(0, TaskColumn.TITLE)) == []
    assert count_colour(window.task_view.viewport().grab().toImage(), mark) == 0


def test_tags_are_highlighted_too(qtbot, window, engine) -> None:
    engine.add_task("Eggs", tags=["shop", "weekly"])
    window.filter_edit.setText("#sho")
    index = window.task_model.index(0, TaskColumn.TAGS)
    assert index.data() == "#shop #weekly"
    assert window.task_view.itemDelegateForColumn(TaskColumn.TAGS).spans(index) == [(0, 4)]


def test_the_note_highlights_matches_in_source_and_preview(qtbot, window, engine) -> None:
    body = "# Pancakes\n\nWhisk the **milk** and eggs.\n\n- [ ] Buy Milk\n"
    note = engine.add_note("Pancakes", body=body)
    window.open_note(note)
    editor = window.note_editor
    editor.set_mode(NoteMode.SPLIT)
    window.filter_edit.setText("milk")
    source = editor.match_ranges(editor.body)
    assert [body[a:b] for a, b in source] == ["milk", "Milk"]
    preview = editor.preview
    rendered = preview.toPlainText()
    marks = [rendered[a:b] for a, b in editor.match_ranges(preview)]
    assert marks == ["milk", "Milk"]  # the rendered text, without the ** around it
    # A typed match is marked at once; a re-render keeps the preview's marks.
    editor.body.moveCursor(editor.body.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.body, "more milk")
    assert len(editor.match_ranges(editor.body)) == 3
    qtbot.waitUntil(lambda: len(editor.match_ranges(preview)) == 3)
    window.filter_edit.setText("")
    assert editor.match_ranges(editor.body) == []
    assert editor.match_ranges(preview) == []


def test_a_note_opened_while_filtering_is_highlighted(qtbot, window, engine) -> None:
    first = engine.add_note("One", body="nothing here")
    second = engine.add_note("Two", body="a needle, and a NEEDLE")
    window.open_note(first)
    window.filter_edit.setText("needle")
    assert window.note_model.rowCount() == 1
    window.note_list.setCurrentIndex(window.note_model.index(0, 0))
    assert window.note_editor.note_id == second
    assert len(window.note_editor.match_ranges(window.note_editor.body)) == 2
    assert (
        window.note_editor.body.extraSelections()[0].format.background().color()
        == (colours.mark(window.note_editor.body.palette())[0])
    )


def test_typing_narrows_and_backspace_widens_like_a_fresh_selection(qtbot, window, engine) -> None:
    """The keystroke cache (rows and texts kept, typing on narrows the last matches)
    must always show what a fresh selection would."""
    from desktop_app.ui.scope import select_notes, select_tasks

    for title in [
        "Call mum",
        "Cancel gym",
        "call the bank",
        "Buy milk",
        "Calendar",
        "Mum's birthday",
    ]:
        engine.add_task(title, tags=["family"] if "mum" in title.lower() else [])
    engine.add_note("Calls to make", body="mum, the bank")
    engine.add_note("Groceries", body="milk")

    def expect(text: str) -> None:
        state, scope = engine.state, window.scope
        model = window.task_model
        descending = model._sort_order == Qt.SortOrder.DescendingOrder
        tasks = [
            t.id
            for t in select_tasks(state, scope, text, sort=model.sort_key, descending=descending)
        ]
        notes = [n.id for n in select_notes(state, scope, text)]
        assert window.task_model.ids() == tasks, text
        assert window.note_model.ids() == notes, text

    for text in ["c", "ca", "cal", "call", "cal", "ca", "#fam", "mum", "m", "", "zzz", "ba"]:
        window.filter_edit.setText(text)
        expect(text)
    window.filter_edit.setText("call")
    engine.add_task("Call the plumber")  # a change while filtered shows up
    expect("call")
    window.filter_edit.setText("call the")
    expect("call the")
    window.task_model.sort(TaskColumn.TITLE, Qt.SortOrder.DescendingOrder)
    expect("call the")
    window.filter_edit.setText("cal")
    expect("cal")
