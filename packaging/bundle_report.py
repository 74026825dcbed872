"""Size of a one-folder bundle by component, for docs/packaging.md.

    .venv/bin/python packaging/bundle_report.py build/dist/tidemark

Sizes are the files' own bytes in MB (10^6); symlinks (PyInstaller links the Qt
libraries into the top folder) count once, as what they point at.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path, PurePath

# First match wins: (component, test on the path inside the bundle's _internal/).
COMPONENTS: list[tuple[str, object]] = [
    ("ICU data and libraries (QtCore needs them)", lambda p: p.name.startswith("libicu")),
    ("Qt translations", lambda p: p.parts[:3] == ("PySide6", "Qt", "translations")),
    ("Qt plugins", lambda p: p.parts[:3] == ("PySide6", "Qt", "plugins")),
    ("Qt libraries", lambda p: p.parts[:3] == ("PySide6", "Qt", "lib")),
    (
        "PySide6 bindings",
        lambda p: (
            p.parts[0] in {"PySide6", "shiboken6"}
            or p.name.startswith(("libpyside6", "libshiboken6"))
        ),
    ),
    ("botocore service data", lambda p: p.parts[:2] == ("botocore", "data")),
    ("cryptography", lambda p: p.parts[0].startswith("cryptography")),
    (
        "Python runtime",
        lambda p: (
            p.name.startswith("libpython")
            or p.parts[0].startswith("python3")
            or p.name == "base_library.zip"
        ),
    ),
    ("other shared libraries", lambda p: len(p.parts) == 1 and ".so" in p.name),
]
OTHER = "program, app and other Python packages"


def component(path: PurePath) -> str:
    for name, test in COMPONENTS:
        if test(path):  # type: ignore[operator]
            return name
    return OTHER


def sizes(bundle: Path) -> Counter[str]:
    internal = bundle / "_internal"
    totals: Counter[str] = Counter()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        inside = path.relative_to(internal) if internal in path.parents else PurePath("")
        totals[component(inside) if inside.parts else OTHER] += path.stat().st_size
    return totals


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: bundle_report.py BUNDLE_DIR", file=sys.stderr)
        return 2
    totals = sizes(Path(argv[0]))
    for name, size in totals.most_common():
        print(f"{size / 1e6:7.1f} MB  {name}")
    print(f"{sum(totals.values()) / 1e6:7.1f} MB  total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
