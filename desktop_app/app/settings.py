"""The sync settings a person edits in the window, without Qt (Anki keeps its toolkit out too).

``RemoteForm`` is what the Settings dialog shows: the remote (none, a folder,
or S3 with bucket, prefix, endpoint and region), the S3 key pair and the sync
interval. ``apply`` checks it all first and then saves: the location in the
local database, the secret in the OS keyring only. With no secure keyring the
secret is kept in this process's memory for the session and the user is told
so (invariant 11: never a plaintext file). ``test_connection`` asks the remote
one cheap question and answers in plain words.

Encryption (issue 9) is chosen for a new, empty location: the passphrase is
typed twice and goes to the keyring like the S3 secret (memory only without a
secure one); the vault and its key object are made by the first sync round.
``vault_kind`` tells the dialog what a location already holds, so an encrypted
vault is joined as such and a plain one is never "encrypted" in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from desktop_app.app import encryption
from desktop_app.app.engine import App
from desktop_app.app.errors import AppError
from desktop_app.app.session_secrets import forget_secret, keep_secret, session_credentials
from desktop_app.app.syncing import get_remote, set_remote
from desktop_app.sync.credentials import (
    Credentials,
    CredentialsError,
    check_backend,
    load_credentials,
    save_credentials,
)
from desktop_app.sync.protocol import META_KEY, ProtocolError, decode_meta
from desktop_app.sync.remote import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteUnavailable,
)
from desktop_app.sync.remote_config import RemoteConfig, RemoteConfigError, open_remote

INTERVAL_KEY = "sync_interval_s"
DEFAULT_INTERVAL_S = 300  # the slowest poll, idle or hidden (app/poll_schedule.py)
MIN_INTERVAL_S, MAX_INTERVAL_S = 15, 24 * 3600
_PROBE_PREFIX = "tidemark-connection-check/"  # nothing lives here: listing it is cheap


@dataclass(frozen=True)
class RemoteForm:
    kind: str = "none"  # "none", "folder" or "s3"
    folder: str = ""
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""  # empty: keep what is saved
    interval_s: int = DEFAULT_INTERVAL_S
    encrypt: bool = False  # end to end, with a passphrase (issue 9)
    passphrase: str = ""  # for a new encrypted vault, typed twice; never saved in SQLite
    passphrase_repeat: str = ""
    joins_vault: bool = False  # the location already holds an encrypted vault

    def config(self) -> RemoteConfig | None:
        """The location this form describes; ``AppError`` in plain words if it is unusable."""
        try:
            if self.kind == "none":
                return None
            if self.kind == "folder":
                if not self.folder.strip():
                    raise AppError("choose a folder to sync through")
                return RemoteConfig(kind="folder", path=self.folder.strip(), encrypted=self.encrypt)
            if self.kind == "s3":
                if not self.bucket.strip():
                    raise AppError("enter the S3 bucket name")
                return RemoteConfig(
                    kind="s3",
                    bucket=self.bucket.strip(),
                    prefix=self.prefix.strip().strip("/"),
                    endpoint_url=self.endpoint_url.strip().rstrip("/") or None,
                    region=self.region.strip() or None,
                    encrypted=self.encrypt,
                )
        except RemoteConfigError as exc:
            raise AppError(str(exc)) from None
        raise AppError(f"unknown kind of remote {self.kind!r}")

    def credentials(self, config: RemoteConfig | None) -> Credentials | None:
        """The key pair typed in the form, else the one saved for ``config``."""
        if config is None or config.kind != "s3":
            return None
        if self.access_key_id.strip() and self.secret_access_key.strip():
            return Credentials(self.access_key_id.strip(), self.secret_access_key.strip())
        return session_credentials(config) or _saved(config)


def _saved(config: RemoteConfig) -> Credentials | None:
    try:
        return load_credentials(config)
    except CredentialsError as exc:
        raise AppError(str(exc)) from None


def keyring_problem() -> str | None:
    """Why secrets cannot be stored safely here, or None when the keyring is fine."""
    try:
        check_backend()
    except CredentialsError as exc:
        return str(exc)
    return None


def current(app: App) -> RemoteForm:
    """The form as saved: location from the database, the key id from the keyring."""
    try:
        config = get_remote(app.local)
    except RemoteConfigError:
        config = None  # the dialog lets the user replace a broken setting
    interval = sync_interval_s(app)
    if config is None:
        return RemoteForm(interval_s=interval)
    sealed = {"encrypt": config.encrypted, "joins_vault": config.encrypted}
    if config.kind == "folder":
        return RemoteForm(kind="folder", folder=config.path, interval_s=interval, **sealed)
    try:
        saved = session_credentials(config) or load_credentials(config)
    except CredentialsError:
        saved = None
    return RemoteForm(
        kind="s3",
        bucket=config.bucket,
        prefix=config.prefix,
        endpoint_url=config.endpoint_url or "",
        region=config.region or "",
        access_key_id=saved.access_key_id if saved else "",
        interval_s=interval,
        **sealed,
    )


def sync_interval_s(app: App) -> int:
    try:
        value = int(app.local.meta(INTERVAL_KEY) or DEFAULT_INTERVAL_S)
    except ValueError:
        value = DEFAULT_INTERVAL_S
    return min(max(value, MIN_INTERVAL_S), MAX_INTERVAL_S)


def apply(app: App, form: RemoteForm) -> list[str]:
    """Save the form; returns notes for the user (e.g. the secret is kept for this session)."""
    if not MIN_INTERVAL_S <= form.interval_s <= MAX_INTERVAL_S:
        raise AppError(f"the sync interval must be between {MIN_INTERVAL_S} seconds and 24 hours")
    config = form.config()
    notes: list[str] = []
    if config is not None and config.kind == "s3":
        key_id, secret = form.access_key_id.strip(), form.secret_access_key.strip()
        if secret and not key_id:
            raise AppError("enter the access key ID that goes with the secret")
        if key_id and secret:
            notes += _keep_secret(config, key_id, secret)
    if config is not None and config.encrypted and not form.joins_vault:
        encryption.check_new_passphrase(form.passphrase, form.passphrase_repeat)
        notes += _keep_passphrase(config, form.passphrase)
    if config is not None and config.encrypted and form.joins_vault and form.passphrase:
        notes += _keep_passphrase(config, form.passphrase)
    set_remote(app, config)
    app.local.set_meta(INTERVAL_KEY, str(form.interval_s))
    return notes


def _keep_secret(config: RemoteConfig, key_id: str, secret: str) -> list[str]:
    try:
        save_credentials(config, key_id, secret)
    except CredentialsError as exc:
        keep_secret(config, Credentials(key_id, secret))
        return [f"{exc} The secret is kept in memory until Tidemark closes."]
    forget_secret(config)
    return []


def _keep_passphrase(config: RemoteConfig, passphrase: str) -> list[str]:
    """The keyring, never a plaintext one; else memory for this session."""
    if encryption.save_passphrase(config, passphrase):
        encryption.forget_passphrase(config)
        return []
    encryption.keep_passphrase(config, passphrase, remember=False)
    return [encryption.NO_KEYRING]


def vault_kind(form: RemoteForm) -> str:
    """What the form's location holds: "encrypted", "plain" or "empty" (any thread;
    ``AppError`` in plain words when it cannot be asked)."""
    config = form.config()
    if config is None:
        return "empty"
    try:
        store = open_remote(
            msgspec.structs.replace(config, encrypted=False),
            credentials=form.credentials(config),
        )
        meta = decode_meta(store.get(META_KEY))
    except RemoteNotFound:
        return "empty"
    except (RemoteError, CredentialsError, RemoteConfigError, ProtocolError) as exc:
        raise AppError(str(exc)) from None
    return "encrypted" if meta.sealed else "plain"


def test_connection(form: RemoteForm, timeout_s: float = 10.0) -> str:
    """One cheap request to the remote; the answer in plain words, or ``AppError``."""
    config = form.config()
    if config is None:
        return "No remote is set: Tidemark keeps everything on this computer."
    started = time.monotonic()
    try:
        store = open_remote(config, credentials=form.credentials(config))
        store.list(_PROBE_PREFIX)
    except RemoteAuthError as exc:
        raise AppError(
            f"Reached {config.describe()}, but it refused the credentials: {exc}"
        ) from None
    except RemoteUnavailable as exc:
        raise AppError(f"Could not reach {config.describe()}: {exc}") from None
    except (RemoteError, CredentialsError, RemoteConfigError) as exc:
        raise AppError(str(exc)) from None
    elapsed_ms = (time.monotonic() - started) * 1000
    if elapsed_ms > timeout_s * 1000:
        return f"Connected to {config.describe()}, but it took {elapsed_ms / 1000:.1f} s."
    return f"Connected to {config.describe()}: it answered in {elapsed_ms:.0f} ms."
