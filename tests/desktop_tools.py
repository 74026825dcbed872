"""The Debian validators for desktop metadata, run when installed (.ci/run installs them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# tool -> the Debian package that ships it
TOOLS = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}


def require(tool: str) -> str:
    """The tool's path, or a skip that says what to install."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install {TOOLS[tool]}); .ci/run installs it")
    return path


def validate_desktop_entry(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("desktop-file-validate"), str(path)], capture_output=True, text=True, check=False
    )


def validate_metainfo(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("appstreamcli"), "validate", "--no-net", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
