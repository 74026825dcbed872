"""File > Import and File > Export from the window: off-thread work, one action, plain errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.app import App, transfer
from desktop_app.core import Action
from desktop_app.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, engine: App) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def actions(engine: App) -> list[Action | None]:
    seen: list[Action | None] = []
    engine.store.subscribe(lambda _state, action: seen.append(action))
    return seen


def vault(root: Path) -> Path:
    (root / "Recipes").mkdir(parents=True)
    (root / "Recipes" / "Pancakes.md").write_text("---\ntags: [food]\n---\n2 eggs\n")
    (root / "Ideas.md").write_text("See [[Pancakes]] #idea\n")
    return root


def test_importing_a_folder_is_one_action_and_says_what_came(
    qtbot, window, engine, actions, tmp_path
) -> None:
    with qtbot.waitSignal(window.transfers.finished, timeout=10_000) as done:
        window.transfers.import_from(vault(tmp_path / "vault"))
    assert len(actions) == 1
    titles = sorted(n.title for n in engine.state.notes.values())
    assert titles == ["Ideas", "Pancakes"]
    assert done.args[0].startswith("Imported 2 notes, 0 tasks and 1 list from vault")
    assert window.statusBar().currentMessage() == done.args[0]
    assert window.import_file_action.isEnabled()
    window.undo()
    assert not engine.state.notes and not engine.state.tasks


def test_a_long_import_shows_how_far_it_got(qtbot, window, engine, tmp_path) -> None:
    root = tmp_path / "big vault"
    root.mkdir()
    for i in range(300):
        (root / f"Note {i}.md").write_text(f"# Note {i}\n\nwords #tag{i % 5}\n")
    said: list[str] = []
    window.transfers.progressed.connect(said.append)
    with qtbot.waitSignal(window.transfers.finished, timeout=30_000) as done:
        window.transfers.import_from(root)
    assert done.args[0].startswith("Imported 300 notes")
    assert said, "no progress was shown"
    assert said[-1] == "Reading big vault: 300 of 300 files…"
    assert all(s.startswith(("Looking through big vault", "Reading big vault")) for s in said)


def test_a_json_export_round_trips_through_the_window(qtbot, window, engine, tmp_path) -> None:
    engine.add_task("Call mum", due="2026-03-01", tags=["family"], list_name="Home")
    engine.add_note("Plan", body="- [ ] x")
    out = tmp_path / "backup.json"
    with qtbot.waitSignal(window.transfers.finished, timeout=10_000) as done:
        window.transfers.export_to(out, "json")
    assert done.args[0] == f"Exported 2 items to {out}."
    doc = json.loads(out.read_text())
    assert [t["title"] for t in doc["tasks"]] == ["Call mum"]

    with App(tmp_path / "other") as other:
        message = transfer.commit(other, transfer.plan(other, out))
        assert message.startswith("Imported 1 note, 1 task and 1 list from backup.json")
        assert {t.title for t in other.state.tasks.values()} == {"Call mum"}


def test_a_markdown_folder_export_refuses_a_full_folder(qtbot, window, engine, tmp_path) -> None:
    engine.add_note("Plan", body="words")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with qtbot.waitSignal(window.transfers.failed, timeout=10_000) as failed:
        window.transfers.export_to(full, "markdown-folder")
    assert "not an empty folder" in failed.args[0]
    assert failed.args[0] in window.statusBar().currentMessage()
    assert (full / "keep.txt").read_text() == "mine"
    with qtbot.waitSignal(window.transfers.finished, timeout=10_000):
        window.transfers.export_to(tmp_path / "md", "markdown-folder")
    assert (tmp_path / "md" / "Plan.md").exists()


def test_an_unreadable_import_is_a_message_not_a_traceback(
    qtbot, window, engine, actions, tmp_path
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    with qtbot.waitSignal(window.transfers.failed, timeout=10_000) as failed:
        window.transfers.import_from(bad)
    assert "Traceback" not in failed.args[0] and "\n" not in failed.args[0]
    assert "broken.json" in failed.args[0]
    assert actions == []
    with qtbot.waitSignal(window.transfers.failed, timeout=10_000) as missing:
        window.transfers.import_from(tmp_path / "nowhere")
    assert "no such file or folder" in missing.args[0]
