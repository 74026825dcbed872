"""The layering is checkable: contracts in CI, and what importing actually loads.

import-linter sees static imports; the subprocess checks catch the rest (an
import inside a function, a plugin loaded at import time, a transitive pull).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _loaded_after_importing(*modules: str) -> set[str]:
    """The top-level packages in sys.modules after importing ``modules`` in a fresh Python."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_import_contracts_hold() -> None:
    lint = BIN / "lint-imports"
    assert lint.exists(), f"import-linter is not installed next to {sys.executable}"
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "module",
    [
        "desktop_app.core",
        "desktop_app.storage",
        "desktop_app.sync",
        "desktop_app.app",
        "desktop_app.cli",
    ],
)
def test_nothing_below_the_ui_loads_qt(module: str) -> None:
    loaded = _loaded_after_importing(module)
    assert "PySide6" not in loaded and "shiboken6" not in loaded


def test_everything_below_the_ui_together_loads_no_qt() -> None:
    loaded = _loaded_after_importing(
        "desktop_app.core",
        "desktop_app.storage",
        "desktop_app.sync",
        "desktop_app.app",
        "desktop_app.cli",
    )
    assert "PySide6" not in loaded and "shiboken6" not in loaded


@pytest.mark.parametrize("module", ["desktop_app.core", "desktop_app.storage"])
def test_core_and_storage_load_no_network_or_keyring(module: str) -> None:
    loaded = _loaded_after_importing(module)
    assert not loaded & {"boto3", "botocore", "keyring", "PySide6"}


def test_core_loads_only_stdlib_msgspec_and_immutables() -> None:
    loaded = _loaded_after_importing("desktop_app.core")
    third_party = {
        name
        for name in loaded - set(sys.stdlib_module_names)
        if not name.startswith("_") and name not in {"desktop_app", "sitecustomize"}
    }
    # typing_extensions comes with msgspec itself.
    assert third_party <= {"msgspec", "immutables", "typing_extensions"}, third_party
