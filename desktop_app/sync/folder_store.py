"""A remote store in a plain folder: a NAS share, a USB stick, a Syncthing folder.

Keys map to paths (``updates/000000000042`` -> ``<root>/updates/000000000042``).
Create-only writes go through a temporary file that is fully written and
fsynced first, then hard-linked to the final name: ``link`` fails if the name
exists, so two writers can never both win, and a reader never sees a half
written object. Where hard links are unsupported (FAT/exFAT sticks, some SMB
shares) a no-replace rename does the same (``no_replace``: renameat2, renamex_np,
MoveFileEx). Where neither exists the folder is refused, plainly: publishing a
file and then writing into it could leave a torn update for good after a crash.
Temporary files a crashed writer left behind are removed after an hour.

The folder's own files are ignored by ``list``: anything whose name starts with
a dot (our ``.tmp-`` files, ``.stfolder``, ``.DS_Store``), Syncthing's
``~syncthing~`` temporaries and its ``.sync-conflict-`` copies.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.sync import no_replace, remote
from desktop_app.sync.remote import (
    RemoteEntry,
    RemoteError,
    RemoteNotFound,
    RemoteUnavailable,
    RemoteUnreachable,
    ServerTimeObserver,
    check_size,
)

TMP_PREFIX = ".tmp-"
# A temporary file this old was left by a writer that crashed: no write takes an hour.
STALE_TMP_S = 3600

log = logging.getLogger(__name__)

# posix_fadvise's "read this ahead" (``prefetch``); None where the call does not exist.
_WILLNEED: int | None = getattr(os, "POSIX_FADV_WILLNEED", None)

_NO_LINK_ERRNOS = {
    errno.EPERM,
    errno.EXDEV,
    errno.EMLINK,
    errno.ENOSYS,
    errno.EOPNOTSUPP,
    getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
}


def check_key(key: str) -> str:
    """Refuse keys that are not plain ``a/b/c`` paths, so a key can never escape the root.

    Shared by every store so a key valid for S3 is valid for a folder and back.
    """
    if not key or key.startswith("/") or key.endswith("/") or "\\" in key or "\0" in key:
        raise ValueError(f"invalid remote key {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", "..") or _ignored_name(segment):
            raise ValueError(f"invalid remote key {key!r}")
    return key


def valid_key(key: str) -> bool:
    """``check_key`` as a predicate, for filtering listings written by other tools."""
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def _ignored_name(name: str) -> bool:
    return name.startswith((".", "~syncthing~")) or ".sync-conflict-" in name


def _read_upto(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, up to its end: a read may return fewer than
    asked (a network file system), so read until the end or the limit."""
    parts = []
    while limit > 0:
        chunk = os.read(fd, limit)
        if not chunk:
            break
        parts.append(chunk)
        limit -= len(chunk)
    return b"".join(parts)  # one part (nearly always): that very object, not a copy


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable; not possible (nor needed) on Windows."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some network filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


