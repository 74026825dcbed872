"""Screenshots of the window with sample data (offscreen): Tasks, Today, a note, Settings, dark.

Each run writes PNGs under pytest's temporary folder (printed with -s). With
TIDEMARK_UPDATE_SCREENSHOTS=1 they also replace docs/images/, which docs/ui.md shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.app import App
from desktop_app.ui import indicator_style
from desktop_app.ui.main_window import NOTES_TAB, MainWindow
from desktop_app.ui.scope import TODAY

DOC_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
FIXED_TODAY = date(2026, 3, 10)

NOTE = """# Pancakes

Serves 4. Best on a Sunday.

## Ingredients

- [x] 2 eggs
- [ ] 250 ml milk
- [ ] 125 g flour

## Method

1. Whisk the eggs and milk.
2. Fold in the flour; rest **30 minutes**.

> The first one is always for the cook.

| Batch | Flour | Milk |
|-------|-------|------|
| Small | 125 g | 250 ml |

See [[Weekly plan]] and the [original recipe](https://example.org/pancakes).
"""


def seed(app: App) -> None:
    def day(n: int) -> str:
        return (FIXED_TODAY + timedelta(days=n)).isoformat()

    for title, lst, due, priority, tags in [
        ("Pay electricity bill", "Home", day(-2), "high", ["bills"]),
        ("Call mum", "Home", day(0), "high", ["family"]),
        ("Eggs and flour for pancakes", "Groceries", day(1), "normal", ["shop"]),
        ("Quarterly report draft", "Work", day(2), "high", []),
        ("Review Ana's pull request", "Work", day(0), "normal", []),
        ("Book flights for the offsite", "Work", day(6), "normal", ["travel"]),
        ("Finish 'The Overstory'", "Reading", None, "low", []),
    ]:
        app.add_task(title, list_name=lst, due=due, priority=priority, tags=tags)
    done = app.add_task("Buy milk", list_name="Groceries", tags=["shop"])
    app.edit(done, done=True)
    app.add_note("Weekly plan", list_name="Home", pinned=True, body="- [ ] Monday: [[Pancakes]]")
    app.add_note("Pancakes", list_name="Home", tags=["recipe"], body=NOTE)
    app.add_note("Q1 planning", list_name="Work", body="## Q1\n\n- [ ] Draft the report")


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in [
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#2f65ca"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.Link, "#6ea8fe"),
        (QPalette.ColorRole.PlaceholderText, "#8a8a8a"),
        (QPalette.ColorRole.Mid, "#555555"),
        (QPalette.ColorRole.Light, "#5a5a5a"),
        (QPalette.ColorRole.Midlight, "#454545"),
        (QPalette.ColorRole.Dark, "#1a1a1a"),
        (QPalette.ColorRole.Shadow, "#000000"),
    ]:
        palette.setColor(role, QColor(color))
    return palette


@pytest.fixture
def shots(tmp_path_factory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"\nscreenshots in {folder}")
    if os.environ.get("TIDEMARK_UPDATE_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy2(png, DOC_IMAGES / png.name)


def save(widget: QWidget, folder: Path, name: str) -> Path:
    QApplication.processEvents()
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 10_000  # a real picture, not an empty frame
    return path


@pytest.fixture(autouse=True)
def app_style() -> Iterator[None]:
    """The style ``desktop-app`` runs with (Fusion, check box frames that stand out)."""
    qt_app = QApplication.instance()
    before = qt_app.style().name()
    qt_app.setStyle("Fusion")
    indicator_style.install(qt_app)
    yield
    qt_app.setStyle(before)


def make_window(qtbot, tmp_path: Path) -> tuple[App, MainWindow]:
    app = App(tmp_path / "data")
    seed(app)
    win = MainWindow(app)
    win.session.today = lambda: FIXED_TODAY
    win.task_model.refresh()
    win.sidebar_model.refresh()
    qtbot.addWidget(win)
    win.resize(1100, 640)
    win.show()
    qtbot.waitExposed(win)
    return app, win


def test_screenshots_of_the_main_window(qtbot, tmp_path, shots) -> None:
    app, win = make_window(qtbot, tmp_path)
    try:
        save(win, shots, "tasks")
        win.sidebar.select_scope(TODAY)
        save(win, shots, "today")
        win.sidebar.select_scope(win.sidebar.scope.__class__("all"))
        win.tabs.setCurrentIndex(NOTES_TAB)
        pancakes = next(n.id for n in app.state.notes.values() if n.title == "Pancakes")
        win.select_note(pancakes)
        save(win, shots, "note")
        dialog = win.open_settings()
        dialog.kind.setCurrentIndex(dialog.kind.findData("s3"))
        dialog.bucket.setText("my-notes")
        dialog.region.setText("eu-west-1")
        save(dialog, shots, "settings")
        dialog.close()
    finally:
        win.close()
        app.close()


def test_screenshot_in_a_dark_palette(qtbot, tmp_path, shots) -> None:
    qt_app = QApplication.instance()
    before = qt_app.palette()
    qt_app.setPalette(dark_palette())
    try:
        app, win = make_window(qtbot, tmp_path)
        win.tabs.setCurrentIndex(NOTES_TAB)
        pancakes = next(n.id for n in app.state.notes.values() if n.title == "Pancakes")
        win.select_note(pancakes)
        path = save(win, shots, "dark-note")
        win.tabs.setCurrentIndex(0)
        save(win, shots, "dark-tasks")
        win.filter_edit.setText("pa")  # search marks, overdue red and muted text, dark
        save(win, shots, "dark-search")
        # The preview's text follows the palette: light text on the dark base.
        html = win.note_editor.preview.document().defaultStyleSheet()
        assert "#e6e6e6" in html
        assert path.exists()
        win.close()
        app.close()
    finally:
        qt_app.setPalette(before)
