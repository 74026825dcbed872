"""The reducer's one-step item edits mean exactly what the handlers do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import REGISTRY, Action, State
from desktop_app.core.reducer import apply, apply_by_handler
from tests import strategies as s

ITEM_EDITS = [kind.arg_type for kind in REGISTRY.values() if kind.edits is not None]


def test_the_shortcut_covers_the_item_edits() -> None:
    names = {kind.name for kind in REGISTRY.values() if kind.edits is not None}
    assert names == {
        "set_task_title",
        "set_task_due",
        "set_task_done",
        "set_task_priority",
        "set_note_title",
        "set_note_body",
        "set_note_pinned",
        "move_item",
        "add_tag",
        "remove_tag",
        "resolve_task_title",
        "resolve_note_title",
        "resolve_due",
        "resolve_note_body",
    }


@settings(max_examples=300, deadline=None)  # pure and sub-millisecond; a GC pause is not a bug
@given(s.states(), st.data(), st.integers(min_value=0, max_value=2**41))
def test_shortcut_equals_handler_then_stamp(state: State, data: st.DataObject, ms: int) -> None:
    strategies = s.arg_strategies(s.state_ids(state) or s.ID_POOL)
    arg = data.draw(st.one_of(*(strategies[t] for t in ITEM_EDITS)))
    action = Action(id="a1", device="dev", at=ms, arg=arg)
    fast, slow = apply(state, action), apply_by_handler(state, action)
    assert fast == slow
    if slow is state:
        assert fast is state
