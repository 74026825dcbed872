"""S3 credentials in the OS keyring, and nowhere else (invariant 11).

The keyring item is named ``tidemark`` / ``s3:<endpoint or aws>/<bucket>`` and
holds a small JSON object with the key id and secret. Saving refuses any backend
keyring does not recommend (``fail``, ``null``, the plaintext and "encrypted file"
backends of ``keyrings.alt``): a secret silently written to a file in the home
directory is exactly what the user was promised would not happen. When nothing
is saved, ``load_credentials`` returns None and boto3's own chain (environment
variables, AWS profiles, SSO) applies, which is the recommended route on
machines without a keyring.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import keyring
import keyring.backend
import keyring.core
import keyring.errors
from keyring.backends.chainer import ChainerBackend

if TYPE_CHECKING:
    from desktop_app.sync.remote_config import RemoteConfig

SERVICE = "tidemark"

log = logging.getLogger(__name__)

_ALTERNATIVES = (
    "or leave the secret out of Tidemark and set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY in the environment or use an AWS profile (AWS_PROFILE)"
)


class CredentialsError(Exception):
    """Credentials cannot be stored or read safely; ``str()`` says what to do."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key pair; the repr shows the key id only, never the secret."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def keyring_username(config: RemoteConfig) -> str:
    """Per endpoint and bucket: prefixes of one bucket share a key pair."""
    if config.kind != "s3":
        raise CredentialsError(f"{config.describe()} is a folder; it needs no credentials")
    return f"s3:{config.endpoint_url or 'aws'}/{config.bucket}"


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def check_backend(backend: keyring.backend.KeyringBackend | None = None) -> None:
    """Raise ``CredentialsError`` unless ``backend`` (default: the active one) is secure.

    A chainer writes to its highest-priority member, so that member is what
    counts. Names are checked as well as priorities: a plaintext backend must
    never pass because someone raised its priority in a config file.
    """
    backend = backend if backend is not None else keyring.get_keyring()
    if isinstance(backend, ChainerBackend):
        members = list(backend.backends)
        if not members:
            raise CredentialsError(_no_keyring_message())
        backend = members[0]
    name = _backend_name(backend)
    insecure_name = (
        name.startswith(("keyrings.alt.", "keyring.backends.null.", "keyring.backends.fail."))
        or "plaintext" in name.lower()
    )
    try:
        secure = keyring.core.recommended(backend) and not insecure_name
    except Exception:  # a backend's priority raises when it is not usable here
        secure = False
    if secure:
        return
    if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        raise CredentialsError(_no_keyring_message())
    raise CredentialsError(
        f"The keyring backend {name} is not a secure system keyring (it may keep secrets "
        f"in a plain file), so Tidemark will not store your S3 secret there: install or "
        f"unlock a system keyring (GNOME Keyring or KWallet on Linux), {_ALTERNATIVES}."
    )


def _no_keyring_message() -> str:
    return (
        "No system keyring is available to store the S3 secret: install and unlock one "
        "(GNOME Keyring or KWallet on Linux; the macOS Keychain and Windows Credential "
        f"Manager work out of the box), {_ALTERNATIVES}."
    )


def _keyring_failure(exc: keyring.errors.KeyringError, doing: str) -> CredentialsError:
    if isinstance(exc, keyring.errors.KeyringLocked):
        return CredentialsError(
            f"The system keyring is locked, so Tidemark cannot {doing} the S3 credentials: "
            "unlock it (log in to your desktop session or open your keyring app) and try again."
        )
    if isinstance(exc, keyring.errors.NoKeyringError):
        return CredentialsError(_no_keyring_message())
    # The exception text comes from the backend, never from our secret.
    return CredentialsError(
        f"The system keyring failed while trying to {doing} the S3 credentials "
        f"({type(exc).__name__}): unlock or repair it, {_ALTERNATIVES}."
    )


def save_credentials(config: RemoteConfig, access_key_id: str, secret_access_key: str) -> None:
    """Store the key pair for ``config`` in the OS keyring, or explain why we will not."""
    access_key_id, secret_access_key = access_key_id.strip(), secret_access_key.strip()
    if not access_key_id or not secret_access_key:
        raise CredentialsError("both the access key ID and the secret access key are needed")
    username = keyring_username(config)
    check_backend()
    payload = json.dumps({"access_key_id": access_key_id, "secret_access_key": secret_access_key})
    try:
        keyring.set_password(SERVICE, username, payload)
    except keyring.errors.KeyringError as exc:
        raise _keyring_failure(exc, "save") from None
    log.info("saved S3 credentials for %s in the system keyring", username)


def load_credentials(config: RemoteConfig) -> Credentials | None:
    """The saved key pair, or None: then boto3's standard chain (env, profiles) applies.

    An unusable or insecure backend also means None (the user may rely on the
    environment); a locked or broken secure keyring raises, because the user did
    save a secret there and "no credentials" would be a misleading answer.
    """
    if config.kind != "s3":
        return None
    username = keyring_username(config)
    try:
        check_backend()
    except CredentialsError:
        log.debug("no secure keyring; S3 credentials come from the AWS environment")
        return None
    try:
        payload = keyring.get_password(SERVICE, username)
    except keyring.errors.KeyringError as exc:
        raise _keyring_failure(exc, "read") from None
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        return Credentials(str(data["access_key_id"]), str(data["secret_access_key"]))
    except (ValueError, KeyError, TypeError):
        raise CredentialsError(
            f"The saved S3 credentials for {config.describe()} are unreadable: save them again."
        ) from None


def delete_credentials(config: RemoteConfig) -> None:
    """Forget the saved key pair (absent is fine)."""
    if config.kind != "s3":
        return
    username = keyring_username(config)
    try:
        check_backend()
    except CredentialsError:
        return
    try:
        keyring.delete_password(SERVICE, username)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise _keyring_failure(exc, "delete") from None
