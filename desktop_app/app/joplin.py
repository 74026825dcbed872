"""Joplin's own export (``.jex``): a tar archive of Joplin's raw items.

Each item is one ``<id>.md`` member in Joplin's raw format
(``packages/lib/models/BaseItem.ts``, ``serialize``)::

    Title

    Body, any number of lines

    id: 0123...
    parent_id: ...
    type_: 1

The last block is ``key: value`` lines; ``type_`` says what the item is
(1 note or to-do, 2 notebook, 4 resource, 5 tag, 6 note-tag link). In values,
``\\n`` stands for a new line. Resource files sit in ``resources/``. The archive
is read in memory (never extracted), regular members only.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from desktop_app.app.errors import AppError
from desktop_app.app.incoming import (
    IncomingNote,
    IncomingTask,
    checked_title,
    import_tags,
    source_id,
)
from desktop_app.app.vault_files import MAX_NOTE_BYTES

TYPE_NOTE, TYPE_FOLDER, TYPE_RESOURCE, TYPE_TAG, TYPE_NOTE_TAG = 1, 2, 4, 5, 6
_TAR_MAGIC_AT = 257


def is_jex(name: str, data: bytes) -> bool:
    """A ``.jex`` name, or any tar archive (its ``ustar`` magic)."""
    return name.lower().endswith(".jex") or data[_TAR_MAGIC_AT : _TAR_MAGIC_AT + 5] == b"ustar"


@dataclass(frozen=True)
class RawItem:
    title: str
    body: str
    props: dict[str, str]

    @property
    def type(self) -> int:
        return int(self.props["type_"])


def unserialize(text: str) -> RawItem:
    """One raw item, read the way ``BaseItem.unserialize`` reads it (from the end)."""
    lines = text.split("\n")
    props: dict[str, str] = {}
    i = len(lines) - 1
    while i >= 0 and lines[i].strip():
        key, colon, value = lines[i].strip().partition(":")
        if not colon:
            raise AppError(f"invalid property line {lines[i].strip()[:40]!r}")
        props[key.strip()] = _unescape(value.strip())
        i -= 1
    if not props.get("type_", "").isdigit():
        raise AppError("it has no item type (type_)")
    body_lines = lines[: max(i, 0)]  # none: an item without title or body (a note-tag link)
    title = body_lines[0] if body_lines else ""
    body = "\n".join(body_lines[2:])
    return RawItem(title, body, props)


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\r", "\r")


def _time(value: str | None) -> datetime | None:
    """Joplin's ``2020-01-31T12:00:00.000Z``; empty or unreadable means unknown."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ms(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


@dataclass
class JexContent:
    items: list[IncomingNote | IncomingTask]
    lists: list[str]
    left_out: int = 0  # conflict copies and deleted (trashed) notes
    attachments: int = 0  # resources, left out: this app has no attachments yet


def read_jex(
    name: str, data: bytes, progress: Callable[[int, int], None] | None = None
) -> JexContent:
    """Every item of the archive as incoming notes and tasks; any damage is an error."""
    raw: list[RawItem] = []
    resources = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
            _check_complete(data, members)
            for n, member in enumerate(members):
                if progress is not None:
                    progress(n, len(members))
                if member.name.startswith("resources/"):
                    resources += member.isfile()
                    continue
                if not member.isfile() or not member.name.endswith(".md") or "/" in member.name:
                    continue
                if member.size > MAX_NOTE_BYTES:
                    raise AppError(f"{member.name} is larger than the most one note may have")
                extracted = archive.extractfile(member)
                assert extracted is not None  # a regular member
                content = extracted.read()
                if len(content) != member.size:
                    raise tarfile.ReadError("unexpected end of data")
                try:
                    raw.append(unserialize(content.decode("utf-8")))
                except UnicodeDecodeError:
                    raise AppError(f"{member.name} is not UTF-8 text") from None
                except AppError as exc:
                    raise AppError(f"{member.name}: {exc}") from None
    except (tarfile.TarError, EOFError) as exc:
        raise AppError(f"cannot import {name}: it is not a complete JEX archive ({exc})") from None
    except AppError as exc:
        raise AppError(f"cannot import {name}: {exc}") from None
    if not raw:
        raise AppError(f"cannot import {name}: it holds no Joplin notes or notebooks")
    try:
        return _content(raw, resources)
    except AppError as exc:
        raise AppError(f"cannot import {name}: {exc}") from None


_BLOCK = 512


def _check_complete(data: bytes, members: list[tarfile.TarInfo]) -> None:
    """A whole archive ends with two zero blocks after its last member; tarfile does not
    insist on them, so a cut-off download would import without the notes it lost."""
    end = 0
    if members:
        last = members[-1]
        end = last.offset_data + -(-last.size // _BLOCK) * _BLOCK
    if data[end : end + 2 * _BLOCK] != bytes(2 * _BLOCK):
        raise tarfile.ReadError("it ends before its end marker")


def _content(raw: list[RawItem], resources: int) -> JexContent:
    folders = {r.props.get("id", ""): r for r in raw if r.type == TYPE_FOLDER}
    tags = {r.props.get("id", ""): r.title for r in raw if r.type == TYPE_TAG}
    note_tags: dict[str, list[str]] = {}
    for r in raw:
        if r.type == TYPE_NOTE_TAG and r.props.get("tag_id") in tags:
            note_tags.setdefault(r.props.get("note_id", ""), []).append(tags[r.props["tag_id"]])
    resources = max(resources, sum(r.type == TYPE_RESOURCE for r in raw))

    def path(folder_id: str, depth: int = 0) -> str | None:
        folder = folders.get(folder_id)
        if folder is None or depth > 100 or _ms(folder.props.get("deleted_time")):
            return None
        parent = path(folder.props.get("parent_id", ""), depth + 1)
        name = " ".join(folder.title.replace("/", "-").split()) or "Untitled"
        return f"{parent}/{name}" if parent else name

    names = (path(folder_id) for folder_id in folders)
    content = JexContent([], sorted(n for n in names if n), attachments=resources)
    for r in raw:
        if r.type != TYPE_NOTE:
            continue
        p = r.props
        if p.get("is_conflict") == "1" or _ms(p.get("deleted_time")):
            content.left_out += 1
            continue
        jid = p.get("id", "")
        where = f"note {jid or r.title!r}"
        title = checked_title(r.title, where) if r.title.strip() else "Untitled"
        created = _time(p.get("user_created_time")) or _time(p.get("created_time"))
        updated = _time(p.get("user_updated_time")) or _time(p.get("updated_time"))
        list_name = path(p.get("parent_id", ""))
        tags_here = import_tags(note_tags.get(jid, ()))
        is_todo = p.get("is_todo") == "1"
        if is_todo:
            due_ms = _ms(p.get("todo_due"))
            due = datetime.fromtimestamp(due_ms / 1000, UTC).astimezone().date() if due_ms else None
            content.items.append(
                IncomingTask(
                    id=source_id("joplin", jid),
                    title=title,
                    done=bool(_ms(p.get("todo_completed"))),
                    due=due,
                    list_name=list_name,
                    tags=tags_here,
                    created=created,
                    updated=updated,
                )
            )
        # A note; a to-do's text is kept beside it as a note of the same title.
        if not is_todo or r.body.strip():
            content.items.append(
                IncomingNote(
                    id=source_id("joplin-todo-body" if is_todo else "joplin", jid),
                    title=title,
                    body=r.body,
                    list_name=list_name,
                    tags=tags_here,
                    created=created,
                    updated=updated,
                )
            )
    return content
