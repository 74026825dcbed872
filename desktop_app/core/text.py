"""One validation for the short texts of the domain: titles, list names, tags.

Every way in (typing, the CLI, imports, actions pulled from a remote) goes through
these functions, so a title never carries a newline (a fake line in a listing),
a terminal escape sequence, or bytes that are not text. They are pure and linear
in their input. ``clean_arg`` cleans a whole action argument; the sync path calls
it on actions it did not make, where refusing is not an option.
"""

from __future__ import annotations

import operator
import re

import msgspec

from desktop_app.core import actions as act
from desktop_app.core.actions import Action, Arg
from desktop_app.core.model import Note, Task, TaskList

UNTITLED = "Untitled"


# Control characters (C0, DEL, C1) and lone surrogates: never part of a title. One
# character class, so a search is linear and runs in C.
_UNWANTED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def one_line(text: str) -> str:
    """Control characters become spaces, runs of whitespace one space, ends trimmed."""
    return " ".join(_UNWANTED.sub(" ", text).split())


def tag_text(tag: str) -> str:
    """A tag as stored: no leading ``#``, no whitespace or control characters inside.

    Returns "" when nothing usable is left; callers decide whether that is an error.
    """
    cleaned = one_line(tag).lstrip("#")
    return cleaned if cleaned and " " not in cleaned else ""


def hyphen_tag(tag: str) -> str:
    """A tag from another program: spaces inside become ``-`` rather than an error."""
    return "-".join(one_line(tag).lstrip("#").split())


def _tags(tags: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in map(hyphen_tag, tags) if t)


def _title(text: str) -> str:
    return one_line(text) or UNTITLED


def clean_item(item: Task | Note | TaskList) -> Task | Note | TaskList:
    """The same item with a clean title (or name) and clean tags; unchanged ones as is."""
    if isinstance(item, TaskList):
        name = _title(item.name)
        return item if name == item.name else msgspec.structs.replace(item, name=name)
    title, tags = _title(item.title), _tags(item.tags)
    if title == item.title and tags == item.tags:
        return item
    return msgspec.structs.replace(item, title=title, tags=tags)


def is_clean_title(text: str) -> bool:
    """True only when ``one_line(text) or UNTITLED`` is ``text``: a check in C for the
    usual title, which is already clean. Printable text holds no control character,
    no surrogate and no whitespace but the ASCII space (tests check every code
    point), so it is clean when it is not empty and no space ends or doubles."""
    if not text.isprintable() or text == "":
        return False
    return text[0] != " " and text[-1] != " " and "  " not in text


def is_clean_tag(tag: str) -> bool:
    """True only when ``hyphen_tag(tag)`` is ``tag`` and not empty (so a tag set keeps it)."""
    return tag.isprintable() and tag != "" and " " not in tag and tag[0] != "#"


# Per argument type, the text fields ``clean_arg`` looks at; None for the types that
# carry items or steps, which always take the full path.
_TEXT_FIELDS: dict[type, tuple[str, ...] | None] = {}
_CARRIERS = (act.Batch, act.RestoreTask, act.RestoreNote, act.RestoreList)


def _text_fields(arg_type: type) -> tuple[str, ...] | None:
    if issubclass(arg_type, _CARRIERS):
        return None
    return tuple(f for f in ("title", "name", "tags", "tag") if hasattr(arg_type, f))


def is_clean_arg(arg: Arg) -> bool:
    """Whether ``clean_arg`` would return ``arg`` itself, quickly; False sends it to the
    full cleaning (which may still find nothing to change)."""
    arg_type = type(arg)
    try:
        fields = _TEXT_FIELDS[arg_type]
    except KeyError:
        fields = _TEXT_FIELDS[arg_type] = _text_fields(arg_type)
    if fields is None:
        return False
    for field in fields:
        value = getattr(arg, field)
        if isinstance(value, str):
            if not (is_clean_tag(value) if field == "tag" else is_clean_title(value)):
                return False
        elif isinstance(value, frozenset) and not all(map(is_clean_tag, value)):
            return False
    return True


def clean_actions(actions: tuple[Action, ...]) -> tuple[Action, ...]:
    """``actions`` with every argument cleaned by ``clean_arg``: the very same tuple
    when nothing needed cleaning (nearly always; this runs on every pulled update)."""
    for action in actions:
        if not is_clean_arg(action.arg):
            break
    else:
        return actions
    cleaned = tuple(
        action
        if (arg := clean_arg(action.arg)) is action.arg
        else msgspec.structs.replace(action, arg=arg)
        for action in actions
    )
    # A batch or a restored item never passes the quick check: often nothing changed.
    return actions if all(map(operator.is_, cleaned, actions)) else cleaned


def clean_arg(arg: Arg) -> Arg:
    """An action argument whose titles, names and tags are clean (for imported or pulled
    actions). Cleaning never refuses: an empty title becomes "Untitled" and a tag with
    nothing left is dropped, so a remote action still applies as its author meant.

    An argument already clean (nearly all) is returned after a quick check."""
    return arg if is_clean_arg(arg) else clean_arg_fully(arg)


def clean_arg_fully(arg: Arg) -> Arg:
    """``clean_arg`` without the quick check (the tests compare the two)."""
    if isinstance(arg, act.Batch):
        steps = tuple(clean_arg(step) for step in arg.steps)
        changed = any(a is not b for a, b in zip(steps, arg.steps, strict=True))
        return msgspec.structs.replace(arg, steps=steps) if changed else arg
    if isinstance(arg, act.RestoreTask):
        task = clean_item(arg.task)
        return arg if task is arg.task else msgspec.structs.replace(arg, task=task)
    if isinstance(arg, act.RestoreNote):
        note = clean_item(arg.note)
        return arg if note is arg.note else msgspec.structs.replace(arg, note=note)
    if isinstance(arg, act.RestoreList):
        lst = clean_item(arg.list)
        return arg if lst is arg.list else msgspec.structs.replace(arg, list=lst)
    changes: dict[str, object] = {}
    for field in ("title", "name"):
        value = getattr(arg, field, None)
        if isinstance(value, str) and (clean := _title(value)) != value:
            changes[field] = clean
    tags = getattr(arg, "tags", None)
    if isinstance(tags, frozenset) and (clean_tags := _tags(tags)) != tags:
        changes["tags"] = clean_tags
    tag = getattr(arg, "tag", None)
    if isinstance(tag, str) and (clean_tag := hyphen_tag(tag)) != tag:
        changes["tag"] = clean_tag
    return msgspec.structs.replace(arg, **changes) if changes else arg
