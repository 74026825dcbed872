"""Render the hicolor PNG icons from resources/tidemark.svg with Qt's own SVG renderer.

Launchers that do not scale SVG (and AppStream, which wants a 128 px PNG) need
bitmaps; they are committed in resources/icons/ so that building a package never
needs Qt's SVG renderer. Run after changing the SVG:

    .venv/bin/python packaging/render_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "tidemark.svg"
ICONS = ROOT / "resources" / "icons"
SIZES = (48, 128, 256)


def png_path(size: int) -> Path:
    return ICONS / f"tidemark-{size}.png"


def render(size: int, svg: Path = SVG) -> QImage:
    """The SVG drawn into a transparent size x size image."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication(sys.argv[:1])  # QPainter on images wants one
    ICONS.mkdir(exist_ok=True)
    for size in SIZES:
        if not render(size).save(str(png_path(size)), "PNG"):
            print(f"could not write {png_path(size)}", file=sys.stderr)
            return 1
        print(png_path(size).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
