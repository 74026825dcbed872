"""PySide's import hook, made to read a module's bytes instead of parsing its source.

Importing ``PySide6.QtCore`` replaces ``__import__`` with a hook that supports
``from __feature__ import snake_case``. After every import it asks whether the
new module mentions PySide6 (``shibokensupport.feature._mod_uses_pyside``), and
answers through ``inspect.getsource``: each call resolves the module's file,
scans ``sys.modules`` to find the module again and reads the file into
``linecache`` with its encoding detected, where every source then stays for the
life of the process. For the ~110 modules the window imports after Qt that was
~8 ms of its start-up (36M instructions, valgrind, 1-task profile).

``install`` swaps in the same question asked of the file's bytes: one open and
one read, nothing cached. Anything that is not a plain ``.py`` file, or a file
that cannot be read, still goes to PySide's own answer, so the result is PySide's
for every module (``tests/test_feature_hook.py`` compares them). If a PySide
release renames or drops the function, nothing is touched.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from types import ModuleType

# Last: from this import on every import goes through the hook, and the first one
# asks the question of every module loaded so far (~150), so ``install`` runs next.
import PySide6.QtCore  # noqa: F401  # loads the support module that holds the hook

FEATURE_MODULE = "shibokensupport.feature"
QUESTION = "_mod_uses_pyside"
MARK = b"PySide6"  # what PySide looks for in the source
CODING_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")  # PEP 263, as tokenize reads it


def uses_pyside_by_bytes(module: ModuleType, fallback: Callable[[ModuleType], bool]) -> bool:
    """PySide's question ("does the source mention PySide6?") asked of the raw file."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return fallback(module)  # built-in, extension, frozen or zipped: PySide's way
    try:
        with open(path, "rb") as source:
            data = source.read()
    except OSError:
        return fallback(module)
    if MARK in data:
        return True
    if data.isascii() or not _declares_encoding(data):
        return False  # ASCII, or UTF-8: the text has the mark only if the bytes do
    return fallback(module)  # another declared encoding: PySide decodes it


def _declares_encoding(data: bytes) -> bool:
    """Whether a PEP 263 coding line may name an encoding other than UTF-8."""
    head = data.split(b"\n", 2)[:2]
    return any(CODING_LINE.match(line) for line in head)


def install() -> bool:
    """Answer PySide's question from the bytes from now on; False if it was not found."""
    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, QUESTION, None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "__wrapped__", None) is not None:
        return True  # already installed

    def asked(module: ModuleType) -> bool:
        return uses_pyside_by_bytes(module, original)

    asked.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(feature, QUESTION, asked)
    return True


INSTALLED = install()
