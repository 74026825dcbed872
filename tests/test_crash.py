"""Invariant 1: nothing acknowledged is lost, even to SIGKILL at any moment.

A child process (no Qt) drives the real App and prints each action id only
after ``dispatch`` returned. The parent kills it at random moments, dozens of
times over one profile so history, checkpoints and undo state accumulate, and
after every kill checks that each printed id is in the journal, that SQLite's
integrity check passes, and that start-up (checkpoint + replay) gives exactly
the state a full replay of the journal gives.

The schedule follows one seed, printed at the start and named in any failure;
``TIDEMARK_CRASH_SEED=N pytest tests/test_crash.py -s`` replays it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_app.app import App
from desktop_app.core import fold
from desktop_app.storage import DB_NAME, LocalStore

ROUNDS = 80
REPO = Path(__file__).resolve().parent.parent

# A dispatch checkpoints every 25 actions instead of 10,000, so kills land inside them too.
CHILD = r"""
import random, sys
from datetime import UTC, datetime
from desktop_app.app import App, engine
from desktop_app.core import actions as act, new_id

engine.CHECKPOINT_IN_DISPATCH_EVERY = 25
app = App(sys.argv[1])
rnd = random.Random(int(sys.argv[2]))
tasks = list(app.state.tasks.keys())
created = datetime(2024, 1, 1, tzinfo=UTC)
while True:
    roll = rnd.random()
    if roll < 0.6 or not tasks:
        task_id = new_id()
        action = app.dispatch(act.NewTask(id=task_id, title="t%d" % len(tasks), created=created))
        tasks.append(task_id)
    elif roll < 0.8:
        action = app.dispatch(act.TaskDone(id=rnd.choice(tasks), done=rnd.random() < 0.5))
    elif roll < 0.9:
        action = app.dispatch(act.Batch(steps=(
            act.TaskTitle(id=rnd.choice(tasks), title="renamed"),
            act.AddTag(id=rnd.choice(tasks), tag="x%d" % rnd.randrange(5)),
        )))
    else:
        action = app.undo() if roll < 0.95 else app.redo()
        if action is None:
            continue
    print(action.id, flush=True)
"""


class Child:
    """The child process plus a reader thread collecting complete output lines."""

    def __init__(self, data_dir: Path, seed: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("QT_QPA_PLATFORM", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data_dir), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if raw.endswith(b"\n"):  # a torn last line was never fully acknowledged
                with self._changed:
                    self.lines.append(raw.decode().strip())
                    self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.lines) < count and self.proc.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)

    def kill(self) -> tuple[list[str], bytes]:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.proc.stderr is not None
        return list(self.lines), self.proc.stderr.read()


SEED_ENV = "TIDEMARK_CRASH_SEED"


def crash_seed() -> int:
    """The seed from ``TIDEMARK_CRASH_SEED`` (to replay a failure), else a fresh one."""
    text = os.environ.get(SEED_ENV, "").strip()
    return int(text) if text else random.randrange(1 << 30)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path) -> None:
    seed = crash_seed()
    print(f"crash test: {SEED_ENV}={seed}")  # shown by `pytest -s` and in a failure's output
    try:
        _kill_at_random_moments(tmp_path, seed)
    except BaseException as exc:
        exc.add_note(f"replay with {SEED_ENV}={seed}")
        raise


def _kill_at_random_moments(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    data_dir = tmp_path / "profile"
    acknowledged: set[str] = set()
    killed_mid_run = 0
    for round_no in range(ROUNDS):
        child = Child(data_dir, rnd.randrange(1 << 30))
        if round_no % 4 == 0:
            # Any moment at all, start-up and migration included.
            time.sleep(rnd.uniform(0.0, 0.25))
        else:
            child.wait_for(rnd.randint(1, 12))
            time.sleep(rnd.uniform(0.0, 0.02))
        alive = child.proc.poll() is None
        printed, stderr = child.kill()
        context = f"seed={seed} round={round_no}"
        assert alive, f"child died by itself ({context}): {stderr.decode()[-2000:]}"
        killed_mid_run += bool(printed)
        acknowledged.update(printed)

        local = LocalStore(data_dir / DB_NAME)
        try:
            assert local.integrity_check() == "ok", context
            journal = [a for _, a in local.local_actions()]
            folded = local.applied_ids()  # with no remote, a long journal folds into the base
            base, _ = local.base()
        finally:
            local.close()
        missing = acknowledged - {a.id for a in journal} - folded
        assert not missing, f"acknowledged actions lost ({context}): {sorted(missing)[:5]}"

        if round_no % 3 == 0 or round_no == ROUNDS - 1:
            app = App(data_dir)
            try:
                assert app.state == fold(base, journal), f"start-up != replay ({context})"
            finally:
                app.close()

    assert killed_mid_run >= 40, f"too few kills landed mid-run (seed={seed})"
    assert len(acknowledged) > 200, f"only {len(acknowledged)} acknowledged (seed={seed})"
    print(f"crash test: seed={seed} kills={ROUNDS} acknowledged={len(acknowledged)}")
