"""Finding files in ``resources/`` from a source checkout or a PyInstaller bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

ICON_NAME = "tidemark.svg"
THEME_ICON = "io.github.tidemark.Tidemark"  # the name the .deb installs it under (hicolor)


def resource_path(name: str) -> Path | None:
    """The bundled copy first (``sys._MEIPASS``), then the checkout's; None if neither."""
    roots = []
    if bundle := getattr(sys, "_MEIPASS", None):
        roots.append(Path(bundle))
    roots.append(Path(__file__).resolve().parents[2])
    for root in roots:
        if (path := root / "resources" / name).is_file():
            return path
    return None


@cache
def app_icon() -> QIcon:
    """The app icon; an installed theme icon (from the .desktop install) as fallback.

    Set on the turn after the first paint (``MainWindow._after_first_paint``): reading
    it loads Qt's SVG library and icon plugin, ~2 ms of a start-up that paints no icon."""
    from PySide6.QtGui import QIcon

    path = resource_path(ICON_NAME)
    return QIcon(str(path)) if path else QIcon.fromTheme(THEME_ICON)
