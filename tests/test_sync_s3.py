"""Sync through a real S3 server (moto over HTTP on 127.0.0.1) with the same
boto3 code users run: black-box CLI convergence, request costs, the clock,
vault safety, roll-ups and the Lambda entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from desktop_app.app import App, AppError
from desktop_app.app.syncing import set_remote, status, sync_now
from desktop_app.core import views
from desktop_app.sync import protocol
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.remote import RemoteError
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.sync.rollup import rollup
from desktop_app.sync.s3_store import S3RemoteStore
from tests.conftest import TEST_BUCKET
from tests.sync_harness import Device


def _store(config: RemoteConfig, **kw) -> S3RemoteStore:
    return S3RemoteStore(
        config.bucket, config.prefix, endpoint_url=config.endpoint_url, region="us-east-1", **kw
    )


def _cli() -> str:
    found = shutil.which("desktop-app", path=str(Path(sys.executable).parent))
    assert found, "the desktop-app console script is not installed in this environment"
    return found


def _run(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [_cli(), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_two_cli_processes_converge_through_s3(s3_bucket: RemoteConfig, tmp_path: Path) -> None:
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    remote = ["remote", f"s3://{TEST_BUCKET}/vault", "--endpoint-url", s3_bucket.endpoint_url]
    for data_dir in (laptop, desktop):
        _run(data_dir, *remote, "--region", "us-east-1")
    task = _run(laptop, "add-task", "Buy milk", "--list", "Home").strip()
    _run(laptop, "sync")
    _run(desktop, "add-note", "Packing list", "--body", "passport")
    assert "pulled 1 action" in _run(desktop, "sync").lower()
    # Offline edits of different fields of the same task on both machines.
    _run(laptop, "edit", task, "--title", "Buy oat milk")
    _run(desktop, "edit", task, "--done", "--priority", "high")
    for data_dir in (laptop, desktop, laptop):
        _run(data_dir, "sync")
    shown = [_run(d, "show", "--json") for d in (laptop, desktop)]
    assert shown[0] == shown[1]
    doc = json.loads(shown[0])
    (merged,) = doc["tasks"]
    assert (merged["title"], merged["done"], merged["priority"]) == ("Buy oat milk", True, "high")
    assert [n["title"] for n in doc["notes"]] == ["Packing list"]
    info = json.loads(_run(desktop, "status", "--json"))
    assert info["pending"] == 0 and info["remote"].startswith(f"s3://{TEST_BUCKET}/vault")
    assert {"last_sync", "clock_offset_s"} <= info.keys()


def test_idle_poll_is_one_list_and_pull_is_one_get_per_update(
    s3_bucket: RemoteConfig, tmp_path: Path
) -> None:
    writer = Device("writer", tmp_path / "w", _store(s3_bucket))
    reader_store = _store(s3_bucket)
    reader = Device("reader", tmp_path / "r", reader_store)
    writer.app.add_task("first")
    writer.sync()
    reader.sync()

    before = reader_store.request_count
    reader.sync()
    assert reader_store.request_count - before == 1  # idle: one LIST

    for i in range(12):
        writer.app.add_task(f"task {i}")
        writer.sync()
    before = reader_store.request_count
    report = reader.sync()
    assert report.pulled_updates == 12
    assert reader_store.request_count - before == 1 + 12  # one LIST, twelve GETs
    assert reader.document() == writer.document()

    reader.app.add_task("from the reader")
    before = reader_store.request_count
    reader.sync()
    assert reader_store.request_count - before == 2  # LIST, then one PUT
    writer.close()
    reader.close()


def test_clock_offset_is_estimated_from_the_date_header(
    s3_bucket: RemoteConfig, tmp_path: Path
) -> None:
    """A device whose clock is two hours fast learns the offset and warns."""
    device = Device("fast", tmp_path / "fast", None, skew_s=7200)  # type: ignore[arg-type]
    device.remote = _store(s3_bucket, on_server_time=device.app.clock.observe)
    device.app.add_task("hello")
    report = device.sync()
    assert device.app.clock.offset_s == pytest.approx(-7200, abs=3)
    assert report.clock_warning and "ahead of" in report.clock_warning
    assert status(device.app)["clock_offset_s"] == pytest.approx(-7200, abs=3)
    # Timestamps only move forward on a device (invariant 8), across a restart too,
    # even after the round folded and dropped the fast-stamped actions: new edits
    # stay just after the fast stamps until the corrected clock catches up.
    hello = max(t.created for t in device.app.state.tasks.values()).timestamp()
    device.restart()
    task_id = device.app.add_task("stamped")
    created = device.app.state.tasks[task_id].created.timestamp()
    assert hello < created < hello + 5
    # A device that never stamped with the fast clock uses the corrected one at once.
    fresh = Device("fresh", tmp_path / "fresh", None, skew_s=7200)  # type: ignore[arg-type]
    fresh.remote = _store(s3_bucket, on_server_time=fresh.app.clock.observe)
    fresh.sync()
    fresh_id = fresh.app.add_task("corrected")
    assert abs(fresh.app.state.tasks[fresh_id].created.timestamp() - time.time()) < 5
    fresh.close()
    device.close()


def test_a_remote_of_another_vault_is_refused(s3_bucket: RemoteConfig, tmp_path: Path) -> None:
    first = Device("a", tmp_path / "a", _store(s3_bucket))
    first.app.add_task("in vault A")
    first.sync()
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    stranger = Device("b", tmp_path / "b", FolderRemoteStore(other_folder))
    stranger.app.add_task("in vault B")
    stranger.sync()
    stranger.remote = _store(s3_bucket)
    before = stranger.document()
    with pytest.raises(RemoteError, match="different vault"):
        stranger.engine().sync()
    assert stranger.document() == before
    first.close()
    stranger.close()


def test_an_empty_remote_never_wipes_local_data(s3_bucket: RemoteConfig, tmp_path: Path) -> None:
    """Moving to a new bucket seeds it from this device; a newcomer gets everything."""
    folder = tmp_path / "nas"
    folder.mkdir()
    device = Device("a", tmp_path / "a", FolderRemoteStore(folder))
    for i in range(3):
        device.app.add_task(f"task {i}")
    device.sync()
    device.app.add_note("unsynced note")
    before = device.document()

    device.remote = _store(s3_bucket)
    report = device.engine().sync()
    device.app.reload_view()
    assert report.seeded
    assert device.document() == before

    newcomer = Device("b", tmp_path / "b", _store(s3_bucket))
    newcomer.sync()
    assert newcomer.document() == before
    device.close()
    newcomer.close()


def test_failed_sync_is_one_clear_error_and_changes_nothing(tmp_path: Path, aws_env: None) -> None:
    app = App(tmp_path / "p")
    app.add_task("kept")
    set_remote(
        app,
        RemoteConfig(kind="s3", bucket="nowhere", endpoint_url="http://127.0.0.1:9", region="x"),
    )
    before = views.document(app.state)
    pending = app.local.pending_count()
    started = time.monotonic()
    with pytest.raises(AppError) as caught:
        sync_now(app)
    assert time.monotonic() - started < 15
    assert "\n" not in str(caught.value) and "127.0.0.1:9" in str(caught.value)
    assert views.document(app.state) == before
    assert app.local.pending_count() == pending
    app.close()


def test_concurrent_rollups_are_harmless(s3_bucket: RemoteConfig, tmp_path: Path) -> None:
    a = Device("a", tmp_path / "a", _store(s3_bucket))
    b = Device("b", tmp_path / "b", _store(s3_bucket))
    for i in range(6):
        (a if i % 2 else b).app.add_task(f"t{i}")
        (a if i % 2 else b).sync()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(rollup(_store(s3_bucket)))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Position 1 is the log's genesis; the six updates follow it.
    assert sorted(r.snapshot_position for r in results) == [7, 7]
    assert [r.created for r in results].count(True) >= 1
    store = _store(s3_bucket)
    snapshot = protocol.decode_snapshot(store.get(protocol.snapshot_key(7)))
    a.sync()
    b.sync()
    assert snapshot.state.to_state() == b.app.state == a.app.state
    newcomer = Device("c", tmp_path / "c", _store(s3_bucket))
    assert newcomer.sync().snapshot_loaded == 7
    assert newcomer.document() == a.document()
    for device in (a, b, newcomer):
        device.close()


def test_retention_keeps_recent_updates_and_the_newest(
    s3_bucket: RemoteConfig, tmp_path: Path
) -> None:
    device = Device("a", tmp_path / "a", _store(s3_bucket))
    for i in range(4):
        device.app.add_task(f"t{i}")
        device.sync()
    store = _store(s3_bucket)
    kept = rollup(store)  # default 90 days: nothing is old enough
    assert (kept.snapshot_position, kept.deleted_updates) == (5, 0)  # genesis + 4
    pruned = rollup(store, retention=timedelta(0))
    assert pruned.deleted_updates == 4
    assert [e.key for e in store.list(protocol.UPDATES)] == [protocol.update_key(5)]
    device.close()


def test_lambda_handler_rolls_up(
    s3_bucket: RemoteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = Device("a", tmp_path / "a", _store(s3_bucket))
    device.app.add_task("for the lambda")
    device.sync()
    monkeypatch.setenv("TIDEMARK_BUCKET", TEST_BUCKET)
    monkeypatch.setenv("TIDEMARK_ENDPOINT_URL", s3_bucket.endpoint_url or "")
    monkeypatch.setenv("TIDEMARK_REGION", "us-east-1")
    from desktop_app.sync.lambda_handler import handler

    result = handler({}, None)
    assert result["snapshot_position"] == 2 and result["created"] is True  # genesis + 1
    device.close()


SKEWED_BODY = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>RequestTimeTooSkewed</Code>
<Message>The difference between the request time and the current time is too large.</Message>
<RequestTime>20261126T090000Z</RequestTime><ServerTime>2026-11-26T11:00:00Z</ServerTime>
<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>"""


