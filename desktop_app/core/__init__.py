"""The pure domain layer: actions, handlers, store, codec and rules (stdlib + msgspec only).

Import from here; the modules behind it are private to the package.
"""

from desktop_app.core import codec, resolutions, rules, trash, views
from desktop_app.core.actions import REGISTRY, Action, AnyArg, Arg, Batch
from desktop_app.core.codec import CodecError
from desktop_app.core.ids import new_id
from desktop_app.core.model import Item, Note, Priority, State, StateDoc, Task, TaskList
from desktop_app.core.reducer import apply, fold, invert
from desktop_app.core.store import History, Journal, Store

__all__ = [
    "REGISTRY",
    "Action",
    "AnyArg",
    "Arg",
    "Batch",
    "CodecError",
    "History",
    "Item",
    "Journal",
    "Note",
    "Priority",
    "State",
    "StateDoc",
    "Store",
    "Task",
    "TaskList",
    "apply",
    "codec",
    "fold",
    "invert",
    "new_id",
    "resolutions",
    "rules",
    "trash",
    "views",
]
