"""Actions: one user intent each, a name plus exactly one typed argument.

Every argument type is a tagged Struct whose tag *is* the action name, so an
action decodes in one typed pass and a batch can hold any mix of steps. The
registry maps each name to its pure handler and to the function that computes
its inverse (for undo/redo, which dispatch inverse actions so they sync).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import msgspec

from desktop_app.core.model import Note, Priority, State, StateDoc, Task, TaskList


class Arg(msgspec.Struct, frozen=True, kw_only=True, tag_field="action", gc=False):
    """Base of every action argument; subclasses set ``tag`` to the action name."""

    @property
    def target_ids(self) -> tuple[str, ...]:
        """Ids of the items this argument edits (used to stamp ``updated``)."""
        item_id = getattr(self, "id", None)
        return (item_id,) if item_id else ()


# -- lists -----------------------------------------------------------------


class NewList(Arg, frozen=True, kw_only=True, tag="add_list"):
    id: str
    name: str
    created: datetime


class ListName(Arg, frozen=True, kw_only=True, tag="rename_list"):
    id: str
    name: str


# -- tasks -----------------------------------------------------------------


class NewTask(Arg, frozen=True, kw_only=True, tag="add_task"):
    id: str
    title: str
    list_id: str | None = None
    due: date | None = None
    priority: Priority = Priority.NORMAL
    tags: frozenset[str] = frozenset()
    created: datetime


class TaskTitle(Arg, frozen=True, kw_only=True, tag="set_task_title"):
    """``base`` is the title this edit replaced (None: unknown, from an older app)."""

    id: str
    title: str
    base: str | None = None


class TaskDue(Arg, frozen=True, kw_only=True, tag="set_task_due"):
    """``base`` is the due date this edit replaced, meaningful only when ``base_known``
    (None is a due date too: "no due date"; actions from older apps know no base)."""

    id: str
    due: date | None
    base: date | None = None
    base_known: bool = False


class TaskDone(Arg, frozen=True, kw_only=True, tag="set_task_done"):
    id: str
    done: bool


class TaskPriority(Arg, frozen=True, kw_only=True, tag="set_task_priority"):
    id: str
    priority: Priority


# -- notes -----------------------------------------------------------------


class NewNote(Arg, frozen=True, kw_only=True, tag="add_note"):
    id: str
    title: str
    body: str = ""
    list_id: str | None = None
    tags: frozenset[str] = frozenset()
    pinned: bool = False
    created: datetime


class NoteTitle(Arg, frozen=True, kw_only=True, tag="set_note_title"):
    """``base`` is the title this edit replaced (None: unknown, from an older app)."""

    id: str
    title: str
    base: str | None = None


class NoteBody(Arg, frozen=True, kw_only=True, tag="set_note_body"):
    """``base`` is the body this edit started from, so concurrent edits are detectable."""

    id: str
    body: str
    base: str | None = None


class NotePinned(Arg, frozen=True, kw_only=True, tag="set_note_pinned"):
    id: str
    pinned: bool


# -- any item ---------------------------------------------------------------


class ItemList(Arg, frozen=True, kw_only=True, tag="move_item"):
    id: str
    list_id: str | None


class AddTag(Arg, frozen=True, kw_only=True, tag="add_tag"):
    id: str
    tag: str


class RemoveTag(Arg, frozen=True, kw_only=True, tag="remove_tag"):
    id: str
    tag: str


class DeleteItem(Arg, frozen=True, kw_only=True, tag="delete_item"):
    """``seen`` is the fingerprint of the item as the deleting device saw it
    (``model.fingerprint``); if the item changed since, a device that had not
    seen the deletion edited it, and the deletion is flagged as a problem.
    None (older apps, lists) never flags."""

    id: str
    seen: str | None = None


class RestoreTask(Arg, frozen=True, kw_only=True, tag="restore_task"):
    task: Task

    @property
    def target_ids(self) -> tuple[str, ...]:
        return ()


class RestoreNote(Arg, frozen=True, kw_only=True, tag="restore_note"):
    note: Note

    @property
    def target_ids(self) -> tuple[str, ...]:
        return ()


class RestoreList(Arg, frozen=True, kw_only=True, tag="restore_list"):
    list: TaskList


class MergeState(Arg, frozen=True, kw_only=True, tag="merge_state"):
    """Knowledge a device can only hand over as state, not as the actions that made it.

    A new log starts with one (its genesis: the founding device's whole state), and
    a device that rebinds to a log lacking changes it knows only from a snapshot
    sends one with those changes' ids in ``applied``, so each still takes effect
    once. The merge is deterministic: an item the state lacks is added; a task or
    note both hold keeps the later ``updated`` stamp (a tie keeps the state's).
    """

    state: StateDoc
    applied: tuple[str, ...] = ()

    @property
    def target_ids(self) -> tuple[str, ...]:
        return ()


# -- resolutions of merge problems (see core.rules and core.resolutions) ------------
#
# A resolution sets the value the user chose and the versions kept beside it. It
# names what the user saw (``base``: the value then in place; ``seen``: the kept
# versions then shown), so that whatever arrived meanwhile from another device
# (a version not seen, a value that displaced ``base``) is kept rather than
# discarded: two devices that settle one problem differently converge on a
# state that shows both choices.


class ResolveTaskTitle(Arg, frozen=True, kw_only=True, tag="resolve_task_title"):
    id: str
    title: str
    base: str
    seen: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


class ResolveNoteTitle(Arg, frozen=True, kw_only=True, tag="resolve_note_title"):
    id: str
    title: str
    base: str
    seen: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


class ResolveDue(Arg, frozen=True, kw_only=True, tag="resolve_due"):
    id: str
    due: date | None
    base: date | None
    seen: tuple[date | None, ...] = ()
    keep: tuple[date | None, ...] = ()


class ResolveBody(Arg, frozen=True, kw_only=True, tag="resolve_note_body"):
    id: str
    body: str
    base: str
    seen: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


class RestoreDeleted(Arg, frozen=True, kw_only=True, tag="restore_deleted"):
    """Bring a deleted task, note or list back as its tombstone holds it (with any
    edit made after the deletion)."""

    id: str


class SettleDeletion(Arg, frozen=True, kw_only=True, tag="settle_deletion"):
    """``edited=False``: let a deletion stand although the item was edited
    concurrently (the edit stays in the tombstone); ``True`` reopens the problem."""

    id: str
    edited: bool = False


class PurgeDeleted(Arg, frozen=True, kw_only=True, tag="purge_deleted"):
    """Forget deleted items for good (empty the trash, or the 30-day purge).

    It names the ids rather than an age, so every replica drops exactly the same
    tombstones whatever its clock says. Not undoable: it is the point of no return.
    """

    ids: tuple[str, ...]

    @property
    def target_ids(self) -> tuple[str, ...]:
        return ()


class Batch(Arg, frozen=True, kw_only=True, tag="batch"):
    """Several steps as one action: one journal write, one undo entry, one sync unit."""

    steps: tuple[AnyArg, ...]

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(i for step in self.steps for i in step.target_ids)


AnyArg = (
    NewList
    | ListName
    | NewTask
    | TaskTitle
    | TaskDue
    | TaskDone
    | TaskPriority
    | NewNote
    | NoteTitle
    | NoteBody
    | NotePinned
    | ItemList
    | AddTag
    | RemoveTag
    | DeleteItem
    | RestoreTask
    | RestoreNote
    | RestoreList
    | MergeState
    | ResolveTaskTitle
    | ResolveNoteTitle
    | ResolveDue
    | ResolveBody
    | RestoreDeleted
    | SettleDeletion
    | PurgeDeleted
    | Batch
)


class Action(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An immutable, id-stamped, timestamped intent from one device.

    ``at`` is milliseconds since the Unix epoch (UTC) on the device's
    server-adjusted clock; handlers never read a clock themselves.
    """

    id: str
    device: str
    at: int
    arg: AnyArg

    @property
    def name(self) -> str:
        return self.arg.__struct_config__.tag  # type: ignore[return-value]

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.at / 1000, tz=UTC)


A = TypeVar("A", bound=Arg)
Handler = Callable[[State, A], State]
Inverter = Callable[[State, A], "Arg | None"]


class ActionType(msgspec.Struct, Generic[A], frozen=True):
    name: str
    arg_type: type[A]
    handler: Handler[A]
    invert: Inverter[A]
    # For edits of one task or note: the collections to look in, in order, and
    # ``edit(item, arg) -> changed fields | None``. The handler is built from it,
    # and the reducer uses it to set the fields and the ``updated`` stamp at once.
    edits: ItemEdit | None = None


REGISTRY: dict[str, ActionType[Any]] = {}


ItemEdit = tuple[tuple[str, ...], Callable[[Any, Any], "dict[str, Any] | None"]]


def action(
    arg_type: type[A], invert: Inverter[A], edits: ItemEdit | None = None
) -> Callable[[Handler[A]], Handler[A]]:
    """Register ``handler`` as the action named by ``arg_type``'s tag."""

    def register(handler: Handler[A]) -> Handler[A]:
        name = arg_type.__struct_config__.tag
        assert isinstance(name, str)
        if name in REGISTRY:
            raise ValueError(f"action {name!r} registered twice")
        REGISTRY[name] = ActionType(name, arg_type, handler, invert, edits)
        return handler

    return register


def action_type(arg: Arg) -> ActionType[Any]:
    return REGISTRY[arg.__struct_config__.tag]  # type: ignore[index]
