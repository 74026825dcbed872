"""Holes in the log that no snapshot explains, and the push anchor that finds them.

Roll-up removes an update only once a snapshot covers it, so a missing position
below a listed one, past the newest snapshot, means the store lost it: restored
from an older copy after some device had folded the update there and written the
next one on top of it (docs/sync-protocol.md, "A log with a hole in it").

Two devices can have folded the lost update: one whose base is at or below the
hole sees it in its own listing; the one that wrote past it has moved on, so it
remembers the position its first push built on (the **anchor**) and lists from
there in the next round. Both fill the hole with a create-only marker and start
over from the log, which re-pushes what the log lacks.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class PushAnchor(msgspec.Struct, frozen=True, array_like=True):
    """The base a push built on: its position, effective id and listing etag."""

    position: int
    last: str
    etag: str


ANCHOR_META = "push_anchor"


def encode_anchor(anchor: PushAnchor) -> str:
    return msgspec.json.encode(anchor).decode()


def decode_anchor(text: str | None) -> PushAnchor | None:
    """The stored anchor; a value this version cannot read counts as none."""
    if not text:
        return None
    try:
        return msgspec.json.decode(text, type=PushAnchor)
    except msgspec.DecodeError:
        return None


def gaps(listed: Iterable[int], low: int) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of positions from ``low`` on that are missing below
    the highest listed one (a listing that started at ``low``)."""
    found: list[tuple[int, int]] = []
    expected = max(low, 1)
    for p in sorted(listed):
        if p < expected:
            continue
        if p > expected:
            found.append((expected, p - 1))
        expected = p + 1
    return found


def unexplained_hole(runs: list[tuple[int, int]], newest_snapshot: int) -> int | None:
    """The lowest missing position that no snapshot covers, if any."""
    for first, last in runs:
        if last > newest_snapshot:
            return max(first, newest_snapshot + 1)
    return None
