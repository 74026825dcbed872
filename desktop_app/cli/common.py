"""What every command module shares: the handler type, usage errors, output helpers."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable

from desktop_app.app import App
from desktop_app.core import Item, Note, State, Task

# A command handler; ``app`` is None for commands registered with
# ``set_defaults(func=handler, needs_app=False)`` (they get ``args.data_dir``).
Handler = Callable[[argparse.Namespace, App | None], int]

SHORT_ID = 8  # shortest id shown; longer where needed to stay unique


class UsageError(Exception):
    """The command line itself is wrong (exit status 2), found after argparse ran."""


def write_bytes(data: bytes) -> None:
    """Raw UTF-8 to stdout (JSON), in order with anything already printed."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)


# C0, DEL and C1 controls: an escape sequence in a title must not drive the terminal,
# and a newline in a list name must not print a fake line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` for one line of terminal output: control characters as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def visible_lines(text: str) -> str:
    """Like ``visible`` but keeps newlines and tabs (a Markdown document on a terminal)."""
    return _CONTROL_BUT_LINES.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def kind(item: Item) -> str:
    return "task" if isinstance(item, Task) else "note" if isinstance(item, Note) else "list"


def label(item: Item) -> str:
    """``task 'Buy milk'``: how messages name an item."""
    return f"{kind(item)} {visible(getattr(item, 'title', None) or getattr(item, 'name', ''))!r}"


def short_ids(ids: Iterable[str], minimum: int = SHORT_ID) -> dict[str, str]:
    """The shortest prefix of each id that no other id shares (like git's short hashes).

    Ids made in the same minute share their first characters (they start with a
    timestamp), so a fixed length would not be unique; ``App.resolve`` takes these.
    """
    ordered = sorted(set(ids))
    result = {}
    for i, item_id in enumerate(ordered):
        need = minimum
        for other in ordered[max(i - 1, 0) : i + 2]:
            if other != item_id:
                common = next(
                    (n for n, (a, b) in enumerate(zip(item_id, other, strict=False)) if a != b),
                    min(len(item_id), len(other)),
                )
                need = max(need, common + 1)
        if item_id[need - 1 : need] == "-":
            need += 1  # never end on a separator
        result[item_id] = item_id[:need]
    return result


_UNCOMPARED = {"updated"}
_FIELD_WORDS = {
    "list_id": "list",
    "conflicts": "kept versions",
    "title_conflicts": "kept titles",
    "due_conflicts": "kept due dates",
}


def describe_change(old: State, new: State) -> str:
    """What happened between two states, in words: ``removed task 'Buy milk'``.

    Undo and redo dispatch inverse actions; describing their effect on the
    state says what the user got back, whatever kind of action it was.
    """
    parts = []
    for noun, before, after in (
        ("list", old.lists, new.lists),
        ("task", old.tasks, new.tasks),
        ("note", old.notes, new.notes),
    ):
        if before is after:
            continue
        added = [after[k] for k in after if k not in before]
        removed = [before[k] for k in before if k not in after]
        changed: list[Item] = []
        fields: set[str] = set()
        for key in after:
            if key in before and (a := before[key]) is not (b := after[key]) and a != b:
                diff = {
                    f
                    for f in a.__struct_fields__
                    if f not in _UNCOMPARED and getattr(a, f) != getattr(b, f)
                }
                if diff:
                    changed.append(b)
                    fields |= {_FIELD_WORDS.get(f, f) for f in diff}
        for verb, items in (("added", added), ("removed", removed), ("changed", changed)):
            if not items:
                continue
            what = label(items[0]) if len(items) == 1 else f"{len(items)} {noun}s"
            detail = f" ({', '.join(sorted(fields))})" if verb == "changed" else ""
            parts.append(f"{verb} {what}{detail}")
    return ", ".join(parts) if parts else "no visible change"
