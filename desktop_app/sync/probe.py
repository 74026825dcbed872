"""Check that a remote really refuses to overwrite: the whole log rests on it.

Updates are committed with create-only writes at gapless positions; a store that
lets a second create of the same key succeed (an S3-compatible server that
ignores ``If-None-Match: *``) would let two devices overwrite each other's
updates without either noticing. ``verify_create_only`` creates one probe key
twice and expects the second create to be refused. It costs three requests
(create, create, delete) and leaves nothing behind, so it can run whenever a
remote is set and again on the first sync round with it.
"""

from __future__ import annotations

import contextlib

from desktop_app.core import new_id
from desktop_app.sync.remote import RemoteError, RemoteStore

# At the top level, so a folder remote is left exactly as it was (no empty directory).
PROBE_PREFIX = "tidemark-probe-"


def verify_create_only(remote: RemoteStore) -> None:
    """Raise ``RemoteError`` unless ``remote`` creates a new key once and refuses it after.

    A folder that is missing or not writable fails here at once with the
    store's own plain message; so do unreachable servers and refused credentials.
    """
    key = f"{PROBE_PREFIX}{new_id().replace('-', '')}"
    if not remote.put_if_absent(key, b"first"):
        raise RemoteError(
            f"{remote.describe()} refused to create a new object ({key}), so nothing "
            "could ever be synced there."
        )
    try:
        overwritten = remote.put_if_absent(key, b"second")
    except RemoteError:
        with contextlib.suppress(RemoteError):  # the first failure is the one to report
            remote.delete(key)
        raise
    remote.delete(key)
    if overwritten:
        raise RemoteError(
            f"{remote.describe()} does not support create-only writes (conditional PUT with "
            "If-None-Match: *): it let an existing object be overwritten, so devices could "
            "erase each other's changes; use a server that supports conditional writes "
            "(see docs/s3-compatibility.md)."
        )
