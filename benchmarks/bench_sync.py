"""Sync benchmarks: pull cost against raw boto3, apply cost against pycrdt (Yjs).

Run: ``.venv/bin/python benchmarks/bench_sync.py [--updates 1000] [--per-update 10]``

Each figure is a ratio to a floor measured in the same run on the same machine:

* **pull**: a fresh device pulls N updates (10 actions each) from a moto S3
  server on 127.0.0.1, through ``SyncEngine`` (list, concurrent GETs, decode,
  dedupe, fold, one SQLite commit), against raw boto3 ``get_object`` calls of
  the same keys with the same concurrency. Target: <= 1.3x.
* **apply**: decoding and folding 10,000 remote single-action updates into the
  state, against pycrdt applying 10,000 equivalent Yjs updates (a map set per
  field edit) to a fresh document. Target: <= 1.0x.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import pycrdt
from botocore.config import Config
from moto.server import ThreadedMotoServer

from desktop_app.app import App
from desktop_app.core import Action, State, new_id
from desktop_app.core import actions as act
from desktop_app.sync import protocol
from desktop_app.sync.engine import FETCH_WORKERS, SyncEngine, fold_new
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


def bench_pull(endpoint: str, n_updates: int, per_update: int, repeat: int) -> None:
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
    total = n_updates * per_update
    print(f"pull {total} actions in {n_updates} updates from moto (best of {repeat}):")
    print(f"  raw boto3 GETs, {FETCH_WORKERS} threads: {floor:8.3f} s  (floor)")
    print(
        f"  SyncEngine.sync() into a new profile:  {pull:8.3f} s  ratio {pull / floor:.2f}x"
        "  (target <= 1.3x)"
    )


def bench_apply(n: int, repeat: int) -> None:
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
        state, seen = State(), set()
        updates = [protocol.decode_update(blob) for blob in blobs]
        state, _ = fold_new(state, updates, seen.__contains__, seen)

    decoded = [protocol.decode_update(blob) for blob in blobs]

    def fold_only() -> None:
        fold_new(State(), decoded, set().__contains__, set())

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
    floor = _best(yjs, repeat)
    mine = _best(ours, repeat)
    grouped = _best(lambda: ours(batched), repeat)
    folding = _best(fold_only, repeat)
    print(f"apply {n} remote actions (best of {repeat}):")
    print(f"  pycrdt Doc.apply_update x{n}:           {floor:8.3f} s  (floor)")
    print(
        f"  {n} one-action updates: decode+fold    {mine:8.3f} s  ratio {mine / floor:.2f}x"
        "  (target <= 1.0x)"
    )
    print(
        f"  {n // 10} ten-action updates: decode+fold  {grouped:8.3f} s"
        f"  ratio {grouped / floor:.2f}x"
    )
    print(
        f"  fold alone (already decoded)           {folding:8.3f} s  ratio {folding / floor:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--per-update", type=int, default=10)
    parser.add_argument("--apply", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        bench_pull(f"http://{host}:{port}", args.updates, args.per_update, args.repeat)
    finally:
        server.stop()
    bench_apply(args.apply, args.repeat)
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores, best of {args.repeat})")


if __name__ == "__main__":
    main()
