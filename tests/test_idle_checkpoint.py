"""Saving the whole view waits for a pause in editing, not for the 1,000th keystroke.

A dispatch saves the view only past ``CHECKPOINT_IN_DISPATCH_EVERY`` actions (a
script with no pauses still bounds what a start replays); from ``CHECKPOINT_EVERY``
on it is due, and the window saves it once the user has paused for
``IDLE_CHECKPOINT_MS`` (``AppSession.checkpoint_if_due``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.app import App, engine
from desktop_app.core import actions as act
from desktop_app.ui.main_window import MainWindow

T0 = datetime(2024, 1, 2, tzinfo=UTC)


def add(app: App, n: int) -> None:
    for i in range(n):
        app.dispatch(act.NewTask(id=f"t{app.local.last_seq()}-{i}", title="x", created=T0))


def view_mark(app: App) -> int:
    row = app.local.db.execute("SELECT mark FROM checkpoints WHERE name='view'").fetchone()
    return row[0] if row else 0


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHECKPOINT_EVERY", 5)
    monkeypatch.setattr(engine, "CHECKPOINT_IN_DISPATCH_EVERY", 20)


def test_a_due_checkpoint_is_left_for_a_pause_until_the_backstop(tmp_path: Path, small) -> None:
    app = App(tmp_path / "p")
    try:
        add(app, 7)
        assert app.checkpoint_due
        assert view_mark(app) == 0  # no dispatch rewrote the view
        add(app, 13)  # the 20th: a dispatch saves it itself
        assert not app.checkpoint_due
        assert view_mark(app) == app.local.last_seq()
        add(app, 1)
        assert not app.checkpoint_due
        app.checkpoint()
        assert view_mark(app) == app.local.last_seq()
    finally:
        app.close()


def test_the_window_saves_a_due_view_once_the_user_pauses(qtbot, engine_app, small) -> None:
    window = MainWindow(engine_app)
    qtbot.addWidget(window)
    timer = window.session.idle_checkpoint
    timer.setInterval(300)
    for title in ("one", "two", "three", "four", "five", "six"):
        window.quick_add.setText(title)
        window.quick_add_entered()
    assert engine_app.checkpoint_due
    assert view_mark(engine_app) == 0 and timer.isActive()  # not while typing
    qtbot.waitUntil(lambda: view_mark(engine_app) == engine_app.local.last_seq(), timeout=5000)
    assert not engine_app.checkpoint_due
    window.close()


def test_a_pause_saves_nothing_when_little_would_be_replayed(qtbot, engine_app, small) -> None:
    window = MainWindow(engine_app)
    qtbot.addWidget(window)
    window.quick_add.setText("just one")
    window.quick_add_entered()
    assert not window.session.checkpoint_if_due()
    assert view_mark(engine_app) == 0
    window.close()


@pytest.fixture
def engine_app(tmp_path: Path):
    app = App(tmp_path / "data")
    yield app
    app.close()
