"""Natural-language quick add: "Call mum tomorrow !high #family @Home" read as a task.

Pure (no Qt, no clock: ``today`` is passed in), so the window can show what was
understood under the quick-add box before Enter, and tests fix the day.
Understood: today, tomorrow, a weekday name (its next occurrence after today),
"next week" (next Monday), an ISO date (2026-03-14); ``!high``, ``!low``,
``!normal``; ``#tag``; ``@List`` (one word, matched to a list by name). Words
that mean nothing special stay in the title; when nothing else is left, the
whole text is the title.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import msgspec

from desktop_app.core import Priority

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = {day[:3]: i for i, day in enumerate(WEEKDAYS)}
_PRIORITIES = {"high": Priority.HIGH, "low": Priority.LOW, "normal": Priority.NORMAL}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class QuickTask(msgspec.Struct, frozen=True):
    title: str
    due: date | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    list_name: str | None = None

    @property
    def understood(self) -> bool:
        return bool(self.due or self.priority or self.tags or self.list_name)


def _weekday(word: str) -> int | None:
    word = word.casefold()
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    return _SHORT.get(word) if len(word) == 3 else None


def _date_word(word: str, today: date) -> date | None:
    lowered = word.casefold()
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if (day := _weekday(word)) is not None:
        return today + timedelta(days=(day - today.weekday() - 1) % 7 + 1)
    if _ISO.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            return None
    return None


def parse(text: str, today: date) -> QuickTask:
    words = text.split()
    title: list[str] = []
    due: date | None = None
    priority: Priority | None = None
    tags: list[str] = []
    list_name: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        pair = f"{word} {words[i + 1]}".casefold() if i + 1 < len(words) else ""
        if pair == "next week":
            due = today + timedelta(days=7 - today.weekday())
            i += 2
            continue
        if word.startswith("!") and word[1:].casefold() in _PRIORITIES:
            priority = _PRIORITIES[word[1:].casefold()]
        elif word.startswith("#") and len(word) > 1:
            if word[1:] not in tags:
                tags.append(word[1:])
        elif word.startswith("@") and len(word) > 1:
            list_name = word[1:]
        elif (when := _date_word(word, today)) is not None:
            due = when
        else:
            title.append(word)
        i += 1
    if not title:  # "Tuesday" alone is a title, not an empty task due Tuesday
        return QuickTask(title=text.strip())
    return QuickTask(" ".join(title), due, priority, tuple(tags), list_name)


def describe(task: QuickTask, today: date) -> str:
    """What was understood, in words, for the hint under the quick-add box."""
    parts = [f"“{task.title}”"]
    if task.due is not None:
        days = (task.due - today).days
        named = {0: "today", 1: "tomorrow"}.get(days)
        parts.append(f"due {named or task.due.strftime('%a %d %b %Y')}")
    if task.priority is not None:
        parts.append(f"{task.priority.value} priority")
    parts += [f"#{tag}" for tag in task.tags]
    if task.list_name:
        parts.append(f"in {task.list_name}")
    return " · ".join(parts)
