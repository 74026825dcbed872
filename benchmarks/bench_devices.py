"""Ten devices, one bucket: time to convergence and requests per device.

Run: ``.venv/bin/python benchmarks/bench_devices.py [--quick] [--json]`` (starts its
own moto S3 server on 127.0.0.1).

Ten profiles each commit 1,000 new tasks (20 with ``--quick``) through
``App.dispatch``, while offline. Then all ten sync at once, each on its own thread,
round after round until it holds every device's tasks: they race for the same log
positions, lose, pull what won and push again.

* **time to convergence**: from the start of the first round until the last device
  holds all 10,000 tasks. Floor: the transfer no protocol can skip, with the same
  threads and client: each device PUTs its actions' bytes (one object) and GETs the
  nine others' after one LIST.
* **requests per device**: every LIST, GET, PUT and DELETE the engine sent, per
  device. Floor: the 11 of that minimal transfer (1 PUT, 1 LIST, 9 GETs).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import harness  # type: ignore[import-not-found]
from bench_sync import endpoint_of, moto_server  # type: ignore[import-not-found]

from desktop_app.app import App
from desktop_app.app.engine import REMOTE_META
from desktop_app.core import actions as act
from desktop_app.core import codec
from desktop_app.sync.engine import SyncEngine
from desktop_app.sync.remote import RemoteEntry, RemoteError
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.sync.s3_store import S3RemoteStore

T0 = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
DEVICES = 10
BUCKET = "tidemark-devices"
MAX_ROUNDS = 200  # a bound, never reached when the engine works


class Counting:
    """A remote store that counts the requests made through it."""

    def __init__(self, inner: S3RemoteStore) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        self.calls["list"] += 1
        return self.inner.list(prefix, start_after)

    def get(self, key: str) -> bytes:
        self.calls["get"] += 1
        return self.inner.get(key)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self.calls["put"] += 1
        return self.inner.put_if_absent(key, data)

    def delete(self, key: str) -> None:
        self.calls["delete"] += 1
        self.inner.delete(key)

    def describe(self) -> str:
        return self.inner.describe()


def converge(root: Path, endpoint: str, per_device: int) -> dict[str, float]:
    apps = []
    config = RemoteConfig(kind="s3", bucket=BUCKET, prefix="tm", endpoint_url=endpoint)
    for d in range(DEVICES):
        app = App(root / f"device-{d}")
        with app.local.transaction() as db:  # a remote is set: the journal waits for it
            app.local.set_meta(REMOTE_META, config.to_json(), db)
        for n in range(per_device):
            app.add_task(f"task {n} of device {d}")
        app.close()
        apps.append(root / f"device-{d}")
    total = DEVICES * per_device
    remotes = [
        Counting(S3RemoteStore(BUCKET, "tm", endpoint_url=endpoint, region="us-east-1"))
        for _ in range(DEVICES)
    ]
    done_at = [0.0] * DEVICES
    busy = [0] * DEVICES  # rounds that lost every race for a position
    errors: list[BaseException] = []
    start_gate = threading.Barrier(DEVICES)

    def device(d: int) -> None:
        try:
            with App(apps[d]) as app:
                engine = SyncEngine(app.local, remotes[d], app.clock)
                start_gate.wait()
                for _ in range(MAX_ROUNDS):
                    try:
                        engine.sync()
                    except RemoteError as exc:  # lost every race this round: the app
                        if "too busy" not in str(exc):  # retries later, and so does this
                            raise
                        busy[d] += 1
                    app.reload_view(only_if_changed=True)
                    # Done: it holds every device's tasks and has sent all of its own.
                    if len(app.state.tasks) == total and app.local.pending_count() == 0:
                        done_at[d] = time.perf_counter()
                        return
                    time.sleep(0.01)
                raise RuntimeError(f"device {d} did not converge in {MAX_ROUNDS} rounds")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=device, args=(d,)) for d in range(DEVICES)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    requests = sum(sum(r.calls.values()) for r in remotes)
    return {
        "seconds": max(done_at) - start,
        "requests": requests / DEVICES,
        "busy_rounds": sum(busy) / DEVICES,
    }


def raw_transfer(endpoint: str, payloads: list[bytes]) -> float:
    """The floor: each device PUTs its bytes, then LISTs and GETs the nine others'."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [f"raw/device-{d}" for d in range(DEVICES)]
    gate = threading.Barrier(DEVICES)
    landed = threading.Barrier(DEVICES)

    def device(d: int) -> None:
        gate.wait()
        client.put_object(Bucket=BUCKET, Key=keys[d], Body=payloads[d])
        landed.wait()
        client.list_objects_v2(Bucket=BUCKET, Prefix="raw/")
        for other in range(DEVICES):
            if other != d:
                client.get_object(Bucket=BUCKET, Key=keys[other])["Body"].read()

    threads = [threading.Thread(target=device, args=(d,)) for d in range(DEVICES)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def measure(quick: bool) -> list[dict]:
    per_device = 20 if quick else 1_000
    server = moto_server()
    endpoint = endpoint_of(server)
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        with tempfile.TemporaryDirectory(prefix="tidemark-devices-") as tmp:
            ours = converge(Path(tmp), endpoint, per_device)
        payloads = [
            codec.dumps(
                tuple(
                    act.NewTask(id=f"d{d}-{n:05}", title=f"task {n} of device {d}", created=T0)
                    for n in range(per_device)
                )
            )
            for d in range(DEVICES)
        ]
        floor = raw_transfer(endpoint, payloads)
    finally:
        server.stop()
    label = f"{DEVICES} devices x {per_device:,} actions, one moto bucket"
    return [
        harness.record(
            f"time to convergence, {label}",
            ours["seconds"],
            "s",
            floor_name="raw boto3: 1 PUT, 1 LIST, 9 GETs per device",
            floor_value=floor,
        ),
        harness.record(
            f"requests per device, {label}",
            ours["requests"],
            "requests",
            floor_name="1 PUT, 1 LIST, 9 GETs",
            floor_value=DEVICES + 1,
        ),
        harness.record(
            f"rounds per device that lost every race (retried), {label}",
            ours["busy_rounds"],
            "rounds",
        ),
    ]


if __name__ == "__main__":
    harness.script_main(measure)
