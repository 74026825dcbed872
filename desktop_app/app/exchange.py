"""Import and export: the JSON export, Markdown folders (Obsidian, Joplin, this app).

Qt-free, so the window's File menu can call the same functions as the CLI. An
import is planned first (nothing written, every error found) and then becomes
ONE action, a core ``Batch``: one SQLite transaction, one undo step and one sync
unit, however many notes it brings.

Formats (the README documents them for users):

* JSON export: ``views.document(state)`` plus ``"format"`` and ``"version"``.
  It carries every field (ids, created/updated, done, conflicts), so an import
  into an empty profile shows byte-identical ``show --json``. Items arrive as
  ``restore_*`` steps: whole items, timestamps kept, and items whose id is
  already here are skipped, so importing an export twice duplicates nothing.
* Markdown folder (``vault_import``: Obsidian vaults, Joplin's Markdown and
  Markdown + Front Matter exports, this app's own): one ``.md`` file per note,
  subfolders become lists (``Work/Projects`` for nested ones), and a file whose
  front matter says ``tidemark: tasks`` is a checklist of tasks in the
  Obsidian Tasks style (``- [x] Title #tag 📅 2026-03-01 ⏫ 🆔 id``).
* Joplin's JEX archive (``joplin``).

Markdown and Joplin items are keyed on their source (``incoming``), so an
import of the same files again adds nothing, and a changed file edits its
item field by field. The Markdown folder export writes what the Markdown
import reads back: front matter with the title, times, tags and the note's
other properties; a file per task that Joplin reads as a to-do (``completed?``,
``due``) and Obsidian's Tasks plugin as its checklist line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec

from desktop_app.app import front_matter, joplin, vault_import
from desktop_app.app.engine import App
from desktop_app.app.errors import AppError
from desktop_app.app.incoming import IncomingNote, IncomingTask, plan_items
from desktop_app.app.vault_files import (
    MAX_EXPORT_BYTES,
    MAX_NOTE_BYTES,
    VaultFile,
    Walk,
    display_name,
    display_path,
    read_file,
)
from desktop_app.core import Arg, Note, Priority, State, Task, TaskList, views
from desktop_app.core import actions as act
from desktop_app.core.text import clean_item, one_line
from desktop_app.core.views import sorted_lists

EXPORT_FORMAT = "tidemark-export"
EXPORT_VERSION = 1
MARKDOWN_SUFFIXES = (".md", ".markdown")
TASKS_MARKER = vault_import.TASKS_MARKER
# The Markdown readers, here for the callers that know them as exchange's.
parse_note = vault_import.parse_note
parse_tasks = vault_import.parse_tasks
split_front_matter = vault_import.split_front_matter
inline_tags = vault_import.inline_tags
is_tasks_file = vault_import.is_tasks_file
NO_LIST = "No list"


def canonical_json(value: Any) -> bytes:
    """The same value always gives the same bytes: sorted keys, 2-space indent, UTF-8."""
    return msgspec.json.format(msgspec.json.encode(value, order="sorted"), indent=2) + b"\n"


@dataclass(frozen=True)
class ImportResult:
    """What an import brought in, for the message the user sees."""

    notes: int = 0
    tasks: int = 0
    lists: int = 0
    skipped: int = 0  # items already here (unchanged, or deleted here since): left alone
    ignored: int = 0  # symlinks and special files (FIFOs, devices) left unread
    updated: int = 0  # items already here whose source changed: edited field by field
    left_out: int = 0  # Joplin conflict copies and deleted notes, not imported
    attachments: int = 0  # attachment files and embeds found, left in place as text

    def notes_on(self) -> list[str]:
        """What the summary adds after the counts, so nothing is skipped silently."""
        parts = []
        if self.updated:
            parts.append(f"{_plural(self.updated, 'item')} changed since, updated")
        if self.skipped:
            parts.append(f"{_plural(self.skipped, 'item')} already here, skipped")
        if self.left_out:
            parts.append(
                _plural(
                    self.left_out,
                    "conflict copy or deleted note",
                    "conflict copies or deleted notes",
                )
                + " left out"
            )
        if self.attachments:
            parts.append(
                f"{_plural(self.attachments, 'attachment or embed', 'attachments and embeds')} "
                "found, left in place as text: this app has no attachments yet"
            )
        if self.ignored:
            parts.append(f"{_plural(self.ignored, 'file')} skipped: symlinks or special files")
        return parts


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


# -- ordering shared by every listing (CLI ``show``, Markdown) ------------------------


def sorted_tasks(tasks: Iterable[Task]) -> list[Task]:
    """Open before done, then by due date (none last), then by title."""
    return sorted(tasks, key=lambda t: (t.done, t.due or date.max, t.title.casefold(), t.id))


def sorted_notes(notes: Iterable[Note]) -> list[Note]:
    """Pinned first, then by title."""
    return sorted(notes, key=lambda n: (not n.pinned, n.title.casefold(), n.id))


@dataclass(frozen=True)
class Section:
    """One list (or "No list") with its items, in the order listings show them."""

    name: str
    list_id: str | None
    tasks: list[Task]
    notes: list[Note]


def sections(state: State) -> list[Section]:
    """Every list by name, then "No list" when it has items (or ones in a missing list)."""
    groups: dict[str | None, tuple[list[Task], list[Note]]] = {None: ([], [])}
    for lst in state.lists.values():
        groups[lst.id] = ([], [])
    for task in state.tasks.values():
        groups[task.list_id if task.list_id in groups else None][0].append(task)
    for note in state.notes.values():
        groups[note.list_id if note.list_id in groups else None][1].append(note)
    named = [(lst.name, lst.id) for lst in sorted_lists(state)]
    unfiled = [(NO_LIST, None)] if any(groups[None]) else []
    return [
        Section(name, list_id, sorted_tasks(groups[list_id][0]), sorted_notes(groups[list_id][1]))
        for name, list_id in named + unfiled
    ]


# -- JSON export --------------------------------------------------------------------------


def export_json(state: State) -> bytes:
    return canonical_json(
        {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **views.document(state)}
    )


class _ExportDoc(msgspec.Struct):
    """What ``export_json`` writes; extra keys (``list``, the list's name) are ignored."""

    format: str = EXPORT_FORMAT
    version: int = EXPORT_VERSION
    lists: list[TaskList] = []
    tasks: list[Task] = []
    notes: list[Note] = []


def _read_export(path: Path, data: bytes) -> _ExportDoc:
    where = display_path(path)
    try:
        doc = msgspec.json.decode(data, type=_ExportDoc)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # the latter: bad UTF-8 in a string
        raise AppError(f"{where} is not a Tidemark JSON export ({exc})") from None
    except RecursionError:  # msgspec's own depth guard, for nesting no export has
        raise AppError(f"{where} is not a Tidemark JSON export (nested too deeply)") from None
    if doc.format != EXPORT_FORMAT:
        raise AppError(f"{where} is a {doc.format!r} file, not a Tidemark JSON export")
    if doc.version > EXPORT_VERSION:
        raise AppError(f"{where} was exported by a newer Tidemark (version {doc.version})")
    for item in (*doc.lists, *doc.tasks, *doc.notes):
        text = item.name if isinstance(item, TaskList) else item.title
        if not one_line(item.id) or not one_line(text) or item.id != one_line(item.id):
            raise AppError(f"{where}: every item needs an id and a title or name")
    # Titles, names and tags pass the same cleaning as typed ones.
    return _ExportDoc(
        doc.format,
        doc.version,
        [clean_item(i) for i in doc.lists],  # type: ignore[misc]
        [clean_item(i) for i in doc.tasks],  # type: ignore[misc]
        [clean_item(i) for i in doc.notes],  # type: ignore[misc]
    )


def _json_steps(state: State, doc: _ExportDoc) -> tuple[list[Arg], ImportResult]:
    """Whole items as restore steps; ids already here are skipped, not duplicated.

    An exported list whose name matches a list already here (another id) is not
    created again: its items join the existing list, so names stay unique.
    """
    steps: list[Arg] = []
    seen: set[str] = set()
    list_ids: dict[str, str] = {}  # exported list id -> the same-named list here

    def fresh(item_id: str) -> bool:
        new = item_id not in seen and state.find(item_id) is None
        seen.add(item_id)
        return new

    for lst in doc.lists:
        existing = state.list_named(lst.name)
        if state.find(lst.id) is None and existing is not None:
            list_ids[lst.id] = existing.id
        elif fresh(lst.id):
            steps.append(act.RestoreList(list=lst))
    lists = len(steps)
    for task in doc.tasks:
        if fresh(task.id):
            task = msgspec.structs.replace(task, list_id=list_ids.get(task.list_id, task.list_id))
            steps.append(act.RestoreTask(task=task))
    tasks = len(steps) - lists
    for note in doc.notes:
        if fresh(note.id):
            note = msgspec.structs.replace(note, list_id=list_ids.get(note.list_id, note.list_id))
            steps.append(act.RestoreNote(note=note))
    notes = len(steps) - lists - tasks
    total = len(doc.lists) + len(doc.tasks) + len(doc.notes)
    return steps, ImportResult(notes, tasks, lists, skipped=total - len(steps))


# -- planning and running an import ----------------------------------------------------------

Progress = Callable[[int, int], None]  # (files or items done, total; 0 while unknown)


def plan_import(
    app: App, path: Path, progress: Progress | None = None
) -> tuple[list[Arg], ImportResult]:
    """The steps an import would dispatch, with counts; nothing is written yet.

    Every file is read and checked before any step exists, so a malformed one
    stops the import with its name and nothing arrives. A folder is read as
    Markdown notes (regular files only: symlinks and special files are counted
    in ``ignored``, never read), a ``.md`` file as one note (or a tasks file), a
    ``.jex`` (or any tar) as Joplin's export, anything else as a JSON export.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise AppError(f"cannot import {display_path(path)}: no such file or folder")
    now = datetime.fromtimestamp(app.clock.now_ms() / 1000, tz=UTC)
    if path.is_dir():
        walk = Walk(path, MARKDOWN_SUFFIXES, MAX_NOTE_BYTES)
        files = []
        for file in walk.files():
            files.append(file)
            if progress is not None:
                progress(len(files), 0)
        if not files and not walk.folders:  # folders alone are lists (a vault's empty ones)
            raise AppError(f"found no Markdown (.md) files in {display_path(path)}")
        folders = ("/".join(map(display_name, f)) for f in walk.folders)
        vault = display_name(path.resolve().name)
        content = _read_vault(files, vault, progress)
        return _planned(
            app.state,
            content.items,
            now,
            list(folders),
            ignored=walk.skipped,
            attachments=walk.others + content.embeds,
        )
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        file = VaultFile(path, (), read_file(path, MAX_NOTE_BYTES))
        content = _read_vault([file], "", None)
        return _planned(app.state, content.items, now, (), attachments=content.embeds)
    data = read_file(path, MAX_EXPORT_BYTES)
    if joplin.is_jex(path.name, data):
        jex = joplin.read_jex(display_path(path), data, progress)
        return _planned(
            app.state,
            jex.items,
            now,
            jex.lists,
            left_out=jex.left_out,
            attachments=jex.attachments,
        )
    return _json_steps(app.state, _read_export(path, data))


def _read_vault(
    files: Sequence[VaultFile], vault: str, progress: Progress | None
) -> vault_import.VaultContent:
    content = vault_import.VaultContent([])
    for n, file in enumerate(files, start=1):
        vault_import.read_file_items(file, vault, content)
        if progress is not None:
            progress(n, len(files))
    return content


def _planned(
    state: State,
    items: Iterable[IncomingNote | IncomingTask],
    now: datetime,
    list_names: Iterable[str],
    *,
    ignored: int = 0,
    left_out: int = 0,
    attachments: int = 0,
) -> tuple[list[Arg], ImportResult]:
    plan = plan_items(state, items, now, list_names)
    return plan.steps, ImportResult(
        notes=plan.notes,
        tasks=plan.tasks,
        lists=plan.lists,
        skipped=plan.skipped + plan.unchanged,
        ignored=ignored,
        updated=plan.updated,
        left_out=left_out,
        attachments=attachments,
    )


def import_path(app: App, path: Path, progress: Progress | None = None) -> ImportResult:
    """Import ``path`` as one action (one transaction, one undo step)."""
    steps, result = plan_import(app, path, progress)
    app.dispatch_steps(steps)
    return result


# -- Markdown: writing ------------------------------------------------------------------------

_PRIORITY_OUT = {Priority.HIGH: "⏫", Priority.LOW: "🔽"}
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(10))}
_MAX_NAME_BYTES = 120
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def task_line(task: Task, *, with_id: bool = False) -> str:
    """One checklist line in the Obsidian Tasks style, read back by ``parse_tasks``.

    ``with_id`` adds the Tasks plugin's ``🆔`` field with the task's id, for a
    checklist of several tasks that an import must tell apart.
    """
    parts = [f"- [{'x' if task.done else ' '}] {task.title}"]
    parts += [f"#{tag}" for tag in sorted(task.tags)]
    if task.due is not None:
        parts.append(f"📅 {task.due.isoformat()}")
    if (mark := _PRIORITY_OUT.get(task.priority)) is not None:
        parts.append(mark)
    if with_id:
        parts.append(f"🆔 {task.id}")
    return " ".join(parts)


def note_file_text(note: Note) -> str:
    """A note as a file that Obsidian and Joplin (Markdown + Front Matter) read.

    The front matter holds the title, id, times, tags and pin; properties kept
    at the top of the body (from an earlier import) join it when they read back
    exactly, so the note's own front matter is one block again.
    """
    meta = [
        f"title: {front_matter.dump_value(note.title)}",
        f"{vault_import.ID_KEY}: {note.id}",
        f"created: {note.created.isoformat()}",
        f"updated: {note.updated.isoformat()}",
    ]
    if note.tags:
        meta.append(f"tags: {front_matter.dump_value(sorted(note.tags))}")
    if note.pinned:
        meta.append("pinned: true")
    plain = "---\n" + "\n".join(meta) + f"\n---\n\n{note.body}\n"
    try:
        matter = front_matter.split(note.body)
    except AppError:
        return plain
    if matter is None or not matter.meta or set(matter.meta) & vault_import.RESERVED:
        return plain
    merged = "---\n" + "\n".join([*meta, *matter.lines]) + f"\n---\n\n{matter.rest}\n"
    try:
        if vault_import.parse_note(merged, "x").body == note.body:
            return merged
    except AppError:
        pass
    return plain


def task_file_text(task: Task) -> str:
    """A task as a file: Joplin imports it as a to-do (``completed?``, ``due``), Obsidian's
    Tasks plugin sees its checklist line, and ``import`` reads both back."""
    meta = [
        f"title: {front_matter.dump_value(task.title)}",
        f"{vault_import.ID_KEY}: {task.id}",
        f"created: {task.created.isoformat()}",
        f"updated: {task.updated.isoformat()}",
        f"{vault_import.TODO_KEY}: {'yes' if task.done else 'no'}",
    ]
    if task.due is not None:
        meta.append(f"due: {task.due.isoformat()}")
    if task.tags:
        meta.append(f"tags: {front_matter.dump_value(sorted(task.tags))}")
    return "---\n" + "\n".join(meta) + f"\n---\n\n{task_line(task)}\n"


def safe_file_name(text: str) -> str:
    """A name every common file system accepts, kept short, never hidden or reserved."""
    name = " ".join(_UNSAFE_CHARS.sub("-", text).split()).strip(" .")
    encoded = name.encode("utf-8", "replace")
    if len(encoded) > _MAX_NAME_BYTES:  # cut once at a character boundary, not char by char
        name = encoded[:_MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    if name.upper() in _RESERVED:
        name += "_"
    return name or "Untitled"


class _Names:
    """Unique names per folder, compared the way case-insensitive file systems do."""

    def __init__(self) -> None:
        self._taken: dict[tuple[str, ...], set[str]] = {}

    def claim(self, folder: tuple[str, ...], stem: str, suffix: str = "") -> str:
        taken = self._taken.setdefault(folder, set())
        name, n = stem + suffix, 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem} ({n}){suffix}"
        taken.add(name.casefold())
        return name


def _list_folders(state: State, names: _Names) -> dict[str, tuple[str, ...]]:
    """A folder per list; ``/`` in a name nests folders, as a Markdown import reads them."""
    folders: dict[str, tuple[str, ...]] = {}
    parents: dict[tuple[str, ...], tuple[str, ...]] = {}  # casefolded path -> folder made

    def key(path: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(part.casefold() for part in path)

    for lst in sorted_lists(state):
        segments = [safe_file_name(s) for s in lst.name.split("/") if s.strip()] or ["Untitled"]
        folder: tuple[str, ...] = ()
        for segment in segments[:-1]:  # "Work" in "Work/Projects": shared with list "Work"
            wanted = key((*folder, segment))
            if wanted not in parents:
                parents[wanted] = (*folder, names.claim(folder, segment))
            folder = parents[wanted]
        folder = (*folder, names.claim(folder, segments[-1]))
        parents.setdefault(key(folder), folder)
        folders[lst.id] = folder
    return folders


def export_markdown_folder(state: State, root: Path) -> int:
    """Write the state as a folder of Markdown files; returns how many files.

    ``root`` must be missing or empty, so an export never overwrites anyone's notes.
    """
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise AppError(f"{root} is not an empty folder; export into a new or empty one")
    names = _Names()
    folders = _list_folders(state, names)
    written = 0
    root.mkdir(PRIVATE_FOLDER, parents=True, exist_ok=True)
    for section in sections(state):
        key = folders.get(section.list_id, ())  # no list: the top folder
        folder = root.joinpath(*key)
        for depth in range(1, len(key) + 1):
            root.joinpath(*key[:depth]).mkdir(PRIVATE_FOLDER, exist_ok=True)
        for task in section.tasks:
            name = names.claim(key, safe_file_name(task.title), ".md")
            _write_private(folder / name, task_file_text(task))
            written += 1
        for note in section.notes:
            name = names.claim(key, safe_file_name(note.title), ".md")
            _write_private(folder / name, note_file_text(note))
            written += 1
    return written


def _write_private(path: Path, text: str) -> None:
    """A new file only its owner can read (0600, like the JSON export): notes are private."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(path, flags, PRIVATE_FILE), "w", encoding="utf-8") as f:
        f.write(text)


def markdown_document(state: State) -> str:
    """Everything as one Markdown document to read or print (not meant to be re-imported)."""
    out = ["# Tidemark", ""]
    for section in sections(state):
        out += [f"## {section.name}", ""]
        if section.tasks:
            out += [*map(task_line, section.tasks), ""]
        for note in section.notes:
            out += [f"### {note.title}", ""]
            if note.tags or note.pinned:
                marks = [f"#{t}" for t in sorted(note.tags)] + (["(pinned)"] if note.pinned else [])
                out += [" ".join(marks), ""]
            if note.body:
                out += [note.body.rstrip(), ""]
        if not section.tasks and not section.notes:
            out += ["(empty)", ""]
    return "\n".join(out).rstrip() + "\n"
