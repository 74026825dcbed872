"""The conflict panel under pytest-qt (offscreen), on real profiles: two devices made
the problems through a folder remote, the window settles them by mouse and keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.app import App
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import rules
from desktop_app.sync.remote_config import parse_remote
from desktop_app.ui.conflict_panel import ProblemListModel
from desktop_app.ui.main_window import NOTES_TAB, MainWindow
from desktop_app.ui.models import TaskColumn

OUTPUT = Path(os.environ.get("TIDEMARK_TEST_OUTPUT", Path(__file__).parents[1] / "test-output"))


def make_conflicts(root: Path, kinds: set[str]) -> Path:
    """Two devices edit offline and sync through a folder; returns the second's profile."""
    share = root / "share"
    share.mkdir()
    a, b = App(root / "a"), App(root / "b")
    for app in (a, b):
        set_remote(app, parse_remote("folder", str(share)))
    task = a.add_task("Buy milk", due="2026-05-01")
    note = a.add_note("Trip plan", body="pack bags\nbook train\ncall mum")
    doomed = a.add_task("Renew passport")
    for app in (a, b, a):
        sync_now(app)
    if "title" in kinds:
        a.edit(task, title="Buy oat milk")
        b.edit(task, title="Buy almond milk")
    if "body" in kinds:
        a.edit(note, body="pack bags\nbook the 9:12 train\ncall mum")
        b.edit(note, body="pack bags\nbook a flight\ncall mum")
    if "note_title" in kinds:
        a.edit(note, title="Trip plan (June)")
        b.edit(note, title="Summer trip")
    if "deleted" in kinds:
        a.delete(doomed)
        b.edit(doomed, title="Renew passport before June")
    for app in (a, b, a, b):
        sync_now(app)
    a.close()
    b.close()
    return root / "b"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[App]:
    app = App(make_conflicts(tmp_path, {"title", "body", "deleted"}))
    yield app
    app.close()


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


def kinds(engine: App) -> list[str]:
    return [p.kind for p in engine.problems()]


def select(window: MainWindow, kind: str) -> None:
    panel = window.conflict_panel
    row = next(n for n, p in enumerate(panel.model.problems) if p.kind == kind)
    panel.list.setCurrentIndex(panel.model.index(row, 0))


def button(window: MainWindow, option: str) -> QPushButton:
    found = window.conflict_panel.findChild(QPushButton, f"option_{option}")
    assert found is not None, option
    return found


def test_the_panel_lists_every_problem_with_its_versions(window: MainWindow, engine: App) -> None:
    panel = window.conflict_panel
    assert panel.isVisible()  # problems were waiting at start-up
    assert kinds(engine) == ["edited_after_delete", "note_body_conflict", "title_conflict"]
    assert panel.model.rowCount() == 3
    assert panel.badge.isVisible() and panel.badge.text() == "⚠ 3 conflicts"
    select(window, "title_conflict")
    texts = [view.toPlainText() for view in panel.version_views]
    assert texts == ["Buy almond milk", "Buy oat milk"]
    assert "background-color" in panel.version_views[0].toHtml()  # changed words marked
    labels = [b.objectName() for b in panel.option_buttons]
    assert labels == ["option_keep_current", "option_keep_other", "option_keep_both"]


def test_a_click_settles_a_title_and_the_badge_follows(
    qtbot, window: MainWindow, engine: App
) -> None:
    select(window, "title_conflict")
    qtbot.mouseClick(button(window, "keep_other"), Qt.MouseButton.LeftButton)
    (task,) = (t for t in engine.state.tasks.values() if "milk" in t.title)
    assert (task.title, task.title_conflicts) == ("Buy oat milk", ())
    assert "title_conflict" not in kinds(engine)
    assert window.conflict_panel.badge.text() == "⚠ 2 conflicts"


def test_keyboard_arrows_and_enter_apply_the_recommended_option(
    qtbot, window: MainWindow, engine: App
) -> None:
    panel = window.conflict_panel
    window.open_conflicts = panel.open_action
    panel.open_action.trigger()  # Ctrl+Shift+K
    assert panel.list.hasFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Home)
    qtbot.keyClick(panel.list, Qt.Key.Key_Down)  # the body conflict
    assert panel.current_problem().kind == "note_body_conflict"
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)  # recommended: keep both, marked
    (note,) = engine.state.notes.values()
    assert "book the 9:12 train" in note.body and "book a flight" in note.body
    assert note.conflicts == ()
    qtbot.keyClick(panel.list, Qt.Key.Key_Home)  # the deleted task: restore it
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert any(t.title == "Renew passport before June" for t in engine.state.tasks.values())
    assert kinds(engine) == ["title_conflict"]


