"""AWS Lambda entry point for scheduled roll-ups (e.g. an EventBridge rule).

Configured by environment: ``TIDEMARK_BUCKET`` (required), ``TIDEMARK_PREFIX``,
``TIDEMARK_ENDPOINT_URL``, ``TIDEMARK_REGION``, ``TIDEMARK_RETENTION_DAYS``
(default 90). Credentials come from the function's IAM role (boto3's chain).

An encrypted vault is refused unless ``TIDEMARK_PASSPHRASE`` holds its
passphrase (put it there from a secret you control, e.g. Secrets Manager); the
handler then holds the vault key in memory for the run, as a device would.
"""

from __future__ import annotations

import os
from typing import Any

from desktop_app.sync.remote import RemoteStore
from desktop_app.sync.retention import retention_days
from desktop_app.sync.rollup import DEFAULT_RETENTION, rollup
from desktop_app.sync.s3_store import S3RemoteStore
from desktop_app.sync.sealed_store import SealedStore, open_vault_key


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    bucket = os.environ.get("TIDEMARK_BUCKET")
    if not bucket:
        raise ValueError("set TIDEMARK_BUCKET to the vault's bucket")
    days = os.environ.get("TIDEMARK_RETENTION_DAYS")
    retention = retention_days(days, "TIDEMARK_RETENTION_DAYS") if days else DEFAULT_RETENTION
    remote = S3RemoteStore(
        bucket,
        os.environ.get("TIDEMARK_PREFIX", ""),
        endpoint_url=os.environ.get("TIDEMARK_ENDPOINT_URL") or None,
        region=os.environ.get("TIDEMARK_REGION") or None,
    )
    passphrase = os.environ.get("TIDEMARK_PASSPHRASE")
    store: RemoteStore = remote
    if passphrase:
        _, vault_key = open_vault_key(remote, passphrase)
        store = SealedStore(remote, vault_key)
    report = rollup(store, retention=retention)
    return {
        "snapshot_position": report.snapshot_position,
        "folded_updates": report.folded_updates,
        "created": report.created,
        "deleted_updates": report.deleted_updates,
        "deleted_snapshots": report.deleted_snapshots,
        "summary": report.summary(),
    }
