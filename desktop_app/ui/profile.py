"""Which profile the window shows, and where that profile keeps its window state.

Each ``--data-dir`` profile keeps its own window settings (size, splitters,
sorts, note mode) in ``window.ini`` inside its data folder, so two profiles
never share or overwrite each other's. The title names the profile unless it
is the default one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from desktop_app.app.data_dir import may_be_platform_data_dir, platform_data_dir

SETTINGS_FILE = "window.ini"


def profile_name(data_dir: Path) -> str | None:
    """A short name for a non-default profile (its folder name), or None for the default."""
    try:
        folder = Path(data_dir).resolve()
        if may_be_platform_data_dir(folder) and folder == platform_data_dir().resolve():
            return None
    except OSError:
        pass
    return Path(data_dir).name or str(data_dir)


def window_settings(data_dir: Path) -> QSettings:
    return QSettings(str(Path(data_dir) / SETTINGS_FILE), QSettings.Format.IniFormat)
