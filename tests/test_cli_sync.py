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


# -- `remote` checks that the store refuses overwrites before saving it -----------------


def _remote_now(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--data-dir", str(data), "remote"]) == 0
    return capsys.readouterr().out.strip()


def test_remote_folder_that_does_not_exist_is_refused_and_not_saved(tmp_path: Path) -> None:
    data = tmp_path / "p"
    result = _cli(data, "remote", "folder", str(tmp_path / "does" / "not" / "exist"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr and str(tmp_path / "does") in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "Remote set" not in result.stdout
    assert "no remote" in _cli(data, "remote").stdout
    assert not (tmp_path / "does").exists()


def test_remote_folder_leaves_no_probe_behind(tmp_path: Path, capsys) -> None:
    share = tmp_path / "share"
    share.mkdir()
    assert main(["--data-dir", str(tmp_path / "p"), "remote", "folder", str(share)]) == 0
    assert "Remote set" in capsys.readouterr().out
    assert list(share.iterdir()) == []


def test_remote_s3_that_ignores_if_none_match_is_refused(
    tmp_path: Path, s3_bucket, memory_keyring, capsys
) -> None:
    from tests.s3_proxy import running_proxy, strip_if_none_match

    data = tmp_path / "p"
    with running_proxy(s3_bucket.endpoint_url, strip_if_none_match) as proxy:
        code = main(["--data-dir", str(data), "remote", "s3://tidemark-test/vault",
                     "--endpoint-url", proxy.url])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "If-None-Match" in err and "create-only" in err
    assert len(err.strip().splitlines()) == 1
    assert _remote_now(data, capsys) == "no remote (local only)"


def test_remote_s3_that_refuses_overwrites_is_set(
    tmp_path: Path, s3_bucket, memory_keyring, capsys
) -> None:
    data = tmp_path / "p"
    args = ["remote", "s3://tidemark-test/vault", "--endpoint-url", s3_bucket.endpoint_url]
    assert main(["--data-dir", str(data), *args]) == 0
    out = capsys.readouterr()
    assert "Remote set" in out.out and out.err == ""
    assert _remote_now(data, capsys).startswith("s3://tidemark-test/vault")


def test_remote_s3_without_credentials_is_set_and_checked_later(
    tmp_path: Path, s3_bucket, memory_keyring, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    data = tmp_path / "p"
    args = ["remote", "s3://tidemark-test", "--endpoint-url", s3_bucket.endpoint_url]
    assert main(["--data-dir", str(data), *args]) == 0
    out = capsys.readouterr()
    assert "Remote set" in out.out
    assert "login" in out.err and "first sync" in out.err
    assert _remote_now(data, capsys).startswith("s3://tidemark-test")
