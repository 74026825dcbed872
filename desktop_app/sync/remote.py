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


class RemoteAuthError(RemoteError):
    """Credentials are missing, wrong or lack permission."""


class ClockSkewError(RemoteError):
    """The store refused the request because this computer's clock is off."""


class RemoteNotFound(RemoteError):
    """The key does not exist."""


class RemoteObjectTooLarge(RemoteError):
    """The object is larger than any Tidemark object could be; refused unread."""


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
        """The object's bytes; ``RemoteNotFound`` if it is absent."""
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
