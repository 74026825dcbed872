"""Encryption benchmarks: key derivation time, and the pull of an encrypted vault
against the same pull unencrypted, in the same run.

Run: ``.venv/bin/python benchmarks/bench_crypto.py [--quick] [--updates 1000] [--repeat 3]``

* **derive**: scrypt with the parameters new key objects get
  (``sealing.SCRYPT_N/R/P``), median of 5. Target: 0.2-0.5 s.
* **pull**: a fresh device pulls N updates (10 actions each, 10,000 actions by
  default) through ``SyncEngine``, from a clear vault and from a sealed one
  holding the same actions, alternately, best of ``--repeat`` (a folder: twice
  as many, each pull is short): once from moto S3 on 127.0.0.1 and once from a
  folder (where less I/O hides the crypto). Target: encrypted <= 1.1x
  unencrypted. The ``note`` gives the crypto's own share, opening the same
  envelopes with no I/O and no decoding: the rest of any difference is the
  pulls' own I/O (SQLite's fsyncs, moto's HTTP) varying between runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
import harness  # type: ignore[import-not-found]
from bench_sync import _actions, endpoint_of, moto_server  # type: ignore[import-not-found]

from desktop_app.app import App
from desktop_app.core import new_id
from desktop_app.sync import protocol, sealing
from desktop_app.sync.engine import FETCH_WORKERS, SyncEngine
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.protocol import Update, VaultMeta
from desktop_app.sync.remote import RemoteStore
from desktop_app.sync.s3_store import S3RemoteStore
from desktop_app.sync.sealed_store import SealedStore

BUCKET = "tidemark-bench-crypto"
VAULT_KEY = sealing.new_vault_key()


def bench_derive() -> float:
    key = sealing.key_object_key(1)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        sealing.wrap_vault_key(VAULT_KEY, "a passphrase", key)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill(store: RemoteStore, sealed: bool, n_updates: int, per_update: int) -> None:
    meta = VaultMeta(
        format=protocol.SEALED_VAULT_FORMAT if sealed else 1,
        vault_id=new_id(),
        sealed=protocol.SEALED if sealed else "",
    )
    store.put_if_absent(protocol.META_KEY, protocol.encode(meta))
    target = SealedStore(store, VAULT_KEY) if sealed else store
    actions = _actions(n_updates * per_update, "bench-writer")
    at = int(time.time() * 1000)

    def put(position: int) -> None:
        chunk = actions[(position - 1) * per_update : position * per_update]
        update = Update(id=new_id(), device="w", at=at, position=position, actions=tuple(chunk))
        target.put_if_absent(protocol.update_key(position), protocol.encode(update))

    with ThreadPoolExecutor(FETCH_WORKERS) as pool:
        list(pool.map(put, range(1, n_updates + 1)))


def _pull(make: Callable[[], RemoteStore], sealed: bool, n_updates: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp))
        remote = make()
        start = time.perf_counter()
        store = SealedStore(remote, VAULT_KEY) if sealed else remote
        report = SyncEngine(app.local, store, app.clock, sealed=sealed).sync()
        elapsed = time.perf_counter() - start
        assert report.pulled_updates == n_updates and not report.quarantined, report
        app.close()
    return elapsed


def bench_open(n_updates: int, per_update: int) -> float:
    """The crypto alone: opening the envelopes of the pull (no I/O, no decoding)."""
    actions = _actions(n_updates * per_update, "bench-writer")
    envelopes = []
    for position in range(1, n_updates + 1):
        chunk = actions[(position - 1) * per_update : position * per_update]
        update = Update(id=new_id(), device="w", at=0, position=position, actions=tuple(chunk))
        key = protocol.update_key(position)
        envelopes.append((key, sealing.seal(VAULT_KEY, key, protocol.encode(update))))
    start = time.perf_counter()
    for key, envelope in envelopes:
        sealing.open_sealed(VAULT_KEY, key, envelope)
    return time.perf_counter() - start


def compare(
    stores: dict[bool, Callable[[], RemoteStore]], n: int, repeat: int
) -> dict[bool, float]:
    _pull(stores[False], False, n)  # warm caches and connections for both
    _pull(stores[True], True, n)
    best = {False: float("inf"), True: float("inf")}
    for _ in range(repeat):
        for sealed in (False, True):
            best[sealed] = min(best[sealed], _pull(stores[sealed], sealed, n))
    return best


def measure(quick: bool, updates: int | None = None, repeat: int | None = None) -> list[dict]:
    updates = updates or (50 if quick else 1000)
    repeat = repeat or (1 if quick else 3)
    per_update = 10
    n, r, p = sealing.SCRYPT_N, sealing.SCRYPT_R, sealing.SCRYPT_P
    out = [
        harness.record(
            f"derive the key: scrypt n=2**{n.bit_length() - 1} r={r} p={p}",
            bench_derive(),
            "s",
            goal="<= 0.5 s",
            note="goal 0.2-0.5 s: slow for a guesser, quick for the user",
        )
    ]
    total = f"{updates * per_update:,} actions"
    with tempfile.TemporaryDirectory() as tmp:
        roots = {sealed: Path(tmp) / str(sealed) for sealed in (False, True)}
        for sealed, root in roots.items():
            root.mkdir()
            _fill(FolderRemoteStore(root), sealed, updates, per_update)
        folder = compare(
            {s: (lambda r=r: FolderRemoteStore(r)) for s, r in roots.items()}, updates, 2 * repeat
        )
    server = moto_server()
    endpoint = endpoint_of(server)
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )

        def s3(prefix: str) -> S3RemoteStore:
            return S3RemoteStore(BUCKET, prefix, endpoint_url=endpoint, region="us-east-1")

        for sealed in (False, True):
            _fill(s3(f"v{int(sealed)}"), sealed, updates, per_update)
        moto = compare({s: (lambda s=s: s3(f"v{int(s)}")) for s in (False, True)}, updates, repeat)
    finally:
        server.stop()
    opening = min(bench_open(updates, per_update) for _ in range(3))
    for where, times in (("a folder", folder), ("moto S3", moto)):
        share = opening / times[False]
        out.append(
            harness.record(
                f"encrypted pull of {total} from {where}",
                times[True],
                "s",
                floor_name="the same pull unencrypted",
                floor_value=times[False],
                goal="<= 1.1x",
                note=f"opening the {updates:,} envelopes alone: {opening * 1000:.1f} ms "
                f"({share:.3f}x of the unencrypted pull)",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--updates", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    print(harness.table(measure(args.quick, args.updates, args.repeat)))


if __name__ == "__main__":
    main()
