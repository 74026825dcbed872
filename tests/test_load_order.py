"""``core.load_order``: the items of a view opened from disk, in the order decoded,
are exactly the state's items (the same objects), whatever the journal tail
replayed over the view or the base's item rows did; and the order is kept in
the common cases, which is what makes start-up's passes cheap at 100,000 items."""

from __future__ import annotations

import tempfile
from pathlib import Path

import immutables
import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.app import App, AppError
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import State, codec, load_order, transitions
from desktop_app.sync.remote_config import RemoteConfig


def same_items(mapping: immutables.Map) -> bool:
    """``load_order.values`` holds the very objects of ``mapping``, once each."""
    ordered = list(load_order.values(mapping))
    return len(ordered) == len(mapping) and all(mapping.get(i.id) is i for i in ordered)


def kept_order(mapping: immutables.Map) -> bool:
    return isinstance(load_order.values(mapping), list)


def test_a_decoded_state_is_in_the_checkpoints_order_and_other_maps_in_their_own() -> None:
    with tempfile.TemporaryDirectory() as tmp, App(Path(tmp) / "a") as app:
        for n in range(20):
            app.add_task(f"task {n}")
        state = codec.decode_state(codec.encode_state(app.state))
    ordered = load_order.values(state.tasks)
    assert [t.id for t in ordered] == sorted(state.tasks)  # the checkpoint is sorted by id
    assert same_items(state.tasks)
    renamed = msgspec.structs.replace(next(iter(ordered)), title="renamed")
    edited = state.with_task(renamed)  # a new map: its own order
    assert not kept_order(edited.tasks)
    assert not kept_order(State().tasks)


KINDS = ["add", "title", "done", "delete", "note", "body", "move", "new list", "delete list"]
STEP = st.tuples(st.sampled_from([*KINDS, "undo", "save", "reopen"]), st.integers(0, 20))


