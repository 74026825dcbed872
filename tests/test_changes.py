"""core.changes: the ids noted while folding cover every item the fold changed.

Storage writes only the rows ``Changes`` names (a sync round's O(k) commit), so
an id it misses would leave a stale item on disk: the contract is checked here
against a full comparison, on random states and random action sequences.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import REGISTRY, Action, apply
from desktop_app.core import actions as act
from desktop_app.core.changes import Changes, changed_rows
from desktop_app.core.model import State
from desktop_app.sync.log import fold_new
from desktop_app.sync.protocol import Update
from tests.strategies import ID_POOL, actions, arg_strategies, args, state_ids, states


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_noted_ids_cover_every_change(data: st.DataObject) -> None:
    state: State = data.draw(states())
    pool = state_ids(state)
    todo = data.draw(st.lists(actions(pool), max_size=6))
    changes = Changes()
    new = state
    for action in todo:
        changes.note(new, action.arg)
        new = apply(new, action)
    assert sorted(changes.rows(state, new), key=repr) == sorted(changed_rows(state, new), key=repr)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_pulls_fold_notes_every_change(data: st.DataObject) -> None:
    """The same contract for ``fold_new``, which notes the item edits it makes in
    place without a state (``note_edit``) and the other actions as above."""
    state: State = data.draw(states())
    pool = state_ids(state) or ID_POOL
    edits = [kind.arg_type for kind in REGISTRY.values() if kind.edits is not None]
    by_type = arg_strategies(pool)
    arg = st.one_of(*(by_type[t] for t in edits)) | args(pool)  # mostly item edits
    todo = data.draw(st.lists(arg, max_size=8))
    update = Update(
        id="u",
        device="d",
        at=1,
        position=1,
        actions=tuple(Action(id=f"a{i}", device="d", at=i, arg=a) for i, a in enumerate(todo)),
    )
    changes = Changes()
    new, _ = fold_new(state, [update], set().__contains__, set(), changes)
    assert sorted(changes.rows(state, new), key=repr) == sorted(changed_rows(state, new), key=repr)


def test_deleting_a_list_compares_everything() -> None:
    """Its members move to no list although the argument names only the list."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    state = apply(State(), act_of(act.NewList(id="L", name="home", created=now)))
    state = apply(state, act_of(act.NewTask(id="T", title="t", list_id="L", created=now)))
    changes = Changes()
    delete = act.DeleteItem(id="L")
    changes.note(state, delete)
    new = apply(state, act_of(delete))
    assert changes.everything
    assert {(kind, key) for kind, key, _ in changes.rows(state, new)} == {
        ("l", "L"),
        ("d", "L"),
        ("t", "T"),
    }


def act_of(arg: act.Arg) -> act.Action:
    return act.Action(id=f"a-{id(arg)}", device="d", at=1_700_000_000_000, arg=arg)
