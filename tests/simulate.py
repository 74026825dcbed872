"""A deterministic sync simulator (FoundationDB / TigerBeetle style), issue 6.

Several devices (a real ``App`` on a real SQLite file each) share one in-memory
remote (``tests.sim_remote``). A seeded scheduler interleaves, one remote call
at a time, their sync rounds, roll-ups and local edits (``tests.sim_schedule``),
and injects the faults named in ``--faults``. After the faults stop, every
device runs clean rounds and the oracle checks that every acknowledged action
is in every device's state exactly once, that all devices are byte-identical,
that none is stuck, and that every refusal was an explicit error. After every
step it checks that each device still shows its own pending actions (issue 14).

    python -m tests.simulate --seed 7 --faults crash,lost_ack --steps 60 -v

A failure prints its seed and the command that replays it step by step.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop_app.app import App, AppError
from desktop_app.app.syncing import set_remote
from desktop_app.core import Action, State, apply, codec, ids, views
from desktop_app.core import actions as act
from desktop_app.core.actions import MergeState
from desktop_app.storage import StorageError
from desktop_app.sync import protocol
from desktop_app.sync import rollup as rollup_module
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.protocol import ProtocolError
from desktop_app.sync.remote import RemoteEntry, RemoteError, RemoteUnavailable
from desktop_app.sync.remote_config import RemoteConfig
from tests.sim_remote import Genesis, Log, SimRemote, decode_or_empty, fold_log, utc
from tests.sim_schedule import Deadlock, SimCrash, Worker

FAULTS = (
    "crash",  # a device loses power at any remote call (before or after it lands) and restarts
    "lost_ack",  # a write lands but the caller hears RemoteUnavailable
    "unavailable",  # any call fails with a transient 5xx before it reaches the store
    "torn",  # garbage at the next update position (a torn write, another program)
    "list_lag",  # a new key shows up in LIST only a few steps later
    "remote_empty",  # the remote is wiped; some devices are pointed at it again
    "remote_restore",  # the remote is replaced by an older backup of itself
    "remote_other",  # another vault appears behind the same name for a while
    "skew",  # device clocks hours apart, corrected backwards at times; 1 h retention
    "retention0",  # roll-ups delete everything they fold at once
)
EXPLICIT = (RemoteError, ProtocolError, StorageError)
EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: simulated time starts here
WORDS = ("milk", "report", "ideas", "trip", "x")
DEFAULT_STEPS = 60
PACES = (1.0, 1.0, 1.0, 0.02)  # one operation in four crawls (a laptop asleep mid-round)


class SimFailure(AssertionError):
    """An invariant broke; the message names the seed and how to replay it."""


@dataclass
class Ack:
    device: str
    step: int
    action: Action


@dataclass
class Device:
    """One machine: a profile directory, a skewed wall clock, an App, two workers."""

    name: str
    data_dir: Path
    skew_s: float
    app: App
    rounds: Worker
    rollups: Worker
    last_at: int = 0
    needs_repoint: bool = False

    @property
    def workers(self) -> tuple[Worker, Worker]:
        return (self.rounds, self.rollups)


class SimStore:
    """The RemoteStore one operation sees: every call is a scheduling point."""

    def __init__(self, sim: Simulation, worker: Worker) -> None:
        self._sim = sim
        self._worker = worker

    def _call(self, operation: str, key: str, run: Callable[[], Any]) -> Any:
        verdict = self._worker.point(operation, key)
        if verdict == "unavailable":
            raise RemoteUnavailable(f"{self.describe()} answered 503 Slow Down (simulated)")
        if verdict == "crash_after":  # the call lands; nobody hears the answer
            self._worker.crashed = True
            with contextlib.suppress(Exception):
                run()
            raise SimCrash
        result = run()
        if verdict == "lost_ack":
            raise RemoteUnavailable(f"connection to {self.describe()} reset (simulated)")
        return result

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        where = f"{prefix} after {start_after}" if start_after else prefix
        return self._call("list", where, lambda: self._sim.remote.list(prefix, start_after))

    def get(self, key: str) -> bytes:
        return self._call("get", key, lambda: self._sim.remote.get(key))

    def put_if_absent(self, key: str, data: bytes) -> bool:
        return self._call("put", key, lambda: self._sim.remote.put_if_absent(key, data))

    def delete(self, key: str) -> None:
        self._call("delete", key, lambda: self._sim.remote.delete(key))

    def describe(self) -> str:
        return self._sim.remote.describe()


@contextlib.contextmanager
def deterministic_ids(rng: random.Random, now: Callable[[], float]) -> Iterator[None]:
    """Ids from the seed and simulated time (they break ties, so replays need them).

    ``new_id`` reads ``time.time_ns`` and ``os.urandom`` through its module's
    globals; both are swapped for the run. Roll-up fetches on one pool thread so
    its remote calls stay sequential.
    """

    class _Time:
        @staticmethod
        def time_ns() -> int:
            return int(now() * 1e9)

    class _Os:
        @staticmethod
        def urandom(n: int) -> bytes:
            return rng.randbytes(n)

    saved = (ids.time, ids.os, ids._last_ms, ids._counter, rollup_module.FETCH_WORKERS)
    ids.time, ids.os, ids._last_ms, ids._counter = _Time, _Os, 0, 0  # type: ignore[assignment]
    rollup_module.FETCH_WORKERS = 1
    try:
        yield
    finally:
        ids.time, ids.os, ids._last_ms, ids._counter, rollup_module.FETCH_WORKERS = saved


def footprint(arg: act.Arg) -> set[str]:
    """What an action touches, so a later one touching the same may hide it."""
    if isinstance(arg, act.Batch):
        return set().union(*(footprint(s) for s in arg.steps))
    item = getattr(arg, "task", None) or getattr(arg, "note", None) or getattr(arg, "list", None)
    ids_ = {item.id} if item is not None else set(arg.target_ids)
    if isinstance(arg, act.DeleteItem):
        ids_.add(f"members:{arg.id}")  # deleting a list moves its members out
    list_id = getattr(arg, "list_id", None) or getattr(item, "list_id", None)
    if list_id:
        ids_.add(f"members:{list_id}")
    return ids_


def hidden_pending(view: State, pending: list[Action]) -> list[Action]:
    """Pending actions whose effect the view does not show (none may be, issue 14).

    Re-applying a shown action changes nothing; an action is only checked when
    no later pending action of the same device touches what it touches.
    """
    hidden: list[Action] = []
    later: set[str] = set()
    encoded: bytes | None = None
    for action in reversed(pending):
        touched = footprint(action.arg)
        if not touched & later:
            again = apply(view, action)
            if again is not view:
                encoded = encoded or codec.encode_state(view)
                if codec.encode_state(again) != encoded:
                    hidden.append(action)
        later |= touched
    return hidden


@dataclass
class Simulation:
    seed: int
    faults: frozenset[str]
    steps: int = DEFAULT_STEPS
    verbose: bool = False
    root: Path = field(default_factory=Path)
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = self.faults - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(FAULTS)}")
        self.rng = random.Random(self.seed)
        self.now = EPOCH
        self.step_no = 0
        self.faulty = True
        self.remote = SimRemote(str(self.root / "remote"), self._server_time, lambda: self.step_no)
        self.config = RemoteConfig(kind="folder", path=self.remote.describe())
        self.devices: list[Device] = []
        self.acks: dict[str, Ack] = {}
        self.backups: list[Log] = []
        self.original: Log | None = None  # the log hidden while another vault is shown
        self.foreign: list[Log] = []
        self.foreign_until = -1
        self.refusals = 0
        self.pace: dict[str, float] = {}  # a few operations crawl (a laptop asleep mid-round)
        # A writer suspended just before its upload races roll-ups (issue 6, scenario 3).
        self.suspend_weight = 2.0 if "retention0" in self.faults else 0.3

    # -- output ----------------------------------------------------------------------

    def say(self, text: str) -> None:
        line = f"{self.step_no:4d}  {text}".replace(str(self.root), "<tmp>")
        self.lines.append(line)
        if self.verbose:
            print(line, flush=True)

    def fail(self, problem: str) -> None:
        problem = problem.replace(str(self.root), "<tmp>")
        raise SimFailure(
            f"simulation failed: seed {self.seed}, faults {self.fault_arg}, step {self.step_no}: "
            f"{problem}\n  replay: {self.replay_command}"
        )

    @property
    def fault_arg(self) -> str:
        return ",".join(f for f in FAULTS if f in self.faults) or "none"

    @property
    def replay_command(self) -> str:
        return (
            f"python -m tests.simulate --seed {self.seed} --faults {self.fault_arg} "
            f"--steps {self.steps} -v"
        )

    # -- time --------------------------------------------------------------------------

    def _server_time(self) -> datetime:
        return utc(self.now)

    def wall(self, device: Device) -> float:
        return self.now + device.skew_s

    # -- devices -------------------------------------------------------------------------

    def add_device(self, name: str) -> Device:
        skew = self.rng.uniform(-7200, 7200) if "skew" in self.faults else 0.0
        data_dir = self.root / name
        device = Device(
            name,
            data_dir,
            skew,
            None,
            Worker(f"{name}-sync"),  # type: ignore[arg-type]
            Worker(f"{name}-rollup"),
        )
        self._open(device)
        set_remote(device.app, self.config)
        self.devices.append(device)
        return device

    def _open(self, device: Device) -> None:
        device.app = App(device.data_dir, wall=lambda: self.wall(device))
        device.app.store.subscribe(lambda state, action: self._acknowledged(device, action))

    def _acknowledged(self, device: Device, action: Action | None) -> None:
        if action is None:
            return
        if action.at <= device.last_at:
            self.fail(
                f"{device.name} stamped {action.name} {action.id[-6:]} at {action.at}, not after "
                f"its previous action at {device.last_at} (timestamps must never go back)"
            )
        device.last_at = action.at
        self.acks[action.id] = Ack(device.name, self.step_no, action)

    def crash(self, device: Device) -> None:
        """Power loss: abort its operations where they wait; only committed data survives."""
        busy = [w for w in device.workers if w.busy]
        where = (
            ", ".join(
                f"{w.name} at {w.waiting_at[0]} {w.waiting_at[1]}" for w in busy if w.waiting_at
            )
            or "idle"
        )
        if busy and self.rng.random() < 0.5:
            busy[0].grant("crash_after")  # the call lands, then the power goes
            where += " (after the call landed)"
            if not busy[0].busy and not isinstance(busy[0].error, SimCrash):
                self.fail(f"{busy[0].name} swallowed a crash and raised {busy[0].error!r}")
        for worker in device.workers:
            if not worker.busy:
                worker.stop()
                continue
            worker.crash()
            if not isinstance(worker.error, SimCrash):
                self.fail(f"{worker.name} swallowed a crash and raised {worker.error!r}")
            worker.stop()
        device.app.local.close()  # no checkpoint: the process is gone
        device.rounds, device.rollups = (
            Worker(f"{device.name}-sync"),
            Worker(f"{device.name}-rollup"),
        )
        self._open(device)
        self.say(f"crash {device.name} ({where}); restarted")

    def restart(self, device: Device) -> None:
        device.app.close()
        self._open(device)

        self.say(f"restart {device.name} (clean quit)")

    def repoint(self, device: Device) -> None:
        set_remote(device.app, self.config)
        device.needs_repoint = False
        self.say(f"{device.name}: user points it at the remote again")

    # -- operations ---------------------------------------------------------------------------

    def start_round(self, device: Device) -> None:
        def body(worker: Worker) -> Any:
            engine = SyncEngine(
                device.app.local,
                SimStore(self, worker),
                device.app.clock,
                remote_name=self.config.describe(),
                fetch_workers=1,
            )
            return engine.sync()

        self.say(f"{device.name}: round starts")
        self.pace[device.rounds.name] = self.rng.choice(PACES)
        device.rounds.start(body)
        self._after_grant(device, device.rounds)

    def start_rollup(self, device: Device) -> None:
        zero = "retention0" in self.faults and self.rng.random() < 0.6
        retention = (
            timedelta(0)
            if zero
            else timedelta(hours=1)
            if "skew" in self.faults
            else rollup_module.DEFAULT_RETENTION
        )

        def body(worker: Worker) -> Any:
            return rollup_module.rollup(
                SimStore(self, worker),
                vault_id=device.app.local.meta("vault_id"),
                retention=retention,
                now=lambda: utc(self.wall(device)),
                now_ms=lambda: int(self.wall(device) * 1000),
            )

        self.say(f"{device.name}: roll-up starts (retention {retention})")
        self.pace[device.rollups.name] = self.rng.choice(PACES)
        device.rollups.start(body)
        self._after_grant(device, device.rollups)

    def resume(self, device: Device, worker: Worker) -> None:
        assert worker.waiting_at is not None
        operation, key = worker.waiting_at
        verdict = self._verdict(operation)
        if verdict == "crash":
            self.crash(device)
            return
        self.remote.lag_steps = (
            self.rng.randint(1, 6) if self.faulty and "list_lag" in self.faults else 0
        )
        self.say(f"{worker.name}: {operation} {key}" + ("" if verdict == "ok" else f" [{verdict}]"))
        worker.grant(verdict)
        self._after_grant(device, worker)

    def _verdict(self, operation: str) -> str:
        if not self.faulty:
            return "ok"
        roll = self.rng.random()
        if "unavailable" in self.faults and roll < 0.05:
            return "unavailable"
        if "lost_ack" in self.faults and operation in ("put", "delete") and roll > 0.85:
            return "lost_ack"
        if "crash" in self.faults and 0.5 < roll < 0.53:
            return "crash"
        return "ok"

    def _after_grant(self, device: Device, worker: Worker) -> None:
        if worker.busy:
            return
        error = worker.error
        if isinstance(error, SimCrash):
            return  # crash() restarts the device
        if error is None:
            summary = getattr(worker.result, "summary", None)
            self.say(f"{worker.name}: done" + (f": {summary()}" if summary else ""))
        elif isinstance(error, EXPLICIT) and str(error).strip():
            self.refusals += 1
            self.say(f"{worker.name}: refused: {type(error).__name__}: {error}")
        else:
            detail = "".join(traceback.format_exception(error)).rstrip()
            self.fail(f"{worker.name} failed without an explicit error:\n{detail}")
        if worker is device.rounds:
            device.app.reload_view()  # the window reloads after every round, failed or not

    # -- local edits --------------------------------------------------------------------------

    def edit(self, device: Device) -> None:
        app, rng = device.app, self.rng
        state = app.state
        acked = len(self.acks)
        tasks, notes, lists = sorted(state.tasks), sorted(state.notes), sorted(state.lists)
        word = rng.choice(WORDS)
        n = rng.randrange(100)
        kinds = ["add_task", "add_note", "add_list", "undo", "redo"]
        if tasks:
            kinds += ["title", "done", "due", "priority", "tag", "untag", "move", "delete"]
        if notes:
            kinds += ["body", "note_title", "tag", "delete"]
        if lists:
            kinds += ["rename_list", "delete_list"]
        kind = rng.choice(kinds)
        task = rng.choice(tasks) if tasks else ""
        item = rng.choice(tasks + notes) if tasks or notes else ""
        try:
            if kind == "add_task":
                app.add_task(f"{word} {n}", list_name=word if n % 3 == 0 else None, tags=[word])
            elif kind == "add_note":
                app.add_note(f"note {n}", body=f"{word}\n")
            elif kind == "add_list":
                app.add_list(f"{word} {n}")
            elif kind == "undo":
                app.undo()
            elif kind == "redo":
                app.redo()
            elif kind == "title":
                app.edit(task, title=f"{word} {n}")
            elif kind == "note_title":
                app.edit(rng.choice(notes), title=f"{word} note {n}")
            elif kind == "done":
                app.edit(task, done=n % 2 == 0)
            elif kind == "due":
                app.edit(task, due=date(2026, 1, 1) + timedelta(days=n))
            elif kind == "priority":
                app.edit(task, priority=("low", "normal", "high")[n % 3])
            elif kind == "body":
                app.edit(rng.choice(notes), body=f"{word} by {device.name} {n}")
            elif kind == "tag":
                app.edit(item, add_tags=[word])
            elif kind == "untag":
                app.edit(item, remove_tags=[word])
            elif kind == "move":
                target = state.lists[rng.choice(lists)].name if lists and n % 4 else None
                app.edit(item, list_name=target)
            elif kind == "rename_list":
                app.edit(rng.choice(lists), title=f"{word} list {n}")
            elif kind == "delete_list":
                app.delete(rng.choice(lists))
            else:
                app.delete(item)
        except AppError as exc:
            if "could not save" in str(exc):  # the disk, not the input: an edit was lost
                self.fail(f"{device.name}: {kind} could not be saved: {exc}")
            self.say(f"{device.name}: {kind} refused: {exc}")
            return
        after = device.app.state
        made = list(self.acks.values())[acked:]
        action = f"{made[-1].action.name} {made[-1].action.id[-6:]}" if made else "no change"
        self.say(f"{device.name}: {kind}: {action} ({len(after.tasks)} tasks)")

    # -- faults ------------------------------------------------------------------------------

    def plant_torn(self) -> None:
        position = self.remote.head() + 1
        valid = protocol.encode(
            protocol.Update(id="torn", device="torn", at=0, position=position, actions=())
        )
        data = self.rng.choice(
            [
                b"",
                valid[: self.rng.randrange(1, max(2, len(valid)))],
                b"\x00\xff garbage",
                b'{"hello": "another program"}',
                b"<?xml version='1.0'?><Error/>",
            ]
        )
        if self.remote.plant(protocol.update_key(position), data):
            self.say(f"torn/garbage object planted at update {position} ({len(data)} bytes)")

    def repoint_some(self, reason: str) -> None:
        for device in self.devices:
            device.needs_repoint = True
        chosen = [d for d in self.devices if self.rng.random() < 0.5] or [self.devices[0]]
        self.say(reason)
        for device in chosen:
            self.repoint(device)

    def wipe(self) -> None:
        self.remote.swap(Log("empty"))
        self.repoint_some("the remote is replaced by an empty one")

    def restore_backup(self) -> None:
        backup = self.rng.choice(self.backups)
        self.remote.restore(backup)
        self.repoint_some(
            f"the remote is restored from an older backup (head {backup_head(backup)})"
        )

    def show_other_vault(self) -> None:
        other = foreign_vault(len(self.foreign), utc(self.now))
        self.foreign.append(other)
        self.original = self.remote.swap(other)
        self.foreign_until = self.step_no + self.rng.randint(3, 15)
        self.repoint_some("another vault appears behind the remote's name")

    def bring_back_vault(self) -> None:
        assert self.original is not None
        self.remote.swap(self.original)
        self.original = None
        self.say("the right vault is back behind the remote's name")
        for device in self.devices:
            if device.needs_repoint:
                self.repoint(device)

    # -- the schedule ------------------------------------------------------------------------

    def moves(self) -> list[tuple[float, Callable[[], None]]]:
        moves: list[tuple[float, Callable[[], None]]] = []
        for d in self.devices:
            for w in d.workers:
                if w.busy:
                    pace = self.pace.get(w.name, 1.0)
                    moves.append((6.0 * pace, lambda d=d, w=w: self.resume(d, w)))
                    if w.waiting_at and w.waiting_at[0] == "put" and pace == 1.0:
                        moves.append((self.suspend_weight, lambda w=w: self.suspend(w)))
            if not d.rounds.busy:
                moves.append((2.0, lambda d=d: self.start_round(d)))
            moves.append((3.0, lambda d=d: self.edit(d)))
            if not any(w.busy for w in d.workers):
                weight = 0.6 if "skew" in self.faults else 0.15
                moves.append((weight, lambda d=d: self.restart(d)))
        if not any(d.rollups.busy for d in self.devices):
            who = self.rng.choice(self.devices)
            # With retention 0, roll-ups race writers often (issue 6, scenario 3).
            weight = 2.0 if "retention0" in self.faults else 0.5
            moves.append((weight, lambda: self.start_rollup(who)))
        if not self.faulty:
            return moves
        faults = self.faults
        if "crash" in faults:
            moves += [(0.15, lambda d=d: self.crash(d)) for d in self.devices]
        if "torn" in faults:
            moves.append((0.4, self.plant_torn))
        if "skew" in faults:
            moves += [(0.1, lambda d=d: self.jump_clock(d)) for d in self.devices]
        if self.original is None and all(d.app.local.meta("vault_id") for d in self.devices):
            # Only once every device has joined: a device that never synced and finds an
            # empty remote rightly starts a vault of its own.
            if "remote_empty" in faults:
                moves.append((0.08, self.wipe))
            if "remote_restore" in faults:
                moves.append((0.4, lambda: self.backups.append(self.remote.backup())))
                if self.backups:
                    moves.append((0.1, self.restore_backup))
            if "remote_other" in faults:
                moves.append((0.08, self.show_other_vault))
        return moves

    def suspend(self, worker: Worker) -> None:
        self.pace[worker.name] = 0.02
        self.say(f"{worker.name}: suspended before its upload (the laptop sleeps)")

    def jump_clock(self, device: Device) -> None:
        jump = self.rng.uniform(-3600, 900)
        device.skew_s += jump
        self.say(
            f"{device.name}: clock corrected by {jump:+.0f} s (skew now {device.skew_s:+.0f} s)"
        )

    def step(self) -> None:
        self.step_no += 1
        self.now += self.rng.uniform(0.05, 3.0)
        if self.rng.random() < 0.03:
            self.now += self.rng.uniform(600, 6 * 3600)  # a laptop sleeps
        if self.original is not None and self.step_no >= self.foreign_until:
            self.bring_back_vault()
        moves = self.moves()
        total = sum(w for w, _ in moves)
        pick = self.rng.random() * total
        for weight, move in moves:
            pick -= weight
            if pick < 0:
                move()
                break
        else:
            moves[-1][1]()
        self.check_step()

    def check_step(self) -> None:
        if self.remote.violations:
            self.fail(self.remote.violations[0])
        for device in self.devices:
            pending = [a for _, a in device.app.local.local_actions()]
            hidden = hidden_pending(device.app.state, pending)
            if hidden:
                names = ", ".join(f"{a.name} {a.id[-6:]}" for a in hidden[:3])
                self.fail(f"{device.name} no longer shows its own pending action(s): {names}")

    # -- the end -------------------------------------------------------------------------------

    def run_to_end(self, device: Device, worker: Worker, start: Callable[[Device], None]) -> None:
        start(device)
        while worker.busy:
            self.step_no += 1
            self.resume(device, worker)
        if worker.error is not None:
            self.fail(f"{worker.name} is stuck after the faults stopped: {worker.error}")

    def settle(self) -> None:
        """Faults stop; every device syncs cleanly, a newcomer joins.

        A device asleep mid-round wakes only after the others have synced and
        rolled up once: the race of issue 6, scenario 3, when retention is 0.
        """
        self.faulty = False
        self.say("-- faults stop --")
        if self.original is not None:
            self.bring_back_vault()
        self.remote.show_all()
        for device in self.devices:
            if device.needs_repoint:
                self.repoint(device)
        self.drain(lambda w: self.pace.get(w.name, 1.0) == 1.0)
        awake = [d for d in self.devices if not d.rounds.busy]
        for device in awake:
            self.run_to_end(device, device.rounds, self.start_round)
        if awake and not awake[0].rollups.busy:
            self.run_to_end(awake[0], awake[0].rollups, self.start_rollup)
        self.drain(lambda w: True)
        for _ in range(2):
            for device in self.devices:
                self.run_to_end(device, device.rounds, self.start_round)
                self.check_step()
        roller = self.devices[0]
        self.run_to_end(roller, roller.rollups, self.start_rollup)
        for device in self.devices:
            self.run_to_end(device, device.rounds, self.start_round)
        newcomer = self.add_device("new")
        self.run_to_end(newcomer, newcomer.rounds, self.start_round)
        self.check_step()

    def drain(self, which: Callable[[Worker], bool]) -> None:
        """Run the chosen in-flight operations to their end, interleaved, without faults."""
        while busy := [(d, w) for d in self.devices for w in d.workers if w.busy and which(w)]:
            self.step_no += 1
            device, worker = self.rng.choice(busy)
            self.resume(device, worker)
            self.check_step()

    def check_final(self) -> None:
        expected, log_ids = self.final_log()
        want = codec.encode_state(expected)
        want_doc = views.document(expected)
        acked = set(self.acks)
        lost = [self.acks[i] for i in sorted(acked - log_ids, key=lambda i: (self.acks[i].step, i))]
        if lost:
            first = lost[0]
            self.fail(
                f"{len(lost)} acknowledged action(s) missing from the final log, first "
                f"{first.action.name} {first.action.id[-6:]} dispatched on {first.device} at "
                f"step {first.step}"
            )
        # merge_state actions are made by the protocol (a log's genesis, a rebind's
        # fallback), not dispatched by anyone: they are not strays.
        made_by_sync = {
            action.id
            for data in self.remote.log.history.values()
            for action in decode_or_empty(data)
            if isinstance(action.arg, MergeState)
        }
        stray = log_ids - acked - made_by_sync
        if stray:
            self.fail(f"the final log holds {len(stray)} action(s) no device of this vault made")
        for device in self.devices:
            if device.app.local.pending_count():
                self.fail(f"{device.name} still has {device.app.local.pending_count()} pending")
            if codec.encode_state(device.app.state) != want:
                self.fail(
                    f"{device.name} diverged from the final log: "
                    f"{describe_difference(views.document(device.app.state), want_doc)}"
                )
            if views.document(device.app.state) != want_doc:
                self.fail(f"{device.name}'s document differs from the final log's")
        for other in self.foreign:
            # A round or roll-up in flight when the store was swapped may still write
            # into the other vault (no client can prevent a blind write racing a swap).
            # What must hold: its readers cannot take any of it as theirs. An update
            # must not link to that vault's update before it, a snapshot must name
            # another log than that vault's.
            if other.highest_snapshot >= 0:
                self.fail("a device wrote a snapshot another vault would read")
            for position in sorted(set(other.history) - {1, 2}):
                stray = protocol.decode_update(other.history[position])
                before = other.history.get(position - 1)
                if before is not None and stray.prev == protocol.decode_update(before).id:
                    self.fail("a device wrote an update another vault would read as its own")

    def final_log(self) -> tuple[State, set[str]]:
        """What a reader from scratch sees: the newest snapshot and the run after it."""
        objects = self.remote.log.objects
        snapshots = sorted(
            p
            for k in objects
            if k.startswith(protocol.SNAPSHOTS) and (p := protocol.position_of(k)) is not None
        )
        genesis = Genesis(0, State(), frozenset())
        if snapshots:
            snap = protocol.decode_snapshot(objects[protocol.snapshot_key(snapshots[-1])].data)
            genesis = Genesis(snap.position, snap.state.to_state(), frozenset(snap.applied))
        run: list[bytes] = []
        position = genesis.position + 1
        while (key := protocol.update_key(position)) in objects:
            run.append(objects[key].data)
            position += 1
        state, applied = fold_log(genesis, run)
        return state, set(applied)

    def run(self) -> None:
        # Ids draw from their own stream: an engine making more or fewer ids keeps the schedule.
        with deterministic_ids(random.Random(self.seed * 7919 + 1), lambda: self.now):
            try:
                for i in range(self.rng.randint(2, 4)):
                    self.add_device(f"d{i}")
                self.say(f"seed {self.seed}, faults {self.fault_arg}, {len(self.devices)} devices")
                while self.step_no < self.steps:
                    self.step()
                self.settle()
                self.check_final()
                final = hashlib.sha256(codec.encode_state(self.devices[0].app.state)).hexdigest()
                self.say(f"ok: converged, nothing lost (state {final[:12]})")
            except Deadlock as exc:
                self.fail(str(exc))
            except SimFailure:
                raise
            except Exception as exc:  # a bug of the App or of the simulator: keep the seed
                detail = "".join(traceback.format_exception(exc)).rstrip()
                self.fail(f"unexpected exception on the scheduler's thread:\n{detail}")
            finally:
                self.close()

    def close(self) -> None:
        for device in self.devices:
            for worker in device.workers:
                with contextlib.suppress(BaseException):
                    worker.stop()
            with contextlib.suppress(BaseException):
                device.app.local.close()


def backup_head(log: Log) -> int:
    return max(log.history, default=0)


def foreign_vault(index: int, at: datetime) -> Log:
    """Another vault's log: its own meta and two updates by a device we never saw."""
    log = Log(f"other vault {index}", genesis=Genesis(0, State(), frozenset()))
    meta = protocol.VaultMeta(format=protocol.FORMAT_VERSION, vault_id=f"other-vault-{index}")
    log.objects[protocol.META_KEY] = _stored(protocol.encode(meta), at, f"other{index}-meta")
    for position in (1, 2):
        task = act.NewTask(id=f"other-{index}-task-{position}", title="not yours", created=at)
        action = Action(id=f"other-{index}-action-{position}", device="other", at=0, arg=task)
        data = protocol.encode(
            protocol.Update(
                id=f"other-{index}-{position}",
                device="other",
                at=0,
                position=position,
                actions=(action,),
            )
        )
        log.objects[protocol.update_key(position)] = _stored(data, at, f"other{index}-{position}")
        log.history[position] = data
    return log


