"""End-to-end encryption of a vault's objects: sealed envelopes and key objects.

Only well-known constructions from ``cryptography``, nothing hand-made:

* every object body on the remote (updates, snapshots) is sealed with the
  vault key in AES-256-GCM, a fresh random 96-bit nonce per object, and the
  object's key and envelope version as associated data: a body copied to
  another position, or from a snapshot to an update, fails authentication
  exactly like a torn or flipped one (``SealBroken``), so it is quarantined;
* the vault key (32 random bytes) is wrapped in a **key object**
  (``keys/000000000001``, create-only) by a key derived from the passphrase
  with scrypt; the salt and the scrypt parameters sit in the clear beside it
  and are bound as associated data. A key object that does not open is a
  wrong passphrase (``WrongPassphrase``), never a damaged vault.

See docs/sync-protocol.md, "Encryption".
"""

from __future__ import annotations

import base64
import binascii
import os

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# The envelope: magic + version, nonce, ciphertext with its 16-byte tag.
ENVELOPE_MAGIC = b"TMS\x01"
_NONCE = 12
_TAG = 16
_AD_PREFIX = b"tidemark-sealed-object\x00v1\x00"
_KEY_AD_PREFIX = b"tidemark-key-object\x00v1\x00"

KEYS = "keys/"
KEY_OBJECT_FORMAT = 1
VAULT_KEY_BYTES = 32

# scrypt work factors: n=2**16, r=8 takes 64 MiB and 0.24-0.30 s on the development
# machine (benchmarks/bench_crypto.py measures it; 2**17 took 0.69 s). Key objects record their own
# parameters, so raising these later leaves older key objects readable.
SCRYPT_N = 2**16
SCRYPT_R = 8
SCRYPT_P = 1
# Bounds a decoded key object must respect: a forged one must not make us spend
# gigabytes or minutes before the tag check fails.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_MAX_MEMORY = 256 * 1024 * 1024  # scrypt needs 128 * n * r bytes


class SealingError(Exception):
    """Base of the encryption errors; ``str()`` is one sentence for the user."""


class SealBroken(SealingError):
    """An object's envelope does not open under the vault key at its own position:
    torn, flipped, forged or moved. Indistinguishable, so all are quarantined."""


class KeyObjectUnreadable(SealingError):
    """A key object that is not one: wrong shape or absurd parameters."""


class WrongPassphrase(SealingError):
    """The passphrase does not unwrap the vault's key object."""


class ScryptParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    n: int
    r: int
    p: int
    salt: str  # base64, 16 random bytes


class KeyObject(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The clear text of ``keys/<n>``: how to derive the wrapping key, and the wrap."""

    format: int
    kdf: ScryptParams
    nonce: str  # base64
    wrapped: str  # base64: AES-256-GCM(vault key) with its tag


def key_object_key(number: int) -> str:
    return f"{KEYS}{number:012d}"


def new_vault_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _associated(key: str) -> bytes:
    return _AD_PREFIX + key.encode("utf-8")


def seal(vault_key: bytes, key: str, plaintext: bytes) -> bytes:
    """The envelope stored at ``key``: only that key and this version open it."""
    nonce = os.urandom(_NONCE)
    return ENVELOPE_MAGIC + nonce + AESGCM(vault_key).encrypt(nonce, plaintext, _associated(key))


def open_sealed(vault_key: bytes, key: str, envelope: bytes) -> bytes:
    """The plaintext of the envelope at ``key``, or ``SealBroken``."""
    if len(envelope) < len(ENVELOPE_MAGIC) + _NONCE + _TAG or not envelope.startswith(
        ENVELOPE_MAGIC
    ):
        raise SealBroken(f"{key} is not a sealed Tidemark object (torn or not Tidemark's)")
    start = len(ENVELOPE_MAGIC)
    nonce = envelope[start : start + _NONCE]
    try:
        return AESGCM(vault_key).decrypt(nonce, envelope[start + _NONCE :], _associated(key))
    except InvalidTag:
        raise SealBroken(
            f"{key} failed its integrity check (damaged, tampered with, or moved)"
        ) from None


# -- key objects --------------------------------------------------------------------------


def _derive(passphrase: str, params: ScryptParams, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def _key_associated(key: str, params: ScryptParams) -> bytes:
    return _KEY_AD_PREFIX + key.encode("utf-8") + b"\x00" + msgspec.json.encode(params)


def wrap_vault_key(
    vault_key: bytes,
    passphrase: str,
    key: str,
    *,
    n: int | None = None,
    r: int | None = None,
    p: int | None = None,
) -> bytes:
    """The bytes of a new key object at ``key`` holding ``vault_key`` under ``passphrase``."""
    if not passphrase:
        raise SealingError("the passphrase cannot be empty")
    salt = os.urandom(16)
    params = ScryptParams(n=n or SCRYPT_N, r=r or SCRYPT_R, p=p or SCRYPT_P, salt=_b64(salt))
    nonce = os.urandom(_NONCE)
    wrapped = AESGCM(_derive(passphrase, params, salt)).encrypt(
        nonce, vault_key, _key_associated(key, params)
    )
    return msgspec.json.encode(
        KeyObject(format=KEY_OBJECT_FORMAT, kdf=params, nonce=_b64(nonce), wrapped=_b64(wrapped))
    )


def decode_key_object(key: str, data: bytes) -> KeyObject:
    """The key object's clear fields, or ``KeyObjectUnreadable`` (nothing derived yet)."""
    try:
        obj = msgspec.json.decode(data, type=KeyObject)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError):
        # msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string.
        raise KeyObjectUnreadable(f"the vault's key object {key} is damaged") from None
    if obj.format != KEY_OBJECT_FORMAT:
        raise KeyObjectUnreadable(
            f"the vault's key object {key} has format {obj.format}; update Tidemark"
            if obj.format > KEY_OBJECT_FORMAT
            else f"the vault's key object {key} is damaged"
        )
    params = obj.kdf
    n, r, p = params.n, params.r, params.p
    if not (
        1 < n <= _MAX_N
        and n & (n - 1) == 0
        and 0 < r <= _MAX_R
        and 0 < p <= _MAX_P
        and 128 * n * r <= _MAX_MEMORY
    ):
        raise KeyObjectUnreadable(f"the vault's key object {key} has unusable scrypt parameters")
    _unb64(key, params.salt)
    if len(_unb64(key, obj.nonce)) != _NONCE or len(_unb64(key, obj.wrapped)) != (
        VAULT_KEY_BYTES + _TAG
    ):
        raise KeyObjectUnreadable(f"the vault's key object {key} is damaged")
    return obj


def unwrap_vault_key(key: str, data: bytes, passphrase: str) -> bytes:
    """The vault key in the key object at ``key``; ``WrongPassphrase`` if it does not open."""
    obj = decode_key_object(key, data)
    kek = _derive(passphrase, obj.kdf, _unb64(key, obj.kdf.salt))
    try:
        return AESGCM(kek).decrypt(
            _unb64(key, obj.nonce), _unb64(key, obj.wrapped), _key_associated(key, obj.kdf)
        )
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this vault") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(key: str, text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyObjectUnreadable(f"the vault's key object {key} is damaged") from None
