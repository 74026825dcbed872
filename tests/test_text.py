"""core.text: the one cleaning of titles, names and tags, for every way in."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from desktop_app.core import Action, Batch, Note
from desktop_app.core import actions as act
from desktop_app.core.text import (
    UNTITLED,
    _title,
    clean_actions,
    clean_arg,
    clean_arg_fully,
    hyphen_tag,
    is_clean_tag,
    is_clean_title,
    one_line,
)
from tests import strategies

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_clean_arg_cleans_every_kind_of_step() -> None:
    """What the sync path calls on a pulled action: nothing refused, everything clean."""
    dirty = Batch(
        steps=(
            act.NewList(id="l", name="Home\n  [ ] fake", created=NOW),
            act.NewTask(
                id="t", title="\x1b[2J", tags=frozenset({"two words", "\x07"}), created=NOW
            ),
            act.AddTag(id="t", tag="#a\tb"),
            act.NoteTitle(id="n", title="Title\r\nmore"),
            act.RestoreNote(
                note=Note(id="n2", title="x\x9by", tags=frozenset({"ok"}), created=NOW, updated=NOW)
            ),
        )
    )
    clean = clean_arg(dirty)
    assert isinstance(clean, Batch)
    lst, task, tag, title, restore = clean.steps
    assert lst.name == "Home [ ] fake"
    assert (task.title, task.tags) == ("[2J", frozenset({"two-words"}))
    assert tag.tag == "a-b"
    assert title.title == "Title more"
    assert restore.note.title == "x y" and restore.note.tags == frozenset({"ok"})
    assert clean_arg(act.NewTask(id="t", title="\x00", created=NOW)).title == UNTITLED
    already = act.TaskTitle(id="t", title="fine")
    assert clean_arg(already) is already  # nothing to clean: the same object


@given(st.text())
def test_one_line_leaves_no_control_character_or_line_break(text: str) -> None:
    line = one_line(text)
    assert line == line.strip() and "  " not in line
    assert not any(
        ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in line
    )
    assert one_line(line) == line


# Text with what cleaning looks for drawn often: spaces at the ends and doubled,
# other whitespace, control characters, lone surrogates, a leading "#".
EDGE = st.sampled_from([*" #-\t\n\x1c\x7f\x85\x9b\xa0\u2028\u3000\ud800\u00ad", "  "])
TEXT = st.lists(st.one_of(EDGE, st.text(max_size=3)), max_size=6).map("".join) | st.text()


@settings(max_examples=400)
@given(TEXT)
@example("a  b")
@example(" a")
@example("a ")
@example("")
@example("a\xa0b")
@example("#a")
def test_the_quick_checks_never_call_dirty_text_clean(text: str) -> None:
    """The quick path of ``clean_arg`` trusts these two: each may say False of clean
    text (the full cleaning then finds nothing to change), never True of dirty text."""
    if is_clean_title(text):
        assert _title(text) == text
    if is_clean_tag(text):
        assert hyphen_tag(text) == text != ""


def test_no_printable_character_is_whitespace_or_unwanted() -> None:
    """What ``is_clean_title`` rests on, over every code point."""
    for code in range(0x110000):
        c = chr(code)
        if c.isprintable() and c != " ":
            assert one_line("a" + c + "b") == "a" + c + "b", hex(code)


@settings(max_examples=300)
@given(TEXT, TEXT, st.frozensets(TEXT, max_size=3), st.sampled_from(range(6)))
def test_clean_arg_with_its_quick_check_equals_the_full_cleaning(
    title: str, tag: str, tags: frozenset[str], kind: int
) -> None:
    arg = (
        act.NewTask(id="t", title=title, tags=tags, created=NOW),
        act.NewNote(id="n", title=title, tags=tags, created=NOW),
        act.TaskTitle(id="t", title=title),
        act.NewList(id="l", name=title, created=NOW),
        act.AddTag(id="t", tag=tag),
        act.Batch(steps=(act.RemoveTag(id="t", tag=tag), act.NoteTitle(id="n", title=title))),
    )[kind]
    quick, full = clean_arg(arg), clean_arg_fully(arg)
    assert quick == full
    assert (quick is arg) == (full is arg)


def _clean_each(actions: tuple[Action, ...]) -> tuple[Action, ...]:
    """What the sync path did before ``clean_actions``: every action through
    ``clean_arg``, the same tuple back when none changed."""
    cleaned = tuple(
        a if (arg := clean_arg(a.arg)) is a.arg else replace(a, arg=arg) for a in actions
    )
    return actions if all(a is b for a, b in zip(cleaned, actions, strict=True)) else cleaned


@settings(max_examples=300)
@given(st.lists(strategies.actions(), max_size=4).map(tuple))
def test_clean_actions_equals_cleaning_each_action(actions: tuple[Action, ...]) -> None:
    """The pull's one pass over an update's actions (quick checks first) gives what
    cleaning every action on its own gives, and returns the very tuple it was given
    exactly when that did (a clean update is folded as it was decoded)."""
    quick, each = clean_actions(actions), _clean_each(actions)
    assert quick == each
    assert (quick is actions) == (each is actions)


def test_clean_actions_cleans_a_dirty_action_after_clean_ones() -> None:
    clean = Action(id="a", device="d", at=1, arg=act.TaskDone(id="t", done=True))
    dirty = Action(id="b", device="d", at=2, arg=act.AddTag(id="t", tag="two words"))
    batch = Action(id="c", device="d", at=3, arg=Batch(steps=(act.TaskDone(id="t", done=True),)))
    given_ = (clean, batch)
    assert clean_actions(given_) is given_  # a batch with nothing to clean: no copy
    cleaned = clean_actions((clean, batch, dirty))
    assert cleaned[:2] == (clean, batch) and cleaned[0] is clean
    assert cleaned[2].arg == act.AddTag(id="t", tag="two-words")
