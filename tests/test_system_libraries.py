"""Before Qt starts: the X11 plugin's missing libraries named, with the apt-get line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.ui import system_libraries as syslibs

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibweird.so.9 => not found
"""


def test_ldd_output_names_each_missing_library_once() -> None:
    assert syslibs.not_found(LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libweird.so.9"]
    assert syslibs.not_found("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_the_message_gives_the_apt_get_line_and_names_the_unknown() -> None:
    missing = syslibs.missing_for(syslibs.not_found(LDD))
    assert missing is not None
    text = missing.message()
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n" in text
    assert "libweird.so.9" in text and "apt-file search" in text
    assert "xcb-cursor0" not in text  # Qt's own message blames it; it is installed here
    assert syslibs.missing_for([]) is None


@pytest.mark.parametrize(
    ("environ", "xcb"),
    [
        ({}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, False),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"XDG_SESSION_TYPE": "wayland"}, True),
    ],
)
def test_only_an_xcb_start_is_checked(environ: dict[str, str], xcb: bool) -> None:
    assert syslibs.uses_xcb(environ) is xcb
    assert syslibs.check({**environ, "QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}) is None
    assert syslibs.check({k: v for k, v in environ.items() if k != "DISPLAY"}) is None


def test_the_check_agrees_with_ldd_on_this_machine() -> None:
    plugin = syslibs.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    lacking = [line.split()[0] for line in out.splitlines() if "=> not found" in line]
    found = syslibs.check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"})
    assert (found.libraries if found else ()) == tuple(dict.fromkeys(lacking))
    assert all(lib in syslibs.DEBIAN_PACKAGES for lib in lacking)


def test_every_library_the_plugin_links_to_has_a_known_package() -> None:
    """The README's apt-get line comes from this table: it must cover the plugin's X11 needs."""
    plugin = syslibs.xcb_plugin()
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0] for line in out.splitlines() if "=>" in line}
    x11 = {n for n in names if n.startswith(("libxcb", "libX11", "libxkb"))}
    assert x11 <= set(syslibs.DEBIAN_PACKAGES)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for lib in x11:
        assert syslibs.DEBIAN_PACKAGES[lib] in readme, lib


def test_the_window_command_prints_the_libraries_instead_of_starting_qt(tmp_path: Path) -> None:
    """Run for real in a child process; only meaningful where something is missing."""
    if syslibs.check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}) is None:
        pytest.skip("this machine has every library the xcb plugin needs")
    env = {"PATH": "/usr/bin:/bin", "DISPLAY": ":0", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path / "d")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "sudo apt-get install" in result.stderr and "Traceback" not in result.stderr
