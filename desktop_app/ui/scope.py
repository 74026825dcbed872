"""Which items the window shows: a sidebar scope plus a filter text (no Qt here).

Kept Qt-free so the selection rules are plain functions over the immutable
state, testable and reusable by the later search and conflict views.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from operator import attrgetter
from typing import TypeVar

import msgspec

from desktop_app.core import Note, State, Task, TaskList, load_order, views

Item = TypeVar("Item", Task, Note)
_BY_ID, _BY_CREATED = attrgetter("id"), attrgetter("created")
SMART_KINDS = frozenset({"today", "upcoming", "completed"})  # tasks only, across lists


class Scope(msgspec.Struct, frozen=True):
    """``all``, ``none`` (no list), a smart list, one list by id or one tag.

    A value, so it compares and hashes (the sidebar finds its row by it).
    ``list_id`` holds the list's id for a list and the tag for a tag.
    """

    kind: str
    list_id: str | None = None

    @property
    def tasks_only(self) -> bool:
        return self.kind in SMART_KINDS

    @property
    def shows_lists(self) -> bool:
        """Whether items of several lists show together (the List column is useful)."""
        return self.kind not in ("list", "none")

    def contains(self, state: State, item: Task | Note, today: date | None = None) -> bool:
        if self.kind == "trash":  # live items never; the trash view lists tombstones
            return False
        if self.kind == "all":
            return True
        if self.kind == "none":
            # Items whose list was deleted on another device show here too, so a
            # merge can never hide them (the conflict panel explains why).
            return item.list_id is None or item.list_id not in state.lists
        if self.kind == "tag":
            return self.list_id in item.tags
        if self.kind in SMART_KINDS:
            if not isinstance(item, Task):
                return False
            if self.kind == "completed":
                return item.done
            day = today or date.today()
            return (
                views.is_today(item, day)
                if self.kind == "today"
                else (views.is_upcoming(item, day))
            )
        return item.list_id == self.list_id

    def list_in(self, state: State) -> TaskList | None:
        return state.lists.get(self.list_id) if self.kind == "list" and self.list_id else None


ALL = Scope("all")
NO_LIST = Scope("none")
TODAY = Scope("today")
UPCOMING = Scope("upcoming")
COMPLETED = Scope("completed")
TRASH = Scope("trash")


def list_scope(list_id: str) -> Scope:
    return Scope("list", list_id)


def tag_scope(tag: str) -> Scope:
    return Scope("tag", tag)


def _haystack(item: Task | Note) -> str:
    """Title, #tags and body, case-folded, one per line (a typed filter has no newline)."""
    tags = " ".join(f"#{t}" for t in item.tags)
    body = item.body if isinstance(item, Note) else ""
    return f"{item.title}\n{tags}\n{body}".casefold()


class Haystacks:
    """Each item's case-folded search text, kept while the item is unchanged.

    Items are immutable, so identity says whether the text is still right; a
    keystroke in the filter then costs one substring test per item, not a
    casefold of every title and body (docs/benchmarks: one keystroke <= 16 ms).
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[Task | Note, str]] = {}

    def __call__(self, item: Task | Note) -> str:
        cached = self._texts.get(item.id)
        if cached is not None and cached[0] is item:
            return cached[1]
        text = _haystack(item)
        self._texts[item.id] = (item, text)
        return text

    def forget_missing(self, state: State) -> None:
        """Drop deleted items' texts (called when the filter is cleared) once they may be
        a fifth of them: the pass over every id took ~10 ms of the key that cleared the
        filter at 120,000 items, and most keys have nothing to drop."""
        if len(self._texts) * 4 <= (len(state.tasks) + len(state.notes)) * 5:
            return
        self._texts = {k: v for k, v in self._texts.items() if k in state.tasks or k in state.notes}

    def __len__(self) -> int:
        return len(self._texts)


MAX_MARKS = 200  # matches highlighted in one text; more only slow painting down


def match_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """Where the filter ``needle`` occurs in ``text``, case-blind, as (start, length) pairs
    in UTF-16 units (Qt's text positions), so a view can highlight what matched."""
    needle = needle.strip()
    if not needle or not text:
        return []
    spans = []
    for found in re.finditer(re.escape(needle), text, re.IGNORECASE):
        start, end = found.span()
        if len(spans) == MAX_MARKS:
            break
        spans.append((start, end - start))
    if spans and not text.isascii() and any(ord(c) > 0xFFFF for c in text):

        def units(i: int) -> int:  # an astral character is two UTF-16 units
            return i + sum(1 for c in text[:i] if ord(c) > 0xFFFF)

        spans = [(units(s), units(s + n) - units(s)) for s, n in spans]
    return spans


def _matches(needle: str, item: Task | Note, haystacks: Haystacks | None = None) -> bool:
    if not needle:
        return True
    return needle in (haystacks(item) if haystacks is not None else _haystack(item))


def _items_in(state: State, scope: Scope, items: Iterable[Item], day: date) -> list[Item]:
    """``scope.contains`` over ``items``, with the common scopes' tests inlined: the
    first paint selects 10,000 tasks, and a call per task was half of that.
    (Completed holds tasks only: notes never reach it, see ``select_notes``.)"""
    kind = scope.kind
    if kind == "all":
        return list(items)
    if kind == "list":
        list_id = scope.list_id
        return [i for i in items if i.list_id == list_id]
    if kind == "tag":
        tag = scope.list_id
        return [i for i in items if tag in i.tags]
    if kind == "completed":
        return [i for i in items if i.done]  # type: ignore[union-attr]
    return [i for i in items if scope.contains(state, i, day)]


def select_tasks(
    state: State,
    scope: Scope,
    text: str = "",
    *,
    today: date | None = None,
    sort: str | None = "created",
    descending: bool = False,
    hide_done: bool = False,
    haystacks: Haystacks | None = None,
) -> list[Task]:
    """Tasks in creation order unless sorted: toggling done never moves a row by itself.

    Upcoming is always by due date (its rows are grouped by day); Completed never hides done.
    """
    needle = text.strip().casefold()
    day = today or date.today()
    hide_done = hide_done and scope.kind != "completed"
    found = _items_in(state, scope, load_order.values(state.tasks), day)
    if needle:
        found = [t for t in found if _matches(needle, t, haystacks)]
    if hide_done:
        found = [t for t in found if not t.done]
    if sort is None:  # counting only: no order needed, and sorting 5,000 rows is not free
        return found
    if scope.kind == "upcoming":
        sort, descending = "due", False
    return views.sort_tasks(state, found, sort, descending)


def select_notes(
    state: State, scope: Scope, text: str = "", haystacks: Haystacks | None = None
) -> list[Note]:
    """Pinned notes first, then newest first: a body edit never moves a row."""
    if scope.tasks_only:
        return []
    needle = text.strip().casefold()
    found = _items_in(state, scope, load_order.values(state.notes), date.today())
    if needle:
        found = [n for n in found if _matches(needle, n, haystacks)]
    found.sort(key=_BY_ID)
    found.sort(key=_BY_CREATED, reverse=True)
    pinned = [n for n in found if n.pinned]
    return [*pinned, *(n for n in found if not n.pinned)] if pinned else found
