"""The search keystroke's shortcuts (docs/performance.md, "Search keystroke") never change
what it shows: the joined-text search, typing on over the last matches, the cached
search texts through edits, and the one paint that shows the key's result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QImage

from desktop_app.app import App
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models.corpus import SEPARATOR, Corpus
from desktop_app.ui.scope import select_notes, select_tasks

LETTERS = "ab .(\n" + SEPARATOR  # few letters: matches, misses and near misses all happen


class EagerCorpus(Corpus):
    """Looks at the density after every match, so that short lists take that path too."""

    DENSE_CHECK = 1
    DENSE_SHARE = 2


@given(
    texts=st.lists(st.text(LETTERS, max_size=8), max_size=30),
    needle=st.text(LETTERS, max_size=3),
)
def test_the_joined_search_finds_what_testing_each_text_finds(texts, needle) -> None:
    one_by_one = [i for i, text in enumerate(texts) if needle in text]
    assert Corpus(texts).matching(needle) == one_by_one
    assert EagerCorpus(texts).matching(needle) == one_by_one


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.resize(1000, 600)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def shows_a_fresh_selection(window: MainWindow, engine: App, text: str) -> None:
    """The models' rows are what selecting from scratch gives for ``text``."""
    model = window.task_model
    descending = model._sort_order == Qt.SortOrder.DescendingOrder
    state, scope = engine.state, window.scope
    tasks = select_tasks(state, scope, text, sort=model.sort_key, descending=descending)
    assert model.ids() == [t.id for t in tasks], text
    assert window.note_model.ids() == [n.id for n in select_notes(state, scope, text)], text


WORDS = ["call", "cal", "mum", "bank", "Call Mum", "ab", "ba", "a"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("type"), st.sampled_from(WORDS)),
        st.tuples(st.just("backspace"), st.integers(1, 3)),
        st.tuples(st.just("title"), st.integers(0, 50), st.sampled_from(WORDS)),
        st.tuples(st.just("body"), st.integers(0, 50), st.sampled_from(WORDS)),
        st.tuples(st.just("tag"), st.integers(0, 50), st.sampled_from(["mum", "bank"])),
        st.tuples(st.just("add"), st.sampled_from(WORDS)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
    ),
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps)
def test_typing_and_editing_in_any_order_shows_a_fresh_selection(window, engine, steps) -> None:
    """Keys typed and erased with edits in between (titles, bodies, tags, adds and
    deletes): every step shows exactly what a fresh selection shows. A cached search
    text that outlived its item's edit, or typing on over too few rows, would not."""
    if not engine.state.tasks:
        for word in WORDS:
            engine.add_task(f"task {word}")
            engine.add_note(f"note {word}", body=f"about {word}")
    text = window.filter_edit.text()
    for step in steps:
        items = sorted([*engine.state.tasks, *engine.state.notes])
        kind = step[0]
        if kind == "type":
            text += step[1][: 1 + len(text) % 3]
            window.filter_edit.setText(text)
        elif kind == "backspace":
            text = text[: -step[1]]
            window.filter_edit.setText(text)
        elif kind == "add":
            engine.add_task(f"added {step[1]}")
        elif items and kind == "delete":
            engine.delete(items[step[1] % len(items)])
        elif items and kind == "title":
            engine.edit(items[step[1] % len(items)], title=f"edited {step[2]}")
        elif items and kind == "body":
            note_ids = sorted(engine.state.notes)
            if note_ids:
                engine.edit(note_ids[step[1] % len(note_ids)], body=f"now {step[2]}")
        elif items and kind == "tag":
            engine.edit(items[step[1] % len(items)], add_tags=[step[2]])
        shows_a_fresh_selection(window, engine, text)


def test_an_edit_is_found_by_the_next_keystroke(window, engine) -> None:
    """The search texts are kept between keys; an edit made meanwhile is searched as edited."""
    plumber = engine.add_task("Ring the plumber")
    note = engine.add_note("Errands", body="milk")
    engine.add_task("Call mum")
    window.filter_edit.setFocus()  # prepares every search text
    window.filter_edit.setText("cal")
    assert plumber not in window.task_model.ids()
    engine.edit(plumber, title="Call the plumber")
    engine.edit(note, body="call the bank")
    window.filter_edit.setText("call")  # typing on: the last matches narrowed
    assert plumber in window.task_model.ids()
    assert window.note_model.ids() == [note]
    shows_a_fresh_selection(window, engine, "call")


def screen_image(window: MainWindow) -> QImage:
    """What the window shows now (the offscreen screen keeps what was last painted)."""
    return QGuiApplication.primaryScreen().grabWindow(window.winId()).toImage()


def test_one_event_loop_turn_shows_the_whole_result_of_a_key(qtbot, window, engine) -> None:
    """The rows shrinking to a few hide the scroll bar, which widens the title column,
    and change the counts: all of it is laid out with the filter, so the first paint
    after the key already shows what a full repaint would (not three paints in turn)."""
    for i in range(80):
        engine.add_task(f"Task {i}" if i % 20 else f"Call mum {i}")
    window.filter_edit.setFocus()
    qtbot.wait(50)
    assert window.task_view.verticalScrollBar().isVisible()
    window.filter_edit.setText("call")
    QCoreApplication.processEvents()  # one turn of the event loop
    shown = screen_image(window)
    assert not window.task_view.verticalScrollBar().isVisible()
    assert window.status.counts_label.text().startswith("Filtered: 4 open")
    window.repaint()  # everything painted afresh, as laid out now
    assert screen_image(window) == shown

    window.filter_edit.setText("")
    qtbot.wait(50)
    paints = PaintCounter()
    window.task_view.viewport().installEventFilter(paints)
    window.filter_edit.setText("call")
    qtbot.wait(50)  # whatever the key left to later turns
    assert paints.count == 1


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_deleted_items_texts_are_dropped_once_they_pile_up(engine) -> None:
    """Clearing the filter forgets deleted items' texts only when they may be a fifth
    of the cache: a pass over every id is ~10 ms at 120,000 items."""
    from desktop_app.ui.scope import Haystacks

    hay = Haystacks()
    ids = [engine.add_task(f"task {i}") for i in range(10)]
    for task_id in ids:
        hay(engine.state.tasks[task_id])
    engine.delete(ids[0])
    hay.forget_missing(engine.state)
    assert len(hay) == 10  # one stale text among ten: no pass over the ids
    for task_id in ids[1:5]:
        engine.delete(task_id)
    hay.forget_missing(engine.state)
    assert len(hay) == 5
