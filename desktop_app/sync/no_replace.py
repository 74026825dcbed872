"""Rename a file only if the target name is free, atomically, on each platform.

A folder remote publishes an update by giving a fully written temporary file its
final name. Hard links do that create-only (``link`` fails on an existing name),
but FAT/exFAT sticks and some SMB shares have no links. The kernel's no-replace
rename is the other atomic create-only primitive: Linux ``renameat2`` with
``RENAME_NOREPLACE`` (3.15+, per filesystem), macOS ``renamex_np`` with
``RENAME_EXCL`` (10.12+), and Windows ``MoveFileEx`` without
``MOVEFILE_REPLACE_EXISTING``, which is what ``os.rename`` calls there.

``rename_no_replace`` raises ``FileExistsError`` when the name is taken and an
``OSError`` whose errno is in ``UNSUPPORTED_ERRNOS`` when this platform or
filesystem cannot do it; it never falls back to a check-then-rename.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import platform
import sys
from collections.abc import Callable

AT_FDCWD = -100
RENAME_NOREPLACE = 1  # linux/fs.h
RENAME_EXCL = 0x4  # macOS sys/stdio.h

# Errnos meaning "not here" rather than "failed": the caller says so plainly.
UNSUPPORTED_ERRNOS = frozenset(
    {
        errno.EINVAL,
        errno.ENOSYS,
        errno.EOPNOTSUPP,
        getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
    }
)

# SYS_renameat2 for libcs older than glibc 2.28 (no wrapper); per asm/unistd.h.
_SYS_RENAMEAT2 = {
    "x86_64": 316,
    "amd64": 316,
    "i386": 353,
    "i686": 353,
    "aarch64": 276,
    "arm64": 276,
    "riscv64": 276,
    "loongarch64": 276,
    "armv7l": 382,
    "armv6l": 382,
    "ppc64le": 357,
    "ppc64": 357,
    "s390x": 347,
}

RawRename = Callable[[bytes, bytes], int]


def rename_no_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move ``src`` to ``dst`` unless ``dst`` exists (``FileExistsError``), atomically."""
    if sys.platform == "win32":
        os.rename(src, dst)  # MoveFileExW without MOVEFILE_REPLACE_EXISTING
        return
    raw = _raw_rename()
    if raw is None:
        raise OSError(errno.ENOSYS, "no atomic no-replace rename on this system")
    if raw(os.fsencode(src), os.fsencode(dst)) != 0:
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), os.fspath(dst))
        raise OSError(code, os.strerror(code), os.fspath(dst))


@functools.cache
def _raw_rename() -> RawRename | None:
    """The C call for this platform (0 on success, errno set), or None if there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux"):
        return _linux_renameat2(libc)
    if sys.platform == "darwin":
        return _macos_renamex_np(libc)
    return None


def _linux_renameat2(libc: ctypes.CDLL) -> RawRename | None:
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:  # glibc 2.28+, musl 1.2.2+
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                              ctypes.c_uint]  # fmt: skip
        renameat2.restype = ctypes.c_int
        return lambda src, dst: renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE)
    number = _SYS_RENAMEAT2.get(platform.machine().lower())
    syscall = getattr(libc, "syscall", None)
    if number is None or syscall is None:
        return None
    syscall.restype = ctypes.c_long
    return lambda src, dst: syscall(
        ctypes.c_long(number),
        ctypes.c_int(AT_FDCWD),
        ctypes.c_char_p(src),
        ctypes.c_int(AT_FDCWD),
        ctypes.c_char_p(dst),
        ctypes.c_uint(RENAME_NOREPLACE),
    )


def _macos_renamex_np(libc: ctypes.CDLL) -> RawRename | None:
    renamex_np = getattr(libc, "renamex_np", None)
    if renamex_np is None:  # before macOS 10.12
        return None
    renamex_np.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
    renamex_np.restype = ctypes.c_int
    return lambda src, dst: renamex_np(src, dst, RENAME_EXCL)
