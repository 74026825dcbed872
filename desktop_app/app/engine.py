"""``App``: the whole engine without a window (FeelUOwn style).

The CLI drives it directly; the Qt window wraps it. It owns the local store and
the core ``Store``, turns friendly calls (``add_task("milk", list_name="Home")``)
into actions, validates input before anything is written, and keeps the 'view'
checkpoint fresh so the next start is instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from desktop_app.app.errors import AppError
from desktop_app.core import (
    Action,
    Arg,
    Batch,
    History,
    Item,
    Note,
    Priority,
    State,
    Store,
    Task,
    TaskList,
    fold,
    load_order,
    new_id,
    resolutions,
    rules,
    transitions,
)
from desktop_app.core import actions as act
from desktop_app.core.model import fingerprint
from desktop_app.core.text import one_line, tag_text
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync.clock import Clock

# Actions journaled since the view was saved after which saving it is due
# (``checkpoint_due``): the window saves it when the user pauses (``ui.session``).
CHECKPOINT_EVERY = 1000
# A dispatch itself saves the view only past this many, so that a caller with no
# pauses (a script) still bounds what a start replays, while typing in the window
# never waits for a rewrite of the whole view (0.5 s at 100,000 tasks).
CHECKPOINT_IN_DISPATCH_EVERY = 10_000
# Bytes journaled in this process after which the view is checkpointed (long notes).
CHECKPOINT_BYTES = 8 << 20
# close() checkpoints only when a start would replay this much; less is cheaper to
# replay than a rewrite of the whole view (which holds every long note).
CLOSE_CHECKPOINT_ACTIONS = 200
CLOSE_CHECKPOINT_BYTES = 1 << 20
# With no remote, a journal this long (or large) is folded into the base.
COMPACT_ACTIONS = 1000
COMPACT_BYTES = 1 << 20
REMOTE_META = "remote"  # where to sync (app.syncing); none: the journal folds into the base
VIEW_CACHE_META = "view_cache/"  # + a name: what a window saved to paint its next start from
# What ``App.load`` sets: a lazy App reads its state on the first use of any of them.
_SET_BY_LOAD = frozenset(
    {
        "store",
        "_since_checkpoint",
        "_bytes_at_checkpoint",
        "_data_version",
        "_view_generation",
        "_saved_mark",
        "_mark",
        "_must_checkpoint",
    }
)
MIN_PREFIX = 4


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def clean_title(title: str, what: str = "title") -> str:
    """``core.text.one_line``, refusing what is empty after cleaning."""
    cleaned = one_line(title)
    if not cleaned:
        raise AppError(f"the {what} cannot be empty")
    return cleaned


def clean_tag(tag: str) -> str:
    cleaned = tag_text(tag)
    if not cleaned:
        raise AppError(f"invalid tag {tag!r}: tags are single words")
    return cleaned


def parse_priority(value: str | Priority) -> Priority:
    if isinstance(value, Priority):
        return value
    try:
        return Priority[value.strip().upper()]
    except KeyError:
        raise AppError(f"unknown priority {value!r}: use low, normal or high") from None


def parse_due(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if value.strip().lower() in ("", "none"):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise AppError(f"invalid date {value!r}: use YYYY-MM-DD") from None


class _TrackedJournal:
    """The local store as the core ``Store`` sees it, telling the App each new seq."""

    def __init__(
        self,
        local: LocalStore,
        on_recorded: Callable[[int], None],
        body_of: Callable[[str], str | None],
        on_partial: Callable[[], None],
    ) -> None:
        self._local = local
        self._on_recorded = on_recorded
        self._body_of = body_of
        self._on_partial = on_partial

    def record(self, action: Action, history: History) -> None:
        self._on_recorded(self._local.record(action, history))

    def undo_top(self) -> Arg | None:
        return self._top("undo")

    def redo_top(self) -> Arg | None:
        return self._top("redo")

    def _top(self, stack: str) -> Arg | None:
        """Long bodies are kept as changes; they are rebuilt from the notes as they are."""
        entry = self._local.history_top(stack, self._body_of)
        if entry is None:
            return None
        arg, complete = entry
        if not complete:
            self._on_partial()
        return arg


def _follow(start: State, folded: State, actions: Sequence[Action]) -> None:
    """``folded`` (``actions`` over ``start``) keeps ``start``'s decoded order
    (``core.load_order``) and, named as a transition (``core.transitions``), lets
    the window update what it derives from the items changed alone."""
    touched = transitions.touched_by_steps(start, [action.arg for action in actions])
    if touched is None:
        return
    load_order.follow(start.tasks, folded.tasks, touched)
    load_order.follow(start.notes, folded.notes, touched)
    transitions.note(start, folded, touched)


class App:
    """The engine over one profile, which other processes (the CLI, a second window)
    and this process's sync thread may be writing at the same time.

    ``state`` is always the view checkpoint of generation ``_view_generation``
    folded with every journaled action up to ``_mark``, in journal order: that
    is what lets ``checkpoint`` save it under that mark without hiding anything.
    """

    store: Store
    _since_checkpoint: int
    _bytes_at_checkpoint: int
    _data_version: int
    _view_generation: int
    _saved_mark: int
    _mark: int
    _must_checkpoint: bool

    def __init__(
        self,
        data_dir: Path | str,
        *,
        wall: Callable[[], float] = time.time,
        read_only: bool = False,
        lazy: bool = False,
    ) -> None:
        """``wall`` is this computer's clock; tests pass a skewed one. ``read_only``
        (show, export, status) never writes: no migration, no checkpoint on close.
        ``lazy`` (the window) opens the profile but reads the view only when first
        needed (``load``), so a first paint from ``view_cache`` decodes none of it."""
        self.data_dir = Path(data_dir)
        self._behind = False
        # Set by ``close`` when everything was saved but the checkpoint was not.
        self.close_warning: str | None = None
        # Something the user should know that is not an error (a view rebuilt).
        self.notice: str | None = None
        self._on_loaded: list[Callable[[], None]] = []
        self._loading = False
        try:
            self.local = LocalStore.in_dir(self.data_dir, read_only=read_only)
            self.clock = Clock(float(self.local.meta("clock_offset_s") or 0.0), wall=wall)
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if not lazy:
            self.load()

    # -- lifecycle -----------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        """Whether the state is read (always, unless opened ``lazy`` and not yet needed)."""
        return "store" in self.__dict__

    def load(self) -> None:
        """Read the view and its journal tail, if not yet done; then run ``when_loaded``'s
        callbacks. Anything that needs the state calls it first (``__getattr__``)."""
        if self.loaded:
            return
        self._loading = True
        try:
            state, replayed = self._load_view()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        finally:
            self._loading = False
        self._since_checkpoint = replayed
        self._bytes_at_checkpoint = 0
        journal = _TrackedJournal(self.local, self._recorded, self._body_of, self._partial_undo)
        self.store = Store(state, journal, self.local.device_id, self.clock.now_ms)
        callbacks, self._on_loaded = self._on_loaded, []
        for callback in callbacks:
            callback()

    def __getattr__(self, name: str) -> Any:
        """A lazy App reads its state the first time anything needs it: every attribute
        that ``load`` sets comes here until then, so no path can act on a state not read."""
        if name in _SET_BY_LOAD and "local" in self.__dict__ and not self.__dict__["_loading"]:
            self.load()
            return object.__getattribute__(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def when_loaded(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the state is read: now, if it is."""
        if self.loaded:
            callback()
        else:
            self._on_loaded.append(callback)

    def view_cache(self, name: str) -> str | None:
        """What ``save_view_cache`` saved under ``name``, if the profile is still at the
        state it was made from (no action journaled, no view rewritten since), else None.
        Reads no state: two indexed reads and one row."""
        try:
            with self.local.read_transaction():
                saved = self.local.meta(f"{VIEW_CACHE_META}{name}")
                position = f"{self.local.view_generation()} {self.local.last_seq()}"
        except StorageError:
            return None  # only a shortcut: the state itself is read as usual
        if saved is None:
            return None
        made_at, _, payload = saved.partition("\n")
        return payload if made_at == position else None

    def save_view_cache(self, name: str, make: Callable[[State], str | None]) -> None:
        """Save ``make(state)`` under ``name`` with the position of this state, for
        ``view_cache`` to hand back while nothing has changed; None removes it.

        A state behind the journal (another connection wrote an action we have not
        folded) is not saved: its position would not name it."""
        if self.local.read_only or not self.loaded:
            return
        payload = None if self._behind else make(self.state)
        value = None if payload is None else f"{self._view_generation} {self._mark}\n{payload}"
        try:
            with self.local.transaction() as db:
                self.local.set_meta(f"{VIEW_CACHE_META}{name}", value, db)
        except StorageError as exc:
            raise AppError(str(exc)) from None

    def _load_view(self) -> tuple[State, int]:
        """The checkpointed view plus the local actions journaled after it.

        One read transaction: a sync or another process committing meanwhile
        lands wholly before or after it, so the view, its tail, the generation
        and the mark always belong together. A damaged view is only a cache of
        base + journal: it is rebuilt (and saved again on close), never refused.
        """
        rebuilt = False
        with self.local.read_transaction():
            self._data_version = self.local.data_version()
            self._view_generation = self.local.view_generation()
            self.clock.floor(int(self.local.meta("clock_floor_ms") or 0))
            try:
                saved = self.local.load_checkpoint("view")
            except StorageError as exc:
                saved, rebuilt = None, True
                self.notice = f"the saved view was damaged ({exc}); rebuilt it from the journal"
            if saved is None:
                base = self.local.load_checkpoint("base")
                state, mark = (base[0] if base else State()), 0
            else:
                state, mark = saved
            self._saved_mark = mark  # what a start replays from, until we save again
            tail = [action for _, action in self.local.local_actions(after_seq=mark)]
            self._mark = self.local.last_seq()
        self._behind = False
        self._must_checkpoint = rebuilt  # a rebuilt view is saved on close
        if not tail:
            return state, int(rebuilt)
        self.clock.floor(max(a.at for a in tail))
        folded = fold(state, tail)
        _follow(state, folded, tail)
        return folded, len(tail) + rebuilt

    def _body_of(self, note_id: str) -> str | None:
        note = self.state.notes.get(note_id)
        return None if note is None else note.body

    def _partial_undo(self) -> None:
        self.notice = (
            "a note changed since that edit (a sync), so its text could not be taken back; "
            "the rest was"
        )

    def _recorded(self, seq: int) -> None:
        """A dispatch of ours was journaled at ``seq``.

        A gap before it means another connection journaled actions that our
        state lacks; folding them in now would apply them after ours, out of
        journal order, so the next ``_catch_up`` reloads instead.
        """
        if seq == self._mark + 1 and not self._behind:
            self._mark = seq
        else:
            self._behind = True

    def _catch_up(self) -> None:
        """After a dispatch that found others' actions before it: reload."""
        if self._behind:
            self.reload_view()

    def refresh_from_disk(self) -> bool:
        """Show what other connections (another process, the sync thread) wrote.

        Cheap enough to poll: one pragma when nothing changed. New local actions
        on the same view are folded on; a rewritten view (a sync) is reloaded.
        Returns whether the state changed. Call it on the thread that uses the App.
        """
        try:
            version = self.local.data_version()
            if version == self._data_version and not self._behind:
                return False
            with self.local.read_transaction():
                self._data_version = self.local.data_version()
                generation = self.local.view_generation()
                last = self.local.last_seq()
                if generation != self._view_generation or self._behind:
                    reload = True
                elif last == self._mark:
                    return False
                else:
                    reload = False
                    tail = self.local.local_actions(after_seq=self._mark)
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if reload:
            self.reload_view()
            return True
        actions = [action for _, action in tail]
        self._mark = last
        if actions:
            self.clock.floor(max(a.at for a in actions))
            self._since_checkpoint += len(actions)
            folded = fold(self.state, actions)
            _follow(self.state, folded, actions)  # another process's edits: what changed
            self.store.load_snapshot(folded)
        return bool(actions)

    def checkpoint(self) -> None:
        """Save the view so the next start replays nothing.

        Only a view that holds every journaled action up to its mark is saved
        (invariant 13). If another process journaled actions since we last
        looked, or a sync rewrote the view, ours is stale: in the same write
        transaction, read the current view plus its tail and save that instead,
        then adopt it.
        """
        try:
            with self.local.transaction() as db:
                current = (
                    not self._behind
                    and self.local.view_generation() == self._view_generation
                    and self.local.last_seq() == self._mark
                )
                state = self.state if current else self._load_view()[0]
                self.local.set_meta("clock_floor_ms", str(self.clock.last_ms), db)
                if self._worth_compacting() and self.local.compact_into_base(db, state, self._mark):
                    self._view_generation = self.local.view_generation()
                else:
                    self.local.save_checkpoint("view", state, self._mark, db=db)
        except StorageError as exc:
            self._behind = True  # marks may have moved without the state: reload next time
            raise AppError(str(exc)) from None
        self._since_checkpoint = 0
        self._saved_mark = self._mark
        self._must_checkpoint = False
        self._bytes_at_checkpoint = self.local.journaled_bytes
        if not current:
            self.store.load_snapshot(state)

    def reload_view(self, *, only_if_changed: bool = False) -> None:
        """Adopt the view a sync round wrote, plus local edits made meanwhile.

        ``only_if_changed``: skip the reload when no sync rewrote the view since
        ours was loaded (an idle round), sparing the window a needless refresh.
        """
        if (
            only_if_changed
            and not self._behind
            and self.local.view_generation() == self._view_generation
        ):
            return
        try:
            state, replayed = self._load_view()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        self._since_checkpoint = replayed
        self.store.load_snapshot(state)

    def close(self) -> None:
        """Checkpoint and close. Every action is in the journal already, so a failed
        checkpoint (disk full) loses nothing: it becomes ``close_warning``, not an error."""
        if not self.loaded:  # opened lazily and never needed: nothing changed here
            self.local.close()
            return
        try:
            if not self.local.read_only and self._worth_checkpoint():
                self.checkpoint()
            elif not self.local.read_only:
                self.local.drop_stale_view()  # a round left the view saved whole stale
        except (StorageError, AppError) as exc:  # checkpoint() reports AppError
            self.close_warning = (
                f"everything was saved, but the view checkpoint that speeds up the next "
                f"start was not ({exc})"
            )
        finally:
            self.local.close()

    def _worth_compacting(self) -> bool:
        """No remote to send the journal to, and it holds enough to bound: fold it into
        the base. A short journal stays, to travel as actions if a remote comes."""
        if self.local.meta(REMOTE_META):
            return False
        return (
            self.local.pending_count() >= COMPACT_ACTIONS
            or self.local.journal_bytes() >= COMPACT_BYTES
        )

    def _worth_checkpoint(self) -> bool:
        """Whether the next start would replay enough to pay for rewriting the view."""
        if self._must_checkpoint:
            return True
        if not self._since_checkpoint:
            return False
        if self._since_checkpoint >= CLOSE_CHECKPOINT_ACTIONS:
            return True
        return self.local.journal_bytes(self._saved_mark) >= CLOSE_CHECKPOINT_BYTES

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self.store.state

    @property
    def device_id(self) -> str:
        return self.local.device_id

    def resolve(self, ref: str) -> Item:
        """An item by id or unique id prefix (at least four characters), like git."""
        ref = ref.strip()
        state = self.state
        if (item := state.find(ref)) is not None:
            return item
        if len(ref) >= MIN_PREFIX:
            found = [
                i
                for mapping in (state.tasks, state.notes, state.lists)
                for key, i in mapping.items()
                if key.startswith(ref)
            ]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise AppError(f"id prefix {ref!r} matches {len(found)} items; give more of it")
        raise AppError(f"no task, note or list has id {ref!r}")

    # -- writing -------------------------------------------------------------------------

    def dispatch(self, arg: Arg, at: int | None = None) -> Action:
        try:
            action = self.store.dispatch(arg, at)
        except StorageError as exc:
            raise AppError(str(exc)) from None
        self._count(1)
        self._catch_up()
        return action

    def dispatch_steps(self, steps: Sequence[Arg], at: int | None = None) -> Action | None:
        """One action for one user intent, however many steps it takes."""
        if not steps:
            return None
        return self.dispatch(steps[0] if len(steps) == 1 else Batch(steps=tuple(steps)), at)

    @property
    def checkpoint_due(self) -> bool:
        """Whether a start would replay enough that the view is worth saving now
        (a caller with pauses saves it in one; a dispatch does only much later)."""
        return self._since_checkpoint >= CHECKPOINT_EVERY or self._long_notes_journaled()

    def _long_notes_journaled(self) -> bool:
        return self.local.journaled_bytes - self._bytes_at_checkpoint >= CHECKPOINT_BYTES

    def _count(self, n: int) -> None:
        self._since_checkpoint += n
        if self._since_checkpoint >= CHECKPOINT_IN_DISPATCH_EVERY or self._long_notes_journaled():
            self.checkpoint()

    def undo(self) -> Action | None:
        try:
            action = self.store.undo()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if action:
            self._count(1)
            self._catch_up()
        return action

    def redo(self) -> Action | None:
        try:
            action = self.store.redo()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if action:
            self._count(1)
            self._catch_up()
        return action

    def history_limit(self) -> int:
        """How many changes undo can take back (the profile's setting)."""
        return self.local.history_limit()

    def set_history_limit(self, steps: int) -> None:
        """Keep ``steps`` undo steps (and as many redo steps); older ones go at once."""
        try:
            self.local.set_history_limit(steps)
        except StorageError as exc:
            raise AppError(str(exc)) from None

    def _stamp(self) -> tuple[int, datetime]:
        at = self.clock.now_ms()
        return at, datetime.fromtimestamp(at / 1000, tz=UTC)

    def _list_steps(
        self, list_name: str | None, created: datetime, pending: dict[str, str]
    ) -> tuple[str | None, list[Arg]]:
        """The id of the named list, and the step creating it if it does not exist yet."""
        if list_name is None:
            return None, []
        name = clean_title(list_name, "list name")
        key = name.casefold()
        if key in pending:
            return pending[key], []
        if (existing := self.state.list_named(name)) is not None:
            return existing.id, []
        list_id = new_id()
        pending[key] = list_id
        return list_id, [act.NewList(id=list_id, name=name, created=created)]

    def add_list(self, name: str) -> str:
        name = clean_title(name, "list name")
        if self.state.list_named(name) is not None:
            raise AppError(f"a list named {name!r} already exists")
        at, created = self._stamp()
        list_id = new_id()
        self.dispatch(act.NewList(id=list_id, name=name, created=created), at)
        return list_id

    def new_task_steps(
        self,
        title: str,
        *,
        list_name: str | None = None,
        due: str | date | None = None,
        priority: str | Priority = Priority.NORMAL,
        tags: Iterable[str] = (),
        created: datetime,
        lists: dict[str, str],
    ) -> tuple[str, list[Arg]]:
        list_id, steps = self._list_steps(list_name, created, lists)
        task_id = new_id()
        steps.append(
            act.NewTask(
                id=task_id,
                title=clean_title(title),
                list_id=list_id,
                due=parse_due(due),
                priority=parse_priority(priority),
                tags=frozenset(clean_tag(t) for t in tags),
                created=created,
            )
        )
        return task_id, steps

    def new_note_steps(
        self,
        title: str,
        *,
        body: str = "",
        list_name: str | None = None,
        tags: Iterable[str] = (),
        pinned: bool = False,
        created: datetime,
        lists: dict[str, str],
    ) -> tuple[str, list[Arg]]:
        list_id, steps = self._list_steps(list_name, created, lists)
        note_id = new_id()
        steps.append(
            act.NewNote(
                id=note_id,
                title=clean_title(title),
                body=body,
                list_id=list_id,
                tags=frozenset(clean_tag(t) for t in tags),
                pinned=pinned,
                created=created,
            )
        )
        return note_id, steps

    def add_task(self, title: str, **fields: Any) -> str:
        at, created = self._stamp()
        task_id, steps = self.new_task_steps(title, created=created, lists={}, **fields)
        self.dispatch_steps(steps, at)
        return task_id

    def add_note(self, title: str, **fields: Any) -> str:
        at, created = self._stamp()
        note_id, steps = self.new_note_steps(title, created=created, lists={}, **fields)
        self.dispatch_steps(steps, at)
        return note_id

    def edit(
        self,
        ref: str,
        *,
        title: str | None = None,
        body: str | None = None,
        due: Any = UNSET,
        priority: str | Priority | None = None,
        done: bool | None = None,
        list_name: Any = UNSET,
        pinned: bool | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
    ) -> Action | None:
        """Field-level edits of one item as one action; only changed fields travel."""
        item = self.resolve(ref)
        at, created = self._stamp()
        steps: list[Arg] = []
        if isinstance(item, TaskList):
            if any(v is not None for v in (body, priority, done, pinned)) or due is not UNSET:
                raise AppError("a list has only a name; use --title to rename it")
            if title is not None:
                name = clean_title(title, "list name")
                other = self.state.list_named(name)
                if other is not None and other.id != item.id:
                    raise AppError(f"a list named {name!r} already exists")
                steps.append(act.ListName(id=item.id, name=name))
            return self.dispatch_steps(steps, at)
        is_task = isinstance(item, Task)
        if is_task and (body is not None or pinned is not None):
            raise AppError("tasks have no body or pin; edit a note for that")
        if not is_task and (due is not UNSET or priority is not None or done is not None):
            raise AppError("notes have no due date, priority or done state")
        if title is not None:
            title = clean_title(title)
            if title != item.title:
                cls = act.TaskTitle if is_task else act.NoteTitle
                steps.append(cls(id=item.id, title=title, base=item.title))
        if isinstance(item, Task):
            if due is not UNSET and (new_due := parse_due(due)) != item.due:
                steps.append(act.TaskDue(id=item.id, due=new_due, base=item.due, base_known=True))
            if priority is not None and (p := parse_priority(priority)) is not item.priority:
                steps.append(act.TaskPriority(id=item.id, priority=p))
            if done is not None and done != item.done:
                steps.append(act.TaskDone(id=item.id, done=done))
        elif isinstance(item, Note):
            if body is not None and body != item.body:
                steps.append(act.NoteBody(id=item.id, body=body, base=item.body))
            if pinned is not None and pinned != item.pinned:
                steps.append(act.NotePinned(id=item.id, pinned=pinned))
        if list_name is not UNSET:
            list_id, new_list = self._list_steps(list_name, created, {})
            if list_id != item.list_id:
                steps += [*new_list, act.ItemList(id=item.id, list_id=list_id)]
        for tag in add_tags:
            if (tag := clean_tag(tag)) not in item.tags:
                steps.append(act.AddTag(id=item.id, tag=tag))
        for tag in remove_tags:
            if (tag := clean_tag(tag)) in item.tags:
                steps.append(act.RemoveTag(id=item.id, tag=tag))
        return self.dispatch_steps(steps, at)

    def delete(self, ref: str) -> Item:
        item = self.resolve(ref)
        self.dispatch(self.delete_step(item.id))
        return item

    def delete_step(self, item_id: str) -> Arg:
        """The deletion of one item, naming the version this device saw, so that an
        edit made meanwhile on another device is flagged rather than buried."""
        item = self.state.find(item_id)
        seen = fingerprint(item) if isinstance(item, Task | Note) else None
        return act.DeleteItem(id=item_id, seen=seen)

    # -- problems a merge left ------------------------------------------------------------

    def problems(self) -> list[rules.Problem]:
        return rules.problems(self.state)

    def problem(self, problem_id: str) -> rules.Problem:
        found = rules.find(self.state, problem_id.strip())
        if found is None:
            raise AppError(f"no open conflict has id {problem_id!r} (see: desktop-app conflicts)")
        return found

    def resolve_problem(
        self, problem_id: str, option: str, *, text: str | None = None
    ) -> Action | None:
        """Settle a problem as ``option`` says: one action, so it syncs and undoes."""
        problem = self.problem(problem_id)
        at, now = self._stamp()
        try:
            arg = resolutions.resolution(self.state, problem, option, now=now, text=text)
        except resolutions.ResolutionError as exc:
            raise AppError(str(exc)) from None
        return self.dispatch(arg, at)
