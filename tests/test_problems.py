"""Merge problems in core: concurrent edits found from history (each edit names the
value it replaced, never clocks), edits of deleted items kept, three-way merge of
note bodies, stable problem ids, resolutions as actions (undoable, convergent).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desktop_app.core import actions as act
from desktop_app.core import codec, resolutions, rules
from desktop_app.core.actions import Action, Arg
from desktop_app.core.merge import merge3
from desktop_app.core.model import Note, State, Task, TaskList, fingerprint
from desktop_app.core.reducer import apply, fold, invert

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW = datetime(2024, 2, 1, tzinfo=UTC)


class Log:
    """A shared log and devices that edit from their own view (base + own pending)."""

    def __init__(self, *setup: Arg) -> None:
        self.actions: list[Action] = []
        self.n = 0
        for arg in setup:
            self.actions.append(self._action("setup", arg))

    def _action(self, device: str, arg: Arg) -> Action:
        self.n += 1
        return Action(id=f"a{self.n}", device=device, at=1_700_000_000_000 + self.n, arg=arg)

    @property
    def state(self) -> State:
        return fold(State(), self.actions)

    def commit(self, device: str, *args: Arg) -> None:
        self.actions += [self._action(device, arg) for arg in args]


def task(task_id: str = "t1", **fields) -> act.NewTask:
    return act.NewTask(id=task_id, title=fields.pop("title", "task"), created=T0, **fields)


def note(note_id: str = "n1", **fields) -> act.NewNote:
    return act.NewNote(id=note_id, title=fields.pop("title", "note"), created=T0, **fields)


def only(state: State) -> rules.Problem:
    (problem,) = rules.problems(state)
    return problem


def settle(state: State, option: str, text: str | None = None) -> State:
    arg = resolutions.resolution(state, only(state), option, now=NOW, text=text)
    return apply(state, Action(id="r", device="x", at=1_800_000_000_000, arg=arg))


# -- concurrent edits of one value ------------------------------------------------------


@pytest.mark.parametrize("kind", ["task", "note"])
def test_concurrent_renames_keep_the_losing_title(kind: str) -> None:
    add, cls = (task(), act.TaskTitle) if kind == "task" else (note("t1"), act.NoteTitle)
    log = Log(add)
    log.commit("a", cls(id="t1", title="by A", base=add.title))
    log.commit("b", cls(id="t1", title="by B", base=add.title))  # B had not seen A's
    state = log.state
    item = state.tasks.get("t1") or state.notes["t1"]
    assert (item.title, item.title_conflicts) == ("by B", ("by A",))
    problem = only(state)
    assert problem.kind == "title_conflict" and problem.ids == ("t1",)
    assert [v.text for v in problem.versions] == ["by B", "by A"]
    assert problem.options[:2] == ("keep_current", "keep_other")


def test_sequential_renames_and_unknown_bases_are_no_conflict() -> None:
    log = Log(task())
    log.commit("a", act.TaskTitle(id="t1", title="one", base="task"))
    log.commit("b", act.TaskTitle(id="t1", title="two", base="one"))  # B had seen A's
    log.commit("c", act.TaskTitle(id="t1", title="three"))  # an older app: base unknown
    assert rules.problems(log.state) == []
    assert log.state.tasks["t1"].title == "three"


def test_actions_stored_by_older_apps_still_decode_and_apply() -> None:
    """Actions on disk and on remotes have no base, seen or base_known fields."""
    old = [
        b'{"id":"x1","device":"d","at":1,"arg":{"action":"set_task_title","id":"t1","title":"a"}}',
        b'{"id":"x2","device":"d","at":2,"arg":{"action":"set_task_due","id":"t1",'
        b'"due":"2024-05-01"}}',
        b'{"id":"x3","device":"d","at":3,"arg":{"action":"delete_item","id":"t1"}}',
    ]
    decoded = [msgspec.json.decode(raw, type=Action) for raw in old]
    assert decoded[0].arg == act.TaskTitle(id="t1", title="a", base=None)
    assert decoded[1].arg == act.TaskDue(id="t1", due=date(2024, 5, 1))
    assert not decoded[1].arg.base_known
    state = fold(Log(task()).state, decoded)
    assert "t1" not in state.tasks and state.deleted["t1"].task.title == "a"
    assert rules.problems(state) == []


def test_concurrent_due_dates_keep_both_and_recommend_the_earliest() -> None:
    log = Log(task(due=date(2024, 6, 1)))
    june = date(2024, 6, 1)
    log.commit("a", act.TaskDue(id="t1", due=date(2024, 6, 3), base=june, base_known=True))
    log.commit("b", act.TaskDue(id="t1", due=None, base=june, base_known=True))
    problem = only(log.state)
    assert problem.kind == "due_conflict"
    assert [v.text for v in problem.versions] == ["no due date", "2024-06-03"]
    assert problem.options == ("keep_other", "keep_current")
    assert settle(log.state, "keep_other").tasks["t1"].due == date(2024, 6, 3)


def test_a_due_edit_with_base_none_known_is_not_unknown() -> None:
    """``None`` is a due date ("none"); only ``base_known`` says whether there is a base."""
    log = Log(task())
    log.commit("a", act.TaskDue(id="t1", due=date(2024, 6, 3), base=None, base_known=True))
    log.commit("b", act.TaskDue(id="t1", due=date(2024, 7, 3), base=None, base_known=True))
    assert only(log.state).kind == "due_conflict"


# -- three-way merge of note bodies -------------------------------------------------------

BASE = "one\ntwo\nthree\nfour\nfive"


def test_edits_of_separate_lines_merge_without_a_problem() -> None:
    log = Log(note(body=BASE))
    log.commit("a", act.NoteBody(id="n1", body=BASE.replace("one", "ONE"), base=BASE))
    log.commit("b", act.NoteBody(id="n1", body=BASE.replace("five", "FIVE"), base=BASE))
    assert log.state.notes["n1"].body == "ONE\ntwo\nthree\nfour\nFIVE"
    assert rules.problems(log.state) == []


def test_edits_of_neighbouring_lines_merge_too() -> None:
    assert merge3(BASE, BASE.replace("two", "2"), BASE.replace("three", "3")) == (
        "one\n2\n3\nfour\nfive"
    )


def test_overlapping_edits_keep_both_versions() -> None:
    log = Log(note(body=BASE))
    log.commit("a", act.NoteBody(id="n1", body=BASE.replace("two", "TWO by A"), base=BASE))
    log.commit("b", act.NoteBody(id="n1", body=BASE.replace("two", "deux by B"), base=BASE))
    n = log.state.notes["n1"]
    assert "deux by B" in n.body and n.conflicts == (BASE.replace("two", "TWO by A"),)
    problem = only(log.state)
    assert problem.kind == "note_body_conflict" and problem.options[0] == "keep_both"


def test_text_added_after_a_last_line_without_newline_merges() -> None:
    assert merge3("a\nb", "a\nb\nc", "A\nb") == "A\nb\nc"


line_edit = st.sampled_from(["replace", "delete", "insert"])


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=3, max_value=12),
    data=st.data(),
)
def test_line_edits_that_do_not_overlap_always_merge(n: int, data: st.DataObject) -> None:
    """Each side edits its own lines (replace, delete, insert before), with an untouched
    line between the two sides: the merge never reports a problem, holds every line
    either side wrote, and is the same whichever side landed first."""
    base = [f"line {i}" for i in range(n)]
    split = data.draw(st.integers(min_value=1, max_value=n - 2))  # line `split` is untouched
    a_lines = data.draw(st.sets(st.integers(0, split - 1), min_size=1))
    b_lines = data.draw(st.sets(st.integers(split + 1, n - 1), min_size=1))

    def edited(side: str, touched: set[int]) -> tuple[str, set[str]]:
        out, new = [], set()
        for i, line in enumerate(base):
            how = data.draw(line_edit) if i in touched else "keep"
            if how == "insert":
                out += [f"{side} before {i}", line]
                new.add(f"{side} before {i}")
            elif how == "replace":
                out.append(f"{side} {i}")
                new.add(f"{side} {i}")
            elif how == "keep":
                out.append(line)
        return "\n".join(out), new

    (a, a_new), (b, b_new) = edited("A", a_lines), edited("B", b_lines)
    text = "\n".join(base)
    merged = merge3(text, a, b)
    assert merged is not None and merged == merge3(text, b, a)
    assert a_new | b_new <= set(merged.split("\n"))
    log = Log(note(body=text))
    log.commit("a", act.NoteBody(id="n1", body=a, base=text))
    log.commit("b", act.NoteBody(id="n1", body=b, base=text))
    assert rules.problems(log.state) == [] and log.state.notes["n1"].body == merged


# -- nothing saved is lost, whatever the devices do -------------------------------------

op = st.tuples(
    st.sampled_from(["body", "body", "title", "sync"]),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=20),
)


@settings(max_examples=200, deadline=None)
@given(devices=st.integers(min_value=2, max_value=4), ops=st.lists(op, max_size=40))
def test_every_saved_text_stays_reachable(devices: int, ops: list[tuple]) -> None:
    """Devices edit a note's body (inserting lines) and title from their own view and
    sync now and then. Until a resolution discards it, every line ever written is in
    the body or a kept version, and every title ever saved is the title, a kept one,
    or one an edit knowingly replaced (its base)."""
    log = Log(note(body="start", title="first"))
    views = [log.state] * devices
    pending: list[list[Arg]] = [[] for _ in range(devices)]
    lines, titles, replaced = {"start"}, {"first"}, set()
    for n, (kind, who, where) in enumerate(ops):
        d = who % devices
        current = views[d].notes["n1"]
        if kind == "sync":
            log.commit(f"d{d}", *pending[d])
            pending[d], views[d] = [], log.state
            continue
        if kind == "body":
            body = current.body.split("\n")
            body.insert(where % (len(body) + 1), f"d{d} line {n}")
            arg: Arg = act.NoteBody(id="n1", body="\n".join(body), base=current.body)
            lines.add(f"d{d} line {n}")
        else:
            arg = act.NoteTitle(id="n1", title=f"d{d} title {n}", base=current.title)
            titles.add(arg.title)
            replaced.add(current.title)
        pending[d].append(arg)
        views[d] = apply(views[d], Action(id=f"v{n}", device="v", at=n, arg=arg))
    for d in range(devices):
        log.commit(f"d{d}", *pending[d])
    final = log.state.notes["n1"]
    kept_lines = {x for text in (final.body, *final.conflicts) for x in text.split("\n")}
    assert lines <= kept_lines
    assert titles <= {final.title, *final.title_conflicts} | replaced
    # Every replica that folds this log gets the same bytes.
    assert codec.encode_state(log.state) == codec.encode_state(fold(State(), log.actions))


@settings(max_examples=200, deadline=None)
@given(
    base=st.text(max_size=8),
    a=st.text(max_size=8),
    b=st.text(max_size=8),
    order=st.booleans(),
)
def test_both_titles_survive_in_either_order(base: str, a: str, b: str, order: bool) -> None:
    """Two devices rename from the same base; whichever lands first, the title and the
    kept versions together hold both new titles."""
    assume(base not in (a, b))  # an edit to the value it started from changes nothing
    first, second = (a, b) if order else (b, a)
    log = Log(task(title=base))
    log.commit("x", act.TaskTitle(id="t1", title=first, base=base))
    log.commit("y", act.TaskTitle(id="t1", title=second, base=base))
    t = log.state.tasks["t1"]
    assert {a, b} <= {t.title, *t.title_conflicts}


# -- deleted on one device, edited on another -------------------------------------------


def test_an_edit_after_a_delete_is_kept_and_restored_with_the_item() -> None:
    log = Log(task(title="call Bob"))
    seen = fingerprint(log.state.tasks["t1"])
    log.commit("a", act.DeleteItem(id="t1", seen=seen))
    log.commit("b", act.TaskTitle(id="t1", title="call Bob at 5", base="call Bob"))
    state = log.state
    assert "t1" not in state.tasks and state.deleted["t1"].edited
    problem = only(state)
    assert (problem.kind, problem.options) == ("edited_after_delete", ("restore", "keep_deleted"))
    restored = settle(state, "restore")
    assert restored.tasks["t1"].title == "call Bob at 5" and rules.problems(restored) == []
    settled = settle(state, "keep_deleted")
    assert "t1" not in settled.tasks and rules.problems(settled) == []
    assert settled.deleted["t1"].task.title == "call Bob at 5"  # still kept


def test_a_delete_after_an_unseen_edit_is_flagged_too() -> None:
    log = Log(note(body="x"))
    seen = fingerprint(log.state.notes["n1"])
    log.commit("b", act.NoteBody(id="n1", body="x and more", base="x"))
    log.commit("a", act.DeleteItem(id="n1", seen=seen))  # A deleted what it saw: "x"
    assert only(log.state).kind == "edited_after_delete"
    assert settle(log.state, "restore").notes["n1"].body == "x and more"


def test_undo_of_a_delete_brings_back_an_edit_made_meanwhile() -> None:
    log = Log(task(title="a"))
    before = log.state
    delete = act.DeleteItem(id="t1", seen=fingerprint(before.tasks["t1"]))
    undo = invert(before, delete)
    log.commit("a", delete)
    log.commit("b", act.TaskTitle(id="t1", title="b", base="a"))
    log.commit("a", undo)
    assert log.state.tasks["t1"].title == "b" and rules.problems(log.state) == []


# -- lists ------------------------------------------------------------------------------


def test_items_of_a_list_deleted_elsewhere_can_recreate_it_or_move() -> None:
    log = Log(act.NewList(id="l1", name="Home", created=T0))
    log.commit("a", act.DeleteItem(id="l1"))
    log.commit("b", task(list_id="l1"))
    problem = only(log.state)
    assert problem.kind == "missing_list" and "'Home'" in problem.message
    assert settle(log.state, "recreate_list").lists["l1"].name == "Home"
    assert settle(log.state, "move_to_no_list").tasks["t1"].list_id is None
    log.commit("c", act.NewList(id="l2", name="Work", created=T0))
    arg = resolutions.resolution(log.state, only(log.state), "move_to:l2", now=NOW)
    assert arg == act.ItemList(id="t1", list_id="l2")


def test_a_list_lost_without_a_tombstone_comes_back_under_a_new_name() -> None:
    state = apply(State(), Action(id="x", device="d", at=1, arg=task(list_id="gone")))
    assert settle(state, "recreate_list").lists["gone"].name == resolutions.RECOVERED_LIST


def test_same_named_lists_merge_or_get_new_names() -> None:
    log = Log(
        act.NewList(id="l1", name="Home", created=T0),
        act.NewList(id="l2", name="home", created=T0),
        task("t1", list_id="l1"),
        task("t2", list_id="l2"),
    )
    problem = only(log.state)
    assert problem.kind == "duplicate_list_name" and problem.options[0] == "merge_lists"
    merged = settle(log.state, "merge_lists")
    assert list(merged.lists) == ["l1"] and {t.list_id for t in merged.tasks.values()} == {"l1"}
    renamed = settle(log.state, "rename_lists")
    assert renamed.lists["l2"].name == "Home (2)" and rules.problems(renamed) == []


# -- problem ids, resolutions ----------------------------------------------------------------


def conflicted() -> State:
    """One problem of every kind."""
    log = Log(
        act.NewList(id="l1", name="Home", created=T0),
        act.NewList(id="l2", name="HOME", created=T0),
        act.NewList(id="l3", name="Gone", created=T0),
        task("t1", title="t", due=date(2024, 1, 1)),
        task("t2", title="doomed"),
        note("n1", body="b", title="n"),
    )
    seen = fingerprint(log.state.tasks["t2"])
    log.commit("a", act.DeleteItem(id="l3"), act.DeleteItem(id="t2", seen=seen))
    log.commit(
        "a",
        act.TaskTitle(id="t1", title="ta", base="t"),
        act.TaskDue(id="t1", due=date(2024, 1, 2), base=date(2024, 1, 1), base_known=True),
        act.NoteBody(id="n1", body="b by a", base="b"),
        act.NoteTitle(id="n1", title="na", base="n"),
    )
    log.commit(
        "b",
        task("t3", list_id="l3"),
        act.TaskTitle(id="t2", title="doomed?", base="doomed"),
        act.TaskTitle(id="t1", title="tb", base="t"),
        act.TaskDue(id="t1", due=date(2024, 1, 3), base=date(2024, 1, 1), base_known=True),
        act.NoteBody(id="n1", body="b by b", base="b"),
        act.NoteTitle(id="n1", title="nb", base="n"),
    )
    return log.state


def test_problem_ids_are_stable_and_name_one_problem() -> None:
    state = conflicted()
    found = rules.problems(state)
    kinds = {p.kind for p in found}
    assert kinds == {
        "duplicate_list_name", "missing_list", "note_body_conflict",
        "title_conflict", "due_conflict", "edited_after_delete",
    }  # fmt: skip
    ids = [p.id for p in found]
    assert len(set(ids)) == len(ids)
    # Same on a replica decoded from bytes; unchanged when a third version arrives.
    replica = codec.decode_state(codec.encode_state(state))
    assert [p.id for p in rules.problems(replica)] == ids
    third = act.TaskTitle(id="t1", title="tc", base="t")
    more = apply(state, Action(id="z", device="c", at=9, arg=third))
    title = next(p for p in rules.problems(more) if p.kind == "title_conflict" and p.ids == ("t1",))
    assert title.id in ids and len(title.versions) == 3
    assert rules.find(state, ids[0][:5]) == found[0]


def _every_resolution(state: State) -> list[tuple[rules.Problem, str, Arg]]:
    cases = []
    for problem in rules.problems(state):
        for option in problem.options:
            text = "merged by hand" if option == "edit" else None
            arg = resolutions.resolution(state, problem, option, now=NOW, text=text)
            cases.append((problem, option, arg))
    return cases


def test_every_option_settles_its_problem_and_undo_brings_it_back() -> None:
    state = conflicted()
    for problem, option, arg in _every_resolution(state):
        after = apply(state, Action(id="r", device="x", at=2_000_000_000_000, arg=arg))
        left = {p.id for p in rules.problems(after)}
        assert problem.id not in left, (problem.kind, option)
        inverse = invert(state, arg)
        assert inverse is not None, (problem.kind, option)
        undone = apply(after, Action(id="u", device="x", at=2_000_000_000_001, arg=inverse))
        assert rules.problems(undone) == rules.problems(state), (problem.kind, option)


def test_resolving_differently_on_two_devices_converges_and_shows_both_choices() -> None:
    state = conflicted()
    problem = next(p for p in rules.problems(state) if p.kind == "title_conflict")
    mine = resolutions.resolution(state, problem, "keep_current", now=NOW)
    theirs = resolutions.resolution(state, problem, "keep_other", now=NOW)
    for first, second in ((mine, theirs), (theirs, mine)):
        after = fold(state, [Action(id="1", device="a", at=1, arg=first)])
        after = fold(after, [Action(id="2", device="b", at=2, arg=second)])
        item = after.tasks.get(problem.ids[0]) or after.notes[problem.ids[0]]
        assert {item.title, *item.title_conflicts} == {v.text for v in problem.versions}
        assert problem.id in {p.id for p in rules.problems(after)}


def test_unknown_options_and_a_missing_text_are_refused() -> None:
    state = conflicted()
    body = next(p for p in rules.problems(state) if p.kind == "note_body_conflict")
    with pytest.raises(resolutions.ResolutionError, match="no option"):
        resolutions.resolution(state, body, "keep_nothing", now=NOW)
    with pytest.raises(resolutions.ResolutionError, match="merged text"):
        resolutions.resolution(state, body, "edit", now=NOW)


def test_keep_both_as_two_notes_keeps_every_word() -> None:
    state = conflicted()
    body = next(p for p in rules.problems(state) if p.kind == "note_body_conflict")
    arg = resolutions.resolution(state, body, "copy_as_note", now=NOW)
    after = apply(state, Action(id="r", device="x", at=5, arg=arg))
    assert {n.body for n in after.notes.values()} == {"b by a", "b by b"}
    marked = settle_one(state, body, "keep_both")
    assert "b by a" in marked.notes["n1"].body and "b by b" in marked.notes["n1"].body


def settle_one(state: State, problem: rules.Problem, option: str) -> State:
    arg = resolutions.resolution(state, problem, option, now=NOW)
    return apply(state, Action(id="r", device="x", at=5, arg=arg))


def test_tombstones_survive_the_codec() -> None:
    state = conflicted()
    assert codec.decode_state(codec.encode_state(state)) == state
    assert isinstance(state.deleted["t2"].task, Task)
    assert isinstance(state.deleted["l3"].list, TaskList)
    assert not isinstance(state.deleted["t2"].item, Note)


def test_problems_are_found_once_per_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window asks after every change from several places; one pass per state."""
    calls: list[State] = []
    monkeypatch.setattr(rules, "RULES", (lambda s: calls.append(s) or [],))
    state = State()
    assert rules.problems(state) == rules.problems(state) == []
    assert calls == [state]
    rules.problems(State())  # an equal state, but another object: asked again
    assert len(calls) == 2