@pytest.fixture
def skew_refusing_s3() -> Iterator[str]:
    """An HTTP endpoint answering like S3 does to a request signed by a clock 2 h off."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Refuse(BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SKEWED_BODY)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(SKEWED_BODY)

        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _refuse

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_request_time_too_skewed_is_explained_in_plain_words(
    skew_refusing_s3: str, tmp_path: Path, aws_env: None
) -> None:
    data = tmp_path / "p"
    _run(data, "remote", "s3://tidemark-test", "--endpoint-url", skew_refusing_s3)
    _run(data, "add-task", "kept")
    result = subprocess.run(
        [_cli(), "--data-dir", str(data), "sync"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "clock" in line.lower() and "15 minutes" in line
    assert json.loads(_run(data, "status", "--json"))["pending"] == 1


class _RestoreBeforePut(S3RemoteStore):
    """Runs ``before`` once, just before this device's next update upload."""

    before: object = None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if key.startswith(protocol.UPDATES) and callable(hook := self.before):
            self.before = None
            hook()
        return super().put_if_absent(key, data)


def test_an_update_lost_in_a_restore_after_another_was_built_on_it(
    s3_bucket: RemoteConfig, tmp_path: Path
) -> None:
    """The bucket is restored from an older copy (here: what was written after the
    copy is deleted) between b's pull of a's update and b's upload on top of it.
    The hole is filled, a's edit comes back, and all end in one order."""
    config = msgspec.structs.replace(s3_bucket, prefix="restored")
    a = Device("a", tmp_path / "a", _store(config))
    b = Device("b", tmp_path / "b", _RestoreBeforePut(
        config.bucket, config.prefix, endpoint_url=config.endpoint_url, region="us-east-1"
    ))  # fmt: skip
    task = a.app.add_task("in the backup")
    a.sync()
    b.sync()
    backup = {e.key for e in a.remote.list("")}
    a.app.edit(task, title="a's title, lost with the restore")
    a.sync()

    def restore() -> None:
        for entry in a.remote.list(""):
            if entry.key not in backup:
                a.remote.delete(entry.key)

    b.remote.before = restore
    b.app.edit(task, title="b's title")
    b.app.add_task("b's task, written past the hole")
    b.sync()
    newcomer = Device("c", tmp_path / "c", _store(config))
    try:
        for _ in range(2):
            for device in (a, b, newcomer):
                device.sync()
        states = {json.dumps(views.document(d.app.state), sort_keys=True) for d in (a, b, newcomer)}
        assert len(states) == 1
        assert all(d.app.local.pending_count() == 0 for d in (a, b, newcomer))
        holes = [e.key for e in a.remote.list(protocol.UPDATES)]
        assert protocol.update_key(2) in holes  # filled with the marker
        titles = {t.title for t in newcomer.app.state.tasks.values()}
        assert "b's task, written past the hole" in titles
        assert titles & {"a's title, lost with the restore", "b's title"}
    finally:
        for device in (a, b, newcomer):
            device.close()
            device.remote.close()
