"""Hostile files, special files, bad bytes, huge inputs (issue 13), through the console script.

Each test names the item of issue 13 it covers. Timing tests compare against a
fixed budget that is far below what the quadratic versions took (minutes).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.app import App, engine, exchange
from desktop_app.app.vault_files import MAX_NOTE_BYTES
from desktop_app.core import actions as act
from desktop_app.storage import DB_NAME
from tests.test_cli import ENV, SCRIPT, cli, ok, one_line_error, show

MB = 1024 * 1024


def _vault(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "Real.md").write_text("# Real\n\nbody\n", encoding="utf-8")
    return root


# -- 1. import reads only regular files inside the folder ------------------------------------


def test_import_skips_symlinks_fifos_and_devices(tmp_path: Path) -> None:
    vault = _vault(tmp_path / "vault")
    secret = tmp_path / "secret.txt"
    secret.write_text("# hunter2\n", encoding="utf-8")
    (vault / "passwd.md").symlink_to(secret)
    (vault / "zero.md").symlink_to("/dev/zero")
    os.mkfifo(vault / "x.md")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Stolen.md").write_text("# Stolen\n", encoding="utf-8")
    (vault / "Linked folder").symlink_to(outside, target_is_directory=True)
    d = tmp_path / "profile"

    result = cli(d, "import", str(vault))

    assert result.returncode == 0, result.stderr
    assert "4 files skipped" in result.stdout, result.stdout
    doc = show(d)
    assert [n["title"] for n in doc["notes"]] == ["Real"]
    assert "hunter2" not in json.dumps(doc)


def test_import_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    vault = _vault(tmp_path / "vault")
    with open(vault / "Huge.md", "wb") as f:
        f.truncate(MAX_NOTE_BYTES + 1)  # sparse: no disk used
    d = tmp_path / "profile"

    line = one_line_error(cli(d, "import", str(vault)), 1)

    assert "Huge.md" in line and "larger than 16 MB" in line
    assert show(d)["notes"] == []


def test_import_of_a_named_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "notes.json"
    os.mkfifo(fifo)
    line = one_line_error(cli(tmp_path / "profile", "import", str(fifo)), 1)
    assert "not a regular file" in line


# -- 2. every text path is linear in its input -------------------------------------------------


def _timed(func, *args) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


SPACES = " " * MB
# Notes are read by markdown-it (tags) and PyYAML (front matter): linear, but far
# slower per byte than the old patterns, so these are built at two sizes and the
# test checks how the time grows rather than a fixed budget.
HOSTILE_NOTES = {
    "heading": lambda n: "# a" + " " * n + "x\n",
    "heading closing hashes": lambda n: "# a" + " " * n + "#" * 1000 + " " * n + "x\n",
    "front matter scalar": lambda n: "---\ntitle: a" + " " * n + "x\n---\nbody\n",
    "front matter list": lambda n: "---\ntags: [" + '"a' * (n // 2) + "]\n---\n",
    "front matter comment": lambda n: "---\ntitle: a" + " #" * (n // 2) + "\n---\n",
    "inline tags": lambda n: "# T\n" + "#a" * (n // 2),
    "tags on lines": lambda n: "a #b\n" * (n // 5),
    "code fences": lambda n: "# T\n" + "```x\n" * (n // 5) + "`" * n,
}
HOSTILE_TASKS = {
    "due date": "- [ ] a" + SPACES + "x",
    "due marks": "- [ ] a" + " 📅" * (MB // 3),
    "trailing tags": "- [ ] a" + " #t" * (MB // 3),
    "trailing tag after spaces": "- [ ] a" + SPACES + "#t x",
    "checkbox": " " * MB + "- [ ] a",
}


def _parse_seconds(text: str) -> float:
    start = time.perf_counter()
    with contextlib.suppress(exchange.AppError):  # invalid YAML: refused, and quickly
        exchange.parse_note(text, "fallback")
    return time.perf_counter() - start


@pytest.mark.parametrize("name", HOSTILE_NOTES)
def test_note_parsing_is_linear(name: str) -> None:
    small, big = (_parse_seconds(HOSTILE_NOTES[name](n)) for n in (MB // 8, MB))
    # 8x the input: linear is ~8x, quadratic ~64x (the old patterns took hours).
    assert big < 16 * small + 0.5, (small, big)


def test_brackets_are_linear_for_the_wiki_link_rule() -> None:
    """Each ``[[`` once searched the rest of the text for ``]]`` (the window's renderer
    too): quadratic on a run of brackets. Small sizes: markdown-it is slow on ``[``."""

    def text(n: int) -> str:
        return "# a" + "[" * n + "x\nbody #t " + "[[a|" * (n // 4) + "\n"  # '#t': parsed

    small, big = (_parse_seconds(text(n)) for n in (MB // 64, MB // 8))
    assert big < 16 * small + 0.5, (small, big)


@pytest.mark.parametrize("name", HOSTILE_TASKS)
def test_task_parsing_is_linear(name: str) -> None:
    text = "---\ntidemark: tasks\n---\n" + HOSTILE_TASKS[name] + "\n"
    try:
        elapsed = _timed(exchange.parse_tasks, text)
    except exchange.AppError:  # a date that is not one: refused, and quickly
        start = time.perf_counter()
        with pytest.raises(exchange.AppError):
            exchange.parse_tasks(text)
        elapsed = time.perf_counter() - start
    assert elapsed < 0.5


def test_safe_file_name_is_linear() -> None:
    assert _timed(exchange.safe_file_name, "a" * MB) < 0.5
    assert _timed(exchange.safe_file_name, "é " * MB) < 0.5
    assert len(exchange.safe_file_name("é" * MB).encode()) <= 120


def test_parsers_keep_their_meaning() -> None:
    """The parsers that replaced the patterns read what the patterns read."""
    # The file name is the title (issue 10); headings stay in the body as written.
    assert exchange.parse_note("# Title ##\nbody", "f").title == "f"
    assert exchange.parse_note("# Title ##\nbody", "f").body == "# Title ##\nbody"
    assert exchange.parse_note("#Title\n", "f").tags == {"Title"}
    line = "- [x] Buy  milk #home #42 #a 📅 2026-03-01 ⏫"
    task = exchange.parse_tasks("---\ntidemark: tasks\n---\n" + line)[0]
    assert (task.title, sorted(task.tags), task.due.isoformat(), task.done) == (
        "Buy milk #home #42",
        ["a"],
        "2026-03-01",
        True,
    )
    meta, _ = exchange.split_front_matter("---\ntitle: a # comment\nx: b#c\n---\n")
    assert meta == {"title": "a", "x": "b#c"}  # YAML's comment rule, from PyYAML


def test_one_megabyte_heading_imports_through_the_cli_quickly(tmp_path: Path) -> None:
    note = tmp_path / "Big.md"
    note.write_text("# a" + SPACES + "x\n", encoding="utf-8")
    start = time.perf_counter()
    out = ok(tmp_path / "profile", "import", str(note))
    assert time.perf_counter() - start < 5  # the quadratic pattern took hours
    assert "imported 1 note" in out


# -- 3. export --output: streams stay streams, files are not clobbered ------------------------


def test_export_into_a_fifo_writes_into_it(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        result = cli(d, "export", "-o", str(fifo))
    finally:
        if reader.is_alive():  # the export never opened it: unblock the reader
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["tasks"][0]["title"] == "Buy milk"


def test_export_into_a_device_keeps_the_device(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    except PermissionError:
        pytest.skip("needs CAP_MKNOD")
    assert ok(d, "export", "-o", str(null)) == ""
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_export_to_dev_stdout_and_dash_write_the_stream(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    assert json.loads(ok(d, "export", "-o", "-"))["tasks"][0]["title"] == "Buy milk"
    target = tmp_path / "redirected.json"
    with open(target, "wb") as out:
        result = subprocess.run(
            [SCRIPT, "--data-dir", str(d), "export", "-o", "/dev/stdout"],
            stdout=out,
            stderr=subprocess.PIPE,
            env=ENV,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_bytes())["tasks"][0]["title"] == "Buy milk"
    with open(target, "ab") as out:  # `>>`: appended to, never truncated
        subprocess.run(
            [SCRIPT, "--data-dir", str(d), "export", "--format", "markdown", "-o", "/dev/stdout"],
            stdout=out,
            env=ENV,
            timeout=60,
            check=True,
        )
    assert target.read_text(encoding="utf-8").startswith('{\n  "format"')
    assert "# Tidemark" in target.read_text(encoding="utf-8")


def test_export_does_not_clobber_a_file_without_force(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    precious = tmp_path / "thesis.json"
    precious.write_text("my thesis", encoding="utf-8")

    line = one_line_error(cli(d, "export", "-o", str(precious)), 1)

    assert "exists and is not a Tidemark export" in line and "--force" in line
    assert precious.read_text(encoding="utf-8") == "my thesis"
    ok(d, "export", "-o", str(precious), "--force")
    assert json.loads(precious.read_bytes())["tasks"][0]["title"] == "Buy milk"
    ok(d, "add-task", "Eggs")
    ok(d, "export", "-o", str(precious))  # an earlier export: replaced without asking
    assert len(json.loads(precious.read_bytes())["tasks"]) == 2
    doc = tmp_path / "all.md"
    ok(d, "export", "--format", "markdown", "-o", str(doc))
    ok(d, "export", "--format", "markdown", "-o", str(doc))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    real = tmp_path / "backups" / "latest.json"
    real.parent.mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    ok(d, "export", "-o", str(link))
    assert link.is_symlink() and json.loads(real.read_bytes())["tasks"]


# -- 10. private by default ------------------------------------------------------------------


def _run_umask(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess[bytes]:
    old = os.umask(umask)
    try:
        return subprocess.run([SCRIPT, *args], capture_output=True, env=ENV, timeout=60)
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_new_profiles_and_exports_are_private_under_umask_022(tmp_path: Path) -> None:
    d = tmp_path / "new" / "profile"
    assert _run_umask("--data-dir", str(d), "add-note", "Diary", "--list", "Me").returncode == 0
    assert _mode(d) == 0o700
    for name in os.listdir(d):  # the database, and its -wal/-shm while they exist
        assert _mode(d / name) == 0o600, name
    exports = tmp_path / "exports"
    exports.mkdir()
    for args in (
        ("-o", str(exports / "all.json")),
        ("--format", "markdown", "-o", str(exports / "all.md")),
        ("--format", "markdown", "-o", str(exports / "folder")),
    ):
        result = _run_umask("--data-dir", str(d), "export", *args)
        assert result.returncode == 0, result.stderr
    assert _mode(exports / "all.json") == _mode(exports / "all.md") == 0o600
    assert _mode(exports / "folder") == _mode(exports / "folder" / "Me") == 0o700
    assert _mode(exports / "folder" / "Me" / "Diary.md") == 0o600


# -- 7. read-only use and honest exit codes ----------------------------------------------------


def _profile_with_unsaved_view(d: Path) -> None:
    """Items journaled after the last view checkpoint, as a crash or the open window
    leaves them: the old ``close()`` of any command wrote a new checkpoint here."""
    ok(d, "add-task", "Buy milk", "--list", "Home")
    app = App(d)
    app.add_note("Unsaved view", body="still in the journal only")
    app.local.close()  # no checkpoint


def _database_bytes(d: Path) -> bytes:
    return (d / DB_NAME).read_bytes()


READ_ONLY_COMMANDS = [("show",), ("show", "--json"), ("export",), ("status", "--json")]


def test_read_only_commands_write_nothing(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    _profile_with_unsaved_view(d)
    before = _database_bytes(d)
    for args in READ_ONLY_COMMANDS:
        result = cli(d, *args)
        assert result.returncode == 0 and result.stderr == "", (args, result.stderr)
        assert "Unsaved view" in result.stdout or args[0] == "status"
    assert _database_bytes(d) == before
    wal = d / f"{DB_NAME}-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # not one page appended


def test_show_does_not_wait_for_another_writer(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Buy milk")
    writer = sqlite3.connect(d / DB_NAME, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a save
    try:
        start = time.perf_counter()
        out = ok(d, "show")
        assert time.perf_counter() - start < 5  # it used to wait 10 s, then fail
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Buy milk" in out


@contextlib.contextmanager
def _mounted(*args: str) -> Iterator[None]:
    result = subprocess.run(["mount", *args], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here ({result.stderr.decode().strip()})")
    try:
        yield
    finally:
        subprocess.run(["umount", args[-1]], check=True)


def test_a_profile_on_a_read_only_mount_can_be_shown_and_exported(tmp_path: Path) -> None:
    """A real read-only mount (tests run as root, so ``chmod -w`` would not stop a write):
    there SQLite cannot create the WAL's shared-memory file, and the store falls back to
    reading the database as immutable."""
    d = tmp_path / "profile"
    _profile_with_unsaved_view(d)
    mount = tmp_path / "readonly"
    mount.mkdir()
    with _mounted("--bind", str(d), str(mount)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        assert cli(mount, "add-task", "x").returncode == 1  # truly read-only
        for args in READ_ONLY_COMMANDS:
            result = cli(mount, *args)
            assert result.returncode == 0 and result.stderr == "", (args, result.stderr)
        backup = tmp_path / "backup.json"
        ok(mount, "export", "-o", str(backup))
    titles = {i["title"] for i in json.loads(backup.read_bytes())["notes"]}
    assert titles == {"Unsaved view"}


def test_a_saved_change_is_reported_as_saved_when_the_checkpoint_fails(tmp_path: Path) -> None:
    """Disk full after the save: the id is printed, exit 0, and a warning says all was saved."""
    disk = tmp_path / "small"
    disk.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)):
        d = disk / "profile"
        ok(d, "add-note", "Big", "--body", "-", stdin="x" * (3 * MB))  # a 3 MB checkpoint
        # A journal long enough that the next command's close() saves the view.
        with App(d) as app:
            for i in range(engine.CLOSE_CHECKPOINT_ACTIONS - 1):
                app.add_task(f"filler {i}")
        filler = disk / "filler"
        with open(filler, "wb") as f:  # leave 1 MB: room for a journal entry only
            free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
            f.write(b"\0" * max(free - MB, 0))
        result = cli(d, "add-task", "Saved anyway")
        filler.unlink()
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()  # the new id
        assert "warning: everything was saved" in result.stderr
        assert "Traceback" not in result.stderr
        assert "Saved anyway" in [t["title"] for t in show(d)["tasks"]]


# -- 4. plain HTTP and secrets in endpoint URLs ------------------------------------------------


def _stored_remote(d: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(d / DB_NAME)) as db:
        row = db.execute("SELECT value FROM meta WHERE key='remote'").fetchone()
    return row[0] if row else None


def test_plain_http_to_another_host_needs_allow_insecure_http(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    url = "http://nas.example:9000"
    line = one_line_error(cli(d, "remote", "s3://notes", "--endpoint-url", url), 1)
    assert "unencrypted" in line and "--allow-insecure-http" in line
    assert _stored_remote(d) is None
    set_s3(d, "--endpoint-url", url, "--allow-insecure-http")
    assert url in ok(d, "remote")
    for local in ("http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"):
        set_s3(d, "--endpoint-url", local)  # a local server stays allowed
    set_s3(d, "--endpoint-url", "https://s3.example")


def set_s3(d: Path, *args: str) -> None:
    """Set an S3 remote with no credentials saved: accepted, with the note that the
    create-only check waits for the first sync (and nothing else on stderr)."""
    result = cli(d, "remote", "s3://notes", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr in ("",) or result.stderr.startswith("note: no usable S3 credentials")


def test_credentials_in_an_endpoint_url_are_refused_and_never_echoed(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    url = "https://AKIAEXAMPLE:s3cr3t-key@minio.example"
    result = cli(d, "remote", "s3://notes", "--endpoint-url", url)
    line = one_line_error(result, 1)
    assert "desktop-app login" in line
    assert "s3cr3t" not in result.stderr + result.stdout
    assert _stored_remote(d) is None


# -- 5. deep nesting ------------------------------------------------------------------------


def test_deeply_nested_json_import_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    depth = 10**6
    deep.write_bytes(b'{"format": "tidemark-export", "x": ' + b"[" * depth + b"]" * depth + b"}")
    d = tmp_path / "profile"
    line = one_line_error(cli(d, "import", str(deep)), 1)
    assert "nested too deeply" in line
    note = tmp_path / "deep.md"  # a front matter scalar that looks like JSON
    note.write_text('---\ntitle: "' + "[" * depth + '"\n---\nbody\n', encoding="utf-8")
    assert "imported 1 note" in ok(d, "import", str(note))


# -- 6. Ctrl+C after the import committed ------------------------------------------------------


def test_ctrl_c_after_the_import_commits_still_reports_it(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Already here")
    vault = tmp_path / "vault"
    vault.mkdir()
    for i in range(2000):  # a view checkpoint that takes a while to write after the commit
        (vault / f"Note {i}.md").write_text(f"# Note {i}\n\n" + "words " * 400, encoding="utf-8")
    proc = subprocess.Popen(
        [SCRIPT, "--data-dir", str(d), "import", str(vault)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    with contextlib.closing(sqlite3.connect(f"file:{d / DB_NAME}?mode=ro", uri=True)) as db:
        deadline = time.monotonic() + 60
        while db.execute("SELECT count(*) FROM local_actions").fetchone()[0] < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "no commit seen"
            time.sleep(0.001)
    proc.send_signal(signal.SIGINT)  # right after the commit
    out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err
    assert proc.returncode == 0, err
    assert b"imported 2000 notes" in out
    assert len(show(d)["notes"]) == 2000


# -- 8. bytes that are not UTF-8 ---------------------------------------------------------------


def _run_bytes(d: Path, *args: bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [SCRIPT.encode(), b"--data-dir", bytes(d), *args],
        input=stdin,
        capture_output=True,
        env=ENV,
        timeout=60,
    )


def _one_line(result: subprocess.CompletedProcess[bytes], code: int) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, (result.returncode, err)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_arguments_that_are_not_utf8_are_one_line(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Fine")
    for args in ([b"add-task", b"bad\xff"], [b"add-task", b"x", b"--tag", b"t\xe9"]):
        line = _one_line(_run_bytes(d, *args), 1)
        assert "not valid UTF-8" in line and ("\\xff" in line or "\\xe9" in line)
    line = _one_line(_run_bytes(d, b"add-note", b"N", b"--body", b"-", stdin=b"caf\xe9"), 1)
    assert "stdin is not valid UTF-8 (byte 3" in line
    assert [t["title"] for t in show(d)["tasks"]] == ["Fine"] and show(d)["notes"] == []


def test_latin1_file_and_folder_names_import_with_replacement_characters(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "Caf\xe9".encode("latin-1").decode("utf-8", "surrogateescape")).mkdir(parents=True)
    name = "R\xe9sum\xe9.md".encode("latin-1")
    with open(bytes(vault) + b"/Caf\xe9/" + name, "w", encoding="utf-8") as f:
        f.write("no heading, just text\n")
    d = tmp_path / "profile"
    result = _run_bytes(d, b"import", bytes(vault))
    assert result.returncode == 0, result.stderr
    doc = show(d)
    assert doc["notes"][0]["title"] == "R\ufffdsum\ufffd"
    assert doc["lists"][0]["name"] == "Caf\ufffd"
    one = _run_bytes(d, b"import", bytes(vault) + b"/Caf\xe9/" + name)  # a file named directly
    assert one.returncode == 0 and b"imported 1 note" in one.stdout, one.stderr


# -- 9. control characters: cleaned on the way in, escaped on the way out ----------------------


def test_control_characters_are_cleaned_from_typed_and_imported_text(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    ok(d, "add-task", "Evil\x1b]0;pwned\x07 title\nfake", "--list", "Home\x1b[2J")
    export = json.loads(ok(d, "export"))
    export["lists"][0]["name"] = "Work\n  [ ] fake task  [abcd1234]"
    export["lists"][0]["id"] = "other-list"
    export["tasks"][0] |= {"id": "other-task", "title": "T\x1b[31mred", "list_id": "other-list"}
    export["tasks"][0]["tags"] = ["two words", "\x1b[1m"]
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(export), encoding="utf-8")
    ok(d, "import", str(crafted))

    doc = show(d)
    assert sorted(lst["name"] for lst in doc["lists"]) == [
        "Home [2J",
        "Work [ ] fake task [abcd1234]",
    ]
    assert sorted(t["title"] for t in doc["tasks"]) == ["Evil ]0;pwned title fake", "T [31mred"]
    imported = next(t for t in doc["tasks"] if t["id"] == "other-task")
    assert sorted(imported["tags"]) == ["[1m", "two-words"]
    ok(d, "edit", "other-task", "--untag", "two-words")  # a tag that can be removed


def test_control_characters_already_stored_never_reach_the_terminal(tmp_path: Path) -> None:
    """Text that arrived before cleaning (or from a device that does not clean) is shown
    escaped: no escape sequence reaches the terminal, no fake line appears."""
    d = tmp_path / "profile"
    with App(d) as app:
        created = datetime.now(UTC)
        app.dispatch(act.NewList(id="l1", name="Home\n  [ ] fake  [l1]", created=created))
        app.dispatch(
            act.NewTask(
                id="t1", title="A\x1b[2Jb", list_id="l1", tags=frozenset({"x\x07"}), created=created
            )
        )
    out = ok(d, "show")
    assert "\x1b" not in out and "\x07" not in out
    assert "Home\\x0a  [ ] fake  [l1]" in out and "A\\x1b[2Jb" in out
    line = one_line_error(cli(d, "import", str(tmp_path / "no\x1b[2Jsuch")), 1)
    assert "\x1b" not in line and "no\\x1b[2Jsuch" in line  # errors are escaped too


# -- extra: Lambda settings, a damaged view checkpoint ----------------------------------------


@pytest.mark.parametrize("days", ["-1", "nan", "inf", "ninety", "1e9"])
def test_lambda_refuses_unusable_retention_before_any_request(
    days: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.sync.lambda_handler import handler

    monkeypatch.setenv("TIDEMARK_BUCKET", "my-notes")
    monkeypatch.setenv("TIDEMARK_RETENTION_DAYS", days)
    monkeypatch.setenv("TIDEMARK_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(ValueError, match="TIDEMARK_RETENTION_DAYS must be"):
        handler({}, None)


@pytest.mark.parametrize("days", ["-1", "nan", "inf"])
def test_rollup_refuses_unusable_retention_in_one_line(tmp_path: Path, days: str) -> None:
    d = tmp_path / "profile"
    (tmp_path / "remote").mkdir()  # `remote folder` checks the folder exists and is writable
    ok(d, "remote", "folder", str(tmp_path / "remote"))
    line = one_line_error(cli(d, "rollup", "--retention-days", days), 2)
    assert "--retention-days must be" in line


def _damage_view(d: Path) -> None:
    with contextlib.closing(sqlite3.connect(d / DB_NAME)) as db, db:
        db.execute("UPDATE checkpoints SET body = x'c1ffee' WHERE name = 'view'")


def test_a_damaged_view_is_rebuilt_from_journal_and_base(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    (tmp_path / "remote").mkdir()
    ok(d, "remote", "folder", str(tmp_path / "remote"))
    ok(d, "add-task", "In the base")
    ok(d, "sync")  # folded into the base, gone from the journal
    ok(d, "add-task", "In the journal")
    expected = ok(d, "show", "--json")
    _damage_view(d)

    result = cli(d, "show", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert "rebuilt it from the journal" in result.stderr and len(result.stderr.splitlines()) == 1
    assert cli(d, "add-task", "Later").returncode == 0  # saves the rebuilt view
    assert ok(d, "show")  # no note any more: ok() insists on an empty stderr
