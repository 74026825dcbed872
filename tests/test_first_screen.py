"""The first paint from the screen the last session saved (``ui.first_screen``).

A window closing saves what its first screen shows with the position of the
state it came from; the next start paints from it, reading no state, while the
profile is unchanged, the view the same and the day the same, then reads the
state on the turn after the paint. These tests open the profile as ``run`` does
(``App(lazy=True)``), on real SQLite files, and check that:
* the first paint shows what the whole state would, pixel for pixel;
* anything that changed the profile since, or another view or day, is not
  shown from the saved screen;
* an edit made while the saved screen shows lands on the real state;
* a lazy ``App`` reads its state whenever anything needs it, and only then.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.app import App, engine
from desktop_app.app.engine import VIEW_CACHE_META
from desktop_app.ui import first_screen
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import TaskColumn
from desktop_app.ui.profile import window_settings

TODAY = date.today()


def make_profile(data_dir: Path, tasks: int) -> None:
    with App(data_dir) as app:
        home = app.add_list("Home")
        app.add_list("Work")
        for i in range(tasks):
            app.add_task(
                f"Task {i:03}",
                list_name="Home" if i % 3 else None,
                tags=[f"t{i % 4}"],
                due=(TODAY + timedelta(days=i % 9 - 2)).isoformat() if i % 5 == 0 else None,
                priority="high" if i % 7 == 0 else "normal",
            )
        for i in range(3):
            app.add_note(f"Note {i}", body="words " * 200, list_name="Work")
        assert home


def session_closes(qtbot, data_dir: Path) -> None:
    """One whole session of the window: opened, painted, closed (which saves)."""
    app = App(data_dir, lazy=True)
    try:
        window = MainWindow(app, window_settings(data_dir))
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.first_painted, timeout=10_000):
            window.show()
        window.close()
    finally:
        app.close()


@pytest.fixture
def saved(qtbot, tmp_path: Path) -> Path:
    """A 50-task profile whose last window session saved its first screen."""
    data_dir = tmp_path / "profile"
    make_profile(data_dir, 50)
    session_closes(qtbot, data_dir)
    return data_dir


@pytest.fixture
def opened(qtbot, saved: Path) -> Iterator[tuple[App, MainWindow]]:
    """The saved profile opened as ``run`` opens it; the window made, not yet shown."""
    app = App(saved, lazy=True)
    window = MainWindow(app, window_settings(saved))
    qtbot.addWidget(window)
    yield app, window
    window.close()
    app.close()


def task_titles(window: MainWindow) -> list[str]:
    model = window.task_model
    return [model.index(r, TaskColumn.TITLE).data() for r in range(model.rowCount())]


def note_titles(window: MainWindow) -> list[str]:
    model = window.note_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def sidebar(window: MainWindow) -> list[tuple[str, int]]:
    return [(row.label, row.open_tasks) for row in window.sidebar_model._rows]


def test_the_first_paint_reads_no_state_and_shows_what_the_state_would(
    qtbot, opened: tuple[App, MainWindow]
) -> None:
    app, window = opened
    window.resize(1000, 700)
    assert window.session.preview is not None
    window.removeEventFilter(window)  # its first paint's turn after (reading the state) is ours
    window.grab()  # polished and laid out, as a shown window is before its first paint
    QApplication.sendPostedEvents()
    before = window.grab().toImage()  # what the first paint draws
    titles, notes, rows = task_titles(window), note_titles(window), sidebar(window)
    status = window.status.counts_label.text()
    assert not app.loaded
    window.session.load()
    # Posted events only: the turn after the paint (a style sheet) is not compared.
    QApplication.sendPostedEvents()
    assert app.loaded and window.session.preview is None
    assert task_titles(window) == titles == sorted(titles)
    assert len(titles) == 50
    assert sidebar(window) == rows
    assert note_titles(window) == notes != []  # the hidden tab is not shown empty either
    window._update_counts()
    assert window.status.counts_label.text() == status != ""
    after = window.grab().toImage()
    assert before == after  # pixel for pixel


def test_a_long_view_shows_its_first_rows_then_all_of_them(
    qtbot, qtmodeltester, tmp_path: Path
) -> None:
    """200 rows are saved; the scroll bar is sized for all of them from the first paint."""
    data_dir = tmp_path / "long"
    total = first_screen.ROWS + 100
    make_profile(data_dir, total)
    session_closes(qtbot, data_dir)
    app = App(data_dir, lazy=True)
    window = MainWindow(app, window_settings(data_dir))
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.removeEventFilter(window)  # its first paint's turn after (reading the state) is ours
    first, counts = task_titles(window), sidebar(window)
    assert not app.loaded
    assert len(first) == total and first.count(None) == 100  # the rows to come read as empty
    qtmodeltester.check(window.task_model)
    window.grab()  # polished and laid out, as a shown window is before its first paint
    QApplication.sendPostedEvents()
    before = window.grab().toImage()
    bar = window.task_view.verticalScrollBar()
    extent = (bar.maximum(), bar.pageStep())
    window.session.load()
    QApplication.sendPostedEvents()
    everything = task_titles(window)
    assert app.loaded and None not in everything and len(everything) == total
    assert everything[: first_screen.ROWS] == first[: first_screen.ROWS]
    assert sidebar(window) == counts  # the whole profile's counts from the first paint
    assert (bar.maximum(), bar.pageStep()) == extent
    assert window.grab().toImage() == before  # pixel for pixel, scroll bar included
    qtmodeltester.check(window.task_model)
    window.close()
    app.close()


def test_an_action_journaled_since_by_another_process_is_not_hidden(qtbot, saved: Path) -> None:
    with App(saved) as cli:  # `tidemark add` while the window was closed
        cli.add_task("Added from the command line")
    app = App(saved, lazy=True)
    window = MainWindow(app, window_settings(saved))
    qtbot.addWidget(window)
    assert window.session.preview is None
    assert "Added from the command line" in task_titles(window)
    window.close()
    app.close()


def test_a_view_rewritten_since_is_not_shown_from_the_saved_screen(saved: Path) -> None:
    """A sync round rewrites the view under a new generation, journaling nothing."""
    with App(saved) as other, other.local.transaction() as db:
        other.local.set_meta("view_generation", str(other.local.view_generation() + 1), db)
    app = App(saved, lazy=True)
    try:
        assert first_screen.load(app, window_settings(saved), TODAY) is None
    finally:
        app.close()


def test_another_day_or_another_view_starts_the_usual_way(saved: Path) -> None:
    app = App(saved, lazy=True)
    settings = window_settings(saved)
    try:
        assert first_screen.load(app, settings, TODAY) is not None
        # Overdue colours and Today's count are of the day they were saved on.
        assert first_screen.load(app, settings, TODAY + timedelta(days=1)) is None
        settings.setValue("tasks/hide_done", True)
        assert first_screen.load(app, settings, TODAY) is None
        settings.setValue("tasks/hide_done", False)
        settings.setValue("sort/all:", "1 1")  # sorted by title, descending
        assert first_screen.load(app, settings, TODAY) is None
        settings.setValue("sort/all:", "")
        settings.setValue("place/scope", "trash")  # the Trash has no saved screen
        assert first_screen.load(app, settings, TODAY) is None
        assert not app.loaded
    finally:
        app.close()


def test_a_damaged_saved_screen_is_passed_over(saved: Path) -> None:
    with App(saved) as other:
        key = f"{VIEW_CACHE_META}{first_screen.CACHE_NAME}"
        position, _, _ = str(other.local.meta(key)).partition("\n")
        with other.local.transaction() as db:
            other.local.set_meta(key, position + '\n{"format": 1, "view": tru', db)
    app = App(saved, lazy=True)
    try:
        assert app.view_cache(first_screen.CACHE_NAME) is not None  # same position
        assert first_screen.load(app, window_settings(saved), TODAY) is None
    finally:
        app.close()


def test_an_edit_while_the_saved_screen_shows_lands_on_the_whole_state(
    opened: tuple[App, MainWindow],
) -> None:
    app, window = opened
    model = window.task_model
    assert window.session.preview is not None
    row = task_titles(window).index("Task 007")
    task_id = model.id_at(row)
    assert model.setData(model.index(row, TaskColumn.TITLE), "Renamed before the paint")
    assert app.loaded and window.session.preview is None
    assert app.state.tasks[task_id].title == "Renamed before the paint"
    assert len(app.state.tasks) == 50
    assert "Renamed before the paint" in task_titles(window)
    assert len(task_titles(window)) == 50


def test_a_window_closed_before_its_first_paint_leaves_the_profile_as_it_was(
    qtbot, saved: Path
) -> None:
    key = f"{VIEW_CACHE_META}{first_screen.CACHE_NAME}"
    with App(saved, read_only=True) as peek:
        cached, view = peek.local.meta(key), peek.local.load_checkpoint("view")
    app = App(saved, lazy=True)
    window = MainWindow(app, window_settings(saved))
    qtbot.addWidget(window)
    window.close()
    app.close()
    assert not app.loaded
    with App(saved, read_only=True) as peek:
        assert peek.local.meta(key) == cached
        assert peek.local.load_checkpoint("view") == view
    app = App(saved, lazy=True)  # and the next start still paints from it
    try:
        assert first_screen.load(app, window_settings(saved), TODAY) is not None
    finally:
        app.close()


def test_a_lazy_app_reads_its_state_when_anything_needs_it(tmp_path: Path) -> None:
    make_profile(tmp_path, 3)
    app = App(tmp_path, lazy=True)
    seen: list[bool] = []
    app.when_loaded(lambda: seen.append(app.loaded))
    assert not app.loaded and seen == []
    task = app.add_task("Needs the state")  # no explicit load
    assert seen == [True]
    assert app.loaded and len(app.state.tasks) == 4
    app.close()
    with App(tmp_path) as again:
        assert again.state.tasks[task].title == "Needs the state"
    for name in ("store", "_mark", "_data_version", "_view_generation"):
        lazy = App(tmp_path, lazy=True)
        getattr(lazy, name)
        assert lazy.loaded, name
        lazy.close()
    lazy = App(tmp_path, lazy=True)
    with pytest.raises(AttributeError):
        lazy.no_such_attribute  # noqa: B018
    assert not lazy.loaded
    with App(tmp_path, read_only=True) as eager:  # what loading sets, all of it covered
        assert set(vars(eager)) - set(vars(lazy)) == engine._SET_BY_LOAD
    lazy.close()


def test_the_saved_position_names_the_state(tmp_path: Path) -> None:
    with App(tmp_path) as app:
        app.add_task("One")
        app.save_view_cache("probe", lambda state: f"{len(state.tasks)} tasks")
        assert app.view_cache("probe") == "1 tasks"
        app.checkpoint()  # the same state saved again: still named by the position
        assert app.view_cache("probe") == "1 tasks"
        app.add_task("Two")
        assert app.view_cache("probe") is None
        with App(tmp_path) as other:  # another connection's action
            app.save_view_cache("probe", lambda state: f"{len(state.tasks)} tasks")
            assert app.view_cache("probe") == "2 tasks"
            other.add_task("Three")
        assert app.view_cache("probe") is None
        app.save_view_cache("probe", lambda state: None)
        assert app.local.meta(f"{VIEW_CACHE_META}probe") is None


def test_conflict_marks_show_from_the_first_paint(qtbot, tmp_path: Path) -> None:
    """A note's kept versions are not saved with its row, nor the tombstones: the marks
    are saved as they were."""
    from tests.test_conflict_panel import make_conflicts

    data_dir = make_conflicts(tmp_path, {"body", "deleted"})
    session_closes(qtbot, data_dir)
    app = App(data_dir, lazy=True)
    window = MainWindow(app, window_settings(data_dir))
    qtbot.addWidget(window)

    def marked() -> list[str]:
        decoration = Qt.ItemDataRole.DecorationRole
        return [
            str(model.index(r, column).data())
            for model, column in ((window.task_model, TaskColumn.TITLE), (window.note_model, 0))
            for r in range(model.rowCount())
            if model.index(r, column).data(decoration) is not None
        ]

    first = marked()
    assert window.session.preview is not None and not app.loaded
    window.session.load()
    assert marked() == first == ["Trip plan"]
    window.close()
    app.close()


def test_a_state_that_cannot_be_read_after_the_paint_is_said_and_closes_the_window(
    qtbot, monkeypatch: pytest.MonkeyPatch, opened: tuple[App, MainWindow]
) -> None:
    """The profile opened (its saved screen painted) but reading its state fails (a disk
    error): one plain message, and the window closes rather than show a state it lacks."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.storage import StorageError

    app, window = opened

    def fail() -> None:
        raise StorageError("disk I/O error reading the view")

    monkeypatch.setattr(app, "_load_view", fail)
    said: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            said.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.show()
    assert said == ["Tidemark cannot open its data.\n\ndisk I/O error reading the view"]
    assert not app.loaded and not window.isVisible()


def test_nothing_moves_when_the_turn_after_the_first_paint_runs(
    qtbot, opened: tuple[App, MainWindow]
) -> None:
    """That turn reads the state, adds the conflict badge and the focus ring's style
    sheet, and (in ``run``) the sync status: the window's parts keep their places."""
    from PySide6.QtCore import QEvent, QObject

    from desktop_app.ui.main import Started

    app, window = opened
    parts = (window.sidebar, window.task_view, window.quick_add, window.status)
    at_paint: list[list[object]] = []

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not at_paint:
                at_paint.append([p.geometry() for p in parts])
            return False

    window.installEventFilter(FirstPaint(window))
    started = Started(smoke=True)  # no sync round: only the status it shows
    window.first_painted.connect(lambda: started.after_first_paint(app, window))
    try:
        with qtbot.waitSignal(window.first_painted, timeout=10_000):
            window.show()
        qtbot.wait(50)
        assert app.loaded and at_paint
        assert [p.geometry() for p in parts] == at_paint[0]
    finally:
        started.shutdown()
