"""Three-way merge of texts by lines, for note bodies edited on two devices.

Why not a PyPI merge library: every replica must compute the very same merge
(invariant 2), so the result must depend only on the three texts. ``merge3``
switches its line matcher when ``patiencediff`` happens to be installed, which
would let two devices merge the same edits differently. This is the classic
diff3 algorithm (as in GNU diff3 and bzr's merge3) over the stdlib's
``difflib.SequenceMatcher`` with ``autojunk=False`` (no size-dependent
heuristic), about fifty lines.

Regions where neither side changed the base are kept; between them, a region
changed on one side only takes that side; a region changed identically on both
takes it once. Two sides that replaced the same number of lines are compared
line by line, so edits of neighbouring lines merge too. Anything else overlaps,
and the caller keeps both versions: a merge never drops a word.
"""

from __future__ import annotations

import re

Lines = list[str]


def merge3(base: str, ours: str, theirs: str) -> str | None:
    """The merge of ``ours`` and ``theirs``, both edited from ``base``; None if they overlap."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    # A newline added to each text gives every last line an ending, so text added
    # after a final line without one is a change of its own, not of that line.
    b, a, t = ((text + "\n").splitlines(True) for text in (base, ours, theirs))
    merged: Lines = []
    i = j = k = 0  # positions in base, ours, theirs
    for bi, aj, tk, size in _sync_regions(b, a, t):
        chunk = _merge_chunk(b[i:bi], a[j:aj], t[k:tk])
        if chunk is None:
            return None
        merged += chunk
        merged += b[bi : bi + size]
        i, j, k = bi + size, aj + size, tk + size
    text = "".join(merged)
    return text[:-1] if text.endswith("\n") else None


def _matches(base: Lines, other: Lines) -> list[tuple[int, int, int]]:
    from difflib import SequenceMatcher  # only when a merge is made: not at start-up

    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [tuple(m) for m in matcher.get_matching_blocks()]  # type: ignore[misc]


def _sync_regions(base: Lines, ours: Lines, theirs: Lines) -> list[tuple[int, int, int, int]]:
    """Runs of base lines that both sides kept unchanged, ending with an empty sentinel."""
    found: list[tuple[int, int, int, int]] = []
    ia = it = 0
    ma, mt = _matches(base, ours), _matches(base, theirs)
    while ia < len(ma) and it < len(mt):
        a_base, a_pos, a_len = ma[ia]
        t_base, t_pos, t_len = mt[it]
        start, end = max(a_base, t_base), min(a_base + a_len, t_base + t_len)
        if start < end:
            found.append((start, a_pos + start - a_base, t_pos + start - t_base, end - start))
        if a_base + a_len < t_base + t_len:
            ia += 1
        else:
            it += 1
    found.append((len(base), len(ours), len(theirs), 0))
    return found


def _merge_chunk(base: Lines, ours: Lines, theirs: Lines) -> Lines | None:
    if ours in (base, theirs):
        return theirs
    if theirs == base:
        return ours
    if len(ours) == len(theirs) == len(base):  # replaced lines: merge line by line
        merged = []
        for b, a, t in zip(base, ours, theirs, strict=True):
            if a != b and t != b and a != t:
                return None
            merged.append(t if a == b else a)
        return merged
    return None


def word_changes(text: str, other: str) -> list[tuple[str, bool]]:
    """``text`` cut into runs, each marked True where it differs from ``other``
    (words and the spaces between them), for a side-by-side view of two versions."""
    mine, theirs = _words(text), _words(other)
    runs: list[tuple[str, bool]] = []
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, mine, theirs, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if i1 < i2:
            runs.append(("".join(mine[i1:i2]), tag != "equal"))
    return runs


def _words(text: str) -> list[str]:
    return [part for part in re.split(r"(\s+)", text) if part]
