"""One text as a small change of another: how a long note's local copies stay small.

A keystroke burst in a 50 MB note changes a few characters; storing the text
before and after it whole (in the journal and on the undo stack) costs 100 MB
per burst. ``TextDelta`` keeps only the changed middle: the common prefix and
suffix are found chunk by chunk, so the cost is one linear pass of ``memcmp``.
"""

from __future__ import annotations

import msgspec

_CHUNK = 1 << 16


class TextDelta(msgspec.Struct, frozen=True, array_like=True):
    """``target = source[:start] + middle + source[len(source) - end:]``."""

    start: int
    end: int
    middle: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.middle + source[len(source) - self.end :]


def _common_prefix(a: str, b: str, limit: int) -> int:
    i = 0
    while i < limit:
        j = min(i + _CHUNK, limit)
        if a[i:j] == b[i:j]:
            i = j
            continue
        lo, hi = i, j - 1  # the prefix ends in [i, j)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if a[i:mid] == b[i:mid]:
                lo = mid
            else:
                hi = mid - 1
        return lo
    return limit


def _common_suffix(a: str, b: str, limit: int) -> int:
    la, lb = len(a), len(b)
    i = 0
    while i < limit:
        j = min(i + _CHUNK, limit)
        if a[la - j : la - i] == b[lb - j : lb - i]:
            i = j
            continue
        lo, hi = i, j - 1  # the suffix length is in [i, j)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if a[la - mid : la - i] == b[lb - mid : lb - i]:
                lo = mid
            else:
                hi = mid - 1
        return lo
    return limit


def text_delta(source: str, target: str) -> TextDelta:
    """The smallest prefix/suffix-preserving change that turns ``source`` into ``target``."""
    start = _common_prefix(source, target, min(len(source), len(target)))
    end = _common_suffix(source, target, min(len(source), len(target)) - start)
    return TextDelta(start=start, end=end, middle=target[start : len(target) - end])


def text_digest(text: str) -> str:
    """Identifies a text without keeping it (to know a note still holds it)."""
    import hashlib  # loads OpenSSL: not before the window's first paint

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
