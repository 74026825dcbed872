"""Markdown files in: Obsidian vaults, Joplin's two Markdown exports, this app's own.

One rule for titles, as Obsidian and Joplin have it: the front matter ``title``,
else the file name. The first heading is content and stays in the body.

* Front matter (PyYAML, see ``front_matter``): ``tags`` (list or string) join
  the ``#tags`` of the text (``markdown.scan``: text tokens only); ``pinned``;
  ``created``/``updated`` keep the note's times; Joplin's ``completed?`` makes
  the file a to-do, a task with its ``due`` date and done state. Every other
  property stays verbatim as front matter at the top of the body.
* A file whose front matter says ``tidemark: tasks`` is a checklist of tasks in
  the Obsidian Tasks style (``- [x] Title #tag 📅 2026-03-01 ⏫ 🆔 id``). In any
  other note ``- [ ] x`` lines are just text. A task file this app exported (a
  to-do with ``tidemark-id`` and one checklist line) is read from its line, which
  Obsidian may have ticked or edited since.
* Each item is keyed on its source (see ``incoming``): the id this app wrote
  (``tidemark-id``, ``🆔``), else the vault's name and the file's path in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from desktop_app.app import front_matter
from desktop_app.app.engine import clean_title, parse_due
from desktop_app.app.errors import AppError
from desktop_app.app.incoming import IncomingNote, IncomingTask, import_tags, own_id, source_id
from desktop_app.app.markdown import BodyScan, scan
from desktop_app.app.vault_files import VaultFile, display_name, display_path
from desktop_app.core import Priority

TASKS_MARKER = "tasks"  # front matter ``tidemark: tasks``
ID_KEY = "tidemark-id"
TODO_KEY = "completed?"  # Joplin's mark of a to-do
# Keys whose values become fields; the rest are the note's properties.
OWNED = ("title", "tags", "tag", "pinned", "created", "updated", ID_KEY, "tidemark")
RESERVED = frozenset((*OWNED, TODO_KEY))  # a body's own front matter with these stays text

_CHECKBOX = re.compile(r"^\s*[-*+][ \t]+\[([ xX])\][ \t]+(.*)$")
_DUE_MARK = "📅"
_ID_MARK = "🆔"
# The Tasks plugin's done, created, scheduled and start dates.
_OTHER_DATE_MARKS = ("✅", "\N{HEAVY PLUS SIGN}", "⏳", "🛫")
_PRIORITY_MARKS = {
    "🔺": Priority.HIGH,
    "⏫": Priority.HIGH,
    "🔼": Priority.NORMAL,
    "🔽": Priority.LOW,
    "⏬": Priority.LOW,
}


@dataclass(frozen=True)
class MarkdownNote:
    """One file read as a note (or, with ``todo``, a Joplin to-do)."""

    title: str
    body: str
    tags: frozenset[str] = frozenset()
    pinned: bool = False
    created: datetime | None = None
    updated: datetime | None = None
    id: str | None = None
    todo: tuple[bool, date | None] | None = None  # (done, due) of a Joplin to-do
    embeds: int = 0


@dataclass(frozen=True)
class MarkdownTask:
    title: str
    done: bool = False
    due: date | None = None
    priority: Priority = Priority.NORMAL
    tags: frozenset[str] = frozenset()
    id: str | None = None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter's properties (empty when there is none) and the text after it."""
    matter = front_matter.split(text)
    return (matter.meta, matter.rest) if matter else ({}, text)


def inline_tags(text: str) -> set[str]:
    """``#tags`` in running text, by Obsidian's rules (see ``markdown.scan``)."""
    return set(scan(text).tags)


def _when(value: Any) -> datetime | None:
    """A time from front matter (YAML timestamp, date or ISO text); None if it is none."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        try:
            return _when(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _due(value: Any) -> date | None:
    """A to-do's due date: Joplin writes a UTC time; the day is the one the user saw."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone().date()
    if isinstance(value, date):
        return value
    when = _when(value)
    return when.astimezone().date() if when else None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1"))


def _front_tags(meta: dict[str, Any]) -> frozenset[str]:
    """``tags:`` as a list, or as a comma/space separated string."""
    raw = meta.get("tags", meta.get("tag"))
    if raw is None:
        return frozenset()
    values = re.split(r"[,\s]+", raw) if isinstance(raw, str) else raw
    if not isinstance(values, list):
        values = [values]
    return import_tags(v for v in values if not isinstance(v, dict | list))


def _strip_one_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def parse_note(text: str, fallback_title: str) -> MarkdownNote:
    """One Markdown file as a note. The body keeps everything but the owned front matter."""
    return _note(text, front_matter.split(text), fallback_title)


def _note(text: str, matter: front_matter.FrontMatter | None, fallback_title: str) -> MarkdownNote:
    if matter is None:
        body = _strip_one_newline(text)
        found = scan(body)
        return MarkdownNote(
            clean_title(fallback_title), body, import_tags(found.tags), embeds=found.embeds
        )
    meta = matter.meta
    owned = set(OWNED)
    created, updated = _when(meta.get("created")), _when(meta.get("updated"))
    if created is None:
        owned.discard("created")  # "created: last spring" is a property, kept as written
    if updated is None:
        owned.discard("updated")
    todo = None
    if TODO_KEY in meta:
        todo = (_truthy(meta[TODO_KEY]), _due(meta.get("due")))
        owned |= {TODO_KEY, "due"}
    props = front_matter.other_properties(matter, owned)
    rest = _strip_one_newline(matter.rest)
    note_id = own_id(meta.get(ID_KEY))
    # A file this app wrote lists every tag in its front matter; '#words' in the text
    # of such a note were not tags here, and must not become tags on the way back.
    found = scan(rest) if note_id is None else BodyScan(embeds=scan(rest).embeds)
    body = front_matter.block(props) + rest if props else rest
    raw_title = meta.get("title")
    title = str(raw_title) if raw_title is not None and str(raw_title).strip() else ""
    return MarkdownNote(
        title=clean_title(title if title and " ".join(title.split()) else fallback_title),
        body=body,
        tags=_front_tags(meta) | import_tags(found.tags),
        pinned=_truthy(meta.get("pinned")),
        created=created,
        updated=updated,
        id=note_id,
        todo=todo,
        embeds=found.embeds,
    )


