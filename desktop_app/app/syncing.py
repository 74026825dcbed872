"""Sync as the front ends use it: which remote, one round, and the status line.

``run_round`` touches only the local database and the remote, never the App's
in-memory state, so the GUI can run it on its worker thread and then call
``App.reload_view`` on the GUI thread. ``sync_now`` does both, for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.app.engine import App
from desktop_app.app.errors import AppError
from desktop_app.app.session_secrets import session_credentials
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync.clock import Clock
from desktop_app.sync.credentials import CredentialsError, load_credentials
from desktop_app.sync.engine import SyncEngine, SyncReport
from desktop_app.sync.protocol import ProtocolError
from desktop_app.sync.remote import RemoteError
from desktop_app.sync.remote_config import RemoteConfig, RemoteConfigError, open_remote

REMOTE_KEY = "remote"

# Everything a sync round can fail with; each carries one plain sentence.
SYNC_ERRORS = (RemoteError, ProtocolError, StorageError, CredentialsError, RemoteConfigError)


def get_remote(local: LocalStore) -> RemoteConfig | None:
    text = local.meta(REMOTE_KEY)
    return RemoteConfig.from_json(text) if text else None


def set_remote(app: App, config: RemoteConfig | None) -> None:
    """Choose where to sync. The vault check runs again on the next round."""
    with app.local.transaction() as db:
        app.local.set_meta(REMOTE_KEY, config.to_json() if config else None, db)
        app.local.set_meta("vault_remote", None, db)


def run_round(
    local: LocalStore, clock: Clock, on_progress: Callable[[str], None] | None = None
) -> SyncReport:
    """One pull-then-push round against the configured remote (any thread)."""
    config = get_remote(local)
    if config is None:
        raise AppError(
            "no remote is set; use `desktop-app remote s3://BUCKET` or `remote folder PATH`"
        )
    credentials = (
        session_credentials(config) or load_credentials(config) if config.kind == "s3" else None
    )
    remote = open_remote(config, credentials=credentials, on_server_time=clock.observe)
    engine = SyncEngine(
        local, remote, clock, remote_name=config.describe(), on_progress=on_progress
    )
    return engine.sync()


def sync_now(app: App, on_progress: Callable[[str], None] | None = None) -> SyncReport:
    """A round, then show its result in the App (CLI and tests)."""
    try:
        report = run_round(app.local, app.clock, on_progress)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    app.reload_view()
    return report


def status(app: App) -> dict[str, Any]:
    config = get_remote(app.local)
    _, position = app.local.base()
    offset = float(app.local.meta("clock_offset_s") or 0.0)
    return {
        "pending": app.local.pending_count(),
        "last_sync": app.local.meta("last_sync"),
        "remote": config.describe() if config else None,
        "clock_offset_s": round(offset, 3),
        "position": position,
        "vault_id": app.local.meta("vault_id"),
        "device_id": app.device_id,
    }
