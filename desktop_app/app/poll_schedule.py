"""When the window asks the remote for news: often while someone uses it, rarely otherwise.

An edit on one device should show on another within seconds, yet a window left
open all day must cost cents a month (every poll is an S3 ``LIST``, about
$0.005 per 1,000). So the interval follows the person, not a fixed timer:

* **in use** (the window is active and had input within ``idle_after_s``):
  every ``floor_s`` seconds;
* **idle** (active, no input for ``idle_after_s``) or **hidden** (another
  window is active, or this one is minimised): the interval doubles after
  each round, from ``floor_s`` up to ``cap_s``;
* **back** (the window is activated again, input after an idle spell, or the
  network returns): a round at once, but never sooner than ``floor_s`` after
  the last one, so flicking between windows does not hammer the store.

Edits are pushed ``debounce_s`` after the last one of a burst, and at most
``max_push_wait_s`` after its first, so a long typing spell still goes out.
Failed rounds wait as ``retry.RetryBackoff`` says instead.

Times are plain seconds on any monotonic clock the caller passes in: no Qt and
no sleeping, so the tests drive a day in microseconds and the request budget in
the docs is computed from this very code (``day_budget``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

FLOOR_S = 6.0
CAP_S = 300.0
IDLE_AFTER_S = 60.0
GROWTH = 2.0
DEBOUNCE_S = 1.5
MAX_PUSH_WAIT_S = 10.0

# S3 Standard list prices in US dollars per 1,000 requests (us-east-1).
LIST_PER_1000 = 0.005
PUT_PER_1000 = 0.005
GET_PER_1000 = 0.0004


class Presence(enum.Enum):
    IN_USE = "in use"
    IDLE = "idle"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class PollPolicy:
    """The numbers; ``cap_s`` is the Settings dialog's "Sync every" value."""

    floor_s: float = FLOOR_S
    cap_s: float = CAP_S
    idle_after_s: float = IDLE_AFTER_S
    growth: float = GROWTH
    debounce_s: float = DEBOUNCE_S
    max_push_wait_s: float = MAX_PUSH_WAIT_S

    @property
    def fastest_s(self) -> float:
        """The floor, unless the cap is set below it (then polling is simply every cap)."""
        return min(self.floor_s, self.cap_s)

    def push_at(self, burst_started: float, last_edit: float) -> float:
        """When to push a burst of edits: a pause of ``debounce_s``, or ``max_push_wait_s``."""
        return min(last_edit + self.debounce_s, burst_started + self.max_push_wait_s)


class PollSchedule:
    """The next round's time, kept up to date by what the window reports.

    Starts as if nobody were looking and fully backed off (one round per cap):
    a window that is shown and activated says so at once, and anything else
    (a test, an embedding) polls at the slowest rate.
    """

    def __init__(self, policy: PollPolicy, now: float) -> None:
        self.policy = policy
        self._focused = False
        self._last_input = -math.inf
        self._last_round = now  # nothing ran yet; counting from now keeps the floor simple
        self._quiet_rounds = 64  # rounds since the window was last in use: fully backed off
        self.next_round_at = now + policy.cap_s

    def presence(self, now: float) -> Presence:
        if not self._focused:
            return Presence.HIDDEN
        if now - self._last_input >= self.policy.idle_after_s:
            return Presence.IDLE
        return Presence.IN_USE

    def interval(self, now: float) -> float:
        """The wait after a round that ends now (does not advance the backoff)."""
        if self.presence(now) is Presence.IN_USE:
            return self.policy.fastest_s
        step = self.policy.floor_s * self.policy.growth ** min(self._quiet_rounds, 64)
        return max(self.policy.fastest_s, min(self.policy.cap_s, step))

    def round_finished(self, now: float) -> float:
        """A round (polled or pushed, ok or failed) ended: returns the next round's time."""
        wait = self.interval(now)
        if self.presence(now) is Presence.IN_USE:
            self._quiet_rounds = 0
        else:
            self._quiet_rounds += 1
        self._last_round = now
        self.next_round_at = now + wait
        return self.next_round_at

    def input(self, now: float) -> float:
        """Keyboard or mouse in the window; after an idle spell, a round soon."""
        was = self.presence(now)
        self._last_input = now
        if was is not Presence.IN_USE and self._focused:
            self._come_back(now)
        return self.next_round_at

    def set_focused(self, focused: bool, now: float) -> float:
        """The window was activated (a round soon) or lost focus / was minimised."""
        if focused and not self._focused:
            self._focused = True
            self._last_input = now  # activating it is using it
            self._come_back(now)
        elif not focused:
            self._focused = False
        return self.next_round_at

    def wake(self, now: float) -> float:
        """The network came back or the machine woke up: a round soon."""
        self._come_back(now)
        return self.next_round_at

    def _come_back(self, now: float) -> None:
        self._quiet_rounds = 0
        soonest = max(now, self._last_round + self.policy.fastest_s)
        self.next_round_at = min(self.next_round_at, soonest)


# -- the request budget --------------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    """A stretch of the day: ``seconds`` long, the window ``presence`` throughout
    (``IN_USE`` means input at least every ``idle_after_s``: the worst case)."""

    seconds: float
    presence: Presence


# The day the docs budget for: 8 h in use, 16 h hidden, 200 edit bursts pushed.
DAY_OF_USE = (Spell(8 * 3600, Presence.IN_USE), Spell(16 * 3600, Presence.HIDDEN))
EDIT_BURSTS_PER_DAY = 200


def polls_in(
    policy: PollPolicy, spells: Iterable[Spell], *, input_every_s: float | None = None
) -> int:
    """Rounds the schedule starts over ``spells`` (round time taken as nil: more rounds).
    In use means input every ``input_every_s`` (default: often enough never to go idle)."""
    input_every_s = input_every_s or policy.idle_after_s / 2
    now = 0.0
    schedule = PollSchedule(policy, now)
    rounds = 0
    for spell in spells:
        end = now + spell.seconds
        schedule.set_focused(spell.presence is not Presence.HIDDEN, now)
        next_input = now if spell.presence is Presence.IN_USE else math.inf
        while True:
            if next_input <= schedule.next_round_at and next_input < end:
                schedule.input(next_input)
                next_input += input_every_s
                continue
            if schedule.next_round_at >= end:
                break
            now = schedule.next_round_at
            rounds += 1
            schedule.round_finished(now)
        now = end
    return rounds


@dataclass(frozen=True)
class DayBudget:
    """Requests and dollars for one day of a pattern, and for a 31-day month of them."""

    lists: int
    puts: int
    gets: int

    @property
    def dollars_per_day(self) -> float:
        return (
            self.lists * LIST_PER_1000 + self.puts * PUT_PER_1000 + self.gets * GET_PER_1000
        ) / 1000

    @property
    def dollars_per_month(self) -> float:
        return 31 * self.dollars_per_day


def day_budget(
    policy: PollPolicy,
    spells: Iterable[Spell] = DAY_OF_USE,
    edit_bursts: int = EDIT_BURSTS_PER_DAY,
) -> DayBudget:
    """Requests of one device for a day. A poll is one ``LIST``; each edit burst adds a
    round of its own (``LIST`` + ``PUT``) and the next round reads the update back (``GET``).
    Pulling what other devices pushed adds one ``GET`` per update they made."""
    polls = polls_in(policy, spells)
    return DayBudget(lists=polls + edit_bursts, puts=edit_bursts, gets=edit_bursts)
