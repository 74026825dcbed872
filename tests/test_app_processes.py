"""Invariant 13: several processes on one profile see each other's edits and never
hide them. The other process is the real ``desktop-app`` console script in a
subprocess; the App (and in test_ui_processes.py, the window) stays open meanwhile.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.app import App
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import State, fold, views
from desktop_app.sync.remote_config import RemoteConfig
from tests.test_cli import ok


def titles(app: App) -> set[str]:
    return {t.title for t in app.state.tasks.values()}


def disk_view(data_dir: Path) -> dict:
    """What a process opening the profile now would show (``show --json``)."""
    with App(data_dir) as fresh:
        return views.document(fresh.state)


def test_a_task_added_by_the_cli_shows_in_an_open_app(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    app = App(profile)
    app.add_task("typed in the window")
    assert app.refresh_from_disk() is False  # our own write is not news
    task_id = ok(profile, "add-task", "from the cli").strip()
    assert app.refresh_from_disk() is True
    assert app.state.tasks[task_id].title == "from the cli"
    assert app.refresh_from_disk() is False  # nothing new since
    app.close()
    with App(profile) as again:
        assert titles(again) == {"typed in the window", "from the cli"}


def test_closing_the_app_does_not_hide_what_the_cli_added(tmp_path: Path) -> None:
    """The App never looked (no refresh): its checkpoint must still not claim the CLI's
    action as included. Before the fix the task stayed in the journal but vanished."""
    profile = tmp_path / "p"
    app = App(profile)
    app.add_task("typed in the window")
    ok(profile, "add-task", "from the cli")
    app.close()
    with App(profile) as again:
        assert titles(again) == {"typed in the window", "from the cli"}
    shown = json.loads(ok(profile, "show", "--json"))
    assert {t["title"] for t in shown["tasks"]} == {"typed in the window", "from the cli"}


def test_a_dispatch_after_another_process_wrote_catches_up_in_journal_order(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "p"
    app = App(profile)
    task = app.add_task("first")
    ok(profile, "edit", task, "--title", "renamed by the cli")
    app.edit(task, priority="high")  # finds the CLI's action before its own seq
    assert app.state.tasks[task].title == "renamed by the cli"
    assert views.document(app.state) == disk_view(profile)
    app.close()
    assert disk_view(profile)["tasks"][0]["title"] == "renamed by the cli"


def test_the_cli_sees_what_the_open_app_saved(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    app = App(profile)
    app.add_task("from the window")
    shown = json.loads(ok(profile, "show", "--json"))
    assert [t["title"] for t in shown["tasks"]] == ["from the window"]
    # The CLI checkpointed on exit; the App keeps working on top of that.
    app.add_task("second from the window")
    app.close()
    shown = json.loads(ok(profile, "show", "--json"))
    assert {t["title"] for t in shown["tasks"]} == {"from the window", "second from the window"}


def test_the_checkpoint_saves_only_what_the_journal_holds_up_to_its_mark(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "p"
    app = App(profile)
    app.add_task("window")
    ok(profile, "add-task", "cli 1")
    ok(profile, "add-task", "cli 2")
    app.checkpoint()
    assert titles(app) == {"window", "cli 1", "cli 2"}  # it adopted what it saved
    saved, mark = app.local.load_checkpoint("view")
    journal = [a for seq, a in app.local.local_actions() if seq <= mark]
    assert mark == app.local.last_seq()
    assert saved == fold(State(), journal)
    app.close()


def test_checkpoint_honours_a_view_another_process_synced(tmp_path: Path) -> None:
    """Issue 14, guard 2: another process syncs A's profile and pulls "from b"; A's
    checkpoint on close must not write its stale view over that one."""
    remote = RemoteConfig(kind="folder", path=str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    with App(tmp_path / "b") as b:
        set_remote(b, remote)
        b.add_task("from b")
        sync_now(b)
    a_dir = tmp_path / "a"
    with App(a_dir) as a:
        set_remote(a, remote)
    a = App(a_dir)
    a.add_task("from a")  # unsent: A's close will checkpoint
    out = ok(a_dir, "sync")  # another process syncs A's profile
    assert "pulled 1 action" in out.lower()
    a.close()
    with App(a_dir) as again:
        assert titles(again) == {"from a", "from b"}
        assert again.local.pending_count() == 0
