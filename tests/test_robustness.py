"""Hostile files, special files, bad bytes, huge inputs (issue 13), through the console script.

Each test names the item of issue 13 it covers. Timing tests compare against a
fixed budget that is far below what the quadratic versions took (minutes).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from desktop_app.app import exchange
from desktop_app.app.vault_files import MAX_NOTE_BYTES
from tests.test_cli import cli, ok, one_line_error, show

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
HOSTILE_NOTES = {
    "heading": "# a" + SPACES + "x\n",
    "heading closing hashes": "# a" + SPACES + "#" * 1000 + SPACES + "x\n",
    "front matter scalar": "---\ntitle: a" + SPACES + "x\n---\nbody\n",
    "front matter list": "---\ntags: [" + '"a' * (MB // 2) + "]\n---\n",
    "front matter comment": "---\ntitle: a" + " #" * (MB // 2) + "\n---\n",
    "inline tags": "# T\n" + "#a" * (MB // 2),
    "code fences": "# T\n" + "```x\n" * (MB // 5) + "`" * MB,
}
HOSTILE_TASKS = {
    "due date": "- [ ] a" + SPACES + "x",
    "due marks": "- [ ] a" + " 📅" * (MB // 3),
    "trailing tags": "- [ ] a" + " #t" * (MB // 3),
    "trailing tag after spaces": "- [ ] a" + SPACES + "#t x",
    "checkbox": " " * MB + "- [ ] a",
}


@pytest.mark.parametrize("name", HOSTILE_NOTES)
def test_note_parsing_is_linear(name: str) -> None:
    assert _timed(exchange.parse_note, HOSTILE_NOTES[name], "fallback") < 0.5


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
    assert exchange.parse_note("# Title ##\nbody", "f").title == "Title"
    assert exchange.parse_note("# Title#\nbody", "f").title == "Title#"
    assert exchange.parse_note("# ###\n", "f").title == "###"
    assert exchange.parse_note("#Title\n", "f").title == "f"
    line = "- [x] Buy  milk #home #42 #a 📅 2026-03-01 ⏫"
    task = exchange.parse_tasks("---\ntidemark: tasks\n---\n" + line)[0]
    assert (task.title, sorted(task.tags), task.due.isoformat(), task.done) == (
        "Buy milk #home #42",
        ["a"],
        "2026-03-01",
        True,
    )
    meta, _ = exchange.split_front_matter("---\ntitle: a # comment\nx: b#c\n---\n")
    assert meta == {"title": "a", "x": "b#c"}


def test_one_megabyte_heading_imports_through_the_cli_quickly(tmp_path: Path) -> None:
    note = tmp_path / "Big.md"
    note.write_text("# a" + SPACES + "x\n", encoding="utf-8")
    start = time.perf_counter()
    out = ok(tmp_path / "profile", "import", str(note))
    assert time.perf_counter() - start < 5  # the quadratic pattern took hours
    assert "imported 1 note" in out
