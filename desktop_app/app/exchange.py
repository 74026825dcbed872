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
* Markdown folder: one ``.md`` file per note (title from front matter
  ``title:``, else a ``# heading`` on the first line, else the file name),
  subfolders become lists (``Work/Projects`` for nested ones), and a file whose
  front matter says ``tidemark: tasks`` is a checklist of tasks in the
  Obsidian Tasks style (``- [x] Title #tag 📅 2026-03-01 ⏫``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec

from desktop_app.app.engine import App, clean_title, parse_due
from desktop_app.app.errors import AppError
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
from desktop_app.core.text import clean_item, hyphen_tag, one_line
from desktop_app.core.views import sorted_lists

EXPORT_FORMAT = "tidemark-export"
EXPORT_VERSION = 1
MARKDOWN_SUFFIXES = (".md", ".markdown")
TASKS_FILE = "tasks.md"
TASKS_MARKER = "tasks"  # front matter ``tidemark: tasks``
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
    skipped: int = 0  # items of a JSON export that were already here
    ignored: int = 0  # symlinks and special files (FIFOs, devices) left unread


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
    except msgspec.DecodeError as exc:
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


# -- Markdown: reading ------------------------------------------------------------------

_CHECKBOX = re.compile(r"^\s*[-*+][ \t]+\[([ xX])\][ \t]+(.*)$")
_DUE_MARK = "📅"
_PRIORITY_MARKS = {
    "🔺": Priority.HIGH,
    "⏫": Priority.HIGH,
    "🔼": Priority.NORMAL,
    "🔽": Priority.LOW,
    "⏬": Priority.LOW,
}
# An inline tag: '#' not preceded by a word character, '#', '&', '/', '(' or a
# quote (headings, URLs, anchors, entities), then word characters, '/' or '-'.
_INLINE_TAG = re.compile(r"(?<![\w#&/(\"'`])#([\w/-]+)")
_CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|`[^`\n]*`", re.MULTILINE | re.DOTALL)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


@dataclass(frozen=True)
class MarkdownNote:
    title: str
    body: str
    tags: frozenset[str] = frozenset()
    pinned: bool = False


@dataclass(frozen=True)
class MarkdownTask:
    title: str
    done: bool = False
    due: date | None = None
    priority: Priority = Priority.NORMAL
    tags: frozenset[str] = frozenset()


def split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """YAML front matter (the simple subset notes use) and the text after it."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            return _parse_yaml_subset(lines[1:end]), "\n".join(lines[end + 1 :])
    return {}, text  # never closed: it was a horizontal rule, not front matter


def _parse_yaml_subset(lines: Sequence[str]) -> dict[str, str | list[str]]:
    """``key: value``, ``key: [a, b]`` and block lists; anything deeper is ignored."""
    result: dict[str, str | list[str]] = {}
    key: str | None = None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s*(.*)$", line) or re.match(r"^-\s+(.*)$", line)
        if item and key is not None:
            current = result.get(key)
            values = current if isinstance(current, list) else []
            values.append(_scalar(item.group(1)))
            result[key] = values
            continue
        if line[:1].isspace() or ":" not in line:
            continue  # nested mapping or continuation: not something notes need
        key, _, raw = line.partition(":")
        key, raw = key.strip(), raw.strip()
        if raw.startswith("[") and raw.endswith("]"):
            parts = re.findall(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,]+", raw[1:-1])
            result[key] = [v for p in parts if (v := _scalar(p))]
        else:
            result[key] = _scalar(raw)
    return result


def _scalar(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            return str(json.loads(raw))
        except (ValueError, RecursionError):
            return raw[1:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return _strip_comment(raw).strip()


_COMMENT = re.compile(r"\s#")  # a fixed two-character needle: one linear scan


def _strip_comment(raw: str) -> str:
    """YAML drops `` #...`` (a ``#`` after whitespace) to the end of a plain scalar."""
    found = _COMMENT.search(raw)
    return raw[: found.start()] if found else raw


def _heading(line: str) -> str | None:
    """The text of an ATX level-1 heading (``# Title``, optional closing ``#``s), or None.

    A parser rather than a pattern: the obvious regular expression backtracks
    quadratically on long runs of spaces.
    """
    if not line.startswith("#") or line[1:2] not in (" ", "\t"):
        return None
    text = line[1:].strip(" \t")
    closed = text.rstrip("#")
    if closed != text and closed and closed[-1] in " \t":
        text = closed.rstrip(" \t")  # "# Title ##": the closing hashes are not the title
    return text or None


def _front_tags(meta: dict[str, str | list[str]]) -> set[str]:
    """``tags:`` as a list, or as a comma/space separated string; spaces inside become '-'."""
    raw = meta.get("tags", meta.get("tag", []))
    values = re.split(r"[,\s]+", raw) if isinstance(raw, str) else raw
    tags = ("-".join(v.strip().lstrip("#").split()) for v in values)
    return {t for t in tags if t}


def inline_tags(text: str) -> set[str]:
    """``#tags`` in running text, not in code, headings, URLs or purely numeric (#42)."""
    found = {t.rstrip("/-") for t in _INLINE_TAG.findall(_CODE.sub(" ", text))}
    return {t for t in found if t and not t.isdigit()}


def _is_true(value: str | list[str] | None) -> bool:
    return isinstance(value, str) and value.lower() in ("true", "yes", "1")


def parse_note(text: str, fallback_title: str) -> MarkdownNote:
    """One Markdown file as a note; the title line is taken out of the body."""
    meta, rest = split_front_matter(text)
    rest = _LEADING_BLANK_LINES.sub("", rest)
    first, _, after = rest.partition("\n")
    heading = _heading(first)
    front_title = meta.get("title")
    title = front_title if isinstance(front_title, str) and front_title.strip() else None
    if heading and (title is None or " ".join(title.split()) == heading.strip()):
        title, rest = heading, after
    body = _LEADING_BLANK_LINES.sub("", rest).rstrip()
    return MarkdownNote(
        title=clean_title(title or fallback_title),
        body=body,
        tags=_import_tags(_front_tags(meta) | inline_tags(body)),
        pinned=_is_true(meta.get("pinned")),
    )


def is_tasks_file(text: str) -> bool:
    return split_front_matter(text)[0].get("tidemark") == TASKS_MARKER


def parse_tasks(text: str) -> list[MarkdownTask]:
    """The checklist lines of a tasks file; other lines (headings, prose) are skipped."""
    _, rest = split_front_matter(text)
    first_line = text.count("\n") - rest.count("\n") + 1  # numbers as an editor shows them
    tasks = []
    for number, line in enumerate(rest.split("\n"), start=first_line):
        if (box := _CHECKBOX.match(line)) is None:
            continue
        try:
            tasks.append(_parse_task_line(box.group(1) != " ", box.group(2)))
        except AppError as exc:
            raise AppError(f"checklist line {number}: {exc}") from None
    return tasks


def _parse_task_line(done: bool, text: str) -> MarkdownTask:
    due = None
    if (mark := text.find(_DUE_MARK)) >= 0:
        before, after = text[:mark], text[mark + len(_DUE_MARK) :].lstrip(" \t")
        value, _, after = _split_word(after)
        due = parse_due(value)
        text = before.rstrip(" \t") + (" " + after if after else "")
    priority = Priority.NORMAL
    for mark, value in _PRIORITY_MARKS.items():
        if mark in text:
            priority, text = value, text.replace(mark, " ")
    words = text.split()
    tags: set[str] = set()
    # Trailing ``#tag`` words (not ``#42``) are tags; the first word always stays title.
    while len(words) > 1 and words[-1][:1] == "#" and not (tag := words[-1][1:]).isdigit() and tag:
        tags.add(tag)
        words.pop()
    return MarkdownTask(clean_title(" ".join(words)), done, due, priority, _import_tags(tags))


def _import_tags(tags: Iterable[str]) -> frozenset[str]:
    """Tags from another program: spaces and control characters inside become ``-``."""
    return frozenset(t for t in map(hyphen_tag, tags) if t)


def _split_word(text: str) -> tuple[str, str, str]:
    """(first whitespace-free word, separator, rest), in one pass."""
    for i, ch in enumerate(text):
        if ch.isspace():
            return text[:i], ch, text[i + 1 :]
    return text, "", ""


def _decode(file: VaultFile) -> str:
    """UTF-8 (a BOM is dropped) with ``\n`` line ends, as the parsers expect."""
    try:
        return file.data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise AppError(f"cannot import {display_path(file.path)}: it is not UTF-8 text") from None


def _markdown_steps(
    app: App, files: Iterable[VaultFile], created: datetime
) -> tuple[list[Arg], ImportResult]:
    steps: list[Arg] = []
    lists: dict[str, str] = {}
    notes = tasks = 0
    for file in files:
        text = _decode(file)
        list_name = "/".join(map(display_name, file.folder)) or None
        try:
            if is_tasks_file(text):
                for task in parse_tasks(text):
                    task_id, new = app.new_task_steps(
                        task.title,
                        list_name=list_name,
                        due=task.due,
                        priority=task.priority,
                        tags=task.tags,
                        created=created,
                        lists=lists,
                    )
                    steps += new
                    if task.done:
                        steps.append(act.TaskDone(id=task_id, done=True))
                    tasks += 1
            else:
                note = parse_note(text, display_name(file.path.stem))
                _, new = app.new_note_steps(
                    note.title,
                    body=note.body,
                    list_name=list_name,
                    tags=note.tags,
                    pinned=note.pinned,
                    created=created,
                    lists=lists,
                )
                steps += new
                notes += 1
        except AppError as exc:
            raise AppError(f"cannot import {display_path(file.path)}: {exc}") from None
    return steps, ImportResult(notes=notes, tasks=tasks, lists=len(lists))


# -- planning and running an import ----------------------------------------------------------


def plan_import(app: App, path: Path) -> tuple[list[Arg], ImportResult]:
    """The steps an import would dispatch, with counts; nothing is written yet.

    A folder is read as Markdown notes (regular files only: symlinks and special
    files are counted in ``ignored``, never read), a ``.md`` file as one note (or
    a tasks file), anything else as a JSON export.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise AppError(f"cannot import {display_path(path)}: no such file or folder")
    created = datetime.fromtimestamp(app.clock.now_ms() / 1000, tz=UTC)
    if path.is_dir():
        walk = Walk(path, MARKDOWN_SUFFIXES, MAX_NOTE_BYTES)
        files = list(walk.files())
        if not files:
            raise AppError(f"found no Markdown (.md) files in {display_path(path)}")
        steps, result = _markdown_steps(app, files, created)
        return steps, dataclasses.replace(result, ignored=walk.skipped)
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        file = VaultFile(path, (), read_file(path, MAX_NOTE_BYTES))
        return _markdown_steps(app, [file], created)
    return _json_steps(app.state, _read_export(path, read_file(path, MAX_EXPORT_BYTES)))


def import_path(app: App, path: Path) -> ImportResult:
    """Import ``path`` as one action (one transaction, one undo step)."""
    steps, result = plan_import(app, path)
    app.dispatch_steps(steps)
    return result


# -- Markdown: writing ------------------------------------------------------------------------

_PRIORITY_OUT = {Priority.HIGH: "⏫", Priority.LOW: "🔽"}
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(10))}
_MAX_NAME_BYTES = 120
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def task_line(task: Task) -> str:
    """One checklist line in the Obsidian Tasks style, read back by ``parse_tasks``."""
    parts = [f"- [{'x' if task.done else ' '}] {task.title}"]
    parts += [f"#{tag}" for tag in sorted(task.tags)]
    if task.due is not None:
        parts.append(f"📅 {task.due.isoformat()}")
    if (mark := _PRIORITY_OUT.get(task.priority)) is not None:
        parts.append(mark)
    return " ".join(parts)


def _yaml_string(text: str) -> str:
    return text if re.fullmatch(r"[\w][\w./+-]*", text) else json.dumps(text, ensure_ascii=False)


def note_file_text(note: Note) -> str:
    """A note as a file ``parse_note`` reads back: front matter only when needed."""
    meta = []
    if note.tags:
        meta.append("tags: [" + ", ".join(_yaml_string(t) for t in sorted(note.tags)) + "]")
    if note.pinned:
        meta.append("pinned: true")
    head = "---\n" + "\n".join(meta) + "\n---\n" if meta else ""
    body = f"\n{note.body}\n" if note.body else ""
    return f"{head}# {' '.join(note.title.split())}\n{body}"


def tasks_file_text(title: str, tasks: Sequence[Task]) -> str:
    lines = [f"---\ntidemark: {TASKS_MARKER}\n---\n# {title}\n", *map(task_line, tasks)]
    return "\n".join(lines) + "\n"


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
        taken = self._taken.setdefault(folder, {TASKS_FILE})
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
        if section.tasks:
            title = section.name if section.list_id else "Tasks"
            _write_private(folder / TASKS_FILE, tasks_file_text(title, section.tasks))
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
