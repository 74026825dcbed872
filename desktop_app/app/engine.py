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
    Item,
    Note,
    Priority,
    State,
    Store,
    Task,
    TaskList,
    fold,
    new_id,
)
from desktop_app.core import actions as act
from desktop_app.core.text import one_line, tag_text
from desktop_app.storage import LocalStore, StorageError
from desktop_app.sync.clock import Clock

CHECKPOINT_EVERY = 1000
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


class App:
    def __init__(
        self,
        data_dir: Path | str,
        *,
        wall: Callable[[], float] = time.time,
        read_only: bool = False,
    ) -> None:
        """``wall`` is this computer's clock; tests pass a skewed one. ``read_only``
        (show, export, status) never writes: no migration, no checkpoint on close."""
        self.data_dir = Path(data_dir)
        # Set by ``close`` when everything was saved but the checkpoint was not.
        self.close_warning: str | None = None
        # Something the user should know that is not an error (a view rebuilt).
        self.notice: str | None = None
        try:
            self.local = LocalStore.in_dir(self.data_dir, read_only=read_only)
            self.clock = Clock(float(self.local.meta("clock_offset_s") or 0.0), wall=wall)
            state, replayed = self._load_view()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        self._since_checkpoint = replayed
        self.store = Store(state, self.local, self.local.device_id, self.clock.now_ms)

    # -- lifecycle -----------------------------------------------------------------

    def _load_view(self) -> tuple[State, int]:
        """The checkpointed view plus the few local actions journaled after it."""
        self._view_generation = self.local.view_generation()
        self.clock.floor(int(self.local.meta("clock_floor_ms") or 0))
        rebuilt = False
        try:
            saved = self.local.load_checkpoint("view")
        except StorageError as exc:
            rebuilt = True
            # The view is only a cache of base + journal: rebuild it (close() saves it
            # again) rather than refuse a profile whose real data is intact.
            saved = None
            self.notice = f"the saved view was damaged ({exc}); rebuilt it from the journal"
        if saved is None:
            base = self.local.load_checkpoint("base")
            state, mark = (base[0] if base else State()), 0
        else:
            state, mark = saved
        tail = [action for _, action in self.local.local_actions(after_seq=mark)]
        if tail:
            self.clock.floor(max(a.at for a in tail))
        return fold(state, tail), len(tail) + rebuilt  # a rebuilt view is saved on close

    def checkpoint(self) -> None:
        """Save the view so the next start replays nothing.

        If a sync (another thread or process) rewrote the view since we loaded
        it, ours is stale: adopt theirs instead of overwriting it.
        """
        with self.local.transaction() as db:
            fresh = self.local.view_generation() == self._view_generation
            if fresh:
                self.local.save_checkpoint("view", self.state, self.local.last_seq(), db=db)
            self.local.set_meta("clock_floor_ms", str(self.clock.last_ms), db)
        if fresh:
            self._since_checkpoint = 0
        else:
            self.reload_view()

    def reload_view(self, *, only_if_changed: bool = False) -> None:
        """Adopt the view a sync round wrote, plus local edits made meanwhile.

        ``only_if_changed``: skip the reload when no sync rewrote the view since
        ours was loaded (an idle round), sparing the window a needless refresh.
        """
        if only_if_changed and self.local.view_generation() == self._view_generation:
            return
        state, replayed = self._load_view()
        self._since_checkpoint = replayed
        self.store.load_snapshot(state)

    def close(self) -> None:
        """Checkpoint and close. Every action is in the journal already, so a failed
        checkpoint (disk full) loses nothing: it becomes ``close_warning``, not an error."""
        try:
            if self._since_checkpoint and not self.local.read_only:
                self.checkpoint()
        except StorageError as exc:
            self.close_warning = (
                f"everything was saved, but the view checkpoint that speeds up the next "
                f"start was not ({exc})"
            )
        finally:
            self.local.close()

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
        return action

    def dispatch_steps(self, steps: Sequence[Arg], at: int | None = None) -> Action | None:
        """One action for one user intent, however many steps it takes."""
        if not steps:
            return None
        return self.dispatch(steps[0] if len(steps) == 1 else Batch(steps=tuple(steps)), at)

    def _count(self, n: int) -> None:
        self._since_checkpoint += n
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self.checkpoint()

    def undo(self) -> Action | None:
        try:
            action = self.store.undo()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if action:
            self._count(1)
        return action

    def redo(self) -> Action | None:
        try:
            action = self.store.redo()
        except StorageError as exc:
            raise AppError(str(exc)) from None
        if action:
            self._count(1)
        return action

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
                steps.append(cls(id=item.id, title=title))
        if isinstance(item, Task):
            if due is not UNSET and (new_due := parse_due(due)) != item.due:
                steps.append(act.TaskDue(id=item.id, due=new_due))
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
        self.dispatch(act.DeleteItem(id=item.id))
        return item
