"""Small probes the mechanism tests share: states built, commits survived."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desktop_app.core import State, reducer
from desktop_app.storage import LocalStore
from desktop_app.storage.local_store import WriteStats


class Killed(BaseException):
    """Stands for a kill of the process right after a commit (a BaseException, as a
    kill is: no ``except Exception`` cleanup runs on the way out)."""


def kill_after(local: LocalStore, at: int) -> None:
    """``Killed`` is raised right after ``local``'s ``at``-th commit from now."""
    commits = 0

    def kill(stats: WriteStats) -> None:
        nonlocal commits
        commits += 1
        if commits == at:
            raise Killed

    local.on_write = kill


def count_states_built(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """From now on, how many ``State`` objects ``core.reducer`` builds."""
    built = 0

    def counted(*fields: object) -> State:
        nonlocal built
        built += 1
        return State(*fields)

    monkeypatch.setattr(reducer, "State", counted)
    return lambda: built
