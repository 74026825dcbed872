"""The launcher entry, icons and AppStream metainfo that the .deb installs.

The two Debian validators must accept the files as committed; the ids must
agree with the one the window sets (so the window groups under its icon), and
the PNG icons must still be what resources/tidemark.svg renders to.
"""

from __future__ import annotations

import configparser
import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop_app.ui.main import DESKTOP_ID
from desktop_app.ui.resources import THEME_ICON
from tests.desktop_tools import validate_desktop_entry, validate_metainfo

ROOT = Path(__file__).resolve().parents[1]
DESKTOP_FILE = ROOT / "packaging" / f"{DESKTOP_ID}.desktop"
METAINFO = ROOT / "resources" / f"{DESKTOP_ID}.metainfo.xml"
SCREENSHOT_BASE = "https://raw.githubusercontent.com/tidemark/tidemark/main/"

# packaging/ is a folder of build scripts, not a package (the name is pip's "packaging").
_spec = importlib.util.spec_from_file_location(
    "render_icons", ROOT / "packaging" / "render_icons.py"
)
assert _spec and _spec.loader
render_icons = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_icons)


def test_desktop_file_validate_accepts_the_entry() -> None:
    result = validate_desktop_entry(DESKTOP_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout + result.stderr


def test_appstreamcli_accepts_the_metainfo() -> None:
    result = validate_metainfo(METAINFO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entry_and_metainfo_name_the_window_s_id() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(DESKTOP_FILE, encoding="utf-8")
    assert entry["Desktop Entry"]["Icon"] == THEME_ICON == DESKTOP_ID
    assert entry["Desktop Entry"]["Exec"].split()[0] == "tidemark"
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == DESKTOP_ID
    assert component.findtext("launchable") == DESKTOP_FILE.name


def test_the_screenshot_is_one_the_rendering_test_wrote() -> None:
    # tests/test_screenshots.py writes docs/images/ (TIDEMARK_UPDATE_SCREENSHOTS=1).
    urls = [image.text or "" for image in ET.parse(METAINFO).getroot().iter("image")]
    assert urls
    for url in urls:
        assert url.startswith(SCREENSHOT_BASE), url
        shot = QImage(str(ROOT / url.removeprefix(SCREENSHOT_BASE)))
        assert not shot.isNull(), url


@pytest.mark.parametrize("size", render_icons.SIZES)
def test_png_icons_are_the_svg_rendered(qapp: object, size: int) -> None:
    committed = QImage(str(render_icons.png_path(size)))
    assert (committed.width(), committed.height()) == (size, size)
    fresh = render_icons.render(size).convertToFormat(committed.format())
    # Same pixels within a little antialiasing drift between Qt releases.
    drift = sum(
        abs(a - b)
        for a, b in zip(bytes(committed.constBits()), bytes(fresh.constBits()), strict=True)
    )
    assert drift / (size * size * 4) < 2, f"re-run packaging/render_icons.py ({drift=})"
