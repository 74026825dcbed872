"""Rebuild the bundle's ICU data library without the data Qt never asks ICU for.

QtCore links ICU, whose data library (libicudataNN, 32 MB) is the largest file in
the bundle. Qt uses ICU for collation, case mapping, normalization, time zones and
break rules; it formats dates, numbers and language names from its own CLDR tables
and converts only UTF-8/16/32 and Latin-1 itself. So these ICU items go:

- legacy character-set converters (``*.cnv``; Qt's codecs cover what the app reads),
- unit, currency, language and region display names, transliteration and
  spelled-out numbers (``unit/ curr/ lang/ region/ translit/ rbnf/``).

Kept: locale data, collation (sorting follows each locale), time-zone data and
names, break iterators and dictionaries, Unicode properties and normalization.

    python packaging/trim_icu.py BUNDLE_DIR

Needs ICU's icupkg and genccode (Debian: icu-devtools), binutils' readelf and a C
compiler's assembler (gcc or cc); without them it says so and leaves ICU whole.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DROPPED_TREES = ("unit/", "curr/", "lang/", "region/", "translit/", "rbnf/")
DROPPED_SUFFIXES = (".cnv",)
TOOLS = ("icupkg", "genccode", "readelf")


def dropped(item: str) -> bool:
    """item: a name as `icupkg -l` lists it, e.g. ``curr/de.res`` or ``ibm-1047_P100-1995.cnv``."""
    return item.startswith(DROPPED_TREES) or item.endswith(DROPPED_SUFFIXES)


def _run(*command: str, cwd: Path | None = None) -> str:
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def extract_data(library: Path, symbol: str) -> bytes:
    """The ICU common data that ``symbol`` points at, read from the ELF file."""
    symbols = _run("readelf", "-W", "--dyn-syms", str(library))
    match = re.search(
        rf"^\s*\d+:\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s.*\s{symbol}$", symbols, re.M
    )
    if match is None:
        raise ValueError(f"{library.name} does not define {symbol}")
    address, size = int(match[1], 16), int(match[2], 0)
    for line in _run("readelf", "-W", "-S", str(library)).splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".rodata":
            section_address, section_offset = int(fields[3], 16), int(fields[4], 16)
            offset = address - section_address + section_offset
            return library.read_bytes()[offset : offset + size]
    raise ValueError(f"{library.name} has no .rodata section")


def trim(library: Path) -> int:
    """Replace ``library`` (libicudataNN.so.NN) with a trimmed build; returns bytes saved."""
    version = re.fullmatch(r"libicudata\.so\.(\d+)", library.name)
    compiler = shutil.which("gcc") or shutil.which("cc")
    if version is None or compiler is None or not all(map(shutil.which, TOOLS)):
        return 0
    entry = f"icudt{version[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        whole, trimmed = work / f"{entry}l.dat", work / "out" / f"{entry}l.dat"
        trimmed.parent.mkdir()
        whole.write_bytes(extract_data(library, f"{entry}_dat"))
        items = _run("icupkg", "-l", str(whole)).split()
        (work / "drop.txt").write_text("\n".join(i for i in items if dropped(i)) + "\n")
        _run("icupkg", "-r", str(work / "drop.txt"), str(whole), str(trimmed))
        _run("genccode", "-e", entry, "-a", "gcc", "-d", str(work), str(trimmed))
        rebuilt = work / library.name
        _run(
            compiler,
            "-shared",
            "-nostdlib",
            f"-Wl,-soname,{library.name}",
            "-o",
            str(rebuilt),
            str(work / f"{entry}l_dat.S"),
        )
        saved = library.stat().st_size - rebuilt.stat().st_size
        shutil.copyfile(rebuilt, library)
    return saved


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: trim_icu.py BUNDLE_DIR", file=sys.stderr)
        return 2
    libraries = sorted(Path(argv[0]).rglob("libicudata.so.*"))
    libraries = [lib for lib in libraries if not lib.is_symlink()]
    if not libraries:
        print("trim_icu: no ICU data library in the bundle; nothing to do")
        return 0
    for library in libraries:
        saved = trim(library)
        if saved:
            print(f"trim_icu: {library.name} is {saved / 1e6:.1f} MB smaller")
        else:
            print(
                f"trim_icu: kept {library.name} whole (needs {', '.join(TOOLS)} and gcc: "
                "apt-get install icu-devtools binutils gcc)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
