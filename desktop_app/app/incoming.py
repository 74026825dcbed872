"""Imported items, whatever format they came in, and the steps that bring them in.

Every reader (Markdown folder, Joplin JEX, ...) turns its source into
``IncomingNote`` and ``IncomingTask`` values keyed on where they came from: a
Joplin item id, a vault-relative path, or the id this app wrote into its own
export. The key gives the item a stable id (a UUID derived from the key), so
importing the same source twice finds the items already here:

* an item that is not here yet arrives whole (``restore_*``: times kept);
* an item that is here and unchanged adds nothing;
* an item whose source changed gets field-level edits (title, body, tags...),
  which sync and merge like any edit;
* an item deleted here since stays deleted (counted as skipped).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from desktop_app.app.engine import clean_title
from desktop_app.app.errors import AppError
from desktop_app.core import Arg, Note, Priority, State, Task
from desktop_app.core import actions as act
from desktop_app.core.ids import new_id
from desktop_app.core.text import hyphen_tag

_NAMESPACE = uuid.UUID("6f1d3a52-9d4b-4c4e-9a57-1f3a0d7c2b10")  # ids of imported items
_OWN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def source_id(kind: str, key: str) -> str:
    """The id an item imported from ``key`` always gets (``kind``: joplin, markdown...)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def own_id(value: object) -> str | None:
    """An id this app wrote into an export (``tidemark-id``, ``🆔``), if it looks like one."""
    return value if isinstance(value, str) and _OWN_ID.fullmatch(value) else None


def import_tags(tags: Iterable[object]) -> frozenset[str]:
    """Tags from another program: a leading ``#`` dropped, spaces inside become ``-``."""
    cleaned = (hyphen_tag(str(t).strip().lstrip("#")) for t in tags if t is not None)
    return frozenset(t for t in cleaned if t)


@dataclass(frozen=True)
class IncomingNote:
    id: str
    title: str
    body: str = ""
    list_name: str | None = None
    tags: frozenset[str] = frozenset()
    pinned: bool = False
    created: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class IncomingTask:
    id: str
    title: str
    done: bool = False
    due: date | None = None
    priority: Priority = Priority.NORMAL
    list_name: str | None = None
    tags: frozenset[str] = frozenset()
    created: datetime | None = None
    updated: datetime | None = None


@dataclass
class Plan:
    """The steps of one import and what they amount to."""

    steps: list[Arg] = field(default_factory=list)
    notes: int = 0
    tasks: int = 0
    lists: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # deleted here since an earlier import: left deleted


def plan_items(
    state: State,
    items: Iterable[IncomingNote | IncomingTask],
    now: datetime,
    list_names: Iterable[str] = (),
) -> Plan:
    """The steps that make ``state`` hold ``items`` (and the lists ``list_names``, even
    empty ones: a notebook or folder with nothing in it); see the module docstring."""
    plan = Plan()
    lists: dict[str, str] = {}  # casefolded name -> id, for lists this import creates
    for name in list_names:
        _list_id(state, name, now, lists, plan)
    seen: set[str] = set()
    for item in items:
        item_id = item.id
        here = state.find(item_id)
        wrong_kind = here is not None and not isinstance(
            here, Note if isinstance(item, IncomingNote) else Task
        )
        if item_id in seen or wrong_kind:  # a copied file, or a hostile id: a new item
            item_id = source_id("again", f"{item_id}:{len(seen)}")
            here = None
        seen.add(item_id)
        if item_id in state.deleted:
            plan.skipped += 1
            continue
        list_id = _list_id(state, item.list_name, now, lists, plan)
        if isinstance(item, IncomingNote):
            _note_steps(plan, here, item, item_id, list_id, now)  # type: ignore[arg-type]
        else:
            _task_steps(plan, here, item, item_id, list_id, now)  # type: ignore[arg-type]
    return plan


def _list_id(
    state: State, name: str | None, now: datetime, lists: dict[str, str], plan: Plan
) -> str | None:
    if name is None:
        return None
    name = clean_title(name, "list name")
    key = name.casefold()
    if key in lists:
        return lists[key]
    existing = state.list_named(name)
    if existing is not None:
        lists[key] = existing.id
        return existing.id
    list_id = lists[key] = new_id()
    plan.steps.append(act.NewList(id=list_id, name=name, created=now))
    plan.lists += 1
    return list_id


def _note_steps(
    plan: Plan,
    here: Note | None,
    item: IncomingNote,
    item_id: str,
    list_id: str | None,
    now: datetime,
) -> None:
    title = clean_title(item.title)
    if here is None:
        created = item.created or now
        note = Note(
            id=item_id,
            title=title,
            body=item.body,
            list_id=list_id,
            tags=item.tags,
            pinned=item.pinned,
            created=created,
            updated=item.updated or created,
        )
        plan.steps.append(act.RestoreNote(note=note))
        plan.notes += 1
        return
    edits: list[Arg] = []
    if here.title != title:
        edits.append(act.NoteTitle(id=item_id, title=title, base=here.title))
    if here.body != item.body:
        edits.append(act.NoteBody(id=item_id, body=item.body, base=here.body))
    if here.pinned != item.pinned:
        edits.append(act.NotePinned(id=item_id, pinned=item.pinned))
    edits += _common_edits(here, item_id, list_id, item.tags)
    _count_edits(plan, edits)


def _task_steps(
    plan: Plan,
    here: Task | None,
    item: IncomingTask,
    item_id: str,
    list_id: str | None,
    now: datetime,
) -> None:
    title = clean_title(item.title)
    if here is None:
        created = item.created or now
        task = Task(
            id=item_id,
            title=title,
            done=item.done,
            due=item.due,
            priority=item.priority,
            list_id=list_id,
            tags=item.tags,
            created=created,
            updated=item.updated or created,
        )
        plan.steps.append(act.RestoreTask(task=task))
        plan.tasks += 1
        return
    edits: list[Arg] = []
    if here.title != title:
        edits.append(act.TaskTitle(id=item_id, title=title, base=here.title))
    if here.due != item.due:
        edits.append(act.TaskDue(id=item_id, due=item.due, base=here.due, base_known=True))
    if here.done != item.done:
        edits.append(act.TaskDone(id=item_id, done=item.done))
    if here.priority != item.priority:
        edits.append(act.TaskPriority(id=item_id, priority=item.priority))
    edits += _common_edits(here, item_id, list_id, item.tags)
    _count_edits(plan, edits)


def _common_edits(
    here: Note | Task, item_id: str, list_id: str | None, tags: frozenset[str]
) -> list[Arg]:
    edits: list[Arg] = []
    if here.list_id != list_id:
        edits.append(act.ItemList(id=item_id, list_id=list_id))
    edits += [act.AddTag(id=item_id, tag=t) for t in sorted(tags - here.tags)]
    edits += [act.RemoveTag(id=item_id, tag=t) for t in sorted(here.tags - tags)]
    return edits


def _count_edits(plan: Plan, edits: list[Arg]) -> None:
    if edits:
        plan.steps += edits
        plan.updated += 1
    else:
        plan.unchanged += 1


def checked_title(title: str, where: str) -> str:
    try:
        return clean_title(title)
    except AppError as exc:
        raise AppError(f"{where}: {exc}") from None
