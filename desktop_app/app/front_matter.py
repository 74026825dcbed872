"""YAML front matter, read with PyYAML's ``safe_load`` (libyaml's C loader when present).

A note's front matter holds the keys this app owns (title, tags, pinned, times,
a Joplin to-do's ``completed?`` and ``due``) and any number of properties it does
not understand (Obsidian's ``aliases``, ``description``, a plugin's settings).
Those are kept verbatim, line for line, at the top of the note's body, so
nothing is lost and an export writes them back as they came.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import yaml

from desktop_app.app.errors import AppError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FENCE = "---"
_ENDS = ("---", "...")


@dataclass(frozen=True)
class FrontMatter:
    """The parsed mapping, its source lines, and the text after the closing line."""

    meta: dict[str, Any]
    lines: tuple[str, ...]
    rest: str


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise AppError(f"its front matter is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise AppError("its front matter is nested too deeply") from None


def split(text: str) -> FrontMatter | None:
    """The front matter at the very top of ``text``, or None when there is none.

    A block that never closes is a horizontal rule, not front matter. After the
    closing line one blank line is eaten, as Joplin writes and reads it.
    """
    if not text.startswith(_FENCE):
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != _FENCE:
        return None
    for end in range(1, len(lines)):
        if lines[end].rstrip() in _ENDS:
            inner = tuple(lines[1:end])
            after = lines[end + 1 :]
            if after[:1] == [""] and len(after) > 1:
                after = after[1:]
            return FrontMatter(_mapping("\n".join(inner)), inner, "\n".join(after))
    return None


def _mapping(source: str) -> dict[str, Any]:
    value = load_yaml(source) if source.strip() else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AppError("its front matter is not a list of properties (key: value)")
    return {str(k): v for k, v in value.items()}


def _segments(lines: tuple[str, ...]) -> list[list[str]]:
    """Lines grouped by top-level key: a key line and the indented or ``-`` lines after it."""
    groups: list[list[str]] = []
    for line in lines:
        starts_key = line[:1] not in ("", " ", "\t", "-", "#") and not line.startswith("...")
        if starts_key or not groups:
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _key(line: str) -> str | None:
    """The key a top-level line starts (quotes taken off); None for a comment line.

    Read from the text, not by YAML: the kept lines are checked by loading them
    once, whole, in ``other_properties``.
    """
    if line.startswith("#"):
        return None
    key = line.partition(":")[0].strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        key = key[1:-1]
    return key


def other_properties(matter: FrontMatter, owned: Collection[str]) -> str:
    """The front matter without the ``owned`` keys, verbatim where that reads back the same.

    Each top-level key's lines are kept as written; if the kept lines do not
    load to exactly the remaining properties (an unusual layout), the remaining
    properties are written out again by PyYAML instead: their values are kept
    either way.
    """
    wanted = {k: v for k, v in matter.meta.items() if k not in owned}
    if not wanted:
        return ""
    kept: list[str] = []
    for group in _segments(matter.lines):
        key = _key(group[0])
        if key is None or key not in owned:
            kept += group  # another property, or the user's comment line
    text = "\n".join(kept).strip("\n")
    try:
        if _mapping(text) == wanted:
            return text
    except AppError:
        pass
    return yaml.safe_dump(wanted, sort_keys=False, allow_unicode=True).rstrip("\n")


def block(text: str) -> str:
    """Properties as a front-matter block at the top of a body: ``---``, lines, ``---``."""
    return f"---\n{text}\n---\n"


def dump_value(value: Any) -> str:
    """One YAML scalar or flow list, on one line."""
    return (
        yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
        .strip("\n")
        .removesuffix("\n...")
    )
