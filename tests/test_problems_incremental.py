"""The rules' problems updated from the items a local edit touched, not found over
the whole state again; compared with the whole-state rules after every step."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core import rules, transitions
from desktop_app.core.model import State
from tests.test_sidebar_counts import steps
from tests.test_transitions import _apply, crowded_states

_T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _whole(state: State) -> list[rules.Problem]:
    return sorted((p for rule in rules.RULES for p in rule(state)), key=rules._order)


@settings(max_examples=300, deadline=None)
@given(start=crowded_states(), plan=st.lists(steps(), max_size=20))
def test_problems_kept_up_to_date_equal_the_whole_state_rules(start: State, plan) -> None:
    transitions.clear()
    state = start
    assert rules.problems(state) == _whole(state)
    for n, (what, value) in enumerate(plan):
        if what == "arg":
            before, state = state, _apply(state, value, 1_700_000_000_000 + n)
            transitions.note(before, state, transitions.touched_ids(before, value))
        elif what == "snapshot":
            state = value
        assert rules.problems(state) == _whole(state)


def test_an_edit_is_checked_alone(monkeypatch) -> None:
    """The mechanism: after the first answer, an edit's update runs no whole-state rule."""
    state = State()
    for n in range(3):
        state = _apply(state, act.NewTask(id=f"t{n}", title="a", created=_T0))
    rules.problems(state)
    calls: list[str] = []
    monkeypatch.setattr(
        rules,
        "RULES",
        tuple((lambda s, r=rule: calls.append(r.__name__) or r(s)) for rule in rules.RULES),
    )
    edit = act.TaskTitle(id="t1", title="b")
    before, state = state, _apply(state, edit)
    transitions.note(before, state, transitions.touched_ids(before, edit))
    assert rules.problems(state) == []
    assert calls == []


def test_an_item_whose_missing_list_shares_an_edited_id_keeps_its_problem() -> None:
    """Found by the property test: a task in a missing list "l1", then a task made
    with the id "l1" (a malformed merge can do that): t1's problem must stay."""
    transitions.clear()
    state = _apply(State(), act.NewTask(id="t1", title="", list_id=None, created=_T0))
    state = _apply(state, act.ItemList(id="t1", list_id="l1"))  # no such list: missing
    assert [p.kind for p in rules.problems(state)] == ["missing_list"]
    edit = act.NewTask(id="l1", title="", created=_T0)
    before, state = state, _apply(state, edit)
    transitions.note(before, state, transitions.touched_ids(before, edit))
    assert rules.problems(state) == _whole(state)
    assert [p.ids for p in rules.problems(state)] == [("t1", "l1")]
