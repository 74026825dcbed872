"""A guard against PySide6 6.12.0 dropping references to ``None`` and ``True``.

On CPython 3.11 the 6.12.0 bindings return ``None`` from every void call and
``True`` from ``Signal.emit()`` without taking the reference they hand out
(correct only from CPython 3.12, where those singletons are immortal). Each
call costs the singleton one reference; a full repaint of the task table costs
about ten, and the process aborts ("none_dealloc: deallocating None") within
minutes of normal use. The singletons are never freed anyway, so when the probe
below sees the leak we give each one a reserve of 2**40 references: out of reach
of any session. On CPython 3.12+ or a fixed PySide6 nothing is touched.

The real fix is a CPython >= 3.12 virtualenv (see docs/ui.md).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

RESERVE = 1 << 40
PROBES = 8


class _Probe(QObject):
    ping = Signal()


def leaks_references() -> bool:
    """True when void calls or emits drop a reference to their return value."""
    if sys.version_info >= (3, 12):
        return False  # None, True and False are immortal
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(PROBES):
        probe.setObjectName("probe")
        probe.ping.emit()
    return sys.getrefcount(None) < none_before or sys.getrefcount(True) < true_before


def install() -> bool:
    """Reserve references for None, True and False if the bindings leak them."""
    if not leaks_references():
        return False
    import ctypes  # only where the reserve is needed (~2 ms of start-up elsewhere)

    for singleton in (None, True, False):
        # CPython < 3.12: ob_refcnt is the Py_ssize_t at the object's address.
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    return True


INSTALLED = install()