def is_tasks_file(text: str) -> bool:
    if not text.startswith("---"):
        return False
    try:
        return split_front_matter(text)[0].get("tidemark") == TASKS_MARKER
    except AppError:
        return False  # the note reader names the file and the problem


def parse_tasks(text: str) -> list[MarkdownTask]:
    """The checklist lines of a tasks file; other lines (headings, prose) are skipped."""
    return _tasks(text, split_front_matter(text)[1])


def _tasks(text: str, rest: str) -> list[MarkdownTask]:
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


def _take_mark(text: str, mark: str) -> tuple[str | None, str]:
    """The word after ``mark`` (``📅 2026-03-01``), and the text without both."""
    if (at := text.find(mark)) < 0:
        return None, text
    before, after = text[:at], text[at + len(mark) :].lstrip(" \t")
    value, _, after = _split_word(after)
    return value, before.rstrip(" \t") + (" " + after if after else "")


def _parse_task_line(done: bool, text: str) -> MarkdownTask:
    raw_id, text = _take_mark(text, _ID_MARK)
    for mark in _OTHER_DATE_MARKS:  # the Tasks plugin's other dates: not kept here
        _, text = _take_mark(text, mark)
    raw_due, text = _take_mark(text, _DUE_MARK)
    due = parse_due(raw_due) if raw_due is not None else None
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
    return MarkdownTask(
        clean_title(" ".join(words)), done, due, priority, import_tags(tags), own_id(raw_id)
    )


def _split_word(text: str) -> tuple[str, str, str]:
    """(first whitespace-free word, separator, rest), in one pass."""
    for i, ch in enumerate(text):
        if ch.isspace():
            return text[:i], ch, text[i + 1 :]
    return text, "", ""


def _own_task_line(note: MarkdownNote) -> MarkdownTask | None:
    """The checklist line of a task file this app exported, which Obsidian may have edited
    (ticked, retitled, a new due date): it says what the task is now."""
    if note.id is None or "\n" in note.body.strip() or not (box := _CHECKBOX.match(note.body)):
        return None
    try:
        return _parse_task_line(box.group(1) != " ", box.group(2))
    except AppError:
        return None


def decode(file: VaultFile) -> str:
    """UTF-8 text (a BOM is dropped) with ``\\n`` line ends; binary data is refused."""
    if b"\x00" in file.data:
        raise AppError(f"cannot import {display_path(file.path)}: it is not text (binary data)")
    try:
        return file.data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise AppError(f"cannot import {display_path(file.path)}: it is not UTF-8 text") from None


@dataclass
class VaultContent:
    items: list[IncomingNote | IncomingTask]
    embeds: int = 0


def read_file_items(file: VaultFile, vault: str, content: VaultContent) -> None:
    """The items of one file, added to ``content``; errors name the file."""
    text = decode(file)
    list_name = "/".join(map(display_name, file.folder)) or None
    relative = "/".join((*map(display_name, file.folder), display_name(file.path.name)))
    key = f"{vault}/{relative}"
    try:
        matter = front_matter.split(text)  # once: YAML is the slow part of reading a note
        if matter is not None and matter.meta.get("tidemark") == TASKS_MARKER:
            count: dict[str, int] = {}
            for task in _tasks(text, matter.rest):
                n = count[task.title] = count.get(task.title, 0) + 1
                task_id = task.id or source_id("markdown-task", f"{key}#{task.title}#{n}")
                content.items.append(
                    IncomingTask(
                        id=task_id,
                        title=task.title,
                        done=task.done,
                        due=task.due,
                        priority=task.priority,
                        list_name=list_name,
                        tags=task.tags,
                    )
                )
            return
        note = _note(text, matter, display_name(file.path.stem))
    except AppError as exc:
        raise AppError(f"cannot import {display_path(file.path)}: {exc}") from None
    content.embeds += note.embeds
    item_id = note.id or source_id("markdown", key)
    if note.todo is not None:
        done, due = note.todo
        line = _own_task_line(note)
        if line is not None:  # this app's task file, maybe ticked or edited in Obsidian since
            content.items.append(
                IncomingTask(
                    id=item_id, title=line.title, done=line.done, due=line.due,
                    priority=line.priority, list_name=list_name, tags=note.tags | line.tags,
                    created=note.created, updated=note.updated,
                )
            )  # fmt: skip
            return
        content.items.append(
            IncomingTask(
                id=item_id,
                title=note.title,
                done=done,
                due=due,
                list_name=list_name,
                tags=note.tags,
                created=note.created,
                updated=note.updated,
            )
        )
        if not note.body.strip():
            return
        item_id = source_id("markdown-todo-body", key)  # its text, kept beside it as a note
    content.items.append(
        IncomingNote(
            id=item_id,
            title=note.title,
            body=note.body,
            list_name=list_name,
            tags=note.tags,
            pinned=note.pinned,
            created=note.created,
            updated=note.updated,
        )
    )
