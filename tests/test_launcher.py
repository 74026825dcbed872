"""The program as installed: --version, --smoke, and the desktop entry the window names.

--smoke is what a package's post-install check and tests/test_packaging.py run;
it must open the real window, leave no profile behind and never touch the user's.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app import launcher
from desktop_app.app.data_dir import DATA_DIR_ENV
from desktop_app.cli import main as cli_main
from desktop_app.ui.main import DESKTOP_ID, application

ROOT = Path(__file__).resolve().parents[1]


def desktop_app(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(tmp_path / "tmp"),  # where --smoke's throwaway profile goes
        "DESKTOP_APP_DATA_DIR": str(tmp_path / "profile"),  # the user's: must stay untouched
    }
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_version_names_the_installed_release(tmp_path: Path) -> None:
    result = desktop_app(["--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"desktop-app {metadata.version('tidemark')}"


def test_smoke_opens_and_closes_the_window_on_a_throwaway_profile(tmp_path: Path) -> None:
    result = desktop_app(["--smoke"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "profile").exists()  # the user's profile was not opened
    assert list((tmp_path / "tmp").iterdir()) == []  # nor is the throwaway one left behind


def test_smoke_takes_no_command(tmp_path: Path) -> None:
    result = desktop_app(["--smoke", "show"], tmp_path)
    assert result.returncode == 2
    assert "--smoke opens the window and takes no command" in result.stderr


def test_the_window_names_its_desktop_entry(qapp: object) -> None:
    # Wayland groups the window under the launcher entry whose file is named <id>.desktop.
    assert application().desktopFileName() == DESKTOP_ID
    assert (ROOT / "packaging" / f"{DESKTOP_ID}.desktop").is_file()


# -- the window's own path: no CLI built, the same folder the CLI would give ---------------------

_ARGV_TOKENS = [
    "--data-dir",
    "--data-dir=",
    "--data-dir=~/notes",
    "rel/p",
    "~/p",
    "",
    "-x",
    "show",
    "--smoke",
    "--help",
    "--data",
    "/abs/p",
    "a b",
    "--data-dir=-",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(st.sampled_from(_ARGV_TOKENS), max_size=3), env_dir=st.booleans())
def test_the_window_path_opens_the_folder_the_cli_would(
    argv: list[str], env_dir: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if env_dir:
        monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    else:
        monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    fast = launcher.window_only(argv)
    if fast is None:
        return  # the CLI decides; its own tests cover it
    opened: list[Path] = []

    def record(data_dir: Path) -> int:
        opened.append(data_dir)
        return 0

    with contextlib.redirect_stderr(io.StringIO()):
        assert cli_main.main(argv, open_window=record) == 0
    assert opened == [fast]


def test_the_plain_spellings_take_the_window_path(tmp_path: Path) -> None:
    assert launcher.window_only([]) is not None
    assert launcher.window_only(["--data-dir", str(tmp_path)]) == tmp_path
    assert launcher.window_only([f"--data-dir={tmp_path}"]) == tmp_path
    for argv in (
        ["show"],
        ["--smoke"],
        ["--data-dir", "-x"],
        ["--data-dir", str(tmp_path), "show"],
    ):
        assert launcher.window_only(argv) is None


def test_opening_the_window_does_not_build_the_cli(tmp_path: Path) -> None:
    """The parser imports every command module: a quarter of the window's start-up."""
    probe = (
        "import sys\n"
        "from desktop_app import launcher\n"
        "def record(data_dir, smoke=False):\n"
        "    print(data_dir, sorted(m for m in sys.modules if m.startswith('desktop_app.cli')))\n"
        "    return 0\n"
        "launcher.open_window = record\n"
        f"sys.exit(launcher.main(['--data-dir', {str(tmp_path)!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{tmp_path} []"


def test_the_window_imports_with_the_cycle_collector_paused(tmp_path: Path) -> None:
    """Imports allocate too (every class, every Qt enum): the launcher pauses the
    collector before the window's first import, and the window resumes it."""
    probe = (
        "import gc, sys\n"
        "from desktop_app import launcher\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name in ('PySide6', 'desktop_app.ui.main'):\n"
        "            seen.append((name, gc.isenabled()))\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        f"code = launcher.main(['--smoke', '--data-dir', {str(tmp_path / 'p')!r}])\n"
        "print(code, seen, gc.isenabled())\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == "0 [('PySide6', False), ('desktop_app.ui.main', False)] True", last


def test_a_window_that_cannot_be_imported_leaves_the_collector_running(monkeypatch) -> None:
    import gc

    from desktop_app.sync import collector

    # Not the test process's every object frozen for good, as a window's start-up is.
    monkeypatch.setattr(collector, "freeze_for_good", lambda: None)
    monkeypatch.setitem(sys.modules, "desktop_app.ui.main", None)  # the import fails
    with pytest.raises(ImportError):
        launcher.open_window(Path("unused"))
    assert gc.isenabled()
