"""The polling policy (issue 11, live propagation): frequent in use, backing off otherwise,
never faster than the floor nor slower than the cap, and a day costs what the docs say."""

from __future__ import annotations

import math
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.app.poll_schedule import (
    DAY_OF_USE,
    EDIT_BURSTS_PER_DAY,
    PollPolicy,
    PollSchedule,
    Presence,
    Spell,
    day_budget,
    polls_in,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_in_use_polls_at_the_floor() -> None:
    schedule = PollSchedule(PollPolicy(floor_s=5, cap_s=300), now=0)
    schedule.set_focused(True, 0)
    assert schedule.next_round_at == 5  # activated: as soon as the floor allows
    now = 5.0
    for _ in range(10):
        schedule.input(now - 1)
        assert schedule.round_finished(now) == now + 5
        now += 5


def test_hidden_backs_off_exponentially_up_to_the_cap() -> None:
    schedule = PollSchedule(PollPolicy(floor_s=5, cap_s=60), now=0)
    schedule.set_focused(True, 0)
    schedule.set_focused(False, 1)
    now, waits = 5.0, []
    for _ in range(7):
        waits.append(schedule.round_finished(now) - now)
        now = schedule.next_round_at
    assert waits == [5, 10, 20, 40, 60, 60, 60]


def test_idle_after_a_minute_without_input_backs_off() -> None:
    policy = PollPolicy(floor_s=5, cap_s=300, idle_after_s=60)
    schedule = PollSchedule(policy, now=0)
    schedule.set_focused(True, 0)
    assert schedule.presence(59) is Presence.IN_USE
    assert schedule.presence(60) is Presence.IDLE
    now, waits = 60.0, []
    for _ in range(4):
        waits.append(schedule.round_finished(now) - now)
        now = schedule.next_round_at
    assert waits == [5, 10, 20, 40]  # rounds at 60, 65, 75, 95; the next due at 135
    # A key pressed after the idle spell: a round at once, then the floor again.
    assert schedule.input(120) == 120
    assert schedule.round_finished(120) == 125


def test_activation_brings_the_next_round_forward_but_not_before_the_floor() -> None:
    schedule = PollSchedule(PollPolicy(floor_s=5, cap_s=300), now=0)
    assert schedule.next_round_at == 300  # nobody is looking yet: the slowest poll
    schedule.round_finished(100)
    assert schedule.next_round_at == 400
    assert schedule.set_focused(True, 102) == 105  # the floor after the last round
    assert schedule.round_finished(105) == 110  # in use: the floor
    schedule.set_focused(False, 106)
    assert [schedule.round_finished(t) for t in (110, 115, 125)] == [115, 125, 145]
    assert schedule.set_focused(True, 140) == 140  # far from the last round: at once


def test_network_back_wakes_a_backed_off_schedule() -> None:
    schedule = PollSchedule(PollPolicy(floor_s=5, cap_s=300), now=0)
    schedule.round_finished(10)
    assert schedule.wake(60) == 60


def test_a_cap_below_the_floor_polls_at_the_cap() -> None:
    schedule = PollSchedule(PollPolicy(floor_s=6, cap_s=0.05), now=0)
    schedule.set_focused(True, 0)
    assert schedule.round_finished(1) == 1.05


def test_push_waits_for_a_pause_but_not_for_ever() -> None:
    policy = PollPolicy(debounce_s=1.5, max_push_wait_s=10)
    assert policy.push_at(burst_started=0, last_edit=0) == 1.5
    assert policy.push_at(burst_started=0, last_edit=4) == 5.5
    assert policy.push_at(burst_started=0, last_edit=9.9) == 10  # typing on: pushed anyway


# -- properties ------------------------------------------------------------------------

events = st.lists(
    st.tuples(
        st.sampled_from(["input", "focus", "blur", "wake", "round"]),
        st.floats(min_value=0, max_value=600, allow_nan=False),
    ),
    max_size=60,
)
policies = st.builds(
    PollPolicy,
    floor_s=st.floats(min_value=0.5, max_value=30),
    cap_s=st.floats(min_value=0.5, max_value=3600),
    idle_after_s=st.floats(min_value=1, max_value=600),
)


@settings(max_examples=300, deadline=None)
@given(policies, events)
def test_next_round_is_between_floor_and_cap_after_the_last(
    policy: PollPolicy, steps: list[tuple[str, float]]
) -> None:
    """Whatever the window does, the next poll is at least the floor and at most the cap
    after the previous round: no hammering when flicking between windows, no device
    that stops looking."""
    schedule = PollSchedule(policy, now=0)
    now, last_round = 0.0, 0.0
    for kind, gap in steps:
        now += gap
        if kind == "round":
            # Rounds run when they are due (or later, if the machine slept).
            now = max(now, schedule.next_round_at)
            schedule.round_finished(now)
            last_round = now
        elif kind == "input":
            schedule.input(now)
        elif kind == "focus":
            schedule.set_focused(True, now)
        elif kind == "blur":
            schedule.set_focused(False, now)
        else:
            schedule.wake(now)
        wait = schedule.next_round_at - last_round
        assert wait >= policy.fastest_s - 1e-9
        assert wait <= policy.cap_s + 1e-9
        assert schedule.next_round_at >= min(now, last_round + policy.fastest_s) - 1e-9


spells = st.lists(
    st.builds(
        Spell,
        seconds=st.floats(min_value=1, max_value=6 * 3600),
        presence=st.sampled_from(list(Presence)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(spells)
def test_polls_per_day_are_bounded_by_the_activity_pattern(pattern: list[Spell]) -> None:
    """At most one poll per floor while in use, and while idle or hidden at most the
    backoff ramp plus one per cap (an idle window counts as in use for its first
    ``idle_after_s``): the budget holds for any day, not one example."""
    policy = PollPolicy()
    polls = polls_in(policy, pattern)
    ramp = math.ceil(math.log(policy.cap_s / policy.floor_s, policy.growth)) + 1

    def most(spell: Spell) -> float:
        if spell.presence is Presence.IN_USE:
            return spell.seconds / policy.floor_s + 1
        hidden = ramp + spell.seconds / policy.cap_s + 1
        if spell.presence is Presence.IDLE:
            return hidden + min(spell.seconds, policy.idle_after_s) / policy.floor_s + 1
        return hidden

    bound = sum(most(s) for s in pattern)
    assert polls <= bound
    hidden = sum(s.seconds for s in pattern if s.presence is not Presence.IN_USE)
    in_use = sum(s.seconds for s in pattern if s.presence is Presence.IN_USE)
    assert polls >= hidden / policy.cap_s + in_use / policy.floor_s - 2 * len(pattern)


def test_a_day_of_use_costs_under_a_dollar_a_month() -> None:
    budget = day_budget(PollPolicy())
    assert budget.dollars_per_month < 1.0
    # The old default (a one-minute cap) also fits, with less room.
    assert day_budget(PollPolicy(cap_s=60)).dollars_per_month < 1.0


def test_the_budget_in_the_docs_is_the_policy_s() -> None:
    """docs/sync-protocol.md states the figures ``day_budget`` computes: change the
    policy and this fails until the doc is updated."""
    text = (DOCS / "sync-protocol.md").read_text(encoding="utf-8")
    section = text.split("### When the window polls", 1)[1].split("\n## ", 1)[0]
    policy = PollPolicy()
    in_use, hidden = DAY_OF_USE
    expected = {
        "floor": f"{policy.floor_s:g} s",
        "cap": f"{policy.cap_s / 60:g} min",
        "idle": f"{policy.idle_after_s:g} s",
        "debounce": f"{policy.debounce_s:g} s",
        "in use": f"{in_use.seconds / 3600:g} h",
        "hidden": f"{hidden.seconds / 3600:g} h",
        "bursts": f"{EDIT_BURSTS_PER_DAY:,}",
    }
    for cap_s in (policy.cap_s, 60):
        budget = day_budget(PollPolicy(cap_s=cap_s))
        expected[f"lists@{cap_s:g}"] = f"{budget.lists:,}"
        expected[f"day@{cap_s:g}"] = f"${budget.dollars_per_day:.4f}"
        expected[f"month@{cap_s:g}"] = f"${budget.dollars_per_month:.2f}"
    missing = {name: value for name, value in expected.items() if value not in section}
    assert not missing, f"docs/sync-protocol.md's request budget is out of date: {missing}"
    assert re.search(r"\| *idle round *\| *1 `LIST`", section)
