"""``show``: everything, as a readable listing or as stable JSON for scripts.

The JSON is ``core.views.document`` in canonical form, so the same state always
prints the same bytes (tests and scripts can diff it).
"""

from __future__ import annotations

import argparse

from desktop_app.app import App
from desktop_app.app.exchange import canonical_json, sections
from desktop_app.cli.common import plural, short_ids, visible, write_bytes
from desktop_app.core import Note, State, Task, rules, views


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("show", help="list everything (--json for scripts)")
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object {"lists", "tasks", "notes"}, arrays sorted by id',
    )
    p.set_defaults(func=show, read_only=True)


def show(args: argparse.Namespace, app: App) -> int:
    if args.json:
        write_bytes(canonical_json(views.document(app.state)))
    else:
        print(render(app.state), end="")
    return 0


def render(state: State) -> str:
    """Lists with their tasks and notes; ids shortened to what stays unique."""
    if not (state.lists or state.tasks or state.notes or rules.problems(state)):
        return 'Nothing here yet. Try: desktop-app add-task "Buy milk" --list Groceries\n'
    ids = short_ids([*state.lists.keys(), *state.tasks.keys(), *state.notes.keys()])
    lines: list[str] = []
    for section in sections(state):
        list_id = section.list_id
        name = visible(section.name)
        lines.append(f"{name}  [{ids[list_id]}]" if list_id else name)
        lines += [f"  {_task(task)}  [{ids[task.id]}]" for task in section.tasks]
        lines += [f"  {_note(note)}  [{ids[note.id]}]" for note in section.notes]
        if not section.tasks and not section.notes:
            lines.append("  (empty)")
    done = sum(t.done for t in state.tasks.values())
    lines += ["", _totals(len(state.tasks), done, len(state.notes), len(state.lists))]
    if problems := rules.problems(state):
        lines += ["", "Conflicts (see them with: desktop-app conflicts; settle one with:"]
        lines += ["desktop-app resolve ID OPTION, or in the window):"]
        lines += [f"  - [{p.id}] {visible(p.message)}" for p in problems]
    return "\n".join(lines) + "\n"


def _tags(tags: frozenset[str]) -> list[str]:
    return [f"#{visible(t)}" for t in sorted(tags)]


def _task(task: Task) -> str:
    parts = [f"[{'x' if task.done else ' '}] {visible(task.title)}"]
    if task.due:
        parts.append(f"due {task.due.isoformat()}")
    if task.priority.value != "normal":
        parts.append(f"{task.priority.value} priority")
    return "  ".join([*parts, *_tags(task.tags)])


def _note(note: Note) -> str:
    parts = [f"note: {visible(note.title)}", *_tags(note.tags)]
    if note.pinned:
        parts.append("(pinned)")
    if note.conflicts:
        parts.append(f"({len(note.conflicts)} other version(s) kept)")
    return "  ".join(parts)


def _totals(tasks: int, done: int, notes: int, lists: int) -> str:
    counts = f"{plural(notes, 'note')}, {plural(lists, 'list')}"
    return f"{plural(tasks, 'task')} ({done} done), {counts}"
