"""The remote store interface: four operations, like httpx's one-method transport.

Everything sync needs from S3 or a folder is: list keys after a key, get one,
create one only if absent, delete one. Keeping it this small makes each backend
short and lets the sync engine be tested against every one of them alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import msgspec


class RemoteError(Exception):
    """A remote operation failed; ``str()`` is one plain sentence for the user."""


class RemoteUnavailable(RemoteError):
    """The store could not be reached (offline, DNS, timeout): retry later."""


class RemoteUnreachable(RemoteUnavailable):
    """Nothing answered at all (no network, nothing listening, an unplugged drive): the
    device is offline, which the window shows apart from an error that needs the user."""


class RemoteAuthError(RemoteError):
    """Credentials are missing, wrong or lack permission."""


class ClockSkewError(RemoteError):
    """The store refused the request because this computer's clock is off."""


class RemoteNotFound(RemoteError):
    """The key does not exist."""


class RemoteObjectUnusable(RemoteError):
    """An object's bytes cannot be used (too large to read, or a sealed envelope that
    does not open): quarantined like garbage, the same way on every device."""


class RemoteObjectTooLarge(RemoteObjectUnusable):
    """An object is bigger than any update or snapshot we would write: it is refused
    before it is read into memory (a hostile or foreign object must not exhaust RAM)."""

    def __init__(self, key: str, size: int, limit: int, where: str) -> None:
        size_text, limit_text = _mib(size), _mib(limit)
        if size_text == limit_text:  # just over the limit: say it exactly
            size_text, limit_text = f"{size} bytes", f"{limit} bytes"
        super().__init__(
            f"{key} in {where} is {size_text}, more than the {limit_text} "
            "an update or snapshot may take, so it was not downloaded."
        )
        self.key = key
        self.size = size
        self.limit = limit


# The largest object ``get`` reads. A vault of 100k tasks snapshots to a few tens
# of MiB; anything far larger is not ours. Stores read it at call time, so tests
# can lower it.
MAX_OBJECT_BYTES = 256 * 1024 * 1024


def check_size(key: str, size: int, where: str) -> None:
    """Raise ``RemoteObjectTooLarge`` if an object of ``size`` bytes exceeds the limit."""
    if size > MAX_OBJECT_BYTES:
        raise RemoteObjectTooLarge(key, size, MAX_OBJECT_BYTES, where)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


class RemoteEntry(msgspec.Struct, frozen=True):
    key: str
    modified: datetime  # aware, UTC; the store's clock
    # Changes whenever the object at ``key`` is replaced (S3's ETag; size and
    # mtime for a folder). Sync uses it to notice a log replaced under one name.
    etag: str = ""


# Called with (server time, local time request sent, local time response received),
# local times in seconds since the epoch: the clock estimates its offset from these.
ServerTimeObserver = Callable[[datetime, float, float], None]


class RemoteStore(Protocol):
    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        """Every key under ``prefix`` sorting after ``start_after``, ascending."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; ``RemoteNotFound`` if it is absent, ``RemoteObjectTooLarge``
        (nothing read) if it exceeds ``MAX_OBJECT_BYTES``."""
        ...

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create ``key``; False (and nothing written) if it already exists."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine."""
        ...

    def describe(self) -> str:
        """Where this store is, for messages (``s3://bucket/prefix``, a folder path)."""
        ...
