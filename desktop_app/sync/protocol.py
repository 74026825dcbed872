"""What lives on the remote and how it is named (see docs/sync-protocol.md).

Layout under the vault's prefix::

    meta.json                 VaultMeta, created once (create-only)
    updates/000000000042      Update committed at position 42 (create-only)
    snapshots/000000000042    Snapshot: state after every update <= 42 (create-only)

Positions form a gapless sequence decided by the store: a writer creates
``updates/<head+1>`` only if absent, and on a collision tries the next number.
Every object is immutable once written.
"""

from __future__ import annotations

import msgspec

from desktop_app.core import Action, State, StateDoc, codec

FORMAT_VERSION = 1
META_KEY = "meta.json"
UPDATES = "updates/"
SNAPSHOTS = "snapshots/"
_DIGITS = 12


class ProtocolError(Exception):
    """The remote holds something this version cannot read or must not touch."""


class VaultMeta(msgspec.Struct, frozen=True):
    format: int
    vault_id: str


class Update(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An immutable, ordered group of actions from one device."""

    format: int = FORMAT_VERSION
    id: str
    device: str
    at: int  # server-adjusted epoch ms when it was committed
    position: int
    actions: tuple[Action, ...]


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The state after every update up to ``position``, and the actions it holds.

    ``applied`` lists every action id folded in, so an action that also sits in
    a later update (a duplicate upload) still takes effect exactly once.
    """

    format: int = FORMAT_VERSION
    position: int
    at: int
    state: StateDoc
    applied: tuple[str, ...]

    @classmethod
    def of(cls, state: State, position: int, at: int, applied: set[str]) -> Snapshot:
        return cls(
            position=position, at=at, state=StateDoc.of(state), applied=tuple(sorted(applied))
        )


def update_key(position: int) -> str:
    return f"{UPDATES}{position:0{_DIGITS}d}"


def snapshot_key(position: int) -> str:
    return f"{SNAPSHOTS}{position:0{_DIGITS}d}"


def position_of(key: str) -> int | None:
    """The position a key names, or None for anything that is not ours."""
    name = key.rsplit("/", 1)[-1]
    if len(name) != _DIGITS or not name.isdigit():
        return None
    return int(name)


def _check_format(fmt: int, what: str) -> None:
    if fmt > FORMAT_VERSION:
        raise ProtocolError(
            f"the sync store holds a {what} in format {fmt}; update Tidemark to read it"
        )


def encode(value: VaultMeta | Update | Snapshot) -> bytes:
    return codec.encode(value)


_update_decoder = msgspec.json.Decoder(Update)


def decode_update(data: bytes) -> Update:
    try:
        return _update_decoder.decode(data)  # the hot path of a pull: no wrapper
    except (msgspec.DecodeError, msgspec.ValidationError):
        _check_format(_probe_format(data), "update")  # a newer format explains it better
    return codec.decode(data, Update)  # raises CodecError with the usual wording


def decode_snapshot(data: bytes) -> Snapshot:
    try:
        return codec.decode(data, Snapshot)
    except codec.CodecError:
        _check_format(_probe_format(data), "snapshot")
        raise


def _probe_format(data: bytes) -> int:
    try:
        return msgspec.json.decode(data, type=_Format).format
    except (msgspec.DecodeError, msgspec.ValidationError):
        return FORMAT_VERSION


def decode_meta(data: bytes) -> VaultMeta:
    meta: VaultMeta = codec.decode(data, VaultMeta)
    _check_format(meta.format, "vault")
    return meta


class _Format(msgspec.Struct):
    format: int = FORMAT_VERSION
