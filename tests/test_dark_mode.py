"""Dark mode: with Fusion and a dark palette, every coloured text keeps 4.5:1 contrast.

The colours are read back from the widgets (their palettes, the model's
foreground, the extra selections, the conflict panel's document), not from the
functions that made them, so a widget that ignores the palette fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette, QTextFormat
from PySide6.QtWidgets import QApplication, QTextBrowser

from desktop_app.app import App
from desktop_app.ui.colours import MIN_CONTRAST, contrast
from desktop_app.ui.main_window import NOTES_TAB, TASKS_TAB, MainWindow
from desktop_app.ui.models import TaskColumn
from tests.test_conflict_panel import make_conflicts

Role = QPalette.ColorRole
TODAY = date(2026, 3, 10)


def fusion_dark() -> QPalette:
    """A common Fusion dark palette, with the dim placeholder many dark themes ship."""
    palette = QPalette()
    for role, colour in [
        (Role.Window, "#353535"),
        (Role.WindowText, "#ffffff"),
        (Role.Base, "#2a2a2a"),
        (Role.AlternateBase, "#424242"),
        (Role.Text, "#ffffff"),
        (Role.Button, "#353535"),
        (Role.ButtonText, "#ffffff"),
        (Role.Highlight, "#2a82da"),
        (Role.HighlightedText, "#000000"),
        (Role.Link, "#2a82da"),
        (Role.PlaceholderText, "#5a5a5a"),  # 2.2:1 on the base: must be corrected
        (Role.Mid, "#404040"),
    ]:
        palette.setColor(role, QColor(colour))
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6a6a6a"))
    return palette


@pytest.fixture(params=["dark", "light"])
def palette_name(request) -> Iterator[str]:
    qt_app = QApplication.instance()
    before_style, before_palette = qt_app.style().name(), qt_app.palette()
    qt_app.setStyle("Fusion")
    if request.param == "dark":
        qt_app.setPalette(fusion_dark())
    else:
        qt_app.setPalette(qt_app.style().standardPalette())
    yield request.param
    qt_app.setPalette(before_palette)
    qt_app.setStyle(before_style)


@pytest.fixture
def window(qtbot, tmp_path: Path, palette_name: str) -> Iterator[MainWindow]:
    app = App(make_conflicts(tmp_path, {"title", "body", "deleted"}))
    app.add_task("Pay the bill", due=(TODAY - timedelta(days=2)).isoformat(), priority="high")
    done = app.add_task("Old milk")
    app.edit(done, done=True)
    app.add_task("Tagged", tags=["home"])
    win = MainWindow(app)
    win.session.today = lambda: TODAY
    win.task_model.refresh()
    qtbot.addWidget(win)
    win.resize(1000, 640)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    app.close()


def check(what: str, text: QColor, background: QColor, failures: list[str]) -> None:
    ratio = contrast(text, background)
    if ratio < MIN_CONTRAST:
        failures.append(f"{what}: {text.name()} on {background.name()} is {ratio:.2f}:1")


def brush_colour(value: object, fallback: QColor) -> QColor:
    """The colour a role's value paints text in (a colour, or a solid brush)."""
    if isinstance(value, QColor):
        return value
    if isinstance(value, QBrush) and value.style() != Qt.BrushStyle.NoBrush:
        return value.color()
    return fallback


def marked_fragments(view: QTextBrowser) -> list[tuple[str, QColor, QColor]]:
    """(text, foreground, background) of every fragment drawn on a background of its own."""
    found = []
    text = view.palette().color(Role.Text)
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.hasProperty(QTextFormat.Property.BackgroundBrush):
                fg = brush_colour(fmt.foreground(), text)
                found.append((fragment.text(), fg, fmt.background().color()))
            it += 1
        block = block.next()
    return found


def test_coloured_text_stays_readable(qtbot, window: MainWindow, palette_name: str) -> None:
    failures: list[str] = []
    view, model = window.task_view, window.task_model
    bases = [view.palette().color(Role.Base), view.palette().color(Role.AlternateBase)]
    rows = {model.item_at(r).title: r for r in range(model.rowCount())}

    def foreground(title: str, column: TaskColumn) -> QColor:
        value = model.index(rows[title], column).data(Qt.ItemDataRole.ForegroundRole)
        return brush_colour(value, view.palette().color(Role.Text))

    for base in bases:
        check("overdue date", foreground("Pay the bill", TaskColumn.DUE), base, failures)
        check("high priority", foreground("Pay the bill", TaskColumn.PRIORITY), base, failures)
        check("done task", foreground("Old milk", TaskColumn.TITLE), base, failures)
        check("tags", foreground("Tagged", TaskColumn.TAGS), base, failures)
    assert (
        model.index(rows["Pay the bill"], TaskColumn.DUE)
        .data(Qt.ItemDataRole.ToolTipRole)
        .startswith("Overdue")
    )

    # The conflict banner over the note whose body was edited on two devices.
    note = next(n.id for n in window.app.state.notes.values() if n.conflicts)
    window.open_note(note)
    banner = window.note_editor.conflict_banner
    assert banner.isVisible() and banner.autoFillBackground()
    bp = banner.palette()
    check("banner", bp.color(Role.WindowText), bp.color(Role.Window), failures)
    check("banner link", bp.color(Role.Link), bp.color(Role.Window), failures)

    # Search matches in the note's source (extra selections) and in the rows.
    window.filter_edit.setText("pack")
    selections = window.note_editor.body.extraSelections()
    assert selections
    fmt = selections[0].format
    check("match in the note", fmt.foreground().color(), fmt.background().color(), failures)
    window.tabs.setCurrentIndex(NOTES_TAB)

    # Conflict marks: the words that differ between versions, and the badge.
    panel, marks = window.conflict_panel, []
    for problem in panel.model.problems:
        panel.open(problem.id)
        marks += [f for v in panel.version_views for f in marked_fragments(v)]
    assert marks, "the versions show no marked words"
    for text, fg, bg in marks:
        check(f"changed word {text!r}", fg, bg, failures)
    hint = window.conflict_panel.hint
    hp = hint.palette()
    check("panel hint", hp.color(Role.WindowText), hp.color(Role.Window), failures)
    badge = window.conflict_panel.badge
    status_bg = window.status.palette().color(Role.Window)
    check("conflict badge", badge.palette().color(Role.ButtonText), status_bg, failures)

    # The empty state: a filter that matches nothing.
    window.tabs.setCurrentIndex(TASKS_TAB)
    window.filter_edit.setText("no such thing anywhere")
    empty = window.task_empty
    assert empty.isVisible() and empty.text().startswith("No tasks match")
    viewport_bg = view.viewport().palette().color(Role.Base)
    check("empty state", empty.palette().color(Role.WindowText), viewport_bg, failures)

    assert not failures, f"{palette_name} palette: " + "; ".join(failures)
