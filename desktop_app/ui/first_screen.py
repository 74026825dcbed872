"""The next start's first screen, saved as the window closes.

Reading the whole vault before the first paint cost a start at 10,000 tasks
about a fifth of its time, and at 100,000 most of it: decoding the view,
selecting and sorting every task, counting them for the sidebar. The first
screen shows a few dozen rows of them.

So the window saves what its first screen shows: the lists, the sidebar's
counts, the first rows of both tabs, the status line and which of
those rows carry a conflict mark, with the position of the state they came
from (``App.save_view_cache``). The next start paints from that while the
profile is still at that position, the window opens the same view and it is
the same day; the state itself is read on the event-loop turn after the paint
(``MainWindow._after_first_paint``), and the models then follow it as after a
sync. Anything else (an action journaled since by the CLI or a crash, a view a
sync rewrote, another day, another view) starts the usual way. The saved rows
are only shown: every edit goes through ``App``, which reads the state first
(``App.__getattr__``).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

import msgspec

from desktop_app.app import App, AppError
from desktop_app.core import Note, State, Task, TaskList
from desktop_app.core.model import StateDoc
from desktop_app.ui import problem_marks
from desktop_app.ui.models.sidebar_counts import SidebarCounts
from desktop_app.ui.organise import scope_key
from desktop_app.ui.scope import Scope

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from desktop_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
CACHE_NAME = "first_screen"
FORMAT = 2  # a saved screen of another format is not shown (started the usual way)
ROWS = 200  # more than a maximised window on a 4K screen shows
NOTE_TEXT = 300  # a listed note's text is only its tooltip (``NoteListModel.PREVIEW_CHARS``)


class SavedScreen(msgspec.Struct, frozen=True):
    """What ``save`` writes; only ever read back by ``load`` (a cache, never synced)."""

    format: int
    view: str  # ``view_key`` of the settings it shows
    today: date
    lists: list[TaskList]
    tasks: list[Task]
    notes: list[Note]
    task_rows: int  # the rows each tab shows, of which the first are saved
    note_rows: int
    per_list: list[tuple[str | None, int]]  # JSON keys are strings; None is "no list"
    per_tag: dict[str, int]
    due_today: int
    upcoming: int
    note_tags: dict[str, int]
    trash: int
    marked: list[str]  # the saved rows that carry a conflict mark
    status: str  # the status line's counts


class Preview(msgspec.Struct, frozen=True):
    """A state holding only the first screen's items, with what the whole one gives."""

    state: State
    counts: SidebarCounts
    today: date
    status: str
    task_rows: int
    note_rows: int


_decoder = msgspec.json.Decoder(SavedScreen)
_encoder = msgspec.json.Encoder()


def view_key(settings: QSettings | None) -> str | None:
    """The view the window opens with these settings (its list, tab, sort and whether
    done tasks hide), as one string; None where no saved screen is used: no settings,
    or the Trash (its page lists tombstones, not the tabs)."""
    if settings is None:
        return None
    scope = Scope(
        str(settings.value("place/scope", "all")),
        str(settings.value("place/scope_id", "")) or None,
    )
    if scope.kind == "trash":
        return None
    return "|".join(
        (
            scope_key(scope),
            str(settings.value("place/tab", "")),
            str(settings.value(f"sort/{scope_key(scope)}", "")),
            str(settings.value("tasks/hide_done", "false")).lower(),
        )
    )


def load(app: App, settings: QSettings | None, today: date) -> Preview | None:
    """The saved first screen, if it shows this profile as it is, in this view, today."""
    key = view_key(settings)
    if key is None or app.loaded:
        return None
    raw = app.view_cache(CACHE_NAME)
    if raw is None:
        return None
    try:
        saved = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # Damaged, or saved by another version: only a shortcut, so no one needs to know.
        log.info("the saved first screen could not be read; starting the usual way")
        return None
    if saved.format != FORMAT or saved.view != key or saved.today != today:
        return None
    state = StateDoc(
        lists={lst.id: lst for lst in saved.lists},
        tasks={task.id: task for task in saved.tasks},
        notes={note.id: note for note in saved.notes},
    ).to_state()
    counts = SidebarCounts(
        dict(saved.per_list),
        saved.per_tag,
        saved.due_today,
        saved.upcoming,
        saved.note_tags,
        saved.trash,
    )
    problem_marks.seed(state, frozenset(saved.marked))  # the rules read a whole state
    return Preview(state, counts, today, saved.status, saved.task_rows, saved.note_rows)


def _listed(note: Note) -> Note:
    """A note as the list shows it: its text cut to the tooltip's, no kept versions."""
    return msgspec.structs.replace(note, body=note.body[:NOTE_TEXT], conflicts=())


def save(window: MainWindow) -> None:
    """Save what the window's next start shows first (``App.save_view_cache``); a
    window whose view has no saved screen (the Trash) removes the last one."""
    key = view_key(window.settings)
    if key is None:
        window.app.save_view_cache(CACHE_NAME, lambda state: None)
        return
    today = window.session.today()

    def make(state: State) -> str:
        # Both tabs': the hidden one must not look empty (nor say so) if shown first.
        tasks, task_rows = window.task_model.first_rows(state, ROWS)
        notes, note_rows = window.note_model.first_rows(state, ROWS)
        counts = window.sidebar_model.counts_of(state, today)
        shown = {item.id for item in tasks} | {note.id for note in notes}
        saved = SavedScreen(
            format=FORMAT,
            view=key,
            today=today,
            lists=list(state.lists.values()),
            tasks=tasks,
            notes=[_listed(note) for note in notes],
            task_rows=task_rows,
            note_rows=note_rows,
            per_list=list(counts.per_list.items()),
            per_tag=counts.per_tag,
            due_today=counts.due_today,
            upcoming=counts.upcoming,
            note_tags=counts.note_tags,
            trash=counts.trash,
            marked=sorted(problem_marks.marked_ids(state) & shown),
            status=window.counts_text(state, window.scope, ""),
        )
        return _encoder.encode(saved).decode()

    try:
        window.app.save_view_cache(CACHE_NAME, make)
    except AppError as exc:  # only a start-up shortcut: the next start reads the state
        log.warning("could not save the first screen: %s", exc)
