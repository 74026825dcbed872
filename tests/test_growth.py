"""Issue 13, item 11: a profile's local growth is bounded, with or without a remote.

A journal with no remote to go to is folded into the base; long note bodies are
kept as changes in the journal and on the undo stack; ``close`` does not rewrite
the whole view for a small change; the undo history keeps what the user chose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from desktop_app.app import App
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import Action, Note, State, codec, fold, new_id
from desktop_app.core.actions import NewNote, NoteBody
from desktop_app.storage import LocalStore
from desktop_app.sync.remote_config import RemoteConfig
from tests.test_cli import cli, ok

LONG = "".join(f"line {i} of a long note\n" for i in range(60_000))  # ~1.4 MB


def titles(app: App) -> set[str]:
    return {t.title for t in app.state.tasks.values()} | {n.title for n in app.state.notes.values()}


def saved_view(app: App) -> bytes:
    return app.local.db.execute("SELECT body FROM checkpoints WHERE name='view'").fetchone()[0]


def local_only_compacted(profile: Path) -> None:
    """A profile that never had a remote, whose journal was folded into the base,
    then one more task journaled after the fold."""
    with App(profile) as app:
        app.add_task("early task")
        note = app.add_note("long note", body=LONG)
        app.edit(note, body=LONG + "typed at the end\n")
    with App(profile) as app:
        assert app.local.pending_count() == 0  # folded into the base
        base, _ = app.local.base()
        assert titles(app) == {"early task", "long note"}
        assert {t.title for t in base.tasks.values()} == {"early task"}
        app.add_task("after the fold")
    with App(profile) as app:
        assert app.local.pending_count() == 1


def folder(tmp_path: Path, name: str) -> RemoteConfig:
    (tmp_path / name).mkdir()
    return RemoteConfig(kind="folder", path=str(tmp_path / name))


def test_a_journal_with_no_remote_is_folded_into_the_base(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    with App(profile) as app:
        app.add_task("a task")
        note = app.add_note("long note", body=LONG)
        last_at = app.clock.last_ms
    with App(profile) as app:
        assert app.notice is None  # the view loaded as it is, not rebuilt
        assert app.local.pending_count() == 0
        base, _ = app.local.base()
        assert base.notes[note].body == LONG
        assert len(app.local.applied_ids()) == 2
        stored = app.local.db.execute("SELECT sum(length(body)) FROM checkpoints").fetchone()[0]
        assert stored < 1.2 * len(LONG)  # the view is the base: the note is stored once
        assert int(app.local.meta("clock_floor_ms") or 0) >= last_at
        assert app.clock.now_ms() > last_at
        assert app.undo() is not None  # undo still works after the fold
        assert note not in app.state.notes


def test_a_journal_waiting_for_a_remote_is_not_folded(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    with App(profile) as app:
        set_remote(app, folder(tmp_path, "share"))
        app.add_note("long note", body=LONG)
    with App(profile) as app:
        assert app.local.pending_count() == 1


def test_close_leaves_the_view_alone_after_a_small_change(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    with App(profile) as app:
        app.add_note("long note", body=LONG)
    with App(profile) as app:
        before = saved_view(app)
        app.add_task("small")
    with App(profile) as app:
        assert saved_view(app) == before  # not rewritten for one small task
        assert titles(app) == {"long note", "small"}  # replayed from the journal


def test_a_compacted_local_profile_founds_a_new_log_losing_nothing(tmp_path: Path) -> None:
    local_only_compacted(tmp_path / "a")
    remote = folder(tmp_path, "share")
    with App(tmp_path / "a") as a:
        set_remote(a, remote)
        sync_now(a)
        assert a.local.pending_count() == 0
    with App(tmp_path / "b") as b:
        set_remote(b, remote)
        sync_now(b)
        assert titles(b) == {"early task", "long note", "after the fold"}
        [note] = b.state.notes.values()
        assert note.body == LONG + "typed at the end\n"


def test_a_compacted_local_profile_joins_an_existing_vault_losing_nothing(
    tmp_path: Path,
) -> None:
    remote = folder(tmp_path, "share")
    with App(tmp_path / "b") as b:
        set_remote(b, remote)
        b.add_task("from b")
        sync_now(b)
    local_only_compacted(tmp_path / "a")
    with App(tmp_path / "a") as a:
        set_remote(a, remote)
        sync_now(a)
        assert titles(a) == {"from b", "early task", "long note", "after the fold"}
    with App(tmp_path / "b") as b:
        sync_now(b)
        assert titles(b) == {"from b", "early task", "long note", "after the fold"}
        [note] = b.state.notes.values()
        assert note.body == LONG + "typed at the end\n"


def test_a_profile_that_left_its_vault_and_folded_its_edits_sends_them_on_return(
    tmp_path: Path,
) -> None:
    """The folded base is no longer the state of a log position: coming back to the
    same log must re-push it, not resume from the old position."""
    remote = folder(tmp_path, "share")
    with App(tmp_path / "a") as a:
        set_remote(a, remote)
        a.add_task("synced once")
        sync_now(a)
        set_remote(a, None)
        a.add_note("long note written offline", body=LONG)
    with App(tmp_path / "a") as a:
        assert a.local.pending_count() == 0  # folded: no remote to go to
        set_remote(a, remote)
        sync_now(a)
    with App(tmp_path / "b") as b:
        set_remote(b, remote)
        sync_now(b)
        assert titles(b) == {"synced once", "long note written offline"}


def history_bytes(app: App) -> int:
    row = app.local.db.execute(
        "SELECT sum(length(body) + coalesce(length(texts), 0)) "
        "FROM (SELECT body, texts FROM undo_steps UNION ALL SELECT body, texts FROM redo_steps)"
    ).fetchone()
    return row[0] or 0


def test_a_long_body_edit_is_stored_as_a_change_and_undoes_exactly(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    with App(profile) as app:
        set_remote(app, folder(tmp_path, "share"))  # keeps the journal unfolded
        note = app.add_note("long note", body=LONG)
        journal_before, history_before = app.local.journal_bytes(), history_bytes(app)
        edited = LONG[:700_000] + "a keystroke burst" + LONG[700_000:]
        action = app.edit(note, body=edited)
        # One copy of the new text in the journal, none on the undo stack.
        assert app.local.journal_bytes() - journal_before < 1.2 * len(LONG)
        assert history_bytes(app) - history_before < 10_000
        # The journal gives back the action whole: what sync sends is unchanged.
        _, journaled = app.local.local_actions()[-1]
        assert journaled == action
        assert codec.encode_action(journaled) == codec.encode_action(action)
        assert isinstance(action.arg, NoteBody) and action.arg.base == LONG
    with App(profile) as app:
        app.undo()
        assert app.state.notes[note].body == LONG
        app.redo()
        assert app.state.notes[note].body == edited


def test_undo_of_a_long_body_edit_keeps_a_change_synced_in_meanwhile(tmp_path: Path) -> None:
    with App(tmp_path / "p") as app:
        note = app.add_note("long note", body=LONG)
        edited = LONG[:700_000] + "mine" + LONG[700_000:]
        app.edit(note, body=edited)
        # A sync changes the note's start meanwhile (no undo entry of ours).
        synced = "a synced first line\n" + edited
        theirs = app.state.notes[note]
        journal_elsewhere(tmp_path / "p", _plain_body_edit(app, theirs, synced))
        app.refresh_from_disk()
        assert app.state.notes[note].body == synced
        app.undo()
        assert app.state.notes[note].body == "a synced first line\n" + LONG
        assert app.notice is None


def journal_elsewhere(profile: Path, action: Action) -> None:
    """Another connection (a sync, another process) journals ``action``."""
    other = LocalStore.in_dir(profile)
    other.record_many([action])
    other.close()


def _plain_body_edit(app: App, note: Note, body: str) -> Action:
    """A body edit journaled without an undo entry, as a sync's would be."""
    return Action(
        id=new_id(),
        device="other",
        at=app.clock.now_ms(),
        arg=NoteBody(id=note.id, body=body, base=note.body),
    )


