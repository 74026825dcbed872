"""PySide's import hook answers from the bytes exactly as it would from the source."""

from __future__ import annotations

import itertools
import sys
import types
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from desktop_app.ui import feature_hook

FEATURE = sys.modules[feature_hook.FEATURE_MODULE]
PYSIDES_OWN = FEATURE._mod_uses_pyside.__wrapped__
NAMES = itertools.count()


def test_it_is_installed_once_the_ui_package_is_imported() -> None:
    assert feature_hook.INSTALLED
    assert FEATURE._mod_uses_pyside.__wrapped__ is PYSIDES_OWN
    assert feature_hook.install()  # again: still PySide's own function underneath
    assert FEATURE._mod_uses_pyside.__wrapped__ is PYSIDES_OWN


def test_every_loaded_module_gets_pysides_answer() -> None:
    import desktop_app.ui.main_window  # noqa: F401  # the window's own modules too

    modules = [m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType)]
    assert len(modules) > 200
    differ = [
        m.__name__
        for m in modules
        if feature_hook.uses_pyside_by_bytes(m, PYSIDES_OWN) != PYSIDES_OWN(m)
    ]
    assert differ == []
    ours = sys.modules["desktop_app.ui.main_window"]
    assert feature_hook.uses_pyside_by_bytes(ours, PYSIDES_OWN) is True
    assert feature_hook.uses_pyside_by_bytes(sys.modules["desktop_app.core"], PYSIDES_OWN) is False


def _module_at(path: Path) -> types.ModuleType:
    module = types.ModuleType(f"feature_probe_{next(NAMES)}")
    module.__file__ = str(path)
    return module


texts = st.lists(
    st.sampled_from(["PySide6", "PySide", "Side6", "é", "ß", "x = 1", "# ", "\n", "€", "ÿ"]),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    text=texts,
    coding=st.sampled_from([None, "utf-8", "latin-1", "cp1252", "utf-16"]),
    cookie_line=st.sampled_from([0, 1]),
)
@example(text="é PySide6", coding=None, cookie_line=0)
@example(text="ÿ", coding="latin-1", cookie_line=1)
@example(text="PySide6", coding="utf-16", cookie_line=0)
def test_a_module_file_in_any_encoding_gets_pysides_answer(
    tmp_path_factory, text: str, coding: str | None, cookie_line: int
) -> None:
    head = [] if coding is None else [f"# -*- coding: {coding} -*-"]
    if coding is not None and cookie_line == 1:
        head.insert(0, "#!/usr/bin/env python")  # PEP 263: first or second line
    source = "\n".join([*head, text]) + "\n"
    try:
        data = source.encode(coding or "utf-8")
    except UnicodeEncodeError:
        return  # a text no file in that encoding could hold
    path = tmp_path_factory.mktemp("mods") / "probe.py"
    path.write_bytes(data)
    module = _module_at(path)
    assert feature_hook.uses_pyside_by_bytes(module, PYSIDES_OWN) == PYSIDES_OWN(module)


def test_what_is_not_a_readable_py_file_goes_to_pyside(tmp_path: Path) -> None:
    asked: list[str] = []

    def pyside(module: types.ModuleType) -> bool:
        asked.append(module.__name__)
        return True

    builtin = sys.modules["sys"]  # no __file__
    extension = types.ModuleType("ext")
    extension.__file__ = str(tmp_path / "ext.so")
    Path(extension.__file__).write_bytes(b"\x7fELF")  # readable, but not source
    gone = types.ModuleType("gone")
    gone.__file__ = str(tmp_path / "gone.py")
    for module in (builtin, extension, gone):
        assert feature_hook.uses_pyside_by_bytes(module, pyside) is True
    assert asked == ["sys", "ext", "gone"]
