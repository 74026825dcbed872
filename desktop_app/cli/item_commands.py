"""Commands that change items: add-task, add-note, add-list, edit, delete, undo, redo.

Every command is one ``App`` call, so one action: validated before anything is
written, one transaction, one undo step.
"""

from __future__ import annotations

import argparse
import sys

from desktop_app.app import UNSET, App, AppError
from desktop_app.cli.common import UsageError, describe_change, kind, label
from desktop_app.cli.interrupts import finishing

PRIORITIES = "low|normal|high"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("add-task", help="add a task; prints its id")
    p.add_argument("title")
    p.add_argument("--list", metavar="NAME", help="put it in this list (created if missing)")
    p.add_argument("--due", metavar="YYYY-MM-DD")
    p.add_argument("--priority", metavar=PRIORITIES, default="normal")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="repeatable")
    p.set_defaults(func=add_task)

    p = subparsers.add_parser("add-note", help="add a note; prints its id")
    p.add_argument("title")
    p.add_argument("--body", default="", metavar="TEXT", help="note text; '-' reads stdin")
    p.add_argument("--list", metavar="NAME", help="put it in this list (created if missing)")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="repeatable")
    p.add_argument("--pin", action="store_true", help="pin it to the top of its list")
    p.set_defaults(func=add_note)

    p = subparsers.add_parser("add-list", help="add an empty list; prints its id")
    p.add_argument("name")
    p.set_defaults(func=add_list)

    p = subparsers.add_parser(
        "edit",
        help="change a task, note or list",
        description="Change fields of one item; ID may be a unique prefix of at least 4 "
        "characters. All changes form one undo step.",
    )
    p.add_argument("id")
    p.add_argument("--title", metavar="T", help="new title (a list's new name)")
    p.add_argument("--body", metavar="TEXT", help="new note text; '-' reads stdin")
    p.add_argument("--due", metavar="YYYY-MM-DD|none")
    p.add_argument("--priority", metavar=PRIORITIES)
    _pair(p, "--done", "--not-done", "done", "mark the task done / not done")
    _pair(p, "--pin", "--unpin", "pinned", "pin / unpin the note")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--list", metavar="NAME", help="move it to this list (created if missing)")
    where.add_argument("--no-list", action="store_true", help="take it out of its list")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="add a tag")
    p.add_argument("--untag", action="append", default=[], metavar="TAG", help="remove a tag")
    p.set_defaults(func=edit)

    p = subparsers.add_parser(
        "delete", help="delete a task, note or list (a list's items stay, in no list)"
    )
    p.add_argument("id")
    p.set_defaults(func=delete)

    p = subparsers.add_parser("undo", help="undo the last change made on this computer")
    p.set_defaults(func=undo)
    p = subparsers.add_parser("redo", help="redo the last undone change")
    p.set_defaults(func=redo)
    p = subparsers.add_parser(
        "history-limit", help="show or set how many changes undo can take back (default 500)"
    )
    p.add_argument("steps", nargs="?", type=int, help="keep this many undo steps from now on")
    p.set_defaults(func=history_limit)


def _pair(parser: argparse.ArgumentParser, on: str, off: str, dest: str, text: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(on, dest=dest, action="store_const", const=True, help=text)
    group.add_argument(off, dest=dest, action="store_const", const=False)


def _text(value: str | None) -> str | None:
    """``-`` means: read the text from stdin (for multi-line bodies and pipes)."""
    if value != "-":
        return value
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        message = f"the text on stdin is not valid UTF-8 (byte {exc.start}: {bad!r})"
        raise AppError(message) from None


def add_task(args: argparse.Namespace, app: App) -> int:
    with finishing():
        task_id = app.add_task(
            args.title, list_name=args.list, due=args.due, priority=args.priority, tags=args.tag
        )
        print(task_id, flush=True)
    return 0


def add_note(args: argparse.Namespace, app: App) -> int:
    body = _text(args.body) or ""  # Ctrl+C while reading stdin: nothing saved
    with finishing():
        note_id = app.add_note(
            args.title, body=body, list_name=args.list, tags=args.tag, pinned=args.pin
        )
        print(note_id, flush=True)
    return 0


def add_list(args: argparse.Namespace, app: App) -> int:
    with finishing():
        print(app.add_list(args.name), flush=True)
    return 0


_EDIT_FIELDS = ("title", "body", "due", "priority", "done", "pinned", "list")


def edit(args: argparse.Namespace, app: App) -> int:
    if not (
        any(getattr(args, f) is not None for f in _EDIT_FIELDS)
        or args.no_list
        or args.tag
        or args.untag
    ):
        raise UsageError(
            "nothing to change: give --title, --body, --due, --priority, --done, "
            "--not-done, --pin, --unpin, --list, --no-list, --tag or --untag"
        )
    item = app.resolve(args.id)
    before = app.state
    action = app.edit(
        item.id,
        title=args.title,
        body=_text(args.body),
        due=UNSET if args.due is None else args.due,
        priority=args.priority,
        done=args.done,
        pinned=args.pinned,
        list_name=None if args.no_list else UNSET if args.list is None else args.list,
        add_tags=args.tag,
        remove_tags=args.untag,
    )
    if action is None:
        print(f"nothing changed: {label(item)} already looks like that")
    else:
        print(describe_change(before, app.state))
    return 0


def delete(args: argparse.Namespace, app: App) -> int:
    state = app.state
    item = app.delete(args.id)
    message = f"deleted {label(item)}"
    if kind(item) == "list":
        moved = sum(
            1 for i in (*state.tasks.values(), *state.notes.values()) if i.list_id == item.id
        )
        if moved:
            message += f"; its {moved} item{'s' if moved > 1 else ''} now in no list"
    print(message)
    return 0


def undo(args: argparse.Namespace, app: App) -> int:
    return _step(app, "undo")


def redo(args: argparse.Namespace, app: App) -> int:
    return _step(app, "redo")


def history_limit(args: argparse.Namespace, app: App) -> int:
    if args.steps is not None:
        app.set_history_limit(args.steps)
    print(f"undo keeps the last {app.history_limit()} changes")
    return 0


def _step(app: App, which: str) -> int:
    before = app.state
    action = app.undo() if which == "undo" else app.redo()
    if action is None:
        print(f"nothing to {which}")
    else:
        done = {"undo": "undone", "redo": "redone"}[which]
        print(f"{done}: {describe_change(before, app.state)}")
    return 0