def test_an_undo_whose_region_is_gone_says_so_and_changes_nothing(tmp_path: Path) -> None:
    with App(tmp_path / "p") as app:
        note = app.add_note("long note", body=LONG)
        app.edit(note, body=LONG + "mine\n")
        rewritten = "all different now\n" * 80_000
        journal_elsewhere(tmp_path / "p", _plain_body_edit(app, app.state.notes[note], rewritten))
        app.refresh_from_disk()
        app.undo()
        assert app.state.notes[note].body == rewritten
        assert app.notice is not None and "could not be taken back" in app.notice


def test_the_undo_history_keeps_the_number_of_steps_the_user_chose(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    assert "last 500 changes" in ok(profile, "history-limit")
    assert "last 3 changes" in ok(profile, "history-limit", "3")
    refused = cli(profile, "history-limit", "0")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "between 1 and 100000 steps" in refused.stderr
    for i in range(5):
        ok(profile, "add-task", f"task {i}")
    with App(profile) as app:
        assert app.local.history_size("undo") == 3
        assert app.history_limit() == 3
    for _ in range(3):
        assert "undone" in ok(profile, "undo")
    assert "nothing to undo" in ok(profile, "undo")
    with App(profile) as app:
        assert titles(app) == {"task 0", "task 1"}
        app.set_history_limit(1)
        assert app.local.history_size("redo") == 1


def test_folding_keeps_the_clock_floor_past_the_folded_actions(tmp_path: Path) -> None:
    local = LocalStore.in_dir(tmp_path / "p")
    future = 4_000_000_000_000  # a skewed clock's stamp, folded away below
    created = datetime(2024, 1, 1, tzinfo=UTC)
    action = Action(
        id=new_id(), device="d", at=future, arg=NewNote(id=new_id(), title="n", created=created)
    )
    local.record_many([action])
    with local.transaction() as db:
        assert local.compact_into_base(db, fold(State(), [action]), local.last_seq())
    assert local.pending_count() == 0
    assert int(local.meta("clock_floor_ms") or 0) >= future
    local.close()
