"""Reading an imported folder safely: regular files inside it, nothing else.

A vault can come from someone else. A symlink named ``passwd.md`` would pull
``/etc/passwd`` (or ``~/.ssh/id_rsa``) into notes that then sync; one to
``/dev/zero`` reads without end; a FIFO named ``x.md`` blocks for ever. So the
walk never follows a symlink (files or folders), opens every file relative to
its folder's descriptor with ``O_NOFOLLOW | O_NONBLOCK`` (no race between the
check and the open), keeps only regular files, and reads at most a size limit.
Whatever it leaves out is counted, so the summary can say so.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.app.errors import AppError

MiB = 1024 * 1024
MAX_NOTE_BYTES = 16 * MiB  # a Markdown file; far above any note a person writes
MAX_EXPORT_BYTES = 1024 * MiB  # a JSON export of a whole profile

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def display_path(path: Path | str) -> str:
    """A path for messages: bytes that are not UTF-8 shown as U+FFFD, never an error."""
    return os.fsencode(path).decode("utf-8", "replace")


def display_name(name: str) -> str:
    """A file name as text for titles and list names (undecodable bytes as U+FFFD)."""
    return display_path(name)


@dataclass(frozen=True)
class VaultFile:
    """A regular file found in the walk: where it is, and its folder relative to the root."""

    path: Path
    folder: tuple[str, ...]
    data: bytes


@dataclass
class Walk:
    """The files of a folder, and how many entries the walk left out and why."""

    root: Path
    suffixes: tuple[str, ...]
    limit: int = MAX_NOTE_BYTES
    skipped: int = 0  # symlinks, FIFOs, devices, sockets that looked like notes or folders
    others: int = 0  # other regular files (images, PDFs: a vault's attachments), left unread
    folders: list[tuple[str, ...]] = field(default_factory=list)  # every folder walked

    def files(self) -> Iterator[VaultFile]:
        """Every regular file with a wanted suffix, in a stable order; hidden ones skipped."""
        try:
            top = os.open(self.root, _OPEN_FLAGS | os.O_DIRECTORY)
        except OSError as exc:
            raise AppError(f"cannot read {display_path(self.root)}: {exc.strerror}") from None
        try:
            yield from self._folder(top, ())
        finally:
            os.close(top)

    def _folder(self, dir_fd: int, parts: tuple[str, ...]) -> Iterator[VaultFile]:
        folder = self.root.joinpath(*parts)
        try:
            names = sorted(os.listdir(dir_fd))
        except OSError as exc:
            raise AppError(f"cannot read {display_path(folder)}: {exc.strerror}") from None
        subfolders = []
        for name in names:
            if name.startswith("."):
                continue
            try:
                mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue  # removed while we looked
            wanted = name.lower().endswith(self.suffixes)
            if stat.S_ISDIR(mode):
                subfolders.append(name)
            elif stat.S_ISREG(mode) and wanted:
                yield self._read(dir_fd, name, parts)
            elif wanted or stat.S_ISLNK(mode):
                self.skipped += 1
            elif stat.S_ISREG(mode):
                self.others += 1
        for name in subfolders:
            try:
                fd = os.open(name, _OPEN_FLAGS | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                self.skipped += 1  # replaced by a symlink since the listing, or unreadable
                continue
            self.folders.append((*parts, name))
            try:
                yield from self._folder(fd, (*parts, name))
            finally:
                os.close(fd)

    def _read(self, dir_fd: int, name: str, parts: tuple[str, ...]) -> VaultFile:
        path = self.root.joinpath(*parts, name)
        try:
            fd = os.open(name, _OPEN_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
        except OSError as exc:
            raise AppError(f"cannot read {display_path(path)}: {exc.strerror}") from None
        try:
            return VaultFile(path, parts, read_regular(fd, path, self.limit))
        except OSError as exc:
            raise AppError(f"cannot read {display_path(path)}: {exc.strerror}") from None
        finally:
            os.close(fd)


def read_regular(fd: int, path: Path, limit: int) -> bytes:
    """The bytes of the regular file open at ``fd``; refuses anything else or too big."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise AppError(f"cannot import {display_path(path)}: it is not a regular file")
    if info.st_size > limit:
        raise AppError(_too_big(path, limit))
    os.set_blocking(fd, True)
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(limit + 1 - total, MiB))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:  # it grew while we read
        raise AppError(_too_big(path, limit))
    return b"".join(chunks)


def read_file(path: Path, limit: int) -> bytes:
    """One file the user named: followed if it is a symlink, but only a regular file."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise AppError(f"cannot read {display_path(path)}: {exc.strerror}") from None
    try:
        return read_regular(fd, path, limit)
    except OSError as exc:
        raise AppError(f"cannot read {display_path(path)}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _too_big(path: Path, limit: int) -> str:
    return (
        f"cannot import {display_path(path)}: it is larger than {limit // MiB} MB, "
        "the most one file may have"
    )
