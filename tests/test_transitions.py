"""``core.transitions``: the ids an action may touch, and the chain between two states.

The window updates its counts and the rules' problems from these ids alone, so an
id left out would leave a stale count or a problem that never goes away.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core import transitions
from desktop_app.core.actions import Action
from desktop_app.core.model import State
from desktop_app.core.reducer import apply
from tests import strategies as strat

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _differing(old: State, new: State) -> set[str]:
    out: set[str] = set()
    for name in ("lists", "tasks", "notes", "deleted"):
        before, after = dict(getattr(old, name)), dict(getattr(new, name))
        out |= {k for k in before.keys() | after.keys() if before.get(k) is not after.get(k)}
    return out


def _apply(state: State, arg: act.Arg, at: int = 1_700_000_000_000) -> State:
    return apply(state, Action(id="a", device="d", at=at, arg=arg))


@settings(max_examples=400, deadline=None)
@given(state=strat.states(), data=st.data())
def test_an_action_changes_nothing_outside_the_ids_it_names(state, data) -> None:
    # Aimed at the state's own ids: a list with members, a tombstone, an item.
    arg = data.draw(strat.args(tuple(strat.state_ids(state)) or strat.ID_POOL))
    touched = transitions.touched_ids(state, arg)
    new = _apply(state, arg)
    if touched is not None:
        assert _differing(state, new) <= touched
        assert new.lists is state.lists or not _differing_lists(state, new)


LISTS, ITEMS = ("l1", "l2"), ("t1", "t2", "n1")
POOL = (*LISTS, *ITEMS)
KINDS = strat.arg_strategies(POOL)


@st.composite
def crowded_states(draw: st.DrawFn) -> State:
    """Lists with members, tombstones of both: what list deletions and restores act on."""
    state = State()
    for list_id in draw(st.lists(st.sampled_from(LISTS), unique=True)):
        state = state.with_list(draw(strat.task_lists(st.just(list_id))))
    member_of = st.sampled_from((*LISTS, None))
    for item_id in draw(st.lists(st.sampled_from(ITEMS), unique=True)):
        make = strat.notes if item_id.startswith("n") else strat.tasks
        item = draw(make(st.just(item_id), POOL))
        state = state.with_item(msgspec.structs.replace(item, list_id=draw(member_of)))
    for item_id in draw(st.lists(st.sampled_from(POOL), unique=True, max_size=2)):
        if state.find(item_id) is not None:
            state = _apply(state, act.DeleteItem(id=item_id))
    return state


@settings(max_examples=400, deadline=None)
@given(
    state=crowded_states(),
    kinds=st.lists(
        st.sampled_from(sorted(KINDS, key=lambda k: k.__name__)), min_size=1, max_size=3
    ),
    data=st.data(),
)
def test_an_action_on_a_crowded_state_changes_nothing_outside_the_ids_it_names(
    state, kinds, data
) -> None:
    """Every kind of argument equally often (alone, or a few in a batch)."""
    steps = tuple(data.draw(KINDS[kind]) for kind in kinds)
    arg = steps[0] if len(steps) == 1 else act.Batch(steps=steps)
    touched = transitions.touched_ids(state, arg)
    if touched is not None:
        assert _differing(state, _apply(state, arg)) <= touched


def _differing_lists(old: State, new: State) -> set[str]:
    before, after = dict(old.lists), dict(new.lists)
    return {k for k in before.keys() | after.keys() if before.get(k) is not after.get(k)}


def test_everyday_edits_name_their_item_and_list_changes_name_none() -> None:
    state = State()
    assert transitions.touched_ids(state, act.TaskTitle(id="t", title="x")) == {"t"}
    assert transitions.touched_ids(
        state, act.Batch(steps=(act.TaskDone(id="t", done=True), act.AddTag(id="n", tag="a")))
    ) == {"t", "n"}
    assert transitions.touched_ids(state, act.ListName(id="l", name="x")) is None
    assert transitions.touched_ids(state, act.DeleteItem(id="missing")) is None


@settings(max_examples=100, deadline=None)
@given(start=strat.states(), steps=st.lists(strat.args(), max_size=12), data=st.data())
def test_between_is_the_union_along_the_chain_or_unknown(start, steps, data) -> None:
    transitions.clear()
    states = [start]
    for n, arg in enumerate(steps):
        before = states[-1]
        after = _apply(before, arg, 1_700_000_000_000 + n)
        transitions.note(before, after, transitions.touched_ids(before, arg))
        states.append(after)
    i = data.draw(st.integers(0, len(states) - 1))
    j = data.draw(st.integers(i, len(states) - 1))
    found = transitions.between(states[i], states[j])
    if found is not None:
        assert _differing(states[i], states[j]) <= found
    # Known exactly when every step from i to j named its ids (or nothing changed).
    named = all(
        transitions.touched_ids(states[k], steps[k]) is not None or states[k + 1] is states[k]
        for k in range(i, j)
    )
    if named and j - i <= transitions.RECENT:
        assert found is not None


def test_an_unnoted_state_breaks_the_chain() -> None:
    transitions.clear()
    a = State()
    b = _apply(a, act.NewTask(id="t", title="x", created=T0))
    transitions.note(a, b, frozenset({"t"}))
    c = State()  # a snapshot loaded, not noted
    d = _apply(c, act.NewTask(id="u", title="y", created=T0))
    transitions.note(c, d, frozenset({"u"}))
    assert transitions.between(a, b) == {"t"}
    assert transitions.between(a, d) is None
    assert transitions.between(b, b) == frozenset()