def test_undo_of_a_resolution_brings_the_problem_back(
    qtbot, window: MainWindow, engine: App
) -> None:
    select(window, "edited_after_delete")
    qtbot.mouseClick(button(window, "keep_deleted"), Qt.MouseButton.LeftButton)
    assert "edited_after_delete" not in kinds(engine)
    assert window.conflict_panel.badge.text() == "⚠ 2 conflicts"
    window.undo_action.trigger()
    assert "edited_after_delete" in kinds(engine)
    assert window.conflict_panel.badge.text() == "⚠ 3 conflicts"
    assert window.conflict_panel.model.rowCount() == 3


def test_edit_merged_text_then_ok(qtbot, window: MainWindow, engine: App) -> None:
    select(window, "note_body_conflict")
    qtbot.mouseClick(button(window, "edit"), Qt.MouseButton.LeftButton)
    editor = window.conflict_panel.merge_editor
    assert editor is not None and "<<<<<<< current version" in editor.text.toPlainText()
    editor.text.setPlainText("pack bags\nbook the 9:12 train or a flight\ncall mum")
    editor.accept()
    (note,) = engine.state.notes.values()
    assert note.body == "pack bags\nbook the 9:12 train or a flight\ncall mum"
    assert "note_body_conflict" not in kinds(engine)


def test_the_note_banner_links_to_the_panel_and_goes_once_resolved(
    qtbot, window: MainWindow, engine: App
) -> None:
    (note,) = engine.state.notes.values()
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note.id)
    banner = window.note_editor.conflict_banner
    assert banner.isVisible() and "Resolve…" in banner.text()
    window.conflict_panel.hide()
    banner.linkActivated.emit("conflicts")
    panel = window.conflict_panel
    assert panel.isVisible() and panel.current_problem().ids == (note.id,)
    qtbot.mouseClick(button(window, "keep_current"), Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_the_banner_shows_any_problem_of_the_note(qtbot, tmp_path: Path) -> None:
    with App(make_conflicts(tmp_path, {"note_title"})) as engine:
        win = MainWindow(engine)
        qtbot.addWidget(win)
        win.show()
        (note,) = engine.state.notes.values()
        win.tabs.setCurrentIndex(NOTES_TAB)
        win.select_note(note.id)
        banner = win.note_editor.conflict_banner
        assert banner.isVisible() and "renamed on two devices" in banner.text()
        win.close()


def test_a_window_without_problems_shows_no_badge_or_panel(qtbot, tmp_path: Path) -> None:
    with App(tmp_path / "calm") as engine:
        engine.add_task("nothing to see")
        win = MainWindow(engine)
        qtbot.addWidget(win)
        win.show()
        assert not win.conflict_panel.isVisible() and not win.conflict_panel.badge.isVisible()
        assert win.conflict_panel.current_problem() is None
        win.close()


def test_the_model_passes_qtmodeltester(qtmodeltester, window: MainWindow) -> None:
    qtmodeltester.check(window.conflict_panel.model)
    model = ProblemListModel(window.session)
    qtmodeltester.check(model)
    assert [model.problem_at(r).id for r in range(model.rowCount())] == [
        p.id for p in rules.problems(window.session.state)
    ]


def test_render_the_panel_for_review(qtbot, tmp_path: Path) -> None:
    """Writes test-output/conflict_panel.png: the panel with two problems."""
    with App(make_conflicts(tmp_path, {"title", "body"})) as engine:
        win = MainWindow(engine)
        qtbot.addWidget(win)
        win.resize(1100, 720)
        win.show()
        qtbot.waitExposed(win)
        select(win, "note_body_conflict")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        target = OUTPUT / "conflict_panel.png"
        assert win.grab().save(str(target))
        assert target.stat().st_size > 10_000
        assert win.conflict_panel.model.rowCount() == 2
        win.close()


def test_rows_with_problems_are_marked_until_settled(qtbot, window: MainWindow) -> None:
    model = window.task_model
    decoration = Qt.ItemDataRole.DecorationRole

    def marked() -> list[str]:
        return [
            model.item_at(r).title
            for r in range(model.rowCount())
            if model.index(r, TaskColumn.TITLE).data(decoration) is not None
        ]

    assert marked() == ["Buy almond milk"]
    select(window, "title_conflict")
    qtbot.mouseClick(button(window, "keep_current"), Qt.MouseButton.LeftButton)
    assert marked() == []
    (note_row,) = range(window.note_model.rowCount())
    assert window.note_model.index(note_row, 0).data(decoration) is not None
