"""Reading the remote log: fetch a run of positions, check each link, fold once.

Shared by the sync round and the roll-up, so both read the same bytes the same
way (invariant 14): a usable update is folded if its ``prev`` names the update
before it; an unusable object (torn, garbage, another program's, nested or
sized absurdly) is quarantined as an empty update whose effective id depends
only on its position; an object from a newer Tidemark stops the walk; a broken
link stops it too and the caller decides (a snapshot covers it, the log was
replaced, or it is quarantined).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from msgspec.structs import replace

from desktop_app.core import Action, State
from desktop_app.core.actions import MergeState
from desktop_app.core.changes import Changes
from desktop_app.core.reducer import Folding
from desktop_app.core.text import clean_actions
from desktop_app.sync import protocol
from desktop_app.sync.chunking import ChunkSizer
from desktop_app.sync.protocol import NewerFormat, Unreadable, Update
from desktop_app.sync.remote import RemoteNotFound, RemoteObjectUnusable, RemoteStore

log = logging.getLogger(__name__)

# "recheck": quarantine it if positions p - 1 and p still hold the bytes read
# (a stray, there for good), else stop (the store changed while we read).
BreakDecision = Literal["quarantine", "stop", "recheck"]
# Called with the position whose link broke and the effective id folded before it.
OnBreak = Callable[[int, str], BreakDecision]

# Actions per update a device groups and pushes (a burst of 5,000 edits goes as 25
# updates). How many a commit folds is sized by what commits cost (``ChunkSizer``).
CHUNK_ACTIONS = 200

# Positions a walk reads, decodes and folds at a time (see ``walk``).
WALK_BATCH = 512
# Positions in a walk's first batch; the next ones double up to ``WALK_BATCH``, so
# the fold starts after a few reads, and each batch is read while the one before is
# folded (the one before holds half as many, and a fold is slower than a read).
WALK_FIRST = 16

# A position read, its update decoded and cleaned (None when unusable), its bytes,
# and why it is unusable ("" when it is not).
Decoded = tuple[int, Update | None, bytes, str]


def read_workers(remote: RemoteStore, default: int) -> int:
    """Threads to read ``remote`` with: what the store says (``read_workers``: a folder
    wants none), else ``default`` (reads that wait on a network: many at once)."""
    workers = getattr(remote, "read_workers", default)
    return workers if isinstance(workers, int) and workers > 0 else default


def fold_new(
    state: State,
    updates: Iterable[Update],
    applied: Callable[[str], bool],
    seen: set[str],
    changes: Changes | None = None,
    order: list[str] | None = None,
) -> tuple[State, int]:
    """Apply, in order, each action of ``updates`` not applied before.

    ``seen`` collects the ids applied now (and those a merged state carries);
    ``changes`` the items they may change (what storage writes); ``order`` each id
    added to ``seen``, once, in the order added (a roll-up sorts them: ids made in
    time order sort in one pass).
    """
    folding = Folding(state)
    count = fold_into(folding, updates, applied, seen, changes, order)
    return folding.state, count


def fold_into(
    folding: Folding,
    updates: Iterable[Update],
    applied: Callable[[str], bool],
    seen: set[str],
    changes: Changes | None = None,
    order: list[str] | None = None,
) -> int:
    """``fold_new`` onto a ``Folding`` a walk keeps for a whole batch of updates, so a
    run of item edits across updates builds the state once. One flat loop: this is
    the hot path of a large pull."""
    count = 0
    edit = folding.edit
    record = order.append if order is not None else None
    for update in updates:
        for action in update.actions:
            action_id = action.id
            if action_id in seen or applied(action_id):
                continue
            if edit(action):  # an item edit, made in place
                if changes is not None:
                    changes.note_edit(action.arg)
            else:
                if changes is not None:
                    changes.note(folding.state, action.arg)
                folding.apply(action)
            seen.add(action_id)
            if record is not None:
                record(action_id)
            count += 1
            if type(action.arg) is MergeState:
                if record is None:
                    seen.update(action.arg.applied)
                    continue
                for merged_id in action.arg.applied:
                    if merged_id not in seen:
                        seen.add(merged_id)
                        record(merged_id)
    return count


def contiguous(positions: Iterable[int], after: int) -> list[int]:
    """The gapless run of positions starting at ``after + 1``."""
    run: list[int] = []
    expected = after + 1
    for p in sorted(positions):
        if p < expected:
            continue
        if p != expected:
            break
        run.append(p)
        expected += 1
    return run


@dataclass
class Walk:
    """Where a walk along the log got to, and what it folded on the way."""

    state: State
    position: int
    last: str
    etag: str = ""
    # Ids applied since the last ``flush`` (all of them without one), and before it.
    seen: set[str] = field(default_factory=set)
    flushed: set[str] = field(default_factory=set)
    unflushed: int = 0
    archive: list[tuple[str, bytes]] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    updates: int = 0
    actions: int = 0
    own: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    # With ``walk(order=True)`` (and no ``flush``): the ids of ``seen``, each once, in
    # the order they were added to it.
    order: list[str] | None = None
    # Why it stopped before the end of the run: a broken link, an update retired
    # under it while it read, or one written by a newer Tidemark.
    stop: Literal["", "break", "gone", "newer", "foreign"] = ""
    stop_position: int = 0
    newer: NewerFormat | None = None

    def flushed_now(self) -> None:
        """The caller committed what was folded so far: start the next chunk."""
        self.flushed.update(self.seen)
        self.seen = set()
        self.changes = Changes()
        self.archive = []
        self.own = []
        self.unflushed = 0


class _Gone:
    pass


def walk(
    remote: RemoteStore,
    run: list[int],
    *,
    state: State,
    position: int,
    last: str,
    applied_among: Callable[[list[str]], set[str]] | None = None,
    applied: Set[str] | None = None,
    etags: dict[int, str] | None = None,
    local_copies: dict[int, bytes] | None = None,
    own_ids: set[str] | None = None,
    fetch_workers: int = 16,
    on_break: OnBreak = lambda p, last: "stop",
    log_id: str = "",
    flush: Callable[[Walk], None] | None = None,
    chunk: ChunkSizer | None = None,
    batch: int = WALK_BATCH,
    keep: bool = True,
    order: bool = False,
) -> Walk:
    """Fold the updates at ``run`` (gapless, starting at ``position + 1``).

    ``log_id``: the log being read; a genesis of another log (the store was
    swapped under a running round) stops the walk as ``foreign``.

    ``applied_among(ids)`` says which of the run's action ids the state already
    holds (asked once per batch). A caller that holds those ids in memory passes
    them as ``applied`` instead: asked per action, it needs no batch decoded ahead,
    so each update is decoded just before it is folded (a whole batch decoded first
    is cold in the cache by the time it is folded: ~0.5 s of a million actions).

    ``flush(result)``: called after every ``chunk.size`` actions folded (between
    two actions, even inside one update) to commit them; it calls ``flushed_now``
    and may resize ``chunk`` from what the commit cost.
    Until an update is folded whole, ``position`` and ``last`` stay at the one
    before it: a base may hold the first actions of the next update, which the
    applied check skips when that update is folded again.

    ``batch``: positions fetched, decoded and folded at a time (the first batches
    smaller: ``batches``); the next batch is read while one is folded, and the bytes
    and decoded updates of a batch are dropped once it is folded, so a long run (a
    roll-up of a million actions) never holds more than two batches of the log in
    memory.

    ``keep``: collect the changed items (``changes``) and the update bytes
    (``archive``) the caller stores; a roll-up stores neither.

    ``order``: also list the ids applied in the order applied (``result.order``; a
    walk without ``flush``): a roll-up sorts them far faster than the set.
    """
    if (applied is None) == (applied_among is None):
        raise TypeError("walk takes either applied_among or applied")
    result = Walk(state=state, position=position, last=last, order=[] if order else None)
    sizer = chunk or ChunkSizer()
    etags = etags or {}
    copies = local_copies or {}
    own_ids = own_ids or set()

    def fetch(p: int) -> bytes | Exception | _Gone:
        if p in copies:
            return copies[p]
        try:
            return remote.get(protocol.update_key(p))
        except RemoteNotFound:
            return _Gone()
        except RemoteObjectUnusable as exc:
            return exc

    workers = min(fetch_workers, len(run), batch)
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    # Format-2 logs (a log id) link every update, genesis included; format-1 ones
    # carry no links, so only updates that name a link are checked there.
    strict = bool(log_id)
    from_start = position == 0

    def fold_batch(readable: Iterable[Decoded], fetched_at: dict[int, bytes]) -> None:
        """Check the links of one batch of decoded updates and fold them, in order."""
        known: Set[str]
        if applied is not None:
            known = applied
        else:
            readable = list(readable)
            ids = [a.id for _, u, _, _ in readable if u is not None for a in u.actions]
            known = applied_among(ids)  # type: ignore[misc]
        flushed = result.flushed

        def known_or_flushed(action_id: str) -> bool:
            return action_id in known or action_id in flushed

        # Without flushes nothing is ever flushed: a lookup in C, no call per action.
        is_applied = known.__contains__ if flush is None else known_or_flushed

        fold_updates(readable, fetched_at, folding, is_applied)

    def fold_updates(
        readable: Iterable[Decoded],
        fetched_at: dict[int, bytes],
        folding: Folding,
        is_applied: Callable[[str], bool],
    ) -> None:
        nonlocal from_start

        def flushed_here() -> None:
            result.state = folding.state
            flush(result)  # type: ignore[misc]

        for p, update, data, problem in readable:
            if update is not None and strict:
                genesis = update.genesis
                if (genesis is not None and genesis.log_id != log_id) or (
                    genesis is None and from_start and not result.quarantined  # a torn genesis
                ):
                    # Another log's genesis, or a log read from its start that does not
                    # begin with ours: the store was swapped under this walk.
                    result.stop, result.stop_position = "foreign", p
                    return
                from_start = False
            # Right after a quarantined object its real id is unknowable (damaged after
            # others built on it), so that one link is not checked.
            after_quarantine = result.last == protocol.quarantined_id(p - 1)
            if (
                update is not None
                and (strict or update.prev)
                and update.prev != result.last
                and not after_quarantine
            ):
                decision = on_break(p, result.last)
                if decision == "recheck":
                    decision = "quarantine" if _unchanged(remote, p, fetched_at) else "stop"
                if decision == "stop":
                    result.stop, result.stop_position, result.newer = "break", p, None
                    return
                update, problem = None, "it does not follow the update before it"
            if update is None:
                key = protocol.update_key(p)
                log.warning("quarantined %s: %s", key, problem)
                result.quarantined.append(key)
                result.last = protocol.quarantined_id(p)
            else:
                actions, start = update.actions, 0
                while start < len(actions):
                    # What fits in this commit beside the actions folded before it.
                    room = len(actions) if flush is None else max(sizer.size - result.unflushed, 1)
                    piece = update if start == 0 and room >= len(actions) else None
                    piece = piece or replace(update, actions=actions[start : start + room])
                    # result.changes, not a copy of it: a flush starts a new one.
                    changes = result.changes if keep else None
                    count = fold_into(
                        folding, (piece,), is_applied, result.seen, changes, result.order
                    )
                    result.actions += count
                    result.unflushed += count
                    start += room
                    full = result.unflushed >= sizer.size
                    if flush is not None and full and start < len(actions):
                        flushed_here()
                result.last = update.id
                if keep:
                    result.archive.append((update.id, data))
                if update.id in own_ids:
                    result.own.append(update.id)
            result.position = p
            result.etag = etags.get(p, "")
            result.updates += 1
            if flush is not None and result.unflushed >= sizer.size:
                flushed_here()

    def read(part: list[int]) -> Iterator[bytes | Exception | _Gone]:
        """The objects at ``part``: with a pool, all asked for now, to be collected later."""
        return pool.map(fetch, part) if pool is not None else map(fetch, part)

    parts = batches(run, batch)
    # A store read inline (a folder) still leaves the disk idle while the fold runs:
    # one that can be told what comes next (``prefetch``) reads the next batch from
    # the disk meanwhile (a million actions out of the page cache: 2.5-3 s less). Read
    # by a pool, the reads overlap the fold already; a walk of one batch names none.
    prefetch = getattr(remote, "prefetch", None) if pool is None else None

    def ahead(part: list[int]) -> None:
        if prefetch is not None:
            prefetch([protocol.update_key(p) for p in part if p not in copies])

    before: dict[int, bytes] = {}  # the bytes read at the position before this batch
    # One Folding for the whole walk: result.state is brought up to date before each
    # flush (which commits it) and when the walk ends or stops. Built anew for each
    # batch, every batch copied again each node of the state's maps it edited.
    folding = Folding(result.state)
    try:
        coming = read(parts[0]) if parts else iter(())
        for index, part in enumerate(parts):
            if index + 1 < len(parts):
                ahead(parts[index + 1])  # on the disk while this batch is read and folded
            fetched = list(coming)
            if index + 1 < len(parts):
                # The reads of the next batch wait on the store (a request, a file), not
                # on the interpreter: they proceed while this batch is decoded and folded.
                coming = read(parts[index + 1])
            fetched_at = {p: d for p, d in zip(part, fetched, strict=True) if isinstance(d, bytes)}
            # Decoded as the fold reaches each update (see ``applied``).
            fold_batch(decoded(part, fetched, result), fetched_at | before)
            del fetched
            if result.stop:
                return result
            last_p = part[-1]
            before = {last_p: fetched_at[last_p]} if last_p in fetched_at else {}
    finally:
        result.state = folding.state
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # a walk that stopped reads no further
    return result


def batches(run: list[int], batch: int) -> list[list[int]]:
    """``run`` cut into batches of ``batch`` positions, the first ones smaller
    (``WALK_FIRST``, then twice as many each time)."""
    parts: list[list[int]] = []
    start, size = 0, min(WALK_FIRST, batch)
    while start < len(run):
        parts.append(run[start : start + size])
        start += size
        size = min(size * 2, batch)
    return parts


def decode_batch(
    part: list[int], fetched: list[bytes | Exception | _Gone], result: Walk
) -> list[Decoded]:
    """``decoded`` all at once (the benchmark of applying pulled updates runs it)."""
    return list(decoded(part, fetched, result))


def decoded(
    part: list[int], fetched: list[bytes | Exception | _Gone], result: Walk
) -> Iterator[Decoded]:
    """The batch's updates decoded, checked against their positions and cleaned, one
    at a time, up to an update gone or of a newer format (which stops the walk there:
    ``result.stop``, set when the iteration reaches it)."""
    decode = protocol.decode_update  # once per batch, not per update
    for p, data in zip(part, fetched, strict=True):
        if type(data) is not bytes:  # the bytes read: nearly always
            if isinstance(data, _Gone):
                result.stop, result.stop_position = "gone", p
                return
            if isinstance(data, Exception):
                yield p, None, b"", str(data)
                continue
        try:
            update = decode(data)
        except NewerFormat as exc:
            result.stop, result.stop_position, result.newer = "newer", p, exc
            return
        except Unreadable as exc:
            yield p, None, b"", str(exc)
            continue
        if update.position != p:
            yield p, None, b"", f"it names position {update.position}"
            continue
        yield p, _cleaned(update), data, ""


def _unchanged(remote: RemoteStore, p: int, fetched: dict[int, bytes]) -> bool:
    """Do positions p - 1 (if this walk read it) and p still hold the bytes read?"""
    for position in (p - 1, p):
        if position not in fetched:
            continue
        try:
            if remote.get(protocol.update_key(position)) != fetched.get(position):
                return False
        except (RemoteNotFound, RemoteObjectUnusable):
            return False
    return True


def _cleaned(update: Update) -> Update:
    """Titles, names and tags of pulled actions cleaned as typing cleans them (no
    control characters, no line breaks in a title, no spaces in a tag): the same
    pure function on every device, so replicas stay identical. A clean update (nearly
    all) is returned as it is."""
    actions = clean_actions(update.actions)
    return update if actions is update.actions else replace(update, actions=actions)


def merged_ids(actions: Iterable[Action]) -> set[str]:
    """Ids a list of actions carries, merged states' included."""
    ids: set[str] = set()
    for action in actions:
        ids.add(action.id)
        if type(action.arg) is MergeState:
            ids.update(action.arg.applied)
    return ids
