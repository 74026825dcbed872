"""Natural-language quick add on a fixed day (Tuesday 10 March 2026): no Qt, no clock."""

from __future__ import annotations

from datetime import date

import pytest

from desktop_app.app.quick_add import QuickTask, describe, parse
from desktop_app.core import Priority

TODAY = date(2026, 3, 10)  # a Tuesday


def test_the_example_from_the_issue() -> None:
    task = parse("Call mum tomorrow !high #family", TODAY)
    assert task == QuickTask("Call mum", date(2026, 3, 11), Priority.HIGH, ("family",))
    assert describe(task, TODAY) == "“Call mum” · due tomorrow · high priority · #family"


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("pay rent today", TODAY),
        ("pay rent Tomorrow", date(2026, 3, 11)),
        ("pay rent friday", date(2026, 3, 13)),
        ("pay rent fri", date(2026, 3, 13)),
        ("pay rent tuesday", date(2026, 3, 17)),  # the next one, not today
        ("pay rent monday", date(2026, 3, 16)),
        ("pay rent next week", date(2026, 3, 16)),  # next Monday
        ("pay rent 2026-04-01", date(2026, 4, 1)),
    ],
)
def test_dates(text: str, due: date) -> None:
    task = parse(text, TODAY)
    assert (task.title, task.due) == ("pay rent", due)


def test_priority_tags_and_list() -> None:
    task = parse("!low water plants #home #garden @Home", TODAY)
    assert task == QuickTask("water plants", None, Priority.LOW, ("home", "garden"), "Home")
    assert describe(task, TODAY) == "“water plants” · low priority · #home · #garden · in Home"


def test_plain_words_stay_in_the_title() -> None:
    for text in ("Buy milk", "email bob@example.com", "read 2026-13-45 report", "next steps"):
        task = parse(text, TODAY)
        assert task.title == text and not task.understood


def test_a_text_of_only_special_words_is_its_own_title() -> None:
    assert parse("Tuesday", TODAY) == QuickTask("Tuesday")
    assert parse("  #idea  ", TODAY) == QuickTask("#idea")
