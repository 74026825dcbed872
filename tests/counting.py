"""What the mechanism tests of storage and sync share: tasks journaled in bulk, a
kill right after a commit, a count of the states built."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from desktop_app.app import App
from desktop_app.core import Action, State, new_id, reducer
from desktop_app.core import actions as act
from desktop_app.storage import LocalStore
from desktop_app.storage.local_store import WriteStats


def journal_tasks(app: App, count: int, salt: str = "") -> None:
    """``count`` new tasks journaled at once (fast), as if typed offline."""
    now = datetime.now(UTC)
    at = int(now.timestamp() * 1000)
    args = [act.NewTask(id=new_id(), title=f"{salt}task {i}", created=now) for i in range(count)]
    app.local.record_many(Action(id=new_id(), device=app.device_id, at=at, arg=a) for a in args)
    app.reload_view()


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