def step(app: App, kind: str, n: int) -> None:
    tasks, notes, lists = sorted(app.state.tasks), sorted(app.state.notes), sorted(app.state.lists)
    try:
        if kind == "add":
            app.add_task(
                f"task {n}",
                list_name=app.state.lists[lists[n % len(lists)]].name if lists and n % 2 else None,
            )
        elif kind == "note":
            app.add_note(f"note {n}", body="text")
        elif kind == "new list":
            app.add_list(f"list {n}")
        elif kind == "undo":
            app.undo()
        elif kind == "save":
            app.checkpoint()
        elif kind == "delete list" and lists:
            app.delete(lists[n % len(lists)])
        elif kind == "body" and notes:
            app.edit(notes[n % len(notes)], body=f"body {n}")
        elif tasks and kind in ("title", "done", "delete", "move"):
            task = tasks[n % len(tasks)]
            if kind == "title":
                app.edit(task, title=f"title {n}")
            elif kind == "done":
                app.edit(task, done=n % 2 == 0)
            elif kind == "delete":
                app.delete(task)
            elif lists:
                app.edit(task, list_name=app.state.lists[lists[n % len(lists)]].name)
    except AppError:
        pass  # nothing to undo and the like


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(STEP, max_size=16))
def test_a_reopened_view_holds_exactly_the_states_items(steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        app = App(data)
        try:
            for n in range(6):
                app.add_task(f"first {n}")
            app.add_note("first note", body="x")
            app.checkpoint()
            for kind, n in steps:
                if kind == "reopen":
                    app.close()
                    app = App(data)
                else:
                    step(app, kind, n)
            expected = app.state
            app.close()
            app = App(data)
            assert app.state == expected
            assert same_items(app.state.tasks)
            assert same_items(app.state.notes)
        finally:
            app.close()


def test_the_order_survives_a_tail_of_item_edits_and_is_given_up_for_a_list_deleted(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with App(data) as app:
        ids = [app.add_task(f"task {n}", list_name="Errands") for n in range(5)]
        app.checkpoint()
        app.edit(ids[0], title="renamed")
        app.delete(ids[1])
        app.add_task("new")
    with App(data) as app:
        assert kept_order(app.state.tasks) and same_items(app.state.tasks)
        assert {t.title for t in load_order.values(app.state.tasks)} >= {"renamed", "new"}
        app.delete(app.state.list_named("Errands").id)  # moves its members: no ids named
    with App(data) as app:
        assert not kept_order(app.state.tasks) and same_items(app.state.tasks)


def test_the_order_survives_the_base_item_rows_of_a_sync_round(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    remote = RemoteConfig(kind="folder", path=str(share))
    laptop, desktop = App(tmp_path / "laptop"), App(tmp_path / "desktop")
    try:
        for app in (laptop, desktop):
            set_remote(app, remote)
        ids = [laptop.add_task(f"task {n}") for n in range(30)]
        laptop.add_note("a note", body="x")
        sync_now(laptop)
        sync_now(desktop)  # a first pull: its base is folded, in no decoded order
        desktop.close()
        desktop = App(tmp_path / "desktop")  # decoded: the order is known from here on
        assert kept_order(desktop.state.tasks)
        laptop.edit(ids[3], title="changed on the laptop")
        laptop.delete(ids[4])
        laptop.add_task("added on the laptop")
        sync_now(laptop)
        sync_now(desktop)  # the base: its checkpoint, with item rows over it
        laptop.edit(ids[5], title="changed in a second round")
        sync_now(laptop)
        sync_now(desktop)  # two rounds' changes, with no pass over the items between
        # The round's base (and the view the window reloads on it) keeps the order.
        assert kept_order(desktop.state.tasks) and same_items(desktop.state.tasks)
        assert "changed on the laptop" in {t.title for t in desktop.state.tasks.values()}
        desktop.close()
        desktop = App(tmp_path / "desktop")
        assert kept_order(desktop.state.tasks) and same_items(desktop.state.tasks)
        titles = {t.title for t in load_order.values(desktop.state.tasks)}
        assert {"changed on the laptop", "added on the laptop"} <= titles
        assert same_items(desktop.state.notes)
    finally:
        laptop.close()
        desktop.close()


class Watched(list):
    """A decoded order that counts the passes over it."""

    passes = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        Watched.passes += 1
        return super().__iter__()


def test_following_a_change_costs_what_changed_until_the_order_is_read() -> None:
    """A sync round follows its new base: it must not pass over every item."""
    with tempfile.TemporaryDirectory() as tmp, App(Path(tmp) / "a") as app:
        for n in range(10):
            app.add_task(f"task {n}")
        state = codec.decode_state(codec.encode_state(app.state))
    first = next(iter(load_order.values(state.tasks)))
    load_order.remember(state.tasks, Watched(load_order.values(state.tasks)))
    Watched.passes = 0
    later = state
    for n in range(3):  # three rounds, each changing one task
        renamed = msgspec.structs.replace(later.tasks[first.id], title=f"round {n}")
        newer = later.with_task(renamed)
        load_order.follow(later.tasks, newer.tasks, [first.id])
        later = newer
    assert Watched.passes == 0
    assert same_items(later.tasks) and kept_order(later.tasks)
    assert Watched.passes == 1


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(STEP.filter(lambda s: s[0] not in ("save", "reopen")), max_size=12))
def test_the_items_a_journal_tail_names_are_all_it_changed(steps) -> None:
    """What ``refresh_from_disk`` and start-up tell the window changed (the
    ``transitions`` they note) covers every item and tombstone the tail changed."""
    from desktop_app.core import fold

    with tempfile.TemporaryDirectory() as tmp, App(Path(tmp) / "data") as app:
        for n in range(6):
            app.add_task(f"first {n}", list_name="Errands" if n % 2 else None)
        app.add_note("first note", body="x")
        start, mark = app.state, app.local.last_seq()
        for kind, n in steps:
            step(app, kind, n)
        actions = [action for _, action in app.local.local_actions(after_seq=mark)]
        folded = fold(start, actions)
        assert folded == app.state
        touched = transitions.touched_by_steps(start, [a.arg for a in actions])
        if touched is None:
            return
        for field in ("tasks", "notes", "deleted"):
            before, after = getattr(start, field), getattr(folded, field)
            differ = {k for k in {*before.keys(), *after.keys()} if before.get(k) != after.get(k)}
            assert differ <= touched, field
        assert start.lists == folded.lists
