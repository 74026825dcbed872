"""The local SQLite store: the journal of actions, checkpoints, sync bookkeeping.

Durability choice: WAL with ``synchronous=FULL``. NORMAL would survive a process
crash but can lose the last commits on a power cut, and invariant 1 promises an
acknowledged edit survives both. FULL costs ~150 us per commit here: invisible at
human typing speed, and an import is one transaction. A sync round's thread
commits at NORMAL (``background_writes`` says why that loses nothing acknowledged).

One connection per thread: the GUI thread dispatches while the sync worker
pulls; SQLite's WAL lets them read and write without blocking each other for long.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import NamedTuple

import msgspec

from desktop_app.core import Action, Arg, CodecError, History, State, codec, load_order, new_id
from desktop_app.core.actions import AnyArg
from desktop_app.core.changes import Changes, Row, changed_rows
from desktop_app.core.model import Note, Task, TaskList, Tombstone
from desktop_app.core.slices import release_in_slices
from desktop_app.storage import base_swap
from desktop_app.storage.base_swap import BaseSwap, Sizer
from desktop_app.storage.compact_bodies import (
    NoteBodyOf,
    resolve_inverse,
    restore_action,
    strip_action,
    strip_inverse,
)
from desktop_app.storage.migrations import MIGRATIONS, SCHEMA_VERSION

DB_NAME = "tidemark.sqlite3"
HISTORY_LIMIT = 500  # undo steps kept unless the user chose otherwise (meta history_limit)
HISTORY_LIMIT_KEY = "history_limit"
MIN_HISTORY_LIMIT, MAX_HISTORY_LIMIT = 1, 100_000
# A stack shows only its newest ``history_limit`` entries; the older ones are deleted
# by the push whose seq is a multiple of this, and before every pop (``_push``).
TRIM_HISTORY_EVERY = 64
# Each stack's table (migration 8); table names are never taken from input.
_STEPS = {"undo": "undo_steps", "redo": "redo_steps"}
# The body of a view checkpoint that is the base itself (after the journal was folded).
SAME_AS_BASE = b""
# Meta flag set by a sync round: the view is the base plus the whole journal, and the
# view row is stale (a round no longer rewrites it: freeing a view the App saved whole,
# 34 MB at 100,000 items, held the write lock 75 ms inside the round's commit).
VIEW_IS_BASE_META = "view_is_base"
BUSY_TIMEOUT_S = 10  # how long a statement waits for another connection's lock
HANDOFF_S = 0.1  # the longest a round waits for the writers it lets go first
# SQLite's default: a connection that commits past this many WAL pages copies them
# into the database inside its COMMIT (docs/architecture.md, "Short write locks").
WAL_AUTOCHECKPOINT_PAGES = 1000
# A background writer (``background_writes``) checkpoints itself after this many rows
# written, outside its transactions, so the WAL stays short for the other connections.
BACKGROUND_CHECKPOINT_ROWS = 2000
# A start-over writing more rows than this stages them in short commits (base_swap).
STAGE_ABOVE_ROWS = 1_000
PRIVATE_FOLDER = 0o700  # like ~/.ssh: notes are nobody else's business
PRIVATE_FILE = 0o600  # SQLite gives the -wal and -shm files the database's mode


class StorageError(Exception):
    """The local database cannot be used; the message says why in plain words."""


class WriteStats(NamedTuple):
    """One committed write transaction, as ``LocalStore.on_write`` sees it."""

    rows: int  # rows inserted, updated or deleted
    held_s: float  # BEGIN IMMEDIATE to the end of COMMIT: the write lock's hold
    work_s: float  # the same without the COMMIT
    durable: bool  # committed with synchronous=FULL (fsynced before COMMIT returned)


def _checkpoint_row(db: sqlite3.Connection, name: str) -> tuple[bytes, int] | None:
    """A checkpoint's body and mark, the body read through a blob handle.

    A ``SELECT`` of the body has SQLite assemble the whole value in a buffer of its
    own, which Python then copies: twice the memory touched. The handle copies the
    row's pages straight into the bytes object: a process opening a profile with a
    50 MB note faults in 50 MB fewer (~12,000 page faults, 15-30 ms). Inside a
    transaction only (every caller's), so the row found is the row read."""
    if not db.in_transaction:
        row = db.execute("SELECT body, mark FROM checkpoints WHERE name=?", (name,)).fetchone()
        return (row[0], row[1]) if row else None
    found = db.execute("SELECT rowid, mark FROM checkpoints WHERE name=?", (name,)).fetchone()
    if found is None:
        return None
    with db.blobopen("checkpoints", "body", found[0], readonly=True) as blob:
        return blob.read(), found[1]


class LocalStore:
    """Implements the core ``Journal`` and keeps what sync needs between rounds."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        """``read_only``: never write, not even a migration or a lock (``show``, ``export``,
        ``status``); works on read-only media and while another process writes."""
        self.path = Path(path)
        self.read_only = read_only
        self._uri: str | None = None
        self._local = threading.local()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        # Bytes journaled through this object: the App checkpoints after many.
        self.journaled_bytes = 0
        # (base generation, base): the decoded base, kept while no commit (of this
        # process or another) moves the generation on. Immutable, so threads share it.
        self._base_cache: tuple[int, State] | None = None
        # The longest a write transaction of this object held SQLite's write lock
        # (from BEGIN IMMEDIATE to the end of COMMIT), and the most rows one wrote:
        # what a dispatch from another thread may wait for. Tools reset them.
        self.longest_write_s = 0.0
        self.longest_write_work_s = 0.0  # the same without the COMMIT's fsync
        self.largest_write_rows = 0
        # Rounds running in ``background_writes`` on this object's threads.
        self._rounds = 0
        # Writers of this object on other threads that asked for the lock while a
        # round ran and have not committed yet: the round lets them go first
        # (``_begin_immediate``). ``_handoff`` is notified whenever one of them, or
        # a round's transaction, ends.
        self._yielding_to = 0
        self._handoff = threading.Condition(self._lock)
        # How often a write of this object found the lock taken while a round ran,
        # and its longest wait.
        self.lock_waits = 0
        self.longest_lock_wait_s = 0.0
        # Called after every write transaction of this object commits (tests and
        # benchmarks: per-transaction rows and hold; raising there stops the caller
        # between two commits, as a kill would).
        self.on_write: Callable[[WriteStats], None] | None = None
        try:
            if read_only:
                self._open_read_only()
                self.device_id = self.meta("device_id") or ""
                return
            self._create_private()
            self._migrate()
            self.device_id = self.meta("device_id") or self._init_device()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path} is not a readable Tidemark database ({exc})") from None
        except OSError as exc:
            raise StorageError(f"cannot open {self.path}: {exc.strerror or exc}") from None

    @classmethod
    def in_dir(cls, data_dir: Path | str, *, read_only: bool = False) -> LocalStore:
        return cls(Path(data_dir) / DB_NAME, read_only=read_only)

    def _create_private(self) -> None:
        """A new data folder 0700 and database 0600, whatever the umask."""
        if not self.path.parent.exists():
            self.path.parent.mkdir(PRIVATE_FOLDER, parents=True, exist_ok=True)
        with suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))

    def _open_read_only(self) -> None:
        """``mode=ro`` sees a live WAL; on read-only media without the WAL's shared-memory
        file that cannot open, and ``immutable=1`` reads the file as it lies there."""
        if not self.path.exists():
            self._uri = "file::memory:"  # no profile yet: an empty one, nothing created
            self._migrate()
            return
        base = "file:" + urllib.parse.quote(os.fsencode(self.path.absolute()))
        for query in ("mode=ro", "mode=ro&immutable=1"):
            self._uri = f"{base}?{query}"
            try:
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                break
            except sqlite3.OperationalError:
                self.close()
                if query != "mode=ro":
                    raise
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} was written by a newer Tidemark (schema {version}); "
                "update the app to open it"
            )
        if version < SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} needs an upgrade that this read-only command does not make; "
                "run a command that changes something first"
            )

    # -- connections and transactions ----------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._uri is not None:
                conn = sqlite3.connect(
                    self._uri, uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            self._local.conn = conn
            with self._lock:
                self._close_orphans()
                self._connections.append((threading.current_thread(), conn))
        return conn

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended (pool threads come and
        go; keeping theirs would exhaust file descriptors over many rounds)."""
        alive = []
        for thread, conn in self._connections:
            if thread.is_alive():
                alive.append((thread, conn))
            else:
                conn.close()
        self._connections = alive

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any exception."""
        db = self.db
        polled = False
        waiting = self._rounds > 0 and not self._background and not self.read_only
        if waiting:
            with self._handoff:
                self._yielding_to += 1
        try:
            self._relax(db)
            polled = self._begin_immediate(db)
            locked, rows = time.perf_counter(), db.total_changes
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            written = time.perf_counter()
            db.execute("COMMIT")
            done = time.perf_counter()
            stats = WriteStats(
                db.total_changes - rows, done - locked, written - locked, not self._background
            )
            self.longest_write_s = max(self.longest_write_s, stats.held_s)
            self.longest_write_work_s = max(self.longest_write_work_s, stats.work_s)
            self.largest_write_rows = max(self.largest_write_rows, stats.rows)
        except sqlite3.Error as exc:
            # Disk full, read-only media, a locked or damaged file: one sentence for
            # the user; the rollback kept everything already saved intact.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StorageError(f"could not save to {self.path} ({exc})") from None
        finally:
            if polled:  # the lock is ours or given back: nothing inside waits on it
                db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            if waiting or self._background:
                with self._handoff:
                    self._yielding_to -= waiting
                    self._handoff.notify_all()
        self._local.last_write = stats
        if self._background:
            self._local.unchecked_rows += stats.rows
            if self._local.unchecked_rows >= BACKGROUND_CHECKPOINT_ROWS:
                self._checkpoint_wal(db)
        if self.on_write is not None:
            self.on_write(stats)

    def last_write(self) -> WriteStats:
        """What this thread's last write transaction cost."""
        return self._local.last_write

    @property
    def _background(self) -> bool:
        return getattr(self._local, "background", False)

    @contextmanager
    def background_writes(self) -> Iterator[None]:
        """Write transactions of this thread meanwhile hold the write lock only for
        their own rows: the sync round's (docs/architecture.md, "Short write locks").

        ``synchronous=NORMAL``: a COMMIT appends to the WAL without an fsync; the
        fsync comes with the next FULL commit of any connection (a dispatch), or
        the checkpoint this thread runs, outside any transaction, after every
        ``BACKGROUND_CHECKPOINT_ROWS`` rows it wrote (counted across rounds: a
        10-edit round does not pay a checkpoint, and the WAL stays well under the
        1,000 pages at which another connection's COMMIT would checkpoint it).
        A power cut may drop a suffix of these commits, never a part of one, and
        never a commit acknowledged to the user (dispatches stay FULL, and a FULL
        commit syncs every frame before it). Everything written here is derived
        from the remote log and the journal, so the next round writes it again.
        No automatic checkpoint inside COMMIT: it copied the WAL into the database
        and fsynced it there, while the lock was still counted as held.
        """
        if self.read_only or self._background:
            yield
            return
        # The pragmas are set by the first write (an idle round runs none of them).
        self._local.background, self._local.relaxed = True, False
        self._local.unchecked_rows = getattr(self._local, "unchecked_rows", 0)
        with self._lock:
            self._rounds += 1
        try:
            yield
        finally:
            with self._lock:
                self._rounds -= 1
            self._local.background = False
            db = self.db
            if self._local.relaxed:
                db.execute("PRAGMA synchronous=FULL")
                db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
                self._local.relaxed = False

    def _relax(self, db: sqlite3.Connection) -> None:
        """In ``background_writes``: commit without an fsync or a checkpoint."""
        if self._background and not self._local.relaxed:
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA wal_autocheckpoint=0")
            self._local.relaxed = True

    def _checkpoint_wal(self, db: sqlite3.Connection) -> None:
        """Copy the WAL into the database (PASSIVE: never waits for, nor blocks, the
        other connections' reads and writes); fsyncs the WAL first, the file after."""
        if not db.in_transaction:
            with suppress(sqlite3.Error):  # a cache flush: the next one catches up
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self._local.unchecked_rows = 0

    def _begin_immediate(self, db: sqlite3.Connection) -> bool:
        """Take the write lock; while a round of this store runs on another thread,
        as soon as it is free.

        SQLite's busy handler sleeps in growing steps (1, 2, 5, 10... ms) while
        another connection writes, so a dispatch from the window could sleep on
        long after a round's 3 ms commit ended. While a round runs here
        (``background_writes``), the busy timeout is off (the caller turns it back
        on after its transaction: nothing inside one waits on the lock) and a poll
        every millisecond takes the lock within one of its release: two pragmas
        (~16 us) that a dispatch pays only then; returns whether it did. Counts
        the times the lock was found taken (``lock_waits``) and the longest wait."""
        if self._background:
            self._let_waiting_writers_go()
        if not self._rounds or self._background:
            db.execute("BEGIN IMMEDIATE")  # the busy timeout covers other processes
            return False
        db.execute("PRAGMA busy_timeout=0")
        try:
            if self._try_begin(db):  # free: the common case
                return True
            started = time.perf_counter()
            deadline = time.monotonic() + BUSY_TIMEOUT_S
            try:
                while not self._try_begin(db):
                    if time.monotonic() > deadline:
                        raise sqlite3.OperationalError("database is locked")
                    with self._handoff:  # the round's commit wakes it at once
                        self._handoff.wait(0.001)
            finally:
                self.lock_waits += 1
                waited = time.perf_counter() - started
                self.longest_lock_wait_s = max(self.longest_lock_wait_s, waited)
        except BaseException:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            raise
        return True

    def _let_waiting_writers_go(self) -> None:
        """A round's next transaction waits until the writers of other threads that
        asked for the lock meanwhile have committed (at most ``HANDOFF_S``).

        A round that commits chunk after chunk (a first pull's staging) takes the
        lock again microseconds after it let it go, and a dispatch polling every
        millisecond then found it taken chunk after chunk: 20-40 ms of waiting at
        100,000 tasks with no hold over 6 ms. Dispatches are few (a person
        typing), so the round loses little; it never waits for other processes
        (the busy timeout serves those)."""
        with self._handoff:
            self._handoff.wait_for(lambda: self._yielding_to == 0, HANDOFF_S)

    @staticmethod
    def _try_begin(db: sqlite3.Connection) -> bool:
        """BEGIN IMMEDIATE; False if another connection holds the write lock."""
        try:
            db.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise

    @contextmanager
    def read_transaction(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several reads: a commit by another connection
        lands wholly before or wholly after it, never between two of the reads."""
        db = self.db
        if db.in_transaction:  # already inside a (write) transaction: that is the snapshot
            yield db
            return
        try:
            db.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StorageError(f"could not read {self.path} ({exc})") from None
        try:
            yield db
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection (thread or process) commits to the file;
        this connection's own commits leave it alone. One cheap pragma, for polling."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            for _, conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path} was written by a newer Tidemark (schema {version}); "
                    "update the app to open it"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")

    def _init_device(self) -> str:
        device = new_id()
        self.set_meta("device_id", device)
        return device

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    # -- metadata ---------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None, db: sqlite3.Connection | None = None) -> None:
        conn = db or self.db
        if value is None:
            conn.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- the journal (core.Journal) -------------------------------------------------

    def record(self, action: Action, history: History) -> int:
        """Write ``action`` and its undo bookkeeping in one durable transaction.

        Returns the action's journal seq: a gap before it means another connection
        journaled actions in between, which the caller's state does not hold yet.
        """
        stripped, bases = strip_action(action)
        body = codec.encode_action(stripped)
        inverse: tuple[bytes, bytes | None] | None = None
        if history.inverse is not None:
            arg, texts = strip_inverse(history.inverse)
            inverse = codec.encode(arg), texts
        with self.transaction() as db:
            seq = db.execute(
                "INSERT INTO local_actions(id, body, bases) VALUES (?, ?, ?)",
                (action.id, body, bases),
            ).lastrowid
            if history.kind == "edit":
                # Not a bare DELETE: SQLite's truncation of a whole table rewrites its
                # root page even when empty, a page in every commit. (seq starts at 1.)
                db.execute("DELETE FROM redo_steps WHERE seq > 0")
                self._push(db, "undo", inverse)
            elif history.kind == "undo":
                self._pop(db, "undo")
                self._push(db, "redo", inverse)
            else:
                self._pop(db, "redo")
                self._push(db, "undo", inverse)
        assert seq is not None
        self.journaled_bytes += len(body) + len(bases or b"")
        return seq

    def undo_top(self, body_of: NoteBodyOf = lambda _: None) -> Arg | None:
        entry = self.history_top("undo", body_of)
        return None if entry is None else entry[0]

    def redo_top(self, body_of: NoteBodyOf = lambda _: None) -> Arg | None:
        entry = self.history_top("redo", body_of)
        return None if entry is None else entry[0]

    def history_top(self, stack: str, body_of: NoteBodyOf) -> tuple[Arg, bool] | None:
        """The top of ``stack``, rebuilt against the notes' bodies now (``body_of``);
        False when a long body's change could not be found in its note any more."""
        row = self.db.execute(
            f"SELECT body, texts FROM {_STEPS[stack]} ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return resolve_inverse(codec.decode(row[0], AnyArg), row[1], body_of)

    def history_limit(self) -> int:
        """How many undo (and redo) steps are kept: the user's choice, or ``HISTORY_LIMIT``."""
        try:
            return int(self.meta(HISTORY_LIMIT_KEY) or HISTORY_LIMIT)
        except ValueError:
            return HISTORY_LIMIT

    def set_history_limit(self, limit: int) -> None:
        """Keep ``limit`` undo steps from now on; older ones are dropped at once."""
        if not MIN_HISTORY_LIMIT <= limit <= MAX_HISTORY_LIMIT:
            raise StorageError(
                f"the undo history must keep between {MIN_HISTORY_LIMIT} and "
                f"{MAX_HISTORY_LIMIT} steps, not {limit}"
            )
        with self.transaction() as db:
            # Entries past the old limit are gone already, even if not yet deleted
            # (``_push``): a larger limit must not bring them back.
            keep = min(limit, self.history_limit())
            self.set_meta(HISTORY_LIMIT_KEY, str(limit), db)
            for stack in ("undo", "redo"):
                self._trim(db, stack, keep)

    def history_size(self, stack: str = "undo") -> int:
        """How many steps ``stack`` holds: its entries, at most the limit (``_push``)."""
        count = self.db.execute(f"SELECT count(*) FROM {_STEPS[stack]}")
        return min(count.fetchone()[0], self.history_limit())

    def _push(
        self, db: sqlite3.Connection, stack: str, entry: tuple[bytes, bytes | None] | None
    ) -> None:
        """Put ``entry`` on top of ``stack``; the stack shows its newest ``history_limit``.

        The entries under them are deleted in batches, not one per dispatch: deleting
        the oldest row found it by walking the whole stack (``_trim``: 16 us at 500
        steps, linear in the limit) and rewrote two more pages per commit (the oldest
        leaf of the table and of its index), a third of a dispatch's cost beyond the
        journal row itself. A stack holds at most ``TRIM_HISTORY_EVERY`` such rows
        (the push whose seq is a multiple of it trims); ``_pop`` trims first, so they
        never come back as steps, and ``set_history_limit`` never raises the limit
        over them. Readers see only the top (``history_top``) or the capped count.
        """
        if entry is None:
            return
        seq = db.execute(f"INSERT INTO {_STEPS[stack]}(body, texts) VALUES (?, ?)", entry).lastrowid
        if seq is not None and seq % TRIM_HISTORY_EVERY == 0:
            self._trim(db, stack, self.history_limit())

    @staticmethod
    def _trim(db: sqlite3.Connection, stack: str, limit: int) -> None:
        steps = _STEPS[stack]
        db.execute(
            f"DELETE FROM {steps} WHERE seq <= "
            f"(SELECT seq FROM {steps} ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (limit,),
        )

    def _pop(self, db: sqlite3.Connection, stack: str) -> None:
        """Take the top step off ``stack``, after the entries past the limit (``_push``)."""
        self._trim(db, stack, self.history_limit())
        steps = _STEPS[stack]
        db.execute(f"DELETE FROM {steps} WHERE seq = (SELECT max(seq) FROM {steps})")

    # -- local actions ----------------------------------------------------------------

    def record_many(self, actions: Iterable[Action]) -> None:
        """Journal several actions at once (no undo entries): used by tests and tools."""
        rows = [self._journal_row(a) for a in actions]
        with self.transaction() as db:
            db.executemany("INSERT INTO local_actions(id, body, bases) VALUES (?, ?, ?)", rows)

    @staticmethod
    def _journal_row(action: Action) -> tuple[str, bytes, bytes | None]:
        stripped, bases = strip_action(action)
        return action.id, codec.encode_action(stripped), bases

    def local_actions(self, after_seq: int = 0) -> list[tuple[int, Action]]:
        """Actions dispatched here and not yet folded into the base, in local order."""
        rows = self.db.execute(
            "SELECT seq, body, bases FROM local_actions WHERE seq > ? ORDER BY seq", (after_seq,)
        ).fetchall()
        return [(seq, self._decode_action(body, bases)) for seq, body, bases in rows]

    def journal_bytes(self, after_seq: int = 0) -> int:
        """How much the journal holds after ``after_seq``: what a start would replay."""
        row = self.db.execute(
            "SELECT sum(length(body) + coalesce(length(bases), 0)) FROM local_actions "
            "WHERE seq > ?",
            (after_seq,),
        ).fetchone()
        return row[0] or 0

    def last_seq(self) -> int:
        row = self.db.execute("SELECT max(seq) FROM local_actions").fetchone()
        stored = self.db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name='local_actions'"
        ).fetchone()
        return max(row[0] or 0, stored[0] if stored else 0)

    def pending_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM local_actions").fetchone()[0]

    @staticmethod
    def _decode_action(body: bytes, bases: bytes | None = None) -> Action:
        try:
            return restore_action(codec.decode_action(body), bases)
        except (CodecError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise StorageError(f"the local journal holds an unreadable action ({exc})") from None

    # -- checkpoints ----------------------------------------------------------------------

    def save_checkpoint(
        self, name: str, state: State, mark: int, db: sqlite3.Connection | None = None
    ) -> None:
        body = codec.encode_state(state)
        write = self._write_whole_base if name == "base" else self._write_view
        if db is not None:
            write(db, name, mark, body)
            return
        with self.transaction() as conn:
            write(conn, name, mark, body)

    @staticmethod
    def _write_checkpoint(db: sqlite3.Connection, name: str, mark: int, body: bytes) -> None:
        db.execute(
            "INSERT OR REPLACE INTO checkpoints(name, mark, body) VALUES (?, ?, ?)",
            (name, mark, body),
        )

    def _write_view(self, db: sqlite3.Connection, name: str, mark: int, body: bytes) -> None:
        """The view row, current again (see ``VIEW_IS_BASE_META``)."""
        self._write_checkpoint(db, name, mark, body)
        self.set_meta(VIEW_IS_BASE_META, None, db)

    def _write_whole_base(self, db: sqlite3.Connection, name: str, mark: int, body: bytes) -> None:
        """The base as one checkpoint again, its item rows folded in (no remote: rare)."""
        self._write_checkpoint(db, "base", mark, body)
        db.execute("DELETE FROM base_items")
        self.set_meta("base_position", str(mark), db)
        self._next_base_generation(db)

    def compact_into_base(self, db: sqlite3.Connection, state: State, mark: int) -> bool:
        """Fold the whole journal into the base, for a profile with no remote to send
        it to; inside the caller's write transaction, with ``state`` the view through
        ``mark``. Writes the view as ``SAME_AS_BASE`` (the state is stored once).
        Returns whether anything was folded.

        Folded actions are recorded as applied, so when a remote is set later the
        first round sends this base: as the genesis ``merge_state`` of a new log, or
        (binding to an existing log) as a re-pushed ``merge_state``, since no update
        holds them. The log binding is forgotten, because the base is no longer the
        state of any log position. Actions already grouped into an update (a
        remote was set once) stay: they may be in a log already.
        """
        if (
            self.last_seq() != mark
            or db.execute(
                "SELECT 1 FROM local_actions WHERE update_id IS NOT NULL LIMIT 1"
            ).fetchone()
        ):
            return False
        rows = db.execute("SELECT id, body FROM local_actions").fetchall()
        if not rows:
            return False
        floor = int(self.meta("clock_floor_ms") or 0)
        floor = max(floor, *(_at_of(body) for _, body in rows))
        self._write_whole_base(db, "base", self._base_mark(db), codec.encode_state(state))
        self._write_view(db, "view", mark, SAME_AS_BASE)  # each long note stored once
        db.executemany(
            "INSERT OR IGNORE INTO applied(action_id) VALUES (?)", ((r[0],) for r in rows)
        )
        db.execute("DELETE FROM local_actions")
        self.set_meta("clock_floor_ms", str(floor), db)
        self.set_meta("log_id", None, db)
        self.set_meta("view_generation", str(self.view_generation() + 1), db)
        return True

    def load_checkpoint(self, name: str) -> tuple[State, int] | None:
        """The saved view or base and its mark; None if none was ever saved."""
        with self.read_transaction() as db:
            if name == "base":
                if (
                    self._base_generation(db) == 0
                    and not db.execute("SELECT 1 FROM checkpoints WHERE name='base'").fetchone()
                ):
                    return None
                return self._current_base(db), self._base_mark(db)
            if self._view_is_base(db):  # after a sync round: the base, plus the journal
                return self._current_base(db), 0
            row = _checkpoint_row(db, name)
            if row is None:
                return None
            if row[0] == SAME_AS_BASE:  # the journal folded into the base (no remote)
                return self._current_base(db), row[1]
            return self._decode_state(row[0]), row[1]

    @staticmethod
    def _view_is_base(db: sqlite3.Connection) -> bool:
        row = db.execute("SELECT 1 FROM meta WHERE key=?", (VIEW_IS_BASE_META,)).fetchone()
        return row is not None

    def drop_stale_view(self) -> bool:
        """Free a view row a sync round left stale (``VIEW_IS_BASE_META``): on close,
        outside any round, so a saved view is not kept twice; the row says "the base"
        again and the flag goes. Returns whether there was one."""
        if not self._view_is_base(self.db):
            return False
        with self.transaction() as db:
            if not self._view_is_base(db):
                return False  # saved again meanwhile: current, not stale
            self._write_view(db, "view", 0, SAME_AS_BASE)
        return True

    def _decode_state(self, body: bytes) -> State:
        try:
            return codec.decode_state(body)
        except CodecError as exc:
            raise StorageError(f"the saved state in {self.path} is unreadable ({exc})") from None

    # -- the base, item by item ----------------------------------------------------------
    # The base is its checkpoint (one blob, written whole only when the journal is
    # folded in without a remote) with the rows of ``base_items`` on top: one per
    # item a sync round changed. A round writes only the rows of the items its
    # actions changed, and moves ``base_position`` and ``base_generation`` in meta.
    # The decoded base is kept in ``_base_cache`` under its generation, so a round
    # decodes it only when another process (or a rare whole write) changed it.

    @staticmethod
    def _base_generation(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key='base_generation'").fetchone()
        return int(row[0]) if row else 0

    def _next_base_generation(self, db: sqlite3.Connection) -> int:
        generation = self._base_generation(db) + 1
        self.set_meta("base_generation", str(generation), db)
        return generation

    def _checkpoint_base(self, db: sqlite3.Connection) -> State:
        """The base checkpoint alone, without the item rows over it."""
        row = _checkpoint_row(db, "base")
        return self._decode_state(row[0]) if row else State()

    def _current_base(self, db: sqlite3.Connection) -> State:
        """The base as committed, from the cache when its generation is current."""
        generation = self._base_generation(db)
        cached = self._base_cache
        if cached is not None and cached[0] == generation:
            return cached[1]
        state = self._checkpoint_base(db)
        rows = db.execute("SELECT kind, id, body FROM base_items").fetchall()
        if rows:
            state = self._with_rows(state, rows)
        self._base_cache = (generation, state)
        return state

    def _with_rows(self, state: State, rows: list[tuple[str, str, bytes | None]]) -> State:
        """``state`` with each row's item put in (or taken out, for a NULL body).

        The bodies of one kind are decoded in one msgspec pass, as one JSON object
        spliced from the stored bytes: as fast per item as decoding a checkpoint."""
        fields = {}
        for kind, field, item_type in _ROW_KINDS:
            present = [(i, b) for k, i, b in rows if k == kind and b is not None]
            gone = [i for k, i, b in rows if k == kind and b is None]
            if not present and not gone:
                continue
            mapping = getattr(state, field).mutate()
            if present:
                spliced = b"{" + b",".join(_json_key(i) + b":" + b for i, b in present) + b"}"
                try:
                    items = codec.decode(spliced, dict[str, item_type])
                except CodecError as exc:
                    raise StorageError(
                        f"the saved state in {self.path} is unreadable ({exc})"
                    ) from None
                for item_id, item in items.items():
                    mapping[item_id] = item
            for item_id in gone:
                mapping.pop(item_id, None)
            fields[field] = mapping.finish()
            if present and not getattr(state, field):  # a base made of rows alone
                load_order.remember(fields[field], list(items.values()))
            else:
                changed = [*(item_id for item_id, _ in present), *gone]
                load_order.follow(getattr(state, field), fields[field], changed)
        return msgspec.structs.replace(state, **fields)

    @staticmethod
    def _encoded(rows: list[Row]) -> list[tuple[str, str, bytes | None]]:
        return [(kind, key, None if v is None else codec.encode(v)) for kind, key, v in rows]

    def _write_base(
        self,
        db: sqlite3.Connection,
        state: State,
        position: int,
        prepared: tuple[State, list[tuple[str, str, bytes | None]]] | None,
    ) -> int:
        """Write the rows of the items ``state`` changed in the committed base.

        ``prepared``: (the base the caller folded onto, the rows it changed,
        encoded before the write lock was taken), used if that is still the
        committed base; otherwise every item is compared. Returns the new
        generation (the caller caches ``state`` under it once committed)."""
        old = self._current_base(db)
        if prepared is not None and prepared[0] is old:
            rows = prepared[1]
        else:
            rows = self._encoded(changed_rows(old, state))
        db.executemany("INSERT OR REPLACE INTO base_items(kind, id, body) VALUES (?, ?, ?)", rows)
        self.set_meta("base_position", str(position), db)
        return self._next_base_generation(db)

    # -- sync bookkeeping --------------------------------------------------------------
    # The base is the committed remote log folded up to position `mark`; the view
    # is the base plus every local action not yet folded into it.

    def base(self) -> tuple[State, int]:
        """The base and its position (decoded once, then kept: see ``_current_base``)."""
        with self.read_transaction() as db:
            return self._current_base(db), self._base_mark(db)

    def base_position(self) -> int:
        """The base's log position: one indexed read, no state decoded."""
        return self._base_mark(self.db)

    def view_generation(self) -> int:
        """Bumped whenever sync rewrites the view; a stale window must reload, not save."""
        return int(self.meta("view_generation") or 0)

    def applied_among(self, action_ids: Iterable[str]) -> set[str]:
        """Which of ``action_ids`` already took effect in the base."""
        ids = list(action_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT action_id FROM applied WHERE action_id IN ({marks})", chunk
            )
            found.update(r[0] for r in rows)
        return found

    def applied_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT action_id FROM applied")}

    def group_pending(self, update_id: str, at: int, limit: int | None = None) -> int:
        """Put the actions not yet in an update (the oldest ``limit`` of them, or all)
        into a new local update (status new).

        Returns how many actions it took; 0 means nothing was pending (found by
        one indexed read, without taking the write lock: an idle round writes nothing).
        """
        if not self.db.execute(
            "SELECT 1 FROM local_actions WHERE update_id IS NULL LIMIT 1"
        ).fetchone():
            return 0
        with self.transaction() as db:
            seqs = db.execute(
                "SELECT seq FROM local_actions WHERE update_id IS NULL ORDER BY seq LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
            count = len(seqs)
            if count:
                db.execute(
                    "INSERT INTO updates(id, status, position, at) VALUES (?, 'new', NULL, ?)",
                    (update_id, at),
                )
                db.execute(
                    "UPDATE local_actions SET update_id=? WHERE update_id IS NULL AND seq <= ?",
                    (update_id, seqs[-1][0]),
                )
        return count

    def own_updates(self, status: str) -> list[tuple[str, int | None, int]]:
        """(id, position, at) of this device's updates with ``status``, oldest first."""
        return self.db.execute(
            "SELECT u.id, u.position, u.at FROM updates u "
            "JOIN local_actions a ON a.update_id = u.id WHERE u.status=? "
            "GROUP BY u.id ORDER BY min(a.seq)",
            (status,),
        ).fetchall()

    def sent_bodies(self) -> dict[int, bytes]:
        """The exact bytes of this device's sent updates by position: local copies
        that spare a download (read on the caller's thread, never a pool's)."""
        rows = self.db.execute(
            "SELECT position, body FROM updates WHERE status='sent' AND body IS NOT NULL"
        ).fetchall()
        return {position: body for position, body in rows}

    def update_actions(self, update_id: str) -> list[Action]:
        rows = self.db.execute(
            "SELECT body, bases FROM local_actions WHERE update_id=? ORDER BY seq", (update_id,)
        ).fetchall()
        return [self._decode_action(*r) for r in rows]

    def mark_sent(self, update_id: str, position: int, at: int, body: bytes | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE updates SET status='sent', position=?, at=?, body=? WHERE id=?",
                (position, at, body, update_id),
            )

    def base_link(self) -> tuple[str, str]:
        """(effective id, listing etag) of the update at the base position."""
        return self.meta("base_last") or "", self.meta("base_etag") or ""

    def set_base_etag(self, position: int, etag: str) -> None:
        """Remember the etag of the base's update the first time a listing shows it."""
        with self.transaction() as db:
            if self._base_mark(db) == position:
                self.set_meta("base_etag", etag, db)

    def archived_actions(self, wanted: set[str]) -> list[Action]:
        """Actions with ids in ``wanted`` from every update ever folded here, in fold
        order, each once."""
        found: list[Action] = []
        taken: set[str] = set()
        if not wanted:
            return found
        for (body,) in self.db.execute("SELECT body FROM archive ORDER BY ord"):
            try:
                actions = _archived_decoder().decode(body).actions
            except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError included
                continue  # written by a newer version that this one was downgraded from
            for action in actions:
                if action.id in wanted and action.id not in taken:
                    taken.add(action.id)
                    found.append(action)
        return found

    @staticmethod
    def _base_mark(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key='base_position'").fetchone()
        return int(row[0]) if row else 0

    def _check_expected(self, db: sqlite3.Connection, expected_position: int | None) -> None:
        if expected_position is not None and self._base_mark(db) != expected_position:
            raise StorageError("another sync of this profile ran at the same time; try again")

    def commit_base(
        self,
        state: State,
        position: int,
        applied: Iterable[str],
        *,
        replace_applied: bool = False,
        confirmed: Iterable[str] = (),
        meta: dict[str, str | None] | None = None,
        expected_position: int | None = None,
        archive: Iterable[tuple[str, bytes]] = (),
        last: str | None = None,
        etag: str | None = None,
        since: State | None = None,
        changes: Changes | None = None,
    ) -> WriteStats:
        """Atomically move the base forward and rebase the view on it; returns what
        the commit cost (the caller sizes the next one by it).

        Local actions that took effect in the base leave the journal; the view is
        the base plus the rest (see ``_settle``). ``archive`` holds the
        (update id, bytes) of each update folded in; ``last``/``etag`` identify the
        update now at the base position. ``changes``: the items that folding onto
        the base ``since`` may have changed (only their rows are written).
        """
        prepared = None
        if since is not None and changes is not None:
            # Found and encoded before the write lock is taken: it is held only to write.
            prepared = since, self._encoded(changes.rows(since, state))
            _follow_load_order(since, state, prepared[1])
        with self.transaction() as db:
            self._check_expected(db, expected_position)
            generation = self._write_base(db, state, position, prepared)
            ids = list(applied)
            if replace_applied:
                db.execute("DELETE FROM applied")
            db.executemany(
                "INSERT OR IGNORE INTO applied(action_id) VALUES (?)", ((i,) for i in ids)
            )
            db.executemany(
                "UPDATE updates SET status='confirmed' WHERE id=?", ((u,) for u in confirmed)
            )
            db.executemany("INSERT INTO archive(update_id, body) VALUES (?, ?)", archive)
            if last is not None:
                self.set_meta("base_last", last, db)
                self.set_meta("base_etag", etag or "", db)
            for key, value in (meta or {}).items():
                self.set_meta(key, value, db)
            self._settle(db, position, None if replace_applied else ids)
        self._base_cache = (generation, state)
        return self._local.last_write

    def replace_base(
        self,
        state: State,
        position: int,
        applied: set[str],
        *,
        last: str,
        etag: str,
        repush: list[Action],
        forget_positions: bool,
        expected_position: int | None,
        meta: dict[str, str | None] | None = None,
        chunk: Sizer | None = None,
    ) -> None:
        """Start the base over from a snapshot or another log.

        ``repush``: actions this device knows that the log lacks; they go back into
        the journal ahead of the pending ones, to be pushed again. With
        ``forget_positions`` (another log) every own update is sent again as new.
        ``chunk`` sizes the commits of a staged replacement (rows per commit).
        """
        # Compared and encoded before the write lock is taken, against the base and
        # applied set as committed now; the lock is held to write the difference
        # (all of it again if another commit moved the base meanwhile). A large
        # difference (a new device's first pull) is staged beside the live tables a
        # chunk per commit and swapped in by renaming them (``base_swap``).
        with self.read_transaction() as db:
            since, generation = self._current_base(db), self._base_generation(db)
            known = self.applied_ids()
        changed = over = changed_rows(since, state)
        swap = None
        if len(changed) + len(known ^ applied) > STAGE_ABOVE_ROWS:
            with self.read_transaction() as db:
                same = self._base_generation(db) == generation
                rows = same and db.execute("SELECT 1 FROM base_items LIMIT 1").fetchone()
                checkpoint = self._checkpoint_base(db) if rows else None
            if same:
                # No item rows (a new device's base): the base is its checkpoint, and
                # the difference just found is already the rows over it.
                if checkpoint is not None:
                    over = changed_rows(checkpoint, state)
                swap = self._staged_base(over, applied, generation, chunk)
        prepared = (since, self._encoded(changed)) if swap is None else None
        try:
            with self.transaction() as db:
                self._check_expected(db, expected_position)
                swapped = (
                    swap is not None and self._base_generation(db) == generation and swap.swap(db)
                )
                if swapped:
                    self.set_meta("base_position", str(position), db)
                    generation = self._next_base_generation(db)
                else:
                    if self._base_generation(db) == generation:
                        gone, added = sorted(known - applied), sorted(applied - known)
                    else:
                        db.execute("DELETE FROM applied")
                        gone, added = [], sorted(applied)
                    generation = self._write_base(db, state, position, prepared)
                    db.executemany("DELETE FROM applied WHERE action_id=?", ((i,) for i in gone))
                    db.executemany(
                        "INSERT INTO applied(action_id) VALUES (?)", ((i,) for i in added)
                    )
                if forget_positions:
                    db.execute(
                        "UPDATE local_actions SET update_id=NULL WHERE update_id IS NOT NULL"
                    )
                    db.execute("DELETE FROM updates")
                if repush:
                    self._insert_ahead(db, repush)
                self.set_meta("base_last", last, db)
                self.set_meta("base_etag", etag, db)
                for key, value in (meta or {}).items():
                    self.set_meta(key, value, db)
                self._settle(db, position, None)
        except Exception:
            if swap is not None:
                swap.give_up()  # its tables, staged for nothing
            raise
        self._base_cache = (generation, state)
        if swap is not None and swapped:
            self.sweep_staging(chunk)  # the tables swapped out
        elif swap is not None:
            swap.give_up()  # the base moved on before the swap: staged for nothing
        # The rows compared and written are garbage now: a new device's 120,000
        # freed in one step at the return kept the interpreter 13 ms (core.slices).
        for garbage in (changed, over, prepared[1] if prepared else []):
            release_in_slices(garbage)

    def _staged_base(
        self,
        over_checkpoint: list[Row],
        applied: set[str],
        generation: int,
        chunk: Sizer | None,
    ) -> BaseSwap | None:
        """The new base's rows over the base checkpoint and ``applied``, staged for
        a swap (``base_swap``), made against base ``generation``; None if a commit
        moved the base on meanwhile."""
        rows = self._encoded(over_checkpoint)  # sorted as staged
        swap = BaseSwap(self, chunk)
        staged = swap.stage(rows, applied, lambda w: self._base_generation(w) == generation)
        # Staged, the rows and their bodies are garbage: freed in one step when
        # ``rows`` goes, 120,000 of them kept the interpreter 18 ms (core.slices).
        release_in_slices(rows)
        if staged:
            return swap
        swap.give_up()
        return None

    def sweep_staging(self, chunk: Sizer | None = None) -> int:
        """Drop the tables a start-over killed mid-way left (``base_swap.sweep``)."""
        return base_swap.sweep(self, chunk)

    def _insert_ahead(self, db: sqlite3.Connection, actions: list[Action]) -> None:
        """Journal ``actions`` before every pending one (renumbering the pending)."""
        pending = db.execute(
            "SELECT id, body, bases, update_id FROM local_actions ORDER BY seq"
        ).fetchall()
        known = {row[0] for row in pending}
        db.execute("DELETE FROM local_actions")
        db.executemany(
            "INSERT INTO local_actions(id, body, bases) VALUES (?, ?, ?)",
            (self._journal_row(a) for a in actions if a.id not in known),
        )
        db.executemany(
            "INSERT INTO local_actions(id, body, bases, update_id) VALUES (?, ?, ?, ?)", pending
        )

    def _settle(self, db: sqlite3.Connection, position: int, dropped: list[str] | None) -> None:
        """Drop journaled actions the base now holds (keeping the clock floor past
        them), send again updates the log lost, and make the view the base plus the
        journal (mark 0, ``VIEW_IS_BASE_META``): a few bytes, whatever the vault's size.

        ``dropped``: the ids this commit added to ``applied`` (the only journaled
        ones that can have become applied); None after the applied set was replaced.
        """
        if dropped is None:
            rows = db.execute(
                "SELECT id, body FROM local_actions WHERE id IN (SELECT action_id FROM applied)"
            ).fetchall()
        elif db.execute("SELECT 1 FROM local_actions LIMIT 1").fetchone():
            find = "SELECT id, body FROM local_actions WHERE id=?"
            rows = [row for i in dropped if (row := db.execute(find, (i,)).fetchone())]
        else:
            rows = []
        if rows:
            # A restart replays the journal that stays, not these: the floor keeps
            # the clock past them.
            floor = int(self.meta("clock_floor_ms") or 0)
            self.set_meta("clock_floor_ms", str(max(floor, *(_at_of(b) for _, b in rows))), db)
            db.executemany("DELETE FROM local_actions WHERE id=?", ((i,) for i, _ in rows))
        db.execute(
            "DELETE FROM updates WHERE NOT EXISTS "
            "(SELECT 1 FROM local_actions a WHERE a.update_id = updates.id)"
        )
        # A sent update at or below the base whose actions the base lacks was never
        # part of this log (retired under a snapshot, or the log was replaced): new again.
        db.execute(
            "UPDATE updates SET status='new', position=NULL, body=NULL "
            "WHERE status='sent' AND position <= ?",
            (position,),
        )
        # The view row is left as it is, marked stale: rewriting it would free the
        # whole view the App may have saved, inside this commit (VIEW_IS_BASE_META).
        self.set_meta(VIEW_IS_BASE_META, "1", db)
        self.set_meta("view_generation", str(self.view_generation() + 1), db)


def _follow_load_order(
    since: State, state: State, rows: list[tuple[str, str, bytes | None]]
) -> None:
    """``state`` differs from ``since`` only at these rows' items: keep the decoded
    order of its maps (``core.load_order``), so the window's passes after a round
    read its items in memory order as they did at start-up."""
    for kind, field, _ in _ROW_KINDS:
        changed = [key for row_kind, key, _ in rows if row_kind == kind]
        load_order.follow(getattr(since, field), getattr(state, field), changed)


_ROW_KINDS: tuple[tuple[str, str, type], ...] = (
    ("l", "lists", TaskList),
    ("t", "tasks", Task),
    ("n", "notes", Note),
    ("d", "deleted", Tombstone),
)


def _json_key(item_id: str) -> bytes:
    return msgspec.json.encode(item_id)


class _Archived(msgspec.Struct):
    """The part of an archived update a re-push needs (storage knows no sync format)."""

    actions: tuple[Action, ...] = ()


@cache
def _archived_decoder() -> msgspec.json.Decoder[_Archived]:
    """Made when first needed: building it resolves every action's type (~2 ms of start-up)."""
    return msgspec.json.Decoder(_Archived)


class _At(msgspec.Struct):
    at: int = 0


_at_decoder = msgspec.json.Decoder(_At)


def _at_of(body: bytes) -> int:
    try:
        return _at_decoder.decode(body).at
    except (msgspec.DecodeError, UnicodeDecodeError):
        return 0
