"""The sidebar's numbers: open tasks per list, per tag, due today, upcoming; the
tags notes carry; how many items the trash holds.

Counted once over every item, then kept up to date from the items a change
touched (``core.transitions``): an edit at 100,000 tasks recounted them all,
~150 ms, on every keystroke that saved. A change whose items are not known
(a sync round, a list renamed, another process's edits) is counted whole.
``tests/test_sidebar_counts.py`` checks the update against a fresh count.
"""

from __future__ import annotations

from datetime import date

import msgspec

from desktop_app.core import State, load_order, transitions, trash, views
from desktop_app.core.model import Note, Task


class SidebarCounts(msgspec.Struct, frozen=True):
    per_list: dict[str | None, int]  # None: no list, or a list deleted elsewhere
    per_tag: dict[str, int]  # open tasks per tag (only tags with some)
    due_today: int
    upcoming: int
    note_tags: dict[str, int]  # notes per tag (only tags with some)
    trash: int  # deleted items not live again

    @classmethod
    def of(cls, state: State, today: date) -> SidebarCounts:
        """One pass over the tasks (four passes of Counter and comprehensions cost
        15-25% more, at 10,000 tasks and at 100,000), one over the notes' tags."""
        lists = state.lists
        per_list: dict[str | None, int] = {}
        per_tag: dict[str, int] = {}
        due_today = upcoming = 0
        for task in load_order.values(state.tasks):
            if task.done:
                continue
            list_id = task.list_id
            if list_id is not None and list_id not in lists:
                list_id = None
            per_list[list_id] = per_list.get(list_id, 0) + 1
            if task.tags:
                for tag in task.tags:
                    per_tag[tag] = per_tag.get(tag, 0) + 1
            if task.due is not None:
                if views.is_today(task, today):
                    due_today += 1
                elif views.is_upcoming(task, today):
                    upcoming += 1
        note_tags: dict[str, int] = {}
        for note in load_order.values(state.notes):
            for tag in note.tags:
                note_tags[tag] = note_tags.get(tag, 0) + 1
        return cls(per_list, per_tag, due_today, upcoming, note_tags, trash.trash_count(state))

    def after(self, old: State, new: State, ids: frozenset[str], today: date) -> SidebarCounts:
        """The counts of ``new``, from these (of ``old``) and the ``ids`` changed since.

        Only for the same lists (an item's list counts as missing or not by them).
        """
        assert old.lists is new.lists
        tally = _Tally(self, new.lists, today)
        for item_id in ids:
            for state, sign in ((old, -1), (new, 1)):
                if (task := state.tasks.get(item_id)) is not None:
                    tally.task(task, sign)
                if (note := state.notes.get(item_id)) is not None:
                    tally.note(note, sign)
                if trash.in_trash(state, item_id):
                    tally.trash += sign
        return tally.counts()


class _Tally:
    """Mutable copies of one ``SidebarCounts``, adjusted item by item."""

    def __init__(self, counts: SidebarCounts, lists: object, today: date) -> None:
        self.per_list = dict(counts.per_list)
        self.per_tag = dict(counts.per_tag)
        self.note_tags = dict(counts.note_tags)
        self.due_today, self.upcoming, self.trash = counts.due_today, counts.upcoming, counts.trash
        self._lists = lists
        self._today = today

    def task(self, task: Task, sign: int) -> None:
        if task.done:
            return
        list_id = task.list_id
        if list_id is not None and list_id not in self._lists:  # type: ignore[operator]
            list_id = None
        _bump(self.per_list, list_id, sign)
        for tag in task.tags:
            _bump(self.per_tag, tag, sign)
        if task.due is not None:
            if views.is_today(task, self._today):
                self.due_today += sign
            elif views.is_upcoming(task, self._today):
                self.upcoming += sign

    def note(self, note: Note, sign: int) -> None:
        for tag in note.tags:
            _bump(self.note_tags, tag, sign)

    def counts(self) -> SidebarCounts:
        return SidebarCounts(
            self.per_list, self.per_tag, self.due_today, self.upcoming, self.note_tags, self.trash
        )


def _bump(counts: dict, key: object, by: int) -> None:
    value = counts.get(key, 0) + by
    if value:
        counts[key] = value
    else:
        del counts[key]  # as a fresh count would: no entry, not a zero


class CountsMemo:
    """The last state's counts, and the way from them to the next state's."""

    def __init__(self) -> None:
        self._last: tuple[State, date, SidebarCounts] | None = None

    def seed(self, state: State, today: date, counts: SidebarCounts) -> None:
        """``state``'s counts, known without counting it (a saved first screen's)."""
        self._last = (state, today, counts)

    def counts(self, state: State, today: date) -> SidebarCounts:
        last = self._last
        ids = None
        if last is not None and last[1] == today and last[0].lists is state.lists:
            ids = transitions.between(last[0], state)
        if last is not None and ids is not None:
            counts = last[2].after(last[0], state, ids, today)
        else:
            counts = SidebarCounts.of(state, today)
        self._last = (state, today, counts)
        return counts
