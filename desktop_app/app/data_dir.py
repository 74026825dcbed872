"""Where a profile lives when no ``--data-dir`` is given.

Shared by the CLI, the launcher's window path and the window's title, so that
all three agree on what "the default profile" is. ``platformdirs`` is imported
only when the platform's folder is asked for: a window opened on an explicit
``--data-dir`` never needs it.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "DESKTOP_APP_DATA_DIR"
APP_FOLDER = "tidemark"  # the platform folder's last part, on every platform


def platform_data_dir() -> Path:
    """The platform's folder for Tidemark's data (``~/.local/share/tidemark`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_FOLDER, appauthor=False))


def may_be_platform_data_dir(folder: Path) -> bool:
    """False when ``folder`` cannot be the platform's (its name differs), without asking
    ``platformdirs``; True means "compare with ``platform_data_dir()``"."""
    return folder.name.casefold() == APP_FOLDER


def default_data_dir() -> Path:
    """The profile used without ``--data-dir``: ``$DESKTOP_APP_DATA_DIR``, else the platform's."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else platform_data_dir()
