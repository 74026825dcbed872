"""The program as installed: --version, --smoke, and the desktop entry the window names.

--smoke is what a package's post-install check and tests/test_packaging.py run;
it must open the real window, leave no profile behind and never touch the user's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

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
