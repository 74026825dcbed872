"""The reducer's one-step item edits mean exactly what the handlers do."""

from __future__ import annotations

from datetime import UTC, datetime

import immutables
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import REGISTRY, Action, State
from desktop_app.core import actions as act
from desktop_app.core.reducer import Folding, apply, apply_by_handler
from desktop_app.sync import protocol
from desktop_app.sync.log import fold_new
from tests import strategies as s
from tests.counting import count_states_built

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


def _edit_heavy_actions(state: State) -> st.SearchStrategy[list[Action]]:
    """Mostly item edits of the state's items (so runs of them), any action between."""
    pool = s.state_ids(state) or s.ID_POOL
    strategies = s.arg_strategies(pool)
    arg = st.one_of(st.one_of(*(strategies[t] for t in ITEM_EDITS)), s.args(pool))
    ids = st.integers(min_value=0, max_value=2**20).map(lambda i: f"a{i}")
    at = st.integers(min_value=0, max_value=2**41)
    return st.lists(st.builds(Action, id=ids, device=st.just("dev"), at=at, arg=arg), max_size=12)


@settings(max_examples=300, deadline=None)
@given(s.states(), st.data())
def test_folding_in_place_equals_applying_one_by_one(state: State, data: st.DataObject) -> None:
    """Folding (runs of item edits made on map mutations) gives what ``apply`` gives
    action by action, wherever the state is read in between, and leaves the state it
    started from as it was (a mutation never reaches a map another state holds)."""
    todo = data.draw(_edit_heavy_actions(state))
    reads = set(data.draw(st.lists(st.integers(0, len(todo)), max_size=3)))
    before = (state.lists, state.tasks, state.notes, state.deleted)
    copy = State(*(immutables.Map(dict(m)) for m in before))
    folding, expected = Folding(state), state
    for i, action in enumerate(todo):
        if i in reads:
            assert folding.state == expected
        folding.apply(action)
        expected = apply(expected, action)
    assert folding.state == expected
    assert folding.state is folding.state
    assert (state.lists, state.tasks, state.notes, state.deleted) == before
    assert state == copy


def test_a_run_of_item_edits_builds_one_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism: 40 edits of one task through ``fold_new`` build the state once,
    where applying them one by one builds one per edit."""
    created = datetime(2026, 11, 26, tzinfo=UTC)
    start = apply(
        State(),
        Action(id="new", device="d", at=1, arg=act.NewTask(id="t", title="x", created=created)),
    )
    edits = [
        Action(id=f"e{i}", device="d", at=2 + i, arg=act.TaskTitle(id="t", title=f"title {i}"))
        for i in range(40)
    ]
    built = count_states_built(monkeypatch)
    update = protocol.Update(id="u", device="d", at=1, position=1, actions=tuple(edits))
    folded, count = fold_new(start, [update], set().__contains__, set())
    assert count == 40 and folded.tasks["t"].title == "title 39"
    assert built() == 1
