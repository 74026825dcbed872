"""core.text: the one cleaning of titles, names and tags, for every way in."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core import Batch, Note
from desktop_app.core import actions as act
from desktop_app.core.text import UNTITLED, clean_arg, one_line

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
