"""The installed ``desktop-app`` console script, run as a user would, on real profiles.

Every test runs the real entry point in a subprocess against a temporary
``--data-dir``; the few in-process tests cover what a subprocess cannot show
(what ``main`` hands the window, how a command module plugs in).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from desktop_app.app import App
from desktop_app.cli import main as cli_main
from desktop_app.storage import DB_NAME


def _console_script() -> str:
    beside = Path(sys.executable).with_name("desktop-app")
    found = str(beside) if beside.exists() else shutil.which("desktop-app")
    assert found, "the desktop-app console script is not installed (./dev test installs it)"
    return found


SCRIPT = _console_script()
ENV = {k: v for k, v in os.environ.items() if k != cli_main.DATA_DIR_ENV}


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        timeout=60,
    )


def ok(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = cli(data_dir, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def show(data_dir: Path) -> dict[str, Any]:
    return json.loads(ok(data_dir, "show", "--json"))


def run_in_process(data_dir: Path, *args: str) -> tuple[int, bytes]:
    """``desktop-app --data-dir DIR ARGS`` through ``main`` in this process: the same
    code without an interpreter start; (exit status, stdout bytes)."""
    buffer = io.BytesIO()
    out = io.TextIOWrapper(buffer, encoding="utf-8")
    with contextlib.redirect_stdout(out):
        code = cli_main.main(["--data-dir", str(data_dir), *args])
        out.flush()
        return code, buffer.getvalue()


def show_in_process(data_dir: Path) -> bytes:
    code, out = run_in_process(data_dir, "show", "--json")
    assert code == 0
    return out


def pending(data_dir: Path) -> int:
    """Actions journaled in the profile, read without going through the app."""
    with sqlite3.connect(data_dir / DB_NAME) as db:
        return db.execute("SELECT count(*) FROM local_actions").fetchone()[0]


def without_updated(doc: dict[str, Any]) -> dict[str, Any]:
    """Undo and redo are new actions, so they stamp a new ``updated``; the rest must match."""
    return {
        k: [{f: v for f, v in i.items() if f != "updated"} for i in items]
        for k, items in doc.items()
    }


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("desktop-app"), lines[0]
    assert "error:" in lines[0]
    return lines[0]


# -- round trips -------------------------------------------------------------------------------


def test_add_edit_undo_redo_delete_round_trip(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    milk = ok(
        d,
        "add-task",
        "Buy milk",
        "--list",
        "Groceries",
        "--due",
        "2026-03-01",
        "--priority",
        "high",
        "--tag",
        "home",
        "--tag",
        "dairy",
    ).strip()
    eggs = ok(d, "add-task", "Eggs", "--list", "groceries").strip()  # same list, any case
    note = ok(
        d, "add-note", "Pancakes", "--body", "Two eggs\nflour", "--list", "Recipes", "--tag", "food"
    ).strip()

    doc = show(d)
    assert [lst["name"] for lst in doc["lists"]] == ["Groceries", "Recipes"]
    tasks = {t["id"]: t for t in doc["tasks"]}
    assert tasks[milk] | {"created": None, "updated": None, "list_id": None} == {
        "id": milk,
        "title": "Buy milk",
        "done": False,
        "due": "2026-03-01",
        "priority": "high",
        "list": "Groceries",
        "tags": ["dairy", "home"],
        "title_conflicts": [],
        "due_conflicts": [],
        "created": None,
        "updated": None,
        "list_id": None,
    }
    assert tasks[eggs]["list"] == "Groceries" and tasks[eggs]["priority"] == "normal"
    assert tasks[eggs]["due"] is None and tasks[eggs]["tags"] == []
    (n,) = doc["notes"]
    assert (n["id"], n["title"], n["body"], n["list"], n["tags"]) == (
        note,
        "Pancakes",
        "Two eggs\nflour",
        "Recipes",
        ["food"],
    )

    # One edit with many fields, by unique prefix, is one action and one undo step.
    before = pending(d)
    out = ok(
        d,
        "edit",
        milk[:-4],
        "--title",
        "Buy oat milk",
        "--due",
        "none",
        "--priority",
        "low",
        "--done",
        "--untag",
        "dairy",
        "--tag",
        "vegan",
        "--list",
        "Errands",
    )
    assert "Buy oat milk" in out
    assert pending(d) == before + 1
    edited = show(d)
    task = next(t for t in edited["tasks"] if t["id"] == milk)
    assert (
        task["title"],
        task["due"],
        task["priority"],
        task["done"],
        task["tags"],
        task["list"],
    ) == ("Buy oat milk", None, "low", True, ["home", "vegan"], "Errands")
    assert "Errands" in [lst["name"] for lst in edited["lists"]]

    assert ok(d, "undo").startswith("undone: ")
    assert without_updated(show(d)) == without_updated(doc)
    assert ok(d, "redo").startswith("redone: ")
    assert without_updated(show(d)) == without_updated(edited)

    groceries = next(lst["id"] for lst in edited["lists"] if lst["name"] == "Groceries")
    assert "its 1 item now in no list" in ok(d, "delete", groceries)
    assert ok(d, "delete", note[:-4]) == "deleted note 'Pancakes'\n"
    after = show(d)
    assert [n["id"] for n in after["notes"]] == []
    assert next(t for t in after["tasks"] if t["id"] == eggs)["list"] is None
    assert ok(d, "undo") == "undone: added note 'Pancakes'\n"
    assert [n["title"] for n in show(d)["notes"]] == ["Pancakes"]


def test_note_body_from_stdin_edit_note_and_list(tmp_path: Path) -> None:
    note = ok(tmp_path, "add-note", "Poem", "--body", "-", stdin="line one\nline two\n").strip()
    list_id = ok(tmp_path, "add-list", "Writing").strip()
    ok(tmp_path, "edit", note, "--body", "-", "--pin", "--list", "writing", stdin="new\n")
    ok(tmp_path, "edit", list_id, "--title", "Prose")
    doc = show(tmp_path)
    assert [lst["name"] for lst in doc["lists"]] == ["Prose"]
    (n,) = doc["notes"]
    assert (n["body"], n["pinned"], n["list"]) == ("new\n", True, "Prose")
    assert ok(tmp_path, "edit", note, "--pin").startswith("nothing changed")


def test_nothing_to_undo_or_redo(tmp_path: Path) -> None:
    assert ok(tmp_path, "undo") == "nothing to undo\n"
    assert ok(tmp_path, "redo") == "nothing to redo\n"


def test_show_json_is_byte_identical_and_canonical(tmp_path: Path) -> None:
    ok(tmp_path, "add-task", "Café ☕ run", "--list", "Zürich", "--tag", "b", "--tag", "a")
    ok(tmp_path, "add-note", "Ünïcode", "--body", "naïve")
    first = cli(tmp_path, "show", "--json").stdout
    second = cli(tmp_path, "show", "--json").stdout
    assert first == second
    assert first.encode() == show_in_process(tmp_path)  # what the other tests compare
    assert first.endswith("}\n")
    assert "Café ☕ run" in first and "\\u" not in first  # UTF-8, not escaped
    doc = json.loads(first)
    assert list(doc) == ["lists", "notes", "tasks"]  # keys sorted
    assert doc["tasks"][0]["tags"] == ["a", "b"]
    for items in doc.values():
        assert [i["id"] for i in items] == sorted(i["id"] for i in items)


def test_human_listing_uses_ids_that_resolve(tmp_path: Path) -> None:
    ok(
        tmp_path,
        "add-task",
        "File taxes",
        "--list",
        "Home",
        "--due",
        "2026-04-15",
        "--priority",
        "high",
    )
    done = ok(tmp_path, "add-task", "Water plants", "--list", "Home").strip()
    ok(tmp_path, "edit", done, "--done")
    ok(tmp_path, "add-note", "Loose thought", "--tag", "idea")
    text = ok(tmp_path, "show")
    lines = text.splitlines()
    assert lines[0].startswith("Home  [")
    taxes = next(line for line in lines if "File taxes" in line)
    assert "[ ] File taxes" in taxes and "due 2026-04-15" in taxes and "high priority" in taxes
    assert any("[x] Water plants" in line for line in lines)
    assert "No list" in lines and any("note: Loose thought  #idea" in line for line in lines)
    assert "2 tasks (1 done), 1 note, 1 list" in lines
    short = taxes.rsplit("[", 1)[1].rstrip("]")
    assert len(short) < 36
    ok(tmp_path, "edit", short, "--title", "File the taxes")
    assert "File the taxes" in ok(tmp_path, "show")


def test_empty_profile_listing(tmp_path: Path) -> None:
    assert ok(tmp_path, "show").startswith("Nothing here yet.")
    assert show(tmp_path) == {"lists": [], "tasks": [], "notes": []}


def test_data_dir_after_command_and_from_environment(tmp_path: Path) -> None:
    ok(tmp_path, "add-task", "Somewhere")
    after = subprocess.run(
        [SCRIPT, "show", "--json", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    ).stdout
    from_env = subprocess.run(
        [SCRIPT, "show", "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**ENV, cli_main.DATA_DIR_ENV: str(tmp_path)},
    ).stdout
    assert after == from_env == cli(tmp_path, "show", "--json").stdout
    assert json.loads(after)["tasks"][0]["title"] == "Somewhere"


def test_ambiguous_prefix_is_refused(tmp_path: Path) -> None:
    a = ok(tmp_path, "add-task", "One").strip()
    b = ok(tmp_path, "add-task", "Two").strip()
    common = next(a[:i] for i in range(len(a)) if a[i] != b[i])
    assert len(common) >= 4  # ids start with their creation time
    line = one_line_error(cli(tmp_path, "delete", common[:4]), 1)
    assert "matches 2 items" in line
    assert len(show(tmp_path)["tasks"]) == 2


def test_help_lists_every_command() -> None:
    result = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True, env=ENV)
    assert result.returncode == 0
    for command in (
        "add-task",
        "add-note",
        "edit",
        "delete",
        "undo",
        "redo",
        "show",
        "export",
        "import",
    ):
        assert command in result.stdout


# -- bad input: one line, an exit status, nothing saved --------------------------------------


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A populated profile shared by the bad-input cases, with its ``show --json`` bytes."""
    d = tmp_path_factory.mktemp("bad-input")
    task = ok(d, "add-task", "Keep me", "--list", "Groceries").strip()
    note = ok(d, "add-note", "Me too", "--body", "unchanged").strip()
    files = tmp_path_factory.mktemp("files")
    (files / "corrupt.json").write_text('{"lists": [ this is not json')
    (files / "other.json").write_text('{"format": "something-else", "version": 1}')
    (files / "latin1").mkdir()
    (files / "latin1" / "ok.md").write_text("# fine\n")
    (files / "latin1" / "bad.md").write_bytes("# caf\xe9\n".encode("latin-1"))
    (files / "no-markdown").mkdir()
    (files / "no-markdown" / "picture.png").write_bytes(b"\x89PNG")
    (files / "not-empty").mkdir()
    (files / "not-empty" / "keep.txt").write_text("mine")
    (files / "bad-tasks").mkdir()
    (files / "bad-tasks" / "tasks.md").write_text(
        "---\ntidemark: tasks\n---\n- [ ] fine\n- [ ] impossible 📅 2026-02-30\n"
    )
    return {
        "dir": d,
        "task": task,
        "note": note,
        "files": files,
        "show": show_in_process(d),
        "pending": pending(d),
    }


