"""A big update decoded in pieces, so the interpreter changes threads between them.

A founding device's genesis is one update holding its whole state (``MergeState``):
30 MB at 100,000 tasks. Decoded in one call, that is 150-200 ms (800 ms under
load) during which the window's thread cannot run, not even to commit an edit
(docs/architecture.md, "Short write locks"). Even a scan of it into ``msgspec.Raw``
is one call of 20 ms. So the state's maps (``lists``, ``tasks``, ``notes``,
``deleted``) are found with ``bytes.find`` and decoded a slice of entries at a
time (``PIECE_BYTES``, about a millisecond each), and the rest (the "shell": the
update with those maps emptied) in one small call.

The result is the one-call decode's, value for value, or None (then the caller
decodes in one call, and that call alone decides what is wrong with the bytes):

* every piece, wrapped in braces, decodes as the map's own type (``dict[str,
  Task]``...), so the map's text is those pieces joined by commas, and one call
  would have decoded its entries in the same order with the same checks;
* the shell decodes as an update and is the canonical encoding of what it
  decodes to (``codec.encode``: no duplicate key, no unknown field, nothing
  skipped), holds each emptied map's text (``"tasks":{}``) exactly once, and has
  exactly one ``MergeState`` whose maps are all empty: so the emptied places are
  that state's maps, where one call would have put the entries.

Updates that are not shaped so (another writer's spacing, several states) still
decode, in one call.
"""

from __future__ import annotations

import itertools
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from desktop_app.core import StateDoc, codec
from desktop_app.core.actions import MergeState

BIG_BYTES = 1 << 20  # smaller updates decode in one call (~5 ms)
PIECE_BYTES = 1 << 18  # about a millisecond of decoding a piece
FIND_BYTES = 1 << 20  # about half a millisecond of searching
MAX_MISSES = 64  # pieces that did not decode, per map, before giving up
MAPS = ("deleted", "lists", "notes", "tasks")  # StateDoc's maps, in the encoder's order
# What the encoder writes right after each map's closing brace: the next map's
# key; after the last, the state's and the MergeState's closing braces and the
# action's next field (fields in name order: arg, at, device, id).
_CLOSINGS = {
    **{name: b'},"' + after.encode() + b'":{' for name, after in itertools.pairwise(MAPS)},
    MAPS[-1]: b'}}},"at":',
}
_ENTRY_END = b'},"'  # an entry's value ends, the next key begins

_DECODERS = {
    name: msgspec.json.Decoder(kind)
    for name, kind in typing.get_type_hints(StateDoc).items()
    if name in MAPS
}

U = TypeVar("U")


def decode_in_pieces(data: bytes, decode_whole: Callable[[bytes], U]) -> U | None:
    """What ``decode_whole(data)`` returns, decoded in pieces; None if ``data`` is not
    an update of the shape above (see the module's docstring)."""
    shell_parts: list[bytes] = []
    maps: dict[str, dict[str, Any]] = {}
    at = 0
    for name in MAPS:
        opening = _find(data, b'"' + name.encode() + b'":{', at)
        if opening < 0:
            return None
        start = opening + len(name) + 4  # just after the map's "{"
        found = _map_in_pieces(data, name, start)
        if found is None:
            return None
        maps[name], end = found
        shell_parts.append(data[at:start])
        at = end  # the map's "}"
    shell_parts.append(data[at:])
    shell_bytes = b"".join(shell_parts)
    return _filled(shell_bytes, decode_whole, maps)


def _filled(shell_bytes: bytes, decode_whole: Callable[[bytes], U], maps: dict) -> U | None:
    """The shell decoded, its one emptied state filled with ``maps``; None unless the
    shell is canonical and that state is the only place the maps could have been."""
    for name in MAPS:
        if shell_bytes.count(b'"' + name.encode() + b'":{}') != 1:
            return None
    try:
        shell: Any = decode_whole(shell_bytes)
        canonical = codec.encode(shell) == shell_bytes
    except (
        msgspec.DecodeError,
        msgspec.ValidationError,
        codec.CodecError,
        UnicodeDecodeError,
        RecursionError,
    ):
        return None
    holders = [
        i
        for i, action in enumerate(getattr(shell, "actions", ()))
        if type(action.arg) is MergeState
        and not any(getattr(action.arg.state, name) for name in MAPS)
    ]
    if not canonical or len(holders) != 1:
        return None
    actions = list(shell.actions)
    action = actions[holders[0]]
    state = msgspec.structs.replace(action.arg.state, **maps)
    actions[holders[0]] = msgspec.structs.replace(
        action, arg=msgspec.structs.replace(action.arg, state=state)
    )
    return msgspec.structs.replace(shell, actions=type(shell.actions)(actions))


def _map_in_pieces(data: bytes, name: str, start: int) -> tuple[dict[str, Any], int] | None:
    """(the map whose entries begin at ``start``, the index of its closing brace),
    a piece of about ``PIECE_BYTES`` at a time; None if the pieces do not fit."""
    end = _find(data, _CLOSINGS[name], start)  # where the encoder puts what follows it
    if end < 0:
        return None
    decoder = _DECODERS[name]
    entries: dict[str, Any] = {}
    misses = 0
    piece_start = start
    while piece_start < end:
        cut = _find(data, _ENTRY_END, piece_start + PIECE_BYTES, end)
        while True:
            stop = end if cut < 0 else cut + 1
            piece = _piece(decoder, data[piece_start:stop])
            if piece is not None:
                break
            misses += 1  # the cut was inside a string: the next one
            if cut < 0 or misses > MAX_MISSES:
                return None
            cut = _find(data, _ENTRY_END, cut + 1, end)
        entries.update(piece)
        piece_start = stop + 1  # past the comma between two entries
    return entries, end


def _find(data: bytes, sub: bytes, start: int, end: int | None = None) -> int:
    """``data.find(sub, start, end)``, ``FIND_BYTES`` at a time: one find across
    the 25 MB of a map is one C call of 12 ms."""
    end = len(data) if end is None else end
    while start < end:
        at = data.find(sub, start, min(end, start + FIND_BYTES + len(sub) - 1))
        if at >= 0:
            return at
        start += FIND_BYTES
    return -1


def _piece(decoder: msgspec.json.Decoder, entries: bytes) -> dict[str, Any] | None:
    try:
        return decoder.decode(b"{" + entries + b"}")
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return None
