"""Sync as the front ends use it: which remote, one round, and the status line.

``run_round`` touches only the local database and the remote, never the App's
in-memory state, so the GUI can run it on its worker thread and then call
``App.reload_view`` on the GUI thread. ``sync_now`` does both, for the CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from desktop_app.app import encryption
from desktop_app.app.encryption import (
    KEY_NUMBER_META,
    PassphraseNeeded,
    Prompt,
    SessionPrompt,
    sealed_remote,
)
from desktop_app.app.engine import REMOTE_META, App
from desktop_app.app.errors import AppError
from desktop_app.app.session_secrets import session_credentials
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync.clock import Clock
from desktop_app.sync.credentials import CredentialsError, load_credentials
from desktop_app.sync.engine import SyncEngine, SyncReport
from desktop_app.sync.protocol import META_KEY, ProtocolError, decode_meta
from desktop_app.sync.remote import (
    ClockSkewError,
    RemoteAuthError,
    RemoteError,
    RemoteStore,
    RemoteUnreachable,
)
from desktop_app.sync.remote_config import RemoteConfig, RemoteConfigError, open_remote
from desktop_app.sync.sealed_store import PassphraseChanged
from desktop_app.sync.sealing import SealingError, WrongPassphrase

REMOTE_KEY = REMOTE_META
# While a round runs beside the window, the interpreter hands its lock between
# threads every millisecond instead of every 5: a dispatch on the GUI thread
# otherwise waits up to 5 ms for it after each SQLite call, while the round decodes
# and folds in Python (docs/architecture.md, "Short write locks").
ROUND_SWITCH_INTERVAL_S = 0.001

# Everything a sync round can fail with; each carries one plain sentence.
SYNC_ERRORS = (
    RemoteError,
    ProtocolError,
    StorageError,
    CredentialsError,
    RemoteConfigError,
    SealingError,
)


def is_offline(exc: BaseException) -> bool:
    """The remote did not answer at all (no network, nothing listening, drive unplugged).

    Being offline is the normal life of an offline-first app, not an error the user
    must act on: edits stay in the local journal and go out on a later round. A
    remote that answered with a refusal (credentials, a missing bucket, a busy 503)
    is an error and is reported as one.
    """
    return isinstance(exc, RemoteUnreachable)


def get_remote(local: LocalStore) -> RemoteConfig | None:
    text = local.meta(REMOTE_KEY)
    return RemoteConfig.from_json(text) if text else None


def set_remote(app: App, config: RemoteConfig | None) -> None:
    """Choose where to sync. The vault check runs again on the next round."""
    with app.local.transaction() as db:
        app.local.set_meta(REMOTE_KEY, config.to_json() if config else None, db)
        app.local.set_meta("vault_remote", None, db)
        app.local.set_meta(KEY_NUMBER_META, None, db)


def check_remote(config: RemoteConfig) -> str | None:
    """Probe a remote before it is saved: ``RemoteError`` and friends if it cannot work.

    Returns None when the check passed, or a note when it cannot run yet for a
    reason that lies with this computer, not the remote: S3 credentials not saved
    yet (``login`` comes after ``remote``) or a clock S3 refuses. Such a remote is
    saved and checked at its first sync instead.
    """
    from desktop_app.sync.probe import verify_create_only

    later = "the check that it refuses overwrites will run at the first sync"
    try:
        credentials = load_credentials(config) if config.kind == "s3" else None
        verify_create_only(open_remote(config, credentials=credentials))
    except (RemoteAuthError, CredentialsError):
        if config.kind != "s3":
            raise
        return f"no usable S3 credentials yet (run `desktop-app login`), so {later}"
    except ClockSkewError as exc:
        return f"{str(exc).rstrip('.')}; {later}"
    return None


def open_configured(
    local: LocalStore,
    config: RemoteConfig,
    *,
    prompt: Prompt | None = None,
    on_server_time: Callable[..., None] | None = None,
) -> RemoteStore:
    """The store for ``config``, sealing with the vault key if the vault is encrypted."""
    credentials = (
        session_credentials(config) or load_credentials(config) if config.kind == "s3" else None
    )
    remote = open_remote(config, credentials=credentials, on_server_time=on_server_time)
    if config.encrypted:
        return sealed_remote(local, config, remote, prompt)
    return remote


def remote_is_sealed(config: RemoteConfig) -> bool:
    """Whether the location already holds an encrypted vault (False if unsure)."""
    try:
        credentials = load_credentials(config) if config.kind == "s3" else None
        data = open_remote(config, credentials=credentials).get(META_KEY)
        return bool(decode_meta(data).sealed)
    except (*SYNC_ERRORS, ProtocolError):
        return False


def run_round(
    local: LocalStore,
    clock: Clock,
    on_progress: Callable[[str], None] | None = None,
    prompt: Prompt | None = None,
) -> SyncReport:
    """One pull-then-push round against the configured remote (any thread).

    ``prompt`` asks for the passphrase of an encrypted vault when neither the
    keyring nor the environment has it (the CLI's terminal; None in the window).
    """
    config = get_remote(local)
    if config is None:
        raise AppError(
            "no remote is set; use `desktop-app remote s3://BUCKET` or `remote folder PATH`"
        )
    remote = open_configured(local, config, prompt=prompt, on_server_time=clock.observe)
    engine = SyncEngine(
        local,
        remote,
        clock,
        remote_name=config.describe(),
        on_progress=on_progress,
        sealed=config.encrypted,
    )
    return engine.sync()


def run_window_round(
    local: LocalStore, clock: Clock, on_progress: Callable[[str], None] | None = None
) -> SyncReport:
    """``run_round`` on the window's sync thread, where nobody can type.

    The passphrase is the keyring's, the environment's, or the one typed this
    session; else ``PassphraseNeeded`` and the window asks on the GUI thread. A
    typed one that does not open the vault is forgotten and asked for again, with
    the reason ("wrong passphrase", "changed on another device").
    """
    config = get_remote(local)
    prompt = SessionPrompt(config) if config is not None and config.encrypted else None
    try:
        with short_interpreter_slices():
            return run_round(local, clock, on_progress, prompt)
    except (WrongPassphrase, PassphraseChanged) as exc:
        if config is None or prompt is None or not prompt.answered:
            raise
        encryption.forget_passphrase(config)
        raise PassphraseNeeded(
            f"{str(exc).capitalize()}. Passphrase for {config.describe()}", False
        ) from None


@contextmanager
def short_interpreter_slices() -> Iterator[None]:
    """``ROUND_SWITCH_INTERVAL_S`` meanwhile (process-wide: one sync thread runs)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, ROUND_SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def change_vault_passphrase(local: LocalStore, new: str, repeat: str, current: str = "") -> int:
    """``desktop-app passphrase`` for the window (any thread): the current passphrase
    from the keyring, the environment, this session or ``current``. Returns the
    number of the new key object; the session keeps the new passphrase."""
    encryption.check_new_passphrase(new, repeat)
    config = get_remote(local)
    if config is None or not config.encrypted:
        raise AppError("the remote is not an encrypted vault")
    old = current or encryption.session_passphrase(config)

    def prompt(label: str, confirm: bool) -> str:
        if confirm:
            return new
        if not old:
            raise AppError("enter the current passphrase")
        return old

    try:
        credentials = (
            session_credentials(config) or load_credentials(config) if config.kind == "s3" else None
        )
        remote = open_remote(config, credentials=credentials)
        number = encryption.change_passphrase(local, config, remote, prompt)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    encryption.keep_passphrase(config, new, remember=False)  # the keyring has it if it can
    return number


def sync_now(
    app: App, on_progress: Callable[[str], None] | None = None, prompt: Prompt | None = None
) -> SyncReport:
    """A round, then show its result in the App (CLI and tests)."""
    try:
        report = run_round(app.local, app.clock, on_progress, prompt)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    finally:
        # A round that failed after its pull was saved still rewrote the view.
        app.reload_view(only_if_changed=True)
    return report


def status(app: App) -> dict[str, Any]:
    config = get_remote(app.local)
    position = app.local.base_position()
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
