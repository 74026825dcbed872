"""The sync commands of the CLI: remote, sync, status, login (secrets stay in the keyring)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli.main import main
from desktop_app.storage import DB_NAME

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "desktop-app"
    return subprocess.run(
        [str(exe), "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )


def test_remote_show_set_and_clear(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    assert "no remote" in _cli(tmp_path / "p", "remote").stdout
    assert _cli(tmp_path / "p", "remote", "folder", str(share)).returncode == 0
    assert _cli(tmp_path / "p", "remote").stdout.strip() == str(share)
    status = json.loads(_cli(tmp_path / "p", "status", "--json").stdout)
    assert status["remote"] == str(share) and status["pending"] == 0
    assert status["last_sync"] is None
    assert _cli(tmp_path / "p", "remote", "none").returncode == 0
    assert "no remote" in _cli(tmp_path / "p", "remote").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("remote", "s3://ab"), "3 to 63 characters"),
        (("remote", "ftp://x"), "unknown remote"),
        (("remote", "folder"), "missing folder path"),
        (("sync",), "no remote is set"),
        (("login",), "set an S3 remote first"),
        (("rollup",), "no remote is set"),
    ],
)
def test_bad_sync_input_is_one_clear_line(tmp_path: Path, args: tuple, message: str) -> None:
    result = _cli(tmp_path / "p", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_sync_failure_exits_non_zero_and_keeps_local_state(tmp_path: Path) -> None:
    data = tmp_path / "p"
    stick = tmp_path / "not-plugged-in"
    stick.mkdir()
    _cli(data, "add-task", "kept")
    assert _cli(data, "remote", "folder", str(stick)).returncode == 0
    stick.rmdir()  # the stick is unplugged after the remote was set
    before = _cli(data, "show", "--json").stdout
    result = _cli(data, "sync")
    assert result.returncode == 1
    assert "not-plugged-in" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _cli(data, "show", "--json").stdout == before
    assert json.loads(_cli(data, "status", "--json").stdout)["pending"] == 1


def test_login_refuses_an_insecure_keyring(tmp_path: Path) -> None:
    data = tmp_path / "p"
    _cli(data, "remote", "s3://tidemark-test")
    result = _cli(data, "login", stdin=f"AKIDEXAMPLE\n{SECRET}\n")
    assert result.returncode == 1
    assert "keyring" in result.stderr.lower() and "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_login_stores_the_secret_only_in_the_keyring(
    tmp_path: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    data = tmp_path / "p"
    assert main(["--data-dir", str(data), "remote", "s3://tidemark-test"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"AKIDEXAMPLE\n{SECRET}\n"))
    assert main(["--data-dir", str(data), "login"]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    (stored,) = memory_keyring.passwords.values()
    assert SECRET in stored
    for path in data.iterdir():  # the database, its WAL and anything else on disk
        assert SECRET.encode() not in path.read_bytes(), path
    assert (data / DB_NAME).exists()
