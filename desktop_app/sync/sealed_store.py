"""A remote store that seals what it writes and opens what it reads, and the
vault's key objects on the remote.

``SealedStore`` wraps any ``RemoteStore`` (httpx's transport idea again): the
engine, the log walk and the roll-up see clear bytes and never learn about
keys. Only ``meta.json`` and ``keys/`` stay in the clear, since a device needs
them to find the key. An envelope that does not open at its own key raises
``ObjectSealBroken``, an unusable object: the walk quarantines it as it would
a torn one, identically on every device.
"""

from __future__ import annotations

from desktop_app.sync import protocol, sealing
from desktop_app.sync.remote import (
    RemoteEntry,
    RemoteError,
    RemoteNotFound,
    RemoteObjectUnusable,
    RemoteStore,
)
from desktop_app.sync.sealing import KEYS, SealBroken, SealingError, WrongPassphrase


class ObjectSealBroken(RemoteObjectUnusable):
    """A sealed object failed its integrity check (torn, flipped, forged or moved)."""


class PassphraseChanged(SealingError):
    """The passphrase opened an older key object, or this device's did, but not the newest."""

    def __init__(self) -> None:
        super().__init__("the vault's passphrase was changed on another device: enter the new one")


def _clear(key: str) -> bool:
    return key == protocol.META_KEY or key.startswith(KEYS)


class SealedStore:
    """Everything but ``meta.json`` and ``keys/`` sealed with the vault key."""

    def __init__(self, inner: RemoteStore, vault_key: bytes) -> None:
        self.inner = inner
        self._vault_key = vault_key  # memory only, never persisted

    def __repr__(self) -> str:  # never show the key
        return f"SealedStore({self.inner.describe()})"

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        data = self.inner.get(key)
        if _clear(key):
            return data
        try:
            return sealing.open_sealed(self._vault_key, key, data)
        except SealBroken as exc:
            raise ObjectSealBroken(str(exc)) from None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if not _clear(key):
            data = sealing.seal(self._vault_key, key, data)
        return self.inner.put_if_absent(key, data)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()

    def __getattr__(self, name: str) -> object:
        """What the wrapped store tells the log walk about reading it: its
        ``read_workers`` (a folder is read inline, not by a pool of threads) and its
        ``prefetch`` (read-ahead of the next batch); opening is the same either way."""
        if name in ("read_workers", "prefetch"):
            return getattr(self.inner, name)
        raise AttributeError(name)


# -- key objects on the remote ------------------------------------------------------------


def key_numbers(remote: RemoteStore) -> list[int]:
    """The key objects the remote holds, oldest first."""
    return sorted(n for e in remote.list(KEYS) if (n := protocol.position_of(e.key)) is not None)


def open_vault_key(
    remote: RemoteStore, passphrase: str, *, known_number: int = 0
) -> tuple[int, bytes]:
    """The newest key object's number and the vault key it holds.

    ``known_number`` is the key object this device opened last: if a newer one
    does not open with the passphrase that opened it, the passphrase was changed
    elsewhere (``PassphraseChanged``), otherwise it is ``WrongPassphrase``.
    Raises ``RemoteError`` if the remote holds no key object.
    """
    for _ in range(3):  # a passphrase change may delete the one we listed
        numbers = key_numbers(remote)
        if not numbers:
            raise RemoteError(
                f"{remote.describe()} holds no key object, so it is not an encrypted vault"
            )
        key = sealing.key_object_key(numbers[-1])
        try:
            data = remote.get(key)
        except RemoteNotFound:
            continue
        try:
            return numbers[-1], sealing.unwrap_vault_key(key, data, passphrase)
        except WrongPassphrase:
            if known_number and numbers[-1] > known_number:
                raise PassphraseChanged() from None
            raise
    raise RemoteError(f"the key objects on {remote.describe()} keep changing; try again")


def create_vault_key(remote: RemoteStore, passphrase: str) -> tuple[int, bytes]:
    """A new vault's key object (``keys/000000000001``), or the one another device made
    first (then ``passphrase`` must open it)."""
    vault_key = sealing.new_vault_key()
    key = sealing.key_object_key(1)
    if remote.put_if_absent(key, sealing.wrap_vault_key(vault_key, passphrase, key)):
        return 1, vault_key
    return open_vault_key(remote, passphrase)


def rewrap_vault_key(
    remote: RemoteStore, old_passphrase: str, new_passphrase: str, *, known_number: int = 0
) -> int:
    """Wrap the vault key under ``new_passphrase`` in the next key object; delete the
    older ones (so the old passphrase no longer opens the vault from this store).

    Nothing else changes: the vault key, and so every sealed object, stays.
    """
    number, vault_key = open_vault_key(remote, old_passphrase, known_number=known_number)
    new = sealing.key_object_key(number + 1)
    if not remote.put_if_absent(new, sealing.wrap_vault_key(vault_key, new_passphrase, new)):
        raise RemoteError(
            "another device changed the vault's passphrase at the same moment; "
            "nothing was changed here: try again"
        )
    for older in key_numbers(remote):
        if older <= number:
            remote.delete(sealing.key_object_key(older))
    return number + 1
