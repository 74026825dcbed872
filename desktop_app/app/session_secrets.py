"""S3 key pairs kept in memory for this process only, when no secure keyring can hold them.

Never written anywhere (invariant 11). The sync round asks here before the
keyring, so a secret typed in the Settings dialog works until the app closes.
"""

from __future__ import annotations

from desktop_app.sync.credentials import Credentials, keyring_username
from desktop_app.sync.remote_config import RemoteConfig

_secrets: dict[str, Credentials] = {}


def keep_secret(config: RemoteConfig, credentials: Credentials) -> None:
    _secrets[keyring_username(config)] = credentials


def forget_secret(config: RemoteConfig) -> None:
    if config.kind == "s3":
        _secrets.pop(keyring_username(config), None)


def session_credentials(config: RemoteConfig) -> Credentials | None:
    return _secrets.get(keyring_username(config)) if config.kind == "s3" else None
