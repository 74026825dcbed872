"""The window beside other writers of its profile (invariant 13): the real
``desktop-app`` console script in a subprocess, and its own sync thread when a
round fails half way. Qt runs offscreen under pytest-qt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.app import App, syncing
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.sync.remote import RemoteEntry, RemoteStore, RemoteUnavailable
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.main_window import NOTES_TAB, MainWindow
from desktop_app.ui.models.rows import RowsModel
from desktop_app.ui.sync_worker import SyncController
from tests.test_cli import ok

SHOWN_WITHIN_MS = 1_000


def titles(model: RowsModel) -> list[str]:
    return [model.item_at(r).title for r in range(model.rowCount())]


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def window(qtbot, profile: Path) -> Iterator[MainWindow]:
    engine = App(profile)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    engine.close()


def test_a_task_added_by_the_cli_shows_within_a_second_keeping_selection_and_typing(
    qtbot, window: MainWindow, profile: Path
) -> None:
    engine = window.app
    chosen = engine.add_task("selected in the window")
    note = engine.add_note("open note", body="start")
    window.task_view.select_id(chosen)
    window.tabs.setCurrentIndex(NOTES_TAB)
    window.select_note(note)
    editor = window.note_editor
    editor.idle_ms = 60_000  # the burst stays open across the refresh
    editor.body.setFocus()
    qtbot.keyClicks(editor.body, "typing ")

    from_cli = ok(profile, "add-task", "from the cli").strip()
    started = time.monotonic()
    qtbot.waitUntil(lambda: from_cli in window.task_model.ids(), timeout=SHOWN_WITHIN_MS)
    print(f"CLI task shown after {1000 * (time.monotonic() - started):.0f} ms")

    assert window.task_view.selected_ids() == [chosen]
    assert editor.note_id == note and editor.has_unsaved_changes
    assert editor.body.toPlainText() == "typing start"
    window.close()  # saves the burst, then checkpoints
    engine.close()
    with App(profile) as again:
        assert again.state.tasks[from_cli].title == "from the cli"
        assert again.state.notes[note].body == "typing start"


def test_an_edit_by_the_cli_replaces_what_the_window_shows(
    qtbot, window: MainWindow, profile: Path
) -> None:
    task = window.app.add_task("old title")
    ok(profile, "edit", task, "--title", "new title", "--done")
    qtbot.waitUntil(lambda: titles(window.task_model) == ["new title"], timeout=SHOWN_WITHIN_MS)
    assert window.app.state.tasks[task].done


def test_what_the_window_saves_is_what_the_cli_shows(
    qtbot, window: MainWindow, profile: Path
) -> None:
    window.quick_add.setText("typed in the window")
    window.quick_add_entered()
    shown = json.loads(ok(profile, "show", "--json"))
    assert [t["title"] for t in shown["tasks"]] == ["typed in the window"]
    ok(profile, "add-task", "from the cli")  # the CLI checkpoints on its way out
    window.quick_add.setText("second in the window")
    window.quick_add_entered()
    window.close()
    shown = json.loads(ok(profile, "show", "--json"))
    assert {t["title"] for t in shown["tasks"]} == {
        "typed in the window",
        "from the cli",
        "second in the window",
    }


class PushFails:
    """A real remote that lets this device pull (and pass the create-only probe) but
    loses the connection on every update it writes."""

    def __init__(self, inner: RemoteStore) -> None:
        self.inner = inner

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if not key.startswith("updates/"):
            return self.inner.put_if_absent(key, data)
        raise RemoteUnavailable(f"{self.inner.describe()} went away (test)")


def test_a_round_that_fails_after_its_pull_still_shows_what_it_pulled(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = RemoteConfig(kind="folder", path=str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    with App(tmp_path / "other") as other:
        set_remote(other, remote)
        other.add_task("from the other device")
        sync_now(other)
    engine = App(tmp_path / "here")
    set_remote(engine, remote)
    engine.add_task("unsent")  # the push of this one fails
    real_open = syncing.open_remote
    monkeypatch.setattr(syncing, "open_remote", lambda *a, **kw: PushFails(real_open(*a, **kw)))
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.session.disk_poll.stop()  # only the sync controller may reload here
    controller = SyncController(engine, poll_interval_ms=3_600_000)
    win.attach_sync(controller)
    try:
        with qtbot.waitSignal(controller.sync_failed, timeout=10_000) as failed:
            controller.sync_now()
        assert "went away" in failed.args[0]
        assert sorted(titles(win.task_model)) == ["from the other device", "unsent"]
        assert win.status.sync_label.text().startswith("Sync failed")
        assert engine.local.pending_count() == 1  # still to be pushed next time
    finally:
        win.close()
        controller.shutdown()
        engine.close()