def _stored(data: bytes, at: datetime, etag: str) -> Any:
    from tests.sim_remote import StoredObject

    return StoredObject(data, etag, at, 0)


def describe_difference(got: dict[str, Any], want: dict[str, Any]) -> str:
    """The first difference between two ``views.document`` results, in words."""

    def label(item: dict[str, Any]) -> str:
        return f"{item['id'][-6:]} ({item.get('title', item.get('name'))!r})"

    for kind in ("lists", "tasks", "notes"):
        mine = {i["id"]: i for i in got[kind]}
        theirs = {i["id"]: i for i in want[kind]}
        if missing := sorted(set(theirs) - set(mine)):
            return f"lacks {kind[:-1]} {label(theirs[missing[0]])}"
        if extra := sorted(set(mine) - set(theirs)):
            return f"has an extra {kind[:-1]} {label(mine[extra[0]])}"
        for key in sorted(mine):
            if mine[key] != theirs[key]:
                fields = [f for f in mine[key] if mine[key][f] != theirs[key][f]]
                return f"{kind[:-1]} {label(mine[key])} differs in {fields}"
    return "same document, different bytes"


def scratch_root() -> Path:
    """A temp dir, in RAM when the system has one (SQLite's fsyncs dominate otherwise)."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and _writable(shm) else None
    return Path(tempfile.mkdtemp(prefix="tidemark-sim-", dir=base))


def _writable(path: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def simulate(
    seed: int, faults: frozenset[str] | set[str], steps: int = DEFAULT_STEPS, verbose: bool = False
) -> Simulation:
    """Run one seeded schedule; raises SimFailure naming the seed and the replay command."""
    root = scratch_root()
    sim = Simulation(seed, frozenset(faults), steps, verbose, root)
    try:
        sim.run()
    except SimFailure as failure:
        if not verbose:
            tail = "\n".join(sim.lines[-25:])
            raise SimFailure(f"{failure}\n  last steps:\n{tail}") from None
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return sim


def trace(seed: int, faults: frozenset[str] | set[str], steps: int = DEFAULT_STEPS) -> list[str]:
    """Every line a run prints, whether it passes or fails (replays compare these)."""
    root = scratch_root()
    sim = Simulation(seed, frozenset(faults), steps, False, root)
    try:
        sim.run()
    except SimFailure as failure:
        sim.lines.append(str(failure).replace(str(root), "<tmp>"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return sim.lines


def run_many(jobs: list[tuple[str, int]], steps: int = DEFAULT_STEPS) -> list[str]:
    """Run (fault class, seed) schedules; the failure messages (a process-pool entry point)."""
    failures = []
    for fault_class, seed in jobs:
        try:
            simulate(seed, parse_faults(fault_class), steps)
        except SimFailure as failure:
            failures.append(str(failure).split("\n  last steps:")[0])
    return failures


def parse_faults(text: str) -> frozenset[str]:
    if text in ("", "none"):
        return frozenset()
    if text == "all":
        return frozenset(FAULTS)
    faults = frozenset(f.strip() for f in text.split(",") if f.strip()) - {"none"}
    if unknown := faults - set(FAULTS):
        raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(FAULTS)}")
    return faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument(
        "--faults", default="none", help=f"comma-separated: {', '.join(FAULTS)}; or all, none"
    )
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--seeds", type=int, default=1, help="run SEED, SEED+1, ... this many")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step")
    args = parser.parse_args(argv)
    try:
        faults = parse_faults(args.faults)
        started = time.perf_counter()
        failed = 0
        for seed in range(args.seed, args.seed + args.seeds):
            try:
                simulate(seed, faults, args.steps, args.verbose)
            except SimFailure as failure:
                failed += 1
                print(failure, file=sys.stderr)
        elapsed = time.perf_counter() - started
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.seeds - failed}/{args.seeds} schedule(s) passed in {elapsed:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
