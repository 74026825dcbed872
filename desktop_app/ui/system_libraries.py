"""Which system libraries Qt's X11 (xcb) plugin lacks, asked before Qt tries to load it.

When the xcb plugin cannot be loaded Qt aborts the process, and its message
blames ``xcb-cursor0`` whatever is really missing (on a minimal Debian 12 it is
``libxcb-icccm4`` and ``libxcb-keysyms1``). ``ldd`` on the plugin tells the
truth, so the launcher asks it first and prints the ``apt-get install`` line.
Nothing here creates a QApplication.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import msgspec

# The libraries PySide6's xcb plugin and Qt's own libraries link to, and the
# Debian/Ubuntu package that ships each (checked with ldd on PySide6 6.12).
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

# What the bundle's Python modules link to (ssl, sqlite3, ctypes, lzma...): the
# PyInstaller bundle leaves system libraries out, so the .deb depends on these too.
RUNTIME_PACKAGES = (
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libbz2-1.0",
    "liblzma5",
    "libffi8",
    "libssl3",
    "libsqlite3-0",
    "libuuid1",
)
# Debian 13 and Ubuntu 24.04 renamed these in the 64-bit time_t transition.
RENAMED_T64 = {"libglib2.0-0": "libglib2.0-0t64", "libssl3": "libssl3t64"}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


class MissingLibraries(msgspec.Struct, frozen=True):
    libraries: tuple[str, ...]  # sonames, as ldd names them
    packages: tuple[str, ...]  # Debian/Ubuntu packages that provide the known ones

    def message(self) -> str:
        lines = [
            "Tidemark cannot open its window: Qt's X11 plugin needs system libraries "
            "that are not installed:",
            "    " + " ".join(self.libraries),
        ]
        if self.packages:
            lines += [
                "On Debian or Ubuntu, install them with:",
                "    sudo apt-get install " + " ".join(self.packages),
            ]
        unknown = [lib for lib in self.libraries if lib not in DEBIAN_PACKAGES]
        if unknown:
            lines.append(
                "Find the package for " + ", ".join(unknown) + " with `apt-file search NAME`."
            )
        lines.append("(The command line works without them: desktop-app --help.)")
        return "\n".join(lines)


def debian_depends() -> str:
    """The .deb's Depends field: Qt's system libraries, then the Python runtime's."""
    packages = dict.fromkeys([*DEBIAN_PACKAGES.values(), *RUNTIME_PACKAGES])
    return ", ".join(
        f"{name} | {RENAMED_T64[name]}" if name in RENAMED_T64 else name for name in packages
    )


def uses_xcb(environ: os._Environ[str] | dict[str, str]) -> bool:
    """Whether Qt will pick its X11 plugin: the default on Linux outside a Wayland session."""
    wanted = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if wanted:
        return wanted == "xcb"
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY")
    return not wayland


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        plugin = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def not_found(ldd_output: str) -> list[str]:
    """Sonames ldd could not resolve, each once, in the order it named them."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def missing_for(libraries: list[str]) -> MissingLibraries | None:
    if not libraries:
        return None
    packages = dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in libraries if lib in DEBIAN_PACKAGES)
    return MissingLibraries(tuple(libraries), tuple(packages))


def check(environ: os._Environ[str] | dict[str, str] = os.environ) -> MissingLibraries | None:
    """What the xcb plugin lacks; None also when it will not be used or ldd is absent."""
    if not environ.get("DISPLAY") or not uses_xcb(environ):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    import subprocess  # only here: most starts never need it

    try:
        result = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no ldd (not glibc Linux): let Qt try
    return missing_for(not_found(result.stdout))
