"""What lives on the remote and how it is named (see docs/sync-protocol.md).

Layout under the vault's prefix::

    meta.json                 VaultMeta: vault id and log id, written after the genesis
    updates/000000000001      the log's genesis: an update holding the founder's state
    updates/000000000042      Update committed at position 42 (create-only)
    snapshots/000000000042    Snapshot: state after every update <= 42 (create-only)

Positions form a gapless sequence decided by the store: a writer creates
``updates/<base+1>`` only if absent, naming in ``prev`` the update it built on.
Every object is immutable once written.

Reading an object sorts it into one of three kinds, the same way on every
device: usable; written by a newer Tidemark (``NewerFormat``: stop before it and
ask for an update, never skip it); or unusable (``Unreadable``: torn, garbage,
another program's file, absurdly nested; quarantined as an empty update).
"""

from __future__ import annotations

from collections.abc import Collection

import msgspec

from desktop_app.core import REGISTRY, Action, CodecError, State, StateDoc, codec
from desktop_app.sync import big_update

# Format 2: a log id in meta.json, a genesis update, ``prev`` links. Format 1
# vaults (no log id, no links) are still read and written.
FORMAT_VERSION = 2
# An encrypted vault: format-2 objects, each sealed (desktop_app/sync/sealing.py).
# Only meta.json carries this number; Tidemark versions without encryption
# refuse it instead of quarantining every object they cannot open.
SEALED_VAULT_FORMAT = 3
SEALED = "aes-256-gcm/scrypt/1"
META_KEY = "meta.json"
UPDATES = "updates/"
SNAPSHOTS = "snapshots/"
_DIGITS = 12
# Deeper than any real update or snapshot; a hostile object is refused before
# the decoder recurses into it.
MAX_NESTING = 200


class ProtocolError(Exception):
    """The remote holds something this version cannot read or must not touch."""


class NewerFormat(ProtocolError):
    """Written by a newer Tidemark: not garbage, so never skipped."""


class Unreadable(ProtocolError):
    """Bytes no version of Tidemark could use: quarantined, identically everywhere."""


class VaultMeta(msgspec.Struct, frozen=True, omit_defaults=True):
    format: int
    vault_id: str
    log_id: str = ""  # "" for a format-1 vault
    # The envelope scheme of an encrypted vault (``SEALED``), "" for a clear one.
    # Such a vault's meta.json says format 3, so format-2 apps refuse it.
    sealed: str = ""


class Genesis(msgspec.Struct, frozen=True, gc=False):
    """Carried by update 1 of a log: meta.json is derived from it, so a founder
    that crashed before writing meta.json cannot strand the log."""

    vault_id: str
    log_id: str


