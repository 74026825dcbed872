"""The sidebar's counts kept up to date from the items each change touched.

Compared after every step with a fresh count of the same state: edits, batches,
deletions of lists (counted whole), snapshots that break the chain, a new day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core import transitions
from desktop_app.core.model import State
from desktop_app.ui.models.sidebar_counts import CountsMemo, SidebarCounts
from tests.test_transitions import KINDS, POOL, _apply, crowded_states

TODAY = date(2026, 11, 27)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
near_days = st.integers(-3, 9).map(lambda d: TODAY + timedelta(days=d))
due_edits = st.builds(act.TaskDue, id=st.sampled_from(POOL), due=st.none() | near_days)
step_kinds = st.sampled_from(sorted(KINDS, key=lambda k: k.__name__))
# The edits counted from their items alone, drawn more often than the rest.
item_edits = st.sampled_from([*transitions._ONE_ITEM, act.DeleteItem]).flatmap(KINDS.__getitem__)


@st.composite
def steps(draw: st.DrawFn) -> tuple[str, object]:
    """An action (alone or in a batch), a state loaded whole, or the day turning."""
    what = draw(
        st.sampled_from(["edit"] * 4 + ["delete", "arg", "due", "batch", "snapshot", "new day"])
    )
    if what == "delete":  # to the trash: counted from the item alone too
        seen = draw(st.sampled_from((None, "0" * 16)))  # "0"*16: edited since seen
        return "arg", act.DeleteItem(id=draw(st.sampled_from(POOL)), seen=seen)
    if what == "edit":
        return "arg", draw(item_edits)
    if what == "arg":
        return "arg", draw(KINDS[draw(step_kinds)])
    if what == "due":
        return "arg", draw(due_edits)
    if what == "batch":
        inner = draw(
            st.lists(st.one_of(due_edits, step_kinds.flatmap(KINDS.__getitem__)), max_size=3)
        )
        return "arg", act.Batch(steps=tuple(inner))
    if what == "snapshot":
        return "snapshot", draw(crowded_states())
    return "new day", None


@settings(max_examples=300, deadline=None)
@given(start=crowded_states(), plan=st.lists(steps(), max_size=20))
def test_counts_kept_up_to_date_equal_a_fresh_count(start: State, plan) -> None:
    transitions.clear()
    memo, state, today = CountsMemo(), start, TODAY
    assert memo.counts(state, today) == SidebarCounts.of(state, today)
    for n, (what, value) in enumerate(plan):
        if what == "arg":
            before, state = state, _apply(state, value, 1_700_000_000_000 + n)
            transitions.note(before, state, transitions.touched_ids(before, value))
        elif what == "snapshot":
            state = value  # not noted: counted whole
        else:
            today += timedelta(days=1)
        assert memo.counts(state, today) == SidebarCounts.of(state, today)


def test_an_edit_is_counted_from_its_item_alone(monkeypatch) -> None:
    """The mechanism: after the first count, an edit's update does not call ``of``."""
    state = _apply(State(), act.NewTask(id="t1", title="a", created=T0))
    memo = CountsMemo()
    memo.counts(state, TODAY)
    full_counts: list[State] = []
    real_of = SidebarCounts.of
    monkeypatch.setattr(
        SidebarCounts, "of", classmethod(lambda cls, s, t: full_counts.append(s) or real_of(s, t))
    )
    before, state = state, _apply(state, act.TaskDone(id="t1", done=True))
    transitions.note(
        before, state, transitions.touched_ids(before, act.TaskDone(id="t1", done=True))
    )
    assert memo.counts(state, TODAY).per_list == {}
    assert full_counts == []