BAD_INPUT = [
    # (arguments, exit status, words the message must contain)
    (["add-task", "   "], 1, "title cannot be empty"),
    (["add-note", ""], 1, "title cannot be empty"),
    (["add-task", "x", "--due", "2026-02-30"], 1, "invalid date '2026-02-30'"),
    (["add-task", "x", "--due", "tomorrow"], 1, "invalid date"),
    (["add-task", "x", "--priority", "urgent"], 1, "unknown priority 'urgent'"),
    (["add-task", "x", "--list", "  "], 1, "list name cannot be empty"),
    (["add-task", "x", "--tag", "two words"], 1, "invalid tag"),
    (["add-list", "GROCERIES"], 1, "already exists"),
    (["edit", "zzzz", "--title", "x"], 1, "no task, note or list has id 'zzzz'"),
    (["delete", "zzzz"], 1, "no task, note or list has id 'zzzz'"),
    (["edit", "{task}", "--due", "2026-13-01"], 1, "invalid date"),
    (["edit", "{task}", "--priority", "urgent"], 1, "unknown priority"),
    (["edit", "{task}", "--title", " "], 1, "title cannot be empty"),
    (["edit", "{task}", "--body", "text"], 1, "tasks have no body"),
    (["edit", "{note}", "--done"], 1, "notes have no due date"),
    (["import", "{files}/missing"], 1, "no such file or folder"),
    (["import", "{files}/corrupt.json"], 1, "not a Tidemark JSON export"),
    (["import", "{files}/other.json"], 1, "not a Tidemark JSON export"),
    (["import", "{files}/latin1"], 1, "bad.md: it is not UTF-8 text"),
    (["import", "{files}/no-markdown"], 1, "found no Markdown"),
    (["import", "{files}/bad-tasks"], 1, "checklist line 5: invalid date"),
    (["export", "--format", "markdown", "-o", "{files}/not-empty"], 1, "not an empty folder"),
    (["export", "-o", "{files}/no-such-folder/out.json"], 1, "No such file or directory"),
    (["edit", "{task}"], 2, "nothing to change"),
    (["edit", "{task}", "--done", "--not-done"], 2, "not allowed with"),
    (["frobnicate"], 2, "invalid choice"),
    (["add-task"], 2, "required: title"),
    (["export", "--format", "pdf"], 2, "invalid choice"),
]