class Update(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An immutable, ordered group of actions from one device."""

    format: int = FORMAT_VERSION
    id: str
    device: str
    at: int  # server-adjusted epoch ms when it was committed
    position: int
    # Effective id of the update at position - 1 this one was built on ("" at the
    # start of a log, and in format-1 updates, which carry no links).
    prev: str = ""
    genesis: Genesis | None = None
    actions: tuple[Action, ...]


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The state after every update up to ``position``, and the actions it holds.

    ``applied`` lists every action id folded in, so an action that also sits in
    a later update (a duplicate upload) still takes effect exactly once. ``last``
    is the effective id of the update at ``position``: the link the next update
    names. ``log`` is the log it was folded from.
    """

    format: int = FORMAT_VERSION
    position: int
    at: int
    state: StateDoc
    applied: tuple[str, ...]
    last: str = ""
    log: str = ""

    @classmethod
    def of(
        cls,
        state: State,
        position: int,
        at: int,
        applied: Collection[str],
        *,
        last: str = "",
        log: str = "",
    ) -> Snapshot:
        """``applied``: distinct ids, in any order (a list nearly in order sorts fastest)."""
        return cls(
            position=position,
            at=at,
            state=StateDoc.of(state),
            applied=tuple(sorted(applied)),
            last=last,
            log=log,
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


QUARANTINED = "quarantined-"


def hole_filler(position: int) -> bytes:
    """What fills a position lost from the log (a restore from an older copy
    removed it after a device had built the next update on it). Not an update
    by its shape, so every reader quarantines it and links past it the same way,
    and the store's create-only write decides it like any commit (invariant 4)."""
    return msgspec.json.encode({"format": FORMAT_VERSION, "hole": position})


def quarantined_id(position: int) -> str:
    """The effective id of an unusable object: a function of its position only,
    so every device links past it the same way."""
    return f"{QUARANTINED}{position}"


def encode(value: VaultMeta | Update | Snapshot) -> bytes:
    return codec.encode(value)


_update_decoder = msgspec.json.Decoder(Update)


def decode_update(data: bytes) -> Update:
    """An update, or ``NewerFormat`` / ``Unreadable``; a big one in pieces
    (``big_update``: the same result, in calls short enough for the window)."""
    update = None
    if len(data) > big_update.BIG_BYTES:
        update = big_update.decode_in_pieces(data, _update_decoder.decode)
    try:
        if update is None:
            update = _update_decoder.decode(data)  # the hot path of a pull: no wrapper
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        _classify_failure(data, "update")  # UnicodeDecodeError: bad UTF-8 inside a string
        raise AssertionError("unreachable") from None
    if update.format > FORMAT_VERSION:
        raise _newer("an update", update.format)
    return update


def decode_snapshot(data: bytes) -> Snapshot:
    try:
        snapshot: Snapshot = codec.decode(data, Snapshot)
    except (CodecError, RecursionError):
        _classify_failure(data, "snapshot")
        raise AssertionError("unreachable") from None
    if snapshot.format > FORMAT_VERSION:
        raise _newer("a snapshot", snapshot.format)
    return snapshot


def decode_meta(data: bytes) -> VaultMeta:
    try:
        meta: VaultMeta = codec.decode(data, VaultMeta)
    except (CodecError, RecursionError):
        _classify_failure(data, "vault description")
        raise AssertionError("unreachable") from None
    if meta.format > SEALED_VAULT_FORMAT or (
        meta.format == SEALED_VAULT_FORMAT and meta.sealed != SEALED
    ):
        raise _newer("a vault", meta.format)
    if meta.sealed and meta.format != SEALED_VAULT_FORMAT:
        raise Unreadable("the vault description names encryption but not format 3")
    return meta


def _newer(what: str, fmt: int) -> NewerFormat:
    return NewerFormat(
        f"the sync store holds {what} written by a newer Tidemark (format {fmt}); "
        "update Tidemark to sync this vault"
    )


def _classify_failure(data: bytes, what: str) -> None:
    """Raise ``NewerFormat`` if a newer Tidemark explains the bytes, else ``Unreadable``."""
    if _too_deep(data):
        raise Unreadable(f"the {what} is nested too deeply to be a Tidemark object")
    try:
        loose = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise Unreadable(f"the {what} is not valid JSON (torn or not Tidemark's)") from None
    if isinstance(loose, dict):
        fmt = loose.get("format")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT_VERSION:
            raise _newer(f"a {what}" if what != "update" else "an update", fmt)
        if (name := _unknown_action(loose.get("actions"))) is not None:
            raise NewerFormat(
                f"the sync store holds an action this version does not know ({name!r}); "
                "update Tidemark to sync this vault"
            )
        if what == "update" and "hole" in loose:
            raise Unreadable("it marks an update lost from the store (restored from an older copy)")
    raise Unreadable(f"the {what} does not have Tidemark's shape")


def _too_deep(data: bytes) -> bool:
    """Bracket depth outside strings beyond ``MAX_NESTING`` (failure path only)."""
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _unknown_action(actions: object) -> str | None:
    """The first action name that is well formed but not known to this version."""
    if not isinstance(actions, list):
        return None
    stack: list[object] = [a.get("arg") for a in actions if isinstance(a, dict)]
    while stack:
        arg = stack.pop()
        if not isinstance(arg, dict):
            continue
        name = arg.get("action")
        if isinstance(name, str) and name not in REGISTRY:
            return name
        steps = arg.get("steps")
        if isinstance(steps, list):
            stack.extend(steps)
    return None
