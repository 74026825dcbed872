"""The S3 store on a network that fails: each fault of ``tests.s3_proxy.Flaky``
alone, retried by botocore's standard mode or by the store, and bodies that are
cut off, lie about their length or never end.

Every fault is played by a real HTTP proxy between botocore and moto.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.sync import remote as remote_module
from desktop_app.sync.remote import RemoteObjectTooLarge, RemoteUnavailable
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.sync.s3_store import MAX_ATTEMPTS, S3RemoteStore
from tests.s3_proxy import FAILURES, Canned, Fault, Flaky, Request, Rule, endless, running_proxy

KEY = "updates/000000000007"
PAYLOAD = b'{"an":"update","that":"is long enough to cut in half"}' * 20
READ_TIMEOUT_S = 0.25  # the proxy's TIMEOUT holds the line 0.4 s


def _store(url: str, bucket: str) -> S3RemoteStore:
    return S3RemoteStore(
        bucket, "vault", endpoint_url=url, region="us-east-1",
        connect_timeout=READ_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
    )  # fmt: skip


def first(method: str, fault: str, times: int = 1) -> Rule:
    """``fault`` on the first ``times`` requests with ``method``; forward the rest."""
    count = 0

    def rule(request: Request) -> Canned | Fault | None:
        nonlocal count
        if request.method == method and "list-type" not in request.path:
            count += 1
            if count <= times:
                return FAILURES[fault]()
        return None

    return rule


def _seed(config: RemoteConfig) -> None:
    assert config.endpoint_url
    assert _store(config.endpoint_url, config.bucket).put_if_absent(KEY, PAYLOAD)


@pytest.mark.parametrize("fault", list(FAILURES))
def test_a_fault_on_a_read_is_retried(s3_bucket: RemoteConfig, fault: str) -> None:
    _seed(s3_bucket)
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, first("GET", fault, 2), silence_s=0.4) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        assert store.get(KEY) == PAYLOAD
        assert [e.key for e in store.list("updates/")] == [KEY]
        assert len(proxy.faults) == 2


@pytest.mark.parametrize("fault", list(FAILURES))
def test_a_fault_on_a_create_is_retried_and_creates_once(
    s3_bucket: RemoteConfig, fault: str
) -> None:
    """Whether or not the write got through before the fault, the create succeeds once:
    a retry that meets our own bytes (412) counts as created."""
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, first("PUT", fault, 2), silence_s=0.4) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        assert store.put_if_absent(KEY, PAYLOAD) is True
        assert store.put_if_absent(KEY, b"someone else") is False
        assert store.get(KEY) == PAYLOAD


def test_a_lost_answer_after_the_write_is_ours_but_another_writer_is_not(
    s3_bucket: RemoteConfig,
) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, first("PUT", "lost", 1)) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        assert store.put_if_absent(KEY, PAYLOAD) is True  # moto has it; the 200 was lost
        assert proxy.puts_of(KEY) == 2
    _seed_other = _store(s3_bucket.endpoint_url, s3_bucket.bucket)
    with running_proxy(s3_bucket.endpoint_url, first("PUT", "lost", 1)) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        other = "updates/000000000008"
        assert _seed_other.put_if_absent(other, b"theirs")
        assert store.put_if_absent(other, PAYLOAD) is False  # retried, but not our bytes


def test_a_cut_off_download_is_never_taken_for_the_object(s3_bucket: RemoteConfig) -> None:
    """botocore hands back the part a dropped connection delivered as if it were all,
    unless the reader goes on to the end: a torn update would be quarantined on this
    device only, and the devices would split."""
    _seed(s3_bucket)
    assert s3_bucket.endpoint_url
    always: Rule = lambda request: Fault.TRUNCATED  # noqa: E731
    with running_proxy(s3_bucket.endpoint_url, always) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        with pytest.raises(RemoteUnavailable, match="cut off"):
            store.get(KEY)
        assert sum(1 for r in proxy.seen if r.method == "GET") == MAX_ATTEMPTS


def test_a_round_of_faults_that_outlasts_the_retries_is_unavailable_quickly(
    s3_bucket: RemoteConfig,
) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, first("GET", "reset", 100)) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        started = time.monotonic()
        with pytest.raises(RemoteUnavailable, match="connection failed"):
            store.get(KEY)
        assert time.monotonic() - started < 3
        assert len(proxy.faults) == MAX_ATTEMPTS


def _chunked(chunks: Iterator[bytes] | None = None, total: int = 0) -> Rule:
    """GETs answered 200 with a chunked body and no Content-Length."""

    def finite() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            yield b"y" * 65536
            sent += 65536

    def rule(request: Request) -> Canned | None:
        if request.method != "GET" or "list-type" in request.path:
            return None
        make = endless if total == 0 else finite
        headers = {"Transfer-Encoding": "chunked", "ETag": '"x"', "Connection": "close"}
        return Canned(200, headers=headers, stream=make)

    return rule


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(remote_module, "MAX_OBJECT_BYTES", 256 * 1024)
    return 256 * 1024


def test_a_body_without_a_length_is_read_only_up_to_the_limit(
    s3_bucket: RemoteConfig, small_limit: int
) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, _chunked(total=32 * 1024 * 1024)) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        tracemalloc.start()
        try:
            with pytest.raises(RemoteObjectTooLarge, match=KEY):
                store.get(KEY)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * small_limit, f"read {peak} bytes into memory"


def test_an_endless_body_is_refused(s3_bucket: RemoteConfig, small_limit: int) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, _chunked()) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        started = time.monotonic()
        with pytest.raises(RemoteObjectTooLarge, match="was not downloaded"):
            store.get(KEY)
        assert time.monotonic() - started < 5


def test_cli_sync_on_a_failing_server_retries_then_fails_once_in_one_line(
    s3_bucket: RemoteConfig, tmp_path: Path
) -> None:
    """Each request was retried; the round then fails with one line, exit 1, nothing
    changed locally; once the server answers again the same command syncs."""
    assert s3_bucket.endpoint_url
    from tests.test_sync_s3 import _cli, _run

    data = tmp_path / "p"
    failing = Flaky(1.0, seed=1, kinds=("500",))
    with running_proxy(s3_bucket.endpoint_url, failing) as proxy:
        failing.enabled = False
        _run(data, "remote", f"s3://{s3_bucket.bucket}", "--endpoint-url", proxy.url)
        _run(data, "add-task", "kept offline")
        before = _run(data, "show", "--json")
        failing.enabled = True
        seen = len(proxy.seen)
        result = subprocess.run(
            [_cli(), "--data-dir", str(data), "sync"],
            capture_output=True, text=True, timeout=60, env=os.environ.copy(),
        )  # fmt: skip
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert "InternalError" in line and "retried later" in line
        assert len(proxy.seen) - seen == MAX_ATTEMPTS  # the first request, tried 5 times
        assert _run(data, "show", "--json") == before
        assert json.loads(_run(data, "status", "--json"))["pending"] == 1
        failing.enabled = False
        _run(data, "sync")
        assert json.loads(_run(data, "status", "--json"))["pending"] == 0


def test_a_listing_that_never_advances_is_stopped(s3_bucket: RemoteConfig) -> None:
    """A server (or a hostile proxy) answering every page "truncated, more after this"
    with the same keys would make ``list`` loop and grow for ever."""
    from desktop_app.sync.remote import RemoteError

    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{s3_bucket.bucket}</Name><Prefix>vault/updates/</Prefix><KeyCount>1</KeyCount>"
        "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>same-again</NextContinuationToken>"
        f"<Contents><Key>vault/{KEY}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
        '<ETag>"x"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>'
        "</ListBucketResult>"
    ).encode()

    def loop(request: Request) -> Canned | None:
        if request.method == "GET" and "list-type" in request.path:
            return Canned(200, page, {"Content-Type": "application/xml"})
        return None

    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, loop) as proxy:
        store = _store(proxy.url, s3_bucket.bucket)
        with pytest.raises(RemoteError, match="does not advance"):
            store.list("updates/")
        assert len(proxy.seen) == 2
