"""Where an export goes: a new file, an earlier export, or a stream; never anyone's data.

* ``-`` and anything that is not a regular file (``/dev/stdout``, ``/dev/null``, a
  FIFO, ``>(wc -c)``) is written as a stream. Replacing it with a regular file, as
  a rename would, breaks the device node or the pipe for everyone.
* A new file is written whole to a temporary file beside it, fsynced, and renamed
  over the name, so a crash never leaves half an export; it is private (0600).
* An existing regular file is replaced only when it is an earlier export of this
  app or the user said ``force``; a symlink is followed, so the link stays a link.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from desktop_app.app.errors import AppError
from desktop_app.app.vault_files import display_path

STREAM = "-"
PRIVATE_FILE = 0o600
# How exports of this app begin (the canonical JSON export, the Markdown document).
_EXPORT_HEADS = (b'{\n  "format": "tidemark-export"', b"# Tidemark\n")


def is_stream(path: Path | str) -> bool:
    """``-``, a path in /dev or /proc (``/dev/stdout`` may lead to the shell's
    redirection file), or an existing path that is not a regular file or a folder."""
    if str(path) == STREAM or Path(path).absolute().parts[1:2] in (("dev",), ("proc",)):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_export(path: Path | str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` as described above; one plain sentence if it cannot."""
    if str(path) == STREAM:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if is_stream(path):
        _write_stream(Path(path), data)
        return
    target = Path(os.path.realpath(path))  # through a symlink: the link itself stays
    mode = PRIVATE_FILE
    if target.exists():
        if target.is_dir():
            raise AppError(f"{display_path(path)} is a folder; name a file to export to")
        if not force and not _is_earlier_export(target):
            raise AppError(
                f"{display_path(path)} exists and is not a Tidemark export; "
                "use --force to replace it"
            )
        mode = stat.S_IMODE(target.stat().st_mode)  # the mode the user gave that file
    _replace_atomically(target, data, mode)


def _is_earlier_export(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        head = os.read(fd, max(map(len, _EXPORT_HEADS)))
    finally:
        os.close(fd)
    return head.startswith(_EXPORT_HEADS)


def _write_stream(path: Path, data: bytes) -> None:
    """Into what is there: no O_CREAT (nothing new in /dev), no O_TRUNC (a ``>>`` file)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _replace_atomically(path: Path, data: bytes, mode: int) -> None:
    """All or nothing: fsynced before the rename, and the rename fsynced in its folder."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        folder = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
