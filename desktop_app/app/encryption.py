"""Encrypted vaults as the front ends use them: where the passphrase comes from,
the vault key held in memory, changing the passphrase.

The passphrase comes from ``DESKTOP_APP_PASSPHRASE`` (scripts), the OS keyring
(service ``tidemark``, one item per vault location; plaintext backends refused
as for S3 secrets), or a prompt the front end supplies. It is never written to
SQLite, files or logs; the unwrapped vault key lives only in this process's
memory (``_vault_keys``), so the scrypt cost is paid once per process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import keyring
import keyring.errors

from desktop_app.app.errors import AppError
from desktop_app.storage import LocalStore
from desktop_app.sync import protocol
from desktop_app.sync.credentials import SERVICE, CredentialsError, check_backend
from desktop_app.sync.protocol import ProtocolError
from desktop_app.sync.remote import RemoteNotFound, RemoteStore
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.sync.sealed_store import (
    SealedStore,
    create_vault_key,
    key_numbers,
    open_vault_key,
    rewrap_vault_key,
)
from desktop_app.sync.sealing import SealingError

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "DESKTOP_APP_PASSPHRASE"
# The number of the key object this device opened last (not a secret): a newer
# one its passphrase cannot open means the passphrase was changed elsewhere.
KEY_NUMBER_META = "key_number"

# (label, confirm) -> passphrase; ``confirm`` asks twice (a new passphrase).
Prompt = Callable[[str, bool], str]

# (device id, vault location) -> (key object number, vault key). Per device so
# that tests running several devices in one process keep them apart.
_vault_keys: dict[tuple[str, str], tuple[int, bytes]] = {}


def passphrase_username(config: RemoteConfig) -> str:
    return f"passphrase:{config.describe()}"


def stored_passphrase(config: RemoteConfig) -> str | None:
    """From the environment, else the secure keyring, else None."""
    if env := os.environ.get(PASSPHRASE_ENV):
        return env
    try:
        check_backend()
    except CredentialsError:
        return None
    try:
        return keyring.get_password(SERVICE, passphrase_username(config))
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(
            f"the system keyring failed while reading the vault's passphrase "
            f"({type(exc).__name__}): unlock it, or set {PASSPHRASE_ENV}"
        ) from None


def save_passphrase(config: RemoteConfig, passphrase: str) -> bool:
    """Keep the passphrase in the secure keyring; False (nothing saved) without one."""
    try:
        check_backend()
        keyring.set_password(SERVICE, passphrase_username(config), passphrase)
    except (CredentialsError, keyring.errors.KeyringError):
        log.info("no secure keyring: the vault's passphrase will be asked for again")
        return False
    return True


def forget_vault_key(local: LocalStore, config: RemoteConfig) -> None:
    _vault_keys.pop((local.device_id, config.describe()), None)


def sealed_remote(
    local: LocalStore, config: RemoteConfig, remote: RemoteStore, prompt: Prompt | None
) -> SealedStore:
    """``remote`` sealing with the vault key: from memory, or unwrapped with the
    passphrase (a new vault gets its key object here). Touches nothing local
    unless the key opened."""
    location = config.describe()
    binding = local.meta("vault_remote") != location
    cached = _vault_keys.get((local.device_id, location))
    if cached is not None and not binding:
        return SealedStore(remote, cached[1])
    known = int(local.meta(KEY_NUMBER_META) or 0)
    new_vault = not key_numbers(remote)
    if new_vault and _has_meta(remote):
        raise ProtocolError(
            f"{location} holds a vault that is not encrypted; encryption starts with a "
            "new, empty location (`desktop-app remote ... --encrypt`)"
        )
    stored = stored_passphrase(config)
    passphrase = stored
    if passphrase is None:
        passphrase = _ask(prompt, location, new_vault, "")
    try:
        number, vault_key = (
            create_vault_key(remote, passphrase)
            if new_vault
            else open_vault_key(remote, passphrase, known_number=known)
        )
    except SealingError as exc:
        if stored is None or prompt is None or os.environ.get(PASSPHRASE_ENV):
            raise
        passphrase = _ask(prompt, location, False, str(exc))
        number, vault_key = open_vault_key(remote, passphrase, known_number=known)
    if passphrase != stored:
        save_passphrase(config, passphrase)
    local.set_meta(KEY_NUMBER_META, str(number))
    _vault_keys[(local.device_id, location)] = (number, vault_key)
    return SealedStore(remote, vault_key)


def _ask(prompt: Prompt | None, location: str, new_vault: bool, why: str) -> str:
    if prompt is None:
        raise AppError(
            f"{why or 'the vault at ' + location + ' is encrypted'}: run `desktop-app sync` "
            f"in a terminal to enter its passphrase, or set {PASSPHRASE_ENV}"
        )
    if new_vault:
        return prompt(f"Passphrase for the new encrypted vault at {location}", True)
    label = f"{why.capitalize()}. Passphrase" if why else f"Passphrase for {location}"
    return prompt(label, False)


def _has_meta(remote: RemoteStore) -> bool:
    try:
        remote.get(protocol.META_KEY)
    except RemoteNotFound:
        return False
    return True


def change_passphrase(
    local: LocalStore, config: RemoteConfig, remote: RemoteStore, prompt: Prompt
) -> int:
    """Rewrap the vault key under a new passphrase (the next key object); returns its
    number. The old passphrase comes from the keyring/environment or ``prompt``."""
    old = stored_passphrase(config) or prompt(f"Current passphrase for {config.describe()}", False)
    new = prompt("New passphrase", True)
    if not new:
        raise AppError("the new passphrase cannot be empty")
    number = rewrap_vault_key(remote, old, new, known_number=int(local.meta(KEY_NUMBER_META) or 0))
    save_passphrase(config, new)
    local.set_meta(KEY_NUMBER_META, str(number))
    forget_vault_key(local, config)
    return number