@pytest.mark.parametrize(("args", "code", "words"), BAD_INPUT, ids=lambda v: str(v))
def test_bad_input_is_one_line_and_changes_nothing(
    profile: dict[str, Any], args: list[str], code: int, words: str
) -> None:
    args = [a.format(**profile) for a in args]
    line = one_line_error(cli(profile["dir"], *args), code)
    assert words in line
    assert pending(profile["dir"]) == profile["pending"]
    assert show_in_process(profile["dir"]) == profile["show"]


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    garbage = b"this is not a database, just some bytes a sync tool mangled" * 100
    (tmp_path / DB_NAME).write_bytes(garbage)
    for args in (["show"], ["add-task", "x"], ["undo"]):
        line = one_line_error(cli(tmp_path, *args), 1)
        assert "is not a readable Tidemark database" in line
    assert (tmp_path / DB_NAME).read_bytes() == garbage  # left for the user to rescue


def test_damaged_pages_in_a_real_database_are_a_clear_error(tmp_path: Path) -> None:
    with App(tmp_path) as app:
        for i in range(30):
            app.add_note(f"note {i}", body="x" * 2000)
    db = tmp_path / DB_NAME
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[4096:] = b"\xff" * (len(data) - 4096)  # keep the header page, ruin the rest
    db.write_bytes(bytes(data))
    for name in (f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    line = one_line_error(cli(tmp_path, "show"), 1)
    assert str(tmp_path) in line


# -- process-level behaviour --------------------------------------------------------------------


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    ok(tmp_path, "add-task", "Something to print")
    proc = subprocess.Popen(
        [SCRIPT, "--data-dir", str(tmp_path), "show"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` exiting before the app writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == cli_main.EXIT_BROKEN_PIPE
    assert err == ""


def test_ctrl_c_exits_130_without_traceback(tmp_path: Path) -> None:
    ok(tmp_path, "add-task", "Survivor")
    before = cli(tmp_path, "show", "--json").stdout
    proc = _interrupted_add_note(tmp_path, "Lost")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == cli_main.EXIT_INTERRUPTED
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert cli(tmp_path, "show", "--json").stdout == before


SWALLOWED_INTERRUPT = """
import os, signal, sys
from desktop_app.cli import item_commands
from desktop_app.cli.main import main

class Finalizer:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C lands while a finalizer runs:
        sum(range(3))  # its KeyboardInterrupt is raised here, and Python swallows it

read_text = item_commands._text
def text(value):
    Finalizer()  # dropped at once, before the note is saved
    return read_text(value)
item_commands._text = text
sys.exit(main(["--data-dir", sys.argv[1], "add-note", "Lost", "--body", "words"]))
"""


def test_ctrl_c_stops_the_command_even_when_its_exception_was_swallowed(tmp_path: Path) -> None:
    """Under load a Ctrl+C can be handled inside a finalizer a collection runs, where
    Python prints "Exception ignored" and goes on: the command must still stop unsaved."""
    ok(tmp_path, "add-task", "Survivor")
    before = cli(tmp_path, "show", "--json").stdout
    out = subprocess.run(
        [sys.executable, "-c", SWALLOWED_INTERRUPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    assert "Exception ignored" in out.stderr  # the interrupt's exception was lost...
    assert out.returncode == cli_main.EXIT_INTERRUPTED, out.stderr  # ...not the interrupt
    assert cli(tmp_path, "show", "--json").stdout == before


def _interrupted_add_note(
    tmp_path: Path, title: str, *, ignored: bool = False
) -> subprocess.Popen[bytes]:
    """``add-note TITLE --body -`` sent Ctrl+C once it has the profile open.

    It reads the body from stdin, which the caller has not written yet: so it is
    blocked on that read, a known place to interrupt. (An import from a FIFO used
    to be that place; imports now refuse FIFOs.)"""
    proc = subprocess.Popen(
        [SCRIPT, "--data-dir", str(tmp_path), "add-note", title, "--body", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignored else None,
    )
    deadline = time.monotonic() + 30
    while not _has_open(proc.pid, tmp_path / DB_NAME):
        assert time.monotonic() < deadline and proc.poll() is None, "the command never started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    return proc


def _has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except OSError:
        return False


def test_cli_never_loads_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from desktop_app.cli.main import main\n"
        f"assert main(['--data-dir', {str(tmp_path)!r}, 'show']) == 0\n"
        "loaded = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', "
        "'desktop_app.ui'))]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr


# -- in process: the window hand-off and the command plug-in contract ----------------------------


def test_no_command_opens_the_window_with_the_data_dir(tmp_path: Path) -> None:
    opened: list[Path] = []

    def open_window(data_dir: Path) -> int:
        opened.append(data_dir)
        return 7

    assert cli_main.main(["--data-dir", str(tmp_path)], open_window=open_window) == 7
    assert opened == [tmp_path.absolute()]


def test_no_command_without_a_window_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.main(["--data-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("usage: desktop-app")


def test_a_command_module_plugs_in_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the sync commands rely on: register(subparsers), handler(args, app)."""

    def register(subparsers: argparse._SubParsersAction) -> None:
        subparsers.add_parser("count").set_defaults(func=count)
        subparsers.add_parser("where").set_defaults(func=where, needs_app=False)

    def count(args: argparse.Namespace, app: Any) -> int:
        print(len(app.state.tasks))
        return 0

    def where(args: argparse.Namespace, app: Any) -> int:
        print(args.data_dir, app)
        return 3

    module = types.ModuleType("extra_commands")
    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", [*cli_main.COMMAND_MODULES, module])
    assert cli_main.main(["--data-dir", str(tmp_path), "add-task", "x"]) == 0
    assert cli_main.main(["--data-dir", str(tmp_path), "count"]) == 0
    assert cli_main.main(["where", "--data-dir", str(tmp_path / "other")]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["1", f"{tmp_path / 'other'} None"]
    assert not (tmp_path / "other").exists()  # needs_app=False: the profile is not opened


def test_an_ignored_ctrl_c_stays_ignored(tmp_path: Path) -> None:
    """A command started with SIGINT ignored (as some job runners do) is not made to stop."""
    proc = _interrupted_add_note(tmp_path, "Kept", ignored=True)
    _, err = proc.communicate(b"words", timeout=60)
    assert proc.returncode == 0, err
    assert "Kept" in cli(tmp_path, "show", "--json").stdout