class FolderRemoteStore:
    """``RemoteStore`` over a directory that already exists (we never create the root)."""

    # Threads worth reading it with (``sync.log.read_workers``): none besides the
    # reader's own. A read is ~50 us of the interpreter (open, check, copy a cached
    # file), so reader threads only take the interpreter and the cache from the fold:
    # walking 1,000,000 actions took 4.7 s read inline, 5.6 s with 2 threads and
    # 6.2 s with 16 (best of three each, interleaved, on 2 cores).
    read_workers = 1

    def __init__(
        self, root: str | os.PathLike[str], on_server_time: ServerTimeObserver | None = None
    ):
        self.root = Path(root)
        self._root = str(self.root)
        self.on_server_time = on_server_time
        self._swept: set[Path] = set()  # directories already cleared of stale temporaries

    def describe(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"FolderRemoteStore({str(self.root)!r})"

    # -- the RemoteStore interface ----------------------------------------------

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        """Same semantics as S3: a string prefix, not only a directory."""
        self._check_root()
        top_key = prefix.rpartition("/")[0]
        top = self.root / top_key if top_key else self.root
        entries: list[RemoteEntry] = []
        try:
            self._walk(top, top_key, prefix, start_after, entries)
        except OSError as exc:
            raise self._error(exc, f"list {prefix or 'the keys'} in") from None
        entries.sort(key=lambda entry: entry.key)
        return entries

    def get(self, key: str) -> bytes:
        # A string path and the file descriptor itself: a ``Path`` join and a buffered
        # file object cost as much as reading a cached update (27 us a read against
        # 13 us; a roll-up of 1,000,000 actions reads 10,000 of them).
        path = os.path.join(self._root, check_key(key))
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                size = os.fstat(fd).st_size
                check_size(key, size, self._root)
                # The size read, and one byte to see it did not grow meanwhile: asking
                # for the limit itself allocates it on every read (30 us a read here).
                data = _read_upto(fd, size + 1)
                if len(data) > size:  # it grew: read on, still bounded
                    data += _read_upto(fd, remote.MAX_OBJECT_BYTES + 1 - len(data))
            finally:
                os.close(fd)
            check_size(key, len(data), self._root)
            return data
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self._check_root()
            raise RemoteNotFound(f"{key} does not exist in {self.root}") from None
        except OSError as exc:
            raise self._error(exc, f"read {key} from") from None

    def prefetch(self, keys: Iterable[str]) -> None:
        """Ask the system to read ``keys`` from the disk ahead, without waiting for it
        (``posix_fadvise`` WILLNEED): ``sync.log.walk`` names the next batch before it
        reads and folds this one. Advice only: a key that cannot be opened is left
        for ``get`` to report, and where the call does not exist nothing is done."""
        if _WILLNEED is None:
            return
        for key in keys:
            try:
                fd = os.open(os.path.join(self._root, check_key(key)), os.O_RDONLY)
            except (OSError, ValueError):
                continue
            try:
                os.posix_fadvise(fd, 0, 0, _WILLNEED)
            except OSError:
                pass
            finally:
                os.close(fd)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        path = self.root / check_key(key)
        self._check_root()
        sent = time.time()
        try:
            self._make_dirs(path.parent)
            created = self._create(path, data)
            if created:
                _fsync_dir(path.parent)
        except OSError as exc:
            raise self._error(exc, f"write {key} to") from None
        received = time.time()
        if created:
            self._observe(path, sent, received)
        return created

    def delete(self, key: str) -> None:
        path = self.root / check_key(key)
        try:
            path.unlink()
        except FileNotFoundError:
            self._check_root()
        except OSError as exc:
            raise self._error(exc, f"delete {key} from") from None

    # -- internals ----------------------------------------------------------------

    def _walk(
        self, directory: Path, dir_key: str, prefix: str, start_after: str, out: list[RemoteEntry]
    ) -> None:
        try:
            scan = os.scandir(directory)
        except (FileNotFoundError, NotADirectoryError):
            return
        with scan:
            for entry in scan:
                if _ignored_name(entry.name):
                    continue
                key = f"{dir_key}/{entry.name}" if dir_key else entry.name
                if entry.is_dir(follow_symlinks=False):
                    sub = key + "/"
                    # Skip directories that cannot hold a key under prefix, or after start_after.
                    if not (sub.startswith(prefix) or prefix.startswith(sub)):
                        continue
                    if sub < start_after and not start_after.startswith(sub):
                        continue
                    self._walk(Path(entry.path), key, prefix, start_after, out)
                elif key.startswith(prefix) and key > start_after and entry.is_file():
                    try:
                        info = entry.stat()
                    except FileNotFoundError:  # deleted while we listed
                        continue
                    modified = datetime.fromtimestamp(info.st_mtime, UTC)
                    etag = f"{info.st_size}-{info.st_mtime_ns}"
                    out.append(RemoteEntry(key, modified, etag))

    def _create(self, path: Path, data: bytes) -> bool:
        """Publish ``data`` at ``path`` only if nothing is there; never half-visible."""
        if path.exists():  # cheap early answer; the link or rename below is what decides
            return False
        tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}")
        self._write_new(tmp, data)
        try:
            self._sweep_stale_tmp(tmp)
            try:
                os.link(tmp, path)
                return True
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in _NO_LINK_ERRNOS:
                    raise
            try:
                no_replace.rename_no_replace(tmp, path)
                return True
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in no_replace.UNSUPPORTED_ERRNOS:
                    raise
            raise RemoteError(
                f"the sync folder {self.root} cannot create files atomically (no hard links "
                "or no-replace rename); use another drive or an S3-compatible server"
            )
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _sweep_stale_tmp(self, fresh: Path) -> None:
        """Remove ``.tmp-`` files a crashed writer left in ``fresh``'s directory.

        Once per directory per store (a store lives one sync round). "Old" is
        measured against ``fresh``, the temporary file we just wrote, so on a
        network share both times come from the file server's clock.
        """
        directory = fresh.parent
        if directory in self._swept:
            return
        self._swept.add(directory)
        try:
            now = fresh.stat().st_mtime
            with os.scandir(directory) as scan:
                stale = [
                    Path(entry.path)
                    for entry in scan
                    if entry.name.startswith(TMP_PREFIX)
                    and entry.path != str(fresh)
                    and entry.stat(follow_symlinks=False).st_mtime < now - STALE_TMP_S
                ]
        except OSError:
            return
        for path in stale:
            with contextlib.suppress(OSError):
                path.unlink()
                log.info("removed %s, left by a writer that did not finish", path)

    @staticmethod
    def _write_new(path: Path, data: bytes) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)

    def _make_dirs(self, directory: Path) -> None:
        """Create missing subdirectories under the root, fsyncing each new entry's parent."""
        missing: list[Path] = []
        while directory != self.root and not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for d in reversed(missing):
            with contextlib.suppress(FileExistsError):
                d.mkdir()
            _fsync_dir(d.parent)

    def _observe(self, path: Path, sent: float, received: float) -> None:
        """Report the file's mtime: on a NAS, the file server's clock stamped it.

        Truncated to whole seconds because the clock models S3's ``Date`` header,
        which is truncated (it adds half a second back).
        """
        if self.on_server_time is None:
            return
        try:
            mtime = int(path.stat().st_mtime)
        except OSError:
            return
        try:
            self.on_server_time(datetime.fromtimestamp(mtime, UTC), sent, received)
        except Exception:
            log.exception("the server-time observer failed")

    def _check_root(self) -> None:
        if self.root.is_dir():
            return
        if self.root.exists():
            raise RemoteError(f"the sync folder {self.root} is a file, not a folder")
        raise RemoteUnreachable(
            f"cannot reach the sync folder {self.root}: it does not exist "
            "(is the drive or network share connected?)"
        )

    def _error(self, exc: OSError, doing: str) -> RemoteError:
        self._check_root()
        if isinstance(exc, PermissionError):
            return RemoteError(f"cannot {doing} the sync folder {self.root}: permission denied")
        if exc.errno == errno.ENOSPC:
            return RemoteError(f"cannot {doing} the sync folder {self.root}: the disk is full")
        if exc.errno == errno.EROFS:
            return RemoteError(f"cannot {doing} the sync folder {self.root}: it is read-only")
        if exc.errno in (errno.ETIMEDOUT, errno.EHOSTDOWN):
            return RemoteUnreachable(
                f"cannot {doing} the sync folder {self.root}: {exc.strerror or exc}"
            )
        if exc.errno in (errno.EIO, errno.ESTALE):
            return RemoteUnavailable(
                f"cannot {doing} the sync folder {self.root}: {exc.strerror or exc}"
            )
        return RemoteError(f"cannot {doing} the sync folder {self.root}: {exc.strerror or exc}")
