"""Handlers tolerate any state (invariant 7) and their inverses really undo.

Sync applies other devices' actions to states their authors never saw, so a
handler meets every odd case: adds of ids that exist, edits of deleted items,
task edits aimed at notes, items in lists that are gone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import immutables
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core import rules, views
from desktop_app.core.actions import Action, Arg
from desktop_app.core.model import Note, Priority, State, Task, TaskList
from desktop_app.core.reducer import apply, invert
from tests import strategies as s

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ADDS = (act.NewList, act.NewTask, act.NewNote, act.RestoreTask, act.RestoreNote, act.RestoreList)


def at(arg: Arg, ms: int = 1_700_000_000_000, action_id: str = "a1") -> Action:
    return Action(id=action_id, device="dev", at=ms, arg=arg)


def run(state: State, *args: Arg) -> State:
    for n, arg in enumerate(args):
        state = apply(state, at(arg, 1_700_000_000_000 + n, f"a{n}"))
    return state


def unstamped(state: State) -> State:
    """The state with every ``updated`` stamp erased: undo restores values, not times.

    Tombstones are left out too: undoing an add deletes, and a deletion keeps a
    tombstone (tests/test_problems.py checks what undo does to them).
    """
    return State(
        lists=state.lists,
        tasks=immutables.Map(
            {k: msgspec.structs.replace(t, updated=EPOCH) for k, t in state.tasks.items()}
        ),
        notes=immutables.Map(
            {k: msgspec.structs.replace(n, updated=EPOCH) for k, n in state.notes.items()}
        ),
    )


def steps_of(arg: Arg) -> list[Arg]:
    return (
        [x for step in arg.steps for x in steps_of(step)] if isinstance(arg, act.Batch) else [arg]
    )


def assert_well_typed(state: State) -> None:
    for mapping, cls in ((state.lists, TaskList), (state.tasks, Task), (state.notes, Note)):
        for key, item in mapping.items():
            assert type(item) is cls and item.id == key


def task(task_id: str = "t1", **fields) -> Task:
    return Task(id=task_id, title=fields.pop("title", "task"), created=T0, updated=T0, **fields)


def note(note_id: str = "n1", **fields) -> Note:
    return Note(id=note_id, title=fields.pop("title", "note"), created=T0, updated=T0, **fields)


def state_of(*items: Task | Note | TaskList) -> State:
    state = State()
    for item in items:
        state = state.with_item(item)
    return state


# -- invariant 7: any state, any argument, no exception ---------------------------------


@settings(max_examples=300)
@given(s.states_and_args())
def test_handlers_and_inverters_never_raise(case: tuple[State, Arg]) -> None:
    state, arg = case
    inverse = invert(state, arg)
    after = apply(state, at(arg))
    assert_well_typed(after)
    if inverse is not None:
        assert_well_typed(apply(after, at(inverse, action_id="a2")))
    rules.problems(after)
    views.document(after)


@settings(max_examples=100)
@given(s.states(), st.lists(s.args(), max_size=10))
def test_random_histories_never_raise(state: State, args: list[Arg]) -> None:
    """Long chains reach states no single step builds: deleted lists, edited ghosts."""
    for n, arg in enumerate(args):
        invert(state, arg)
        state = apply(state, at(arg, 1_700_000_000_000 + n))
    assert_well_typed(state)


@given(s.states_and_args(unique_ids=True))
def test_redelivered_action_takes_effect_once(case: tuple[State, Arg]) -> None:
    """Applying the very same action again changes nothing (each non-batch step).

    Over states where an id lives in one collection only: with a task, a note
    and a list all named "x", each delete of "x" removes the next one.
    """
    state, arg = case
    for step in steps_of(arg):
        if isinstance(step, RESOLUTIONS):
            continue  # they compare the item with what their author saw: see below
        once = apply(state, at(step))
        assert apply(once, at(step)) == once


RESOLUTIONS = (act.ResolveTaskTitle, act.ResolveNoteTitle, act.ResolveDue, act.ResolveBody)


def test_a_resolution_relies_on_exactly_once() -> None:
    """A resolution applied to a state that is not the one its author saw keeps every
    version (the panel shows both choices). Its own result is such a state, so it is
    not idempotent: like every action, it relies on invariant 3 (each action takes
    effect once; tests/test_convergence.py), not on being harmless twice."""
    state = state_of(task("t1", title="z", title_conflicts=("y",)))
    arg = act.ResolveTaskTitle(id="t1", title="x", base="x", seen=("y", "z"))
    once = run(state, arg)
    assert (once.tasks["t1"].title, once.tasks["t1"].title_conflicts) == ("x", ("y", "z"))
    assert run(once, arg).tasks["t1"].title_conflicts == ()


@given(s.states(), st.data())
def test_add_twice_is_add_once(state: State, data: st.DataObject) -> None:
    strategies = s.arg_strategies()
    arg = data.draw(st.one_of(*(strategies[t] for t in ADDS)))
    once = apply(state, at(arg))
    twice = apply(once, at(arg, 1_800_000_000_000, "a2"))
    assert twice is once


@given(s.states(), s.ids(()))
def test_delete_of_a_missing_id_is_a_no_op(state: State, item_id: str) -> None:
    if state.find(item_id) is None:
        assert apply(state, at(act.DeleteItem(id=item_id))) is state
        assert invert(state, act.DeleteItem(id=item_id)) is None


@given(s.states(), st.data())
def test_edits_of_missing_items_are_no_ops(state: State, data: st.DataObject) -> None:
    strategies = s.arg_strategies()
    edit = data.draw(st.one_of(*(v for k, v in strategies.items() if k not in ADDS)))
    target = getattr(edit, "id", None)
    if target is not None and state.find(target) is None and target not in state.deleted:
        assert apply(state, at(edit)) is state


@pytest.mark.parametrize(
    "arg",
    [
        act.TaskTitle(id="n1", title="x"),
        act.TaskDue(id="n1", due=date(2024, 1, 1)),
        act.TaskDone(id="n1", done=True),
        act.TaskPriority(id="l1", priority=Priority.HIGH),
        act.NoteBody(id="t1", body="x", base="y"),
        act.NotePinned(id="t1", pinned=True),
        act.NoteTitle(id="l1", title="x"),
        act.ListName(id="t1", name="x"),
        act.ItemList(id="l1", list_id=None),
        act.AddTag(id="l1", tag="x"),
        act.RemoveTag(id="l1", tag="x"),
    ],
    ids=lambda a: a.__struct_config__.tag,
)
def test_edits_aimed_at_the_wrong_kind_are_no_ops(arg: Arg) -> None:
    state = state_of(task("t1"), note("n1"), TaskList(id="l1", name="L", created=T0))
    assert apply(state, at(arg)) is state
    assert invert(state, arg) is None


def test_deleting_a_list_moves_its_items_to_no_list() -> None:
    lst = TaskList(id="l1", name="Home", created=T0)
    other = TaskList(id="l2", name="Work", created=T0)
    state = state_of(
        lst, other, task("t1", list_id="l1"), task("t2", list_id="l2"), note("n1", list_id="l1")
    )
    after = run(state, act.DeleteItem(id="l1"))
    assert "l1" not in after.lists and "l2" in after.lists
    assert after.tasks["t1"].list_id is None and after.notes["n1"].list_id is None
    assert after.tasks["t2"].list_id == "l2"
    assert set(after.tasks.keys()) == {"t1", "t2"} and set(after.notes.keys()) == {"n1"}


@given(s.states(unique_ids=True))
def test_deleting_any_list_strands_nothing(state: State) -> None:
    for list_id in list(state.lists.keys()):
        after = run(state, act.DeleteItem(id=list_id))
        assert len(after.tasks) == len(state.tasks) and len(after.notes) == len(state.notes)
        assert all(i.list_id != list_id for i in (*after.tasks.values(), *after.notes.values()))


def test_stale_note_body_keeps_the_overwritten_version() -> None:
    state = state_of(note("n1", body="theirs"))
    after = run(state, act.NoteBody(id="n1", body="mine", base="original"))
    assert after.notes["n1"].body == "mine"
    assert after.notes["n1"].conflicts == ("theirs",)
    assert [p.kind for p in rules.problems(after)] == ["note_body_conflict"]
    fresh = run(state, act.NoteBody(id="n1", body="mine", base="theirs"))
    assert fresh.notes["n1"].conflicts == ()
    assert run(state, act.NoteBody(id="n1", body="mine")).notes["n1"].conflicts == ()


def test_the_reducer_stamps_updated_from_the_action_not_a_clock() -> None:
    state = state_of(task("t1"))
    after = apply(state, at(act.TaskTitle(id="t1", title="new"), ms=1_000))
    assert after.tasks["t1"].updated == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


# -- undo -------------------------------------------------------------------------------
#
# The property: for a state whose ids are unique across collections (what UUIDs
# and the handlers guarantee) and any argument, dispatching the inverse computed
# before the action restores the state exactly, except ``updated`` stamps, which
# record the undo as a change, and tombstones. That includes the versions kept
# by a concurrent edit: the undo of an edit that kept a displaced title, due date
# or body takes it back out (a resolution naming what it saw), and redo (the
# inverse of the inverse) restores the post-action state the same way.


def _undo(state: State, arg: Arg) -> tuple[State, State, Arg | None]:
    inverse = invert(state, arg)
    after = apply(state, at(arg))
    undone = after if inverse is None else apply(after, at(inverse, 1_700_000_000_500, "u"))
    return after, undone, inverse


@settings(max_examples=400)
@given(s.states_and_args(unique_ids=True))
def test_undo_restores_everything_but_stamps(case: tuple[State, Arg]) -> None:
    state, arg = case
    if any(isinstance(step, act.MergeState) for step in steps_of(arg)):
        # Made by sync (a log's genesis, a rebind), never dispatched by a person:
        # it has no undo entry, and its inverse is None.
        return
    after, undone, inverse = _undo(state, arg)
    assert unstamped(undone) == unstamped(state)
    if inverse is None:
        assert unstamped(after) == unstamped(state)
    else:
        redo = invert(after, inverse)  # what the store records on undo
        redone = undone if redo is None else apply(undone, at(redo, 1_700_000_000_900, "r"))
        assert unstamped(redone) == unstamped(after)


def test_undo_of_a_list_creation_puts_stray_items_back() -> None:
    """A task can point at a list deleted on another device; recreating then undoing
    the list must leave it exactly as it was, not silently move it to no list."""
    state = state_of(task("t1", list_id="l1"))
    for arg in (
        act.NewList(id="l1", name="Home", created=T0),
        act.RestoreList(list=TaskList(id="l1", name="Home", created=T0)),
    ):
        _, undone, _ = _undo(state, arg)
        assert undone.tasks["t1"].list_id == "l1" and "l1" not in undone.lists


def test_undo_of_a_list_delete_restores_list_and_members() -> None:
    lst = TaskList(id="l1", name="Home", created=T0)
    state = state_of(lst, task("t1", list_id="l1"), note("n1", list_id="l1"), task("t2"))
    _, undone, inverse = _undo(state, act.DeleteItem(id="l1"))
    assert isinstance(inverse, act.Batch)
    assert unstamped(undone) == unstamped(state)


def test_undo_of_a_stale_body_edit_takes_the_displaced_version_back_out() -> None:
    state = state_of(note("n1", body="theirs"))
    after, undone, inverse = _undo(state, act.NoteBody(id="n1", body="mine", base="original"))
    assert after.notes["n1"].conflicts == ("theirs",)
    assert isinstance(inverse, act.ResolveBody)
    assert undone.notes["n1"].body == "theirs"
    assert undone.notes["n1"].conflicts == ()


def test_inverse_of_a_batch_undoes_steps_in_reverse() -> None:
    state = State()
    arg = act.Batch(
        steps=(
            act.NewList(id="l1", name="Home", created=T0),
            act.NewTask(id="t1", title="milk", list_id="l1", created=T0),
            act.TaskDone(id="t1", done=True),
            act.DeleteItem(id="l1"),
        )
    )
    after, undone, inverse = _undo(state, arg)
    assert after.tasks["t1"].done and after.tasks["t1"].list_id is None
    assert unstamped(undone) == State()
    assert isinstance(inverse, act.Batch) and len(inverse.steps) == 4
