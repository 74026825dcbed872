"""Sync benchmarks: pull cost against raw boto3, apply cost against pycrdt (Yjs).

Run: ``.venv/bin/python benchmarks/bench_sync.py [--quick] [--updates 1000] [--apply 10000]``

Each figure is a ratio to a floor measured in the same run on the same machine:

* **pull**: a fresh device pulls N updates (10 actions each) from a moto S3
  server on 127.0.0.1, through ``SyncEngine`` (list, concurrent GETs, decode,
  dedupe, fold, one SQLite commit), against raw boto3 ``get_object`` calls of
  the same keys with the same concurrency. Target: <= 1.3x.
* **apply**: decoding and folding 10,000 remote single-action updates into the
  state, a batch of ``WALK_BATCH`` at a time as a pull reads the log, against
  pycrdt applying 10,000 equivalent Yjs updates (a map set per field edit) to a
  fresh document. Target: <= 1.0x. A second figure adds the rest of the pull's
  decode step (``sync.log.decode_batch``: position check, cleaning).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import harness  # type: ignore[import-not-found]
from botocore.config import Config

from desktop_app.app import App
from desktop_app.core import Action, State, new_id
from desktop_app.core import actions as act
from desktop_app.sync import protocol
from desktop_app.sync.collector import no_cycle_collection
from desktop_app.sync.engine import FETCH_WORKERS, SyncEngine, fold_new
from desktop_app.sync.log import WALK_BATCH, Walk, decode_batch
from desktop_app.sync.protocol import Update, VaultMeta
from desktop_app.sync.s3_store import S3RemoteStore

BUCKET = "tidemark-bench"


def _actions(n: int, device: str) -> list[Action]:
    """A realistic mix: adds, then field-level edits of the added tasks."""
    now = datetime.now(UTC)
    at = int(now.timestamp() * 1000)
    ids = [new_id() for _ in range(max(1, n // 4))]
    out: list[Action] = []
    for i in range(n):
        task_id = ids[i % len(ids)]
        if i < len(ids):
            # As App makes them: created is the action's own timestamp.
            created = datetime.fromtimestamp((at + i) / 1000, tz=UTC)
            arg: act.Arg = act.NewTask(id=task_id, title=f"task {i}", created=created)
        elif i % 3 == 0:
            arg = act.TaskTitle(id=task_id, title=f"title {i}")
        elif i % 3 == 1:
            arg = act.TaskDone(id=task_id, done=bool(i % 2))
        else:
            arg = act.AddTag(id=task_id, tag=f"tag{i % 7}")
        out.append(Action(id=new_id(), device=device, at=at + i, arg=arg))
    return out


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_pull(endpoint: str, n_updates: int, per_update: int, repeat: int) -> dict[str, float]:
    # Same connection pool as S3RemoteStore, so the floor is not starved of connections.
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(max_pool_connections=32),
    )
    client.create_bucket(Bucket=BUCKET)
    store = S3RemoteStore(BUCKET, endpoint_url=endpoint, region="us-east-1")
    store.put_if_absent(protocol.META_KEY, protocol.encode(VaultMeta(format=1, vault_id=new_id())))
    actions = _actions(n_updates * per_update, "bench-writer")
    at = int(time.time() * 1000)

    def put(position: int) -> None:
        chunk = actions[(position - 1) * per_update : position * per_update]
        update = Update(id=new_id(), device="w", at=at, position=position, actions=tuple(chunk))
        store.put_if_absent(protocol.update_key(position), protocol.encode(update))

    with ThreadPoolExecutor(FETCH_WORKERS) as pool:
        list(pool.map(put, range(1, n_updates + 1)))
    keys = [protocol.update_key(p) for p in range(1, n_updates + 1)]

    def raw() -> None:
        with ThreadPoolExecutor(FETCH_WORKERS) as pool:
            list(pool.map(lambda k: client.get_object(Bucket=BUCKET, Key=k)["Body"].read(), keys))

    def ours() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            app = App(Path(tmp))
            remote = S3RemoteStore(BUCKET, endpoint_url=endpoint, region="us-east-1")
            report = SyncEngine(app.local, remote, app.clock).sync()
            assert report.pulled_updates == n_updates, report
            app.close()

    raw()  # warm connections and moto's caches for both
    floor = _best(raw, repeat)
    pull = _best(ours, repeat)
    return {"floor": floor, "pull": pull}


def bench_apply(n: int, repeat: int) -> dict[str, float]:
    actions = _actions(n, "bench-remote")
    blobs = [
        protocol.encode(Update(id=new_id(), device="r", at=a.at, position=i + 1, actions=(a,)))
        for i, a in enumerate(actions)
    ]

    batched = [
        protocol.encode(
            Update(id=new_id(), device="r", at=0, position=i // 10 + 1, actions=tuple(chunk))
        )
        for i in range(0, n, 10)
        if (chunk := actions[i : i + 10])
    ]

    def ours(blobs: list[bytes] = blobs) -> None:
        # As a pull reads the log (sync.log.walk): a batch of updates decoded, then
        # folded; no reader holds every decoded update of a long run at once. And as
        # a round runs it (SyncEngine.sync): with the cycle collector paused.
        state, seen = State(), set()
        with no_cycle_collection():
            for lo in range(0, len(blobs), WALK_BATCH):
                updates = [protocol.decode_update(blob) for blob in blobs[lo : lo + WALK_BATCH]]
                state, _ = fold_new(state, updates, seen.__contains__, seen)

    positions = list(range(1, n + 1))

    def pulled() -> None:
        # The pull's own decode step besides: each update's position checked and its
        # titles and tags cleaned (walk's per-update work before the fold).
        state, seen = State(), set()
        walk = Walk(state=state, position=0, last="")
        with no_cycle_collection():
            for lo in range(0, n, WALK_BATCH):
                part = slice(lo, lo + WALK_BATCH)
                readable = decode_batch(positions[part], blobs[part], walk)  # type: ignore[arg-type]
                updates = [update for _, update, _, _ in readable if update is not None]
                assert len(updates) == len(readable)
                state, _ = fold_new(state, updates, seen.__contains__, seen)

    decoded = [protocol.decode_update(blob) for blob in blobs]

    def fold_only() -> None:
        with no_cycle_collection():
            fold_new(State(), decoded, set().__contains__, set())

    pycrdt = harness.peer("pycrdt")
    # Equivalent Yjs updates: one map per task, one set per field edit.
    source = pycrdt.Doc()
    tasks = source.get("tasks", type=pycrdt.Map)
    updates: list[bytes] = []
    source.observe(lambda event: updates.append(event.update))
    for a in actions:
        arg = a.arg
        if isinstance(arg, act.NewTask):
            tasks[arg.id] = pycrdt.Map({"title": arg.title, "done": False, "tags": ""})
        elif isinstance(arg, act.TaskTitle):
            tasks[arg.id]["title"] = arg.title
        elif isinstance(arg, act.TaskDone):
            tasks[arg.id]["done"] = arg.done
        else:
            tasks[arg.id]["tags"] = arg.tag

    def yjs() -> None:
        doc = pycrdt.Doc()
        doc.get("tasks", type=pycrdt.Map)
        for update in updates:
            doc.apply_update(update)

    assert len(updates) == n
    floor = mine = grouped = folding = pull = float("inf")
    for _ in range(repeat):  # alternate, so a busy moment cannot favour one side
        floor = min(floor, _best(yjs, 1))
        mine = min(mine, _best(ours, 1))
        grouped = min(grouped, _best(lambda: ours(batched), 1))
        folding = min(folding, _best(fold_only, 1))
        pull = min(pull, _best(pulled, 1))
    return {"yjs": floor, "ours": mine, "grouped": grouped, "fold": folding, "pulled": pull}


def moto_server() -> Any:
    """A moto S3 server on 127.0.0.1 (a random port), quiet; the caller stops it."""
    server_module = harness.peer("moto.server", "moto[server]")
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def endpoint_of(server: Any) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def measure(quick: bool, updates: int | None = None, apply_n: int | None = None) -> list[dict]:
    updates = updates or (100 if quick else 1000)
    apply_n = apply_n or (2_000 if quick else 10_000)
    repeat = 2 if quick else 3
    out = []
    server = moto_server()
    try:
        p = bench_pull(endpoint_of(server), updates, 10, repeat)
    finally:
        server.stop()
    out.append(
        harness.record(
            f"pull {updates * 10:,} actions in {updates:,} updates from moto S3",
            p["pull"],
            "s",
            floor_name=f"raw boto3 GETs of the same keys, {FETCH_WORKERS} threads",
            floor_value=p["floor"],
            goal="<= 1.3x",
        )
    )
    try:
        a = bench_apply(apply_n, repeat)
    except harness.PeerMissing as exc:
        return [*out, harness.skipped(f"apply {apply_n:,} one-action updates", str(exc))]
    floor_name = f"pycrdt Doc.apply_update x{apply_n:,}"
    out += [
        harness.record(
            f"apply {apply_n:,} one-action updates (decode+fold)",
            a["ours"],
            "s",
            floor_name=floor_name,
            floor_value=a["yjs"],
            goal="<= 1.0x",
        ),
        harness.record(
            f"apply {apply_n // 10:,} ten-action updates (decode+fold)",
            a["grouped"],
            "s",
            floor_name=floor_name,
            floor_value=a["yjs"],
        ),
        harness.record(
            f"apply {apply_n:,} one-action updates as a pull decodes them (+checks, cleaning)",
            a["pulled"],
            "s",
            floor_name=floor_name,
            floor_value=a["yjs"],
        ),
        harness.record(
            f"fold {apply_n:,} decoded actions",
            a["fold"],
            "s",
            floor_name=floor_name,
            floor_value=a["yjs"],
        ),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--updates", type=int, default=None)
    parser.add_argument("--apply", type=int, default=None)
    args = parser.parse_args()
    print(harness.table(measure(args.quick, args.updates, args.apply)))


if __name__ == "__main__":
    main()
