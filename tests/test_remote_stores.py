"""One contract, two stores: S3 (real boto3 against moto over HTTP) and a folder.

The sync engine is written against ``RemoteStore`` alone, so both backends must
answer every question the same way; each test here runs against each store.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.sync import remote as remote_module
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.remote import (
    ClockSkewError,
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteObjectTooLarge,
    RemoteStore,
    RemoteUnavailable,
)
from desktop_app.sync.remote_config import RemoteConfig, open_remote
from desktop_app.sync.s3_store import S3RemoteStore

Observer = Callable[[datetime, float, float], None]
# Builds a store on the same backing storage: (prefix, on_server_time) -> store.
Factory = Callable[..., RemoteStore]


@pytest.fixture(params=["s3", "folder"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "s3":
        config: RemoteConfig = request.getfixturevalue("s3_bucket")

        def make(prefix: str = "", on_server_time: Observer | None = None) -> RemoteStore:
            return S3RemoteStore(
                config.bucket,
                prefix,
                endpoint_url=config.endpoint_url,
                region=config.region,
                on_server_time=on_server_time,
            )

        return make
    root = tmp_path / "remote"
    root.mkdir()

    def make_folder(prefix: str = "", on_server_time: Observer | None = None) -> RemoteStore:
        path = root / prefix if prefix else root
        path.mkdir(parents=True, exist_ok=True)
        return FolderRemoteStore(path, on_server_time=on_server_time)

    return make_folder


@pytest.fixture
def store(make_store: Factory) -> RemoteStore:
    return make_store("vault")


def keys(store: RemoteStore, prefix: str = "", start_after: str = "") -> list[str]:
    return [entry.key for entry in store.list(prefix, start_after)]


def test_put_if_absent_creates_once(store: RemoteStore) -> None:
    assert store.put_if_absent("updates/000000000001", b"first") is True
    assert store.put_if_absent("updates/000000000001", b"second") is False
    assert store.get("updates/000000000001") == b"first"
    assert keys(store) == ["updates/000000000001"]


def test_empty_and_binary_objects_round_trip(store: RemoteStore) -> None:
    payload = bytes(range(256)) * 40
    assert store.put_if_absent("blob", payload)
    assert store.put_if_absent("empty", b"")
    assert store.get("blob") == payload
    assert store.get("empty") == b""


def test_list_is_sorted_filtered_by_prefix_and_start_after(store: RemoteStore) -> None:
    for key in ["updates/3", "updates/1", "meta.json", "snapshots/2", "updates/2", "upd"]:
        assert store.put_if_absent(key, key.encode())
    assert keys(store) == ["meta.json", "snapshots/2", "upd", "updates/1", "updates/2", "updates/3"]
    assert keys(store, "updates/") == ["updates/1", "updates/2", "updates/3"]
    assert keys(store, "updates/", "updates/1") == ["updates/2", "updates/3"]
    assert keys(store, "updates/", "updates/3") == []
    assert keys(store, "upd") == ["upd", "updates/1", "updates/2", "updates/3"]
    assert keys(store, "", "snapshots/2") == ["upd", "updates/1", "updates/2", "updates/3"]
    assert keys(store, "nothing/") == []


def test_list_reports_modified_time_from_the_store(store: RemoteStore) -> None:
    store.put_if_absent("a", b"x")
    (entry,) = store.list("")
    assert entry.modified.tzinfo is not None
    assert abs((entry.modified - datetime.now(UTC)).total_seconds()) < 10


def test_list_across_more_than_a_thousand_keys(store: RemoteStore) -> None:
    names = [f"updates/{i:012d}" for i in range(1100)]
    with ThreadPoolExecutor(8) as pool:  # moto shares our GIL: more threads do not help
        assert all(pool.map(lambda k: store.put_if_absent(k, b"u"), names))
    assert keys(store, "updates/") == names
    assert keys(store, "updates/", names[1049]) == names[1050:]
    if isinstance(store, S3RemoteStore):
        before = store.request_count
        store.list("updates/")
        assert store.request_count - before == 2  # 1000 + 100: one continuation token


def test_get_refuses_an_object_over_the_size_limit(
    store: RemoteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote_module, "MAX_OBJECT_BYTES", 1000)
    assert store.put_if_absent("updates/000000000001", b"u" * 1000)
    assert store.put_if_absent("updates/000000000002", b"u" * 1001)
    assert store.get("updates/000000000001") == b"u" * 1000
    with pytest.raises(RemoteObjectTooLarge) as info:
        store.get("updates/000000000002")
    assert isinstance(info.value, RemoteError)
    too_large = info.value
    assert (too_large.key, too_large.size, too_large.limit) == ("updates/000000000002", 1001, 1000)
    assert "updates/000000000002" in str(info.value) and "1001 bytes" in str(info.value)


def test_get_missing_raises_not_found(store: RemoteStore) -> None:
    with pytest.raises(RemoteNotFound, match="nope"):
        store.get("nope")
    with pytest.raises(RemoteNotFound):
        store.get("updates/nope")


def test_delete_is_idempotent(store: RemoteStore) -> None:
    store.put_if_absent("k/1", b"x")
    store.delete("k/1")
    store.delete("k/1")
    store.delete("never/there")
    assert keys(store) == []
    with pytest.raises(RemoteNotFound):
        store.get("k/1")
    assert store.put_if_absent("k/1", b"again")  # a deleted key can be created anew


def test_prefixes_are_isolated(make_store: Factory) -> None:
    laptop, other, nested = make_store("alice"), make_store("alice2"), make_store("alice/x")
    assert laptop.put_if_absent("meta.json", b"a")
    assert other.put_if_absent("meta.json", b"b")
    assert keys(laptop) == ["meta.json"]
    assert keys(other) == ["meta.json"]
    assert laptop.get("meta.json") == b"a"
    assert other.get("meta.json") == b"b"
    assert keys(nested) == []


def test_concurrent_creates_have_exactly_one_winner(store: RemoteStore) -> None:
    barrier = threading.Barrier(8)

    def race(n: int) -> bool:
        barrier.wait()
        return store.put_if_absent("updates/000000000007", f"writer {n}".encode())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(race, range(8)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert store.get("updates/000000000007") == f"writer {winner}".encode()


def test_server_time_is_observed(make_store: Factory) -> None:
    seen: list[tuple[datetime, float, float]] = []
    store = make_store("clock", on_server_time=lambda *sample: seen.append(sample))
    store.put_if_absent("x", b"1")
    assert seen, "a successful write reports the store's clock"
    server, sent, received = seen[-1]
    assert server.tzinfo is not None
    assert sent <= received
    assert abs(server.timestamp() - time.time()) < 5


def test_invalid_keys_are_refused(store: RemoteStore) -> None:
    for bad in ["", "/abs", "a//b", "../escape", "a/../b", "dir/", ".tmp-x", "a/.hidden"]:
        with pytest.raises(ValueError):
            store.put_if_absent(bad, b"x")


def test_describe_names_the_location(make_store: Factory) -> None:
    store = make_store("vault")
    text = store.describe()
    assert "vault" in text


# -- S3 only --------------------------------------------------------------------------


@pytest.fixture
def s3(s3_bucket: RemoteConfig) -> S3RemoteStore:
    store = open_remote(s3_bucket)
    assert isinstance(store, S3RemoteStore)
    return store


def test_s3_observes_date_on_every_response_even_errors(s3_bucket: RemoteConfig) -> None:
    seen: list[datetime] = []
    store = open_remote(s3_bucket, on_server_time=lambda server, *_: seen.append(server))
    store.put_if_absent("k", b"1")
    store.put_if_absent("k", b"2")  # 412
    with pytest.raises(RemoteNotFound):
        store.get("missing")  # 404
    store.list("")
    assert len(seen) == 4
    assert all(abs((t - datetime.now(UTC)).total_seconds()) < 5 for t in seen)


def test_s3_request_count_counts_http_requests(s3: S3RemoteStore) -> None:
    assert s3.request_count == 0
    s3.put_if_absent("a", b"1")
    s3.put_if_absent("a", b"1")
    s3.get("a")
    s3.list("")
    s3.delete("a")
    assert s3.request_count == 5


def test_s3_prefix_is_prepended(s3_bucket: RemoteConfig) -> None:
    import boto3

    store = open_remote(RemoteConfig(**{**_fields(s3_bucket), "prefix": "people/ann"}))
    store.put_if_absent("updates/000000000001", b"u")
    client = boto3.client("s3", endpoint_url=s3_bucket.endpoint_url)
    listed = client.list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["people/ann/updates/000000000001"]
    assert store.describe() == f"s3://{s3_bucket.bucket}/people/ann"


def test_s3_ignores_keys_other_tools_made(s3: S3RemoteStore, s3_bucket: RemoteConfig) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_bucket.endpoint_url)
    client.put_object(Bucket=s3_bucket.bucket, Key="updates/", Body=b"")  # console "folder"
    s3.put_if_absent("updates/000000000001", b"u")
    assert keys(s3, "updates/") == ["updates/000000000001"]


def test_s3_missing_bucket_is_named(s3_endpoint: str) -> None:
    store = S3RemoteStore("no-such-bucket-here", endpoint_url=s3_endpoint)
    for call in (
        lambda: store.list(""),
        lambda: store.get("k"),
        lambda: store.put_if_absent("k", b"x"),
    ):
        with pytest.raises(RemoteError, match="no-such-bucket-here") as info:
            call()
        assert type(info.value) is RemoteError


def test_s3_unreachable_endpoint_fails_fast(aws_env: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = S3RemoteStore("tidemark-test", endpoint_url=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(RemoteUnavailable, match="cannot reach") as info:
        store.list("")
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in str(info.value)


def test_s3_without_credentials_is_an_auth_error(
    s3_bucket: RemoteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = open_remote(s3_bucket)
    with pytest.raises(RemoteAuthError, match="AWS_ACCESS_KEY_ID"):
        store.list("")


def test_s3_error_codes_map_to_plain_sentences(s3: S3RemoteStore) -> None:
    from botocore.exceptions import ClientError

    def error(code: str, status: int) -> ClientError:
        response = {"Error": {"Code": code, "Message": "secret-ish detail"},
                    "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
        return ClientError(response, "PutObject")  # type: ignore[arg-type]

    cases = {
        ("InvalidAccessKeyId", 403): RemoteAuthError,
        ("SignatureDoesNotMatch", 403): RemoteAuthError,
        ("AccessDenied", 403): RemoteAuthError,
        ("RequestTimeTooSkewed", 403): ClockSkewError,
        ("NoSuchBucket", 404): RemoteError,
        ("SlowDown", 503): RemoteUnavailable,
        ("WeirdThing", 400): RemoteError,
    }
    for (code, status), kind in cases.items():
        mapped = s3._client_error(error(code, status))
        assert type(mapped) is kind, code
        text = str(mapped)
        assert "secret-ish" not in text
        assert text.count(". ") == 0 and text.endswith("."), text  # one sentence
    assert "tidemark-test" in str(s3._client_error(error("AccessDenied", 403)))
    assert "15 minutes" in str(s3._client_error(error("RequestTimeTooSkewed", 403)))
    assert "WeirdThing" in str(s3._client_error(error("WeirdThing", 400)))


def test_s3_explicit_credentials_are_used_and_hidden(
    s3_bucket: RemoteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.sync.credentials import Credentials

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    creds = Credentials("AKIDEXAMPLE", "very-secret-value")
    store = open_remote(s3_bucket, credentials=creds)
    assert store.put_if_absent("k", b"v")
    assert "very-secret-value" not in repr(store)


def test_s3_put_retry_that_hits_its_own_write_counts_as_created(s3: S3RemoteStore) -> None:
    """A lost response makes botocore retry; the retry's 412 is our own object."""
    original = s3._client.put_object

    def put_then_lose_answer(**params: object) -> object:
        original(**params)
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "PreconditionFailed"},
                "ResponseMetadata": {"HTTPStatusCode": 412, "RetryAttempts": 1},
            },
            "PutObject",
        )

    s3._client.put_object = put_then_lose_answer  # type: ignore[method-assign]
    assert s3.put_if_absent("mine", b"payload") is True
    assert s3.put_if_absent("mine", b"other payload") is False


def test_s3_failing_clock_observer_does_not_fail_the_write(s3_bucket: RemoteConfig) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("clock bug")

    store = open_remote(s3_bucket, on_server_time=broken)
    assert store.put_if_absent("k", b"v") is True
    assert store.get("k") == b"v"


# -- folder only ----------------------------------------------------------------------


def test_folder_missing_is_unavailable(tmp_path: Path) -> None:
    store = FolderRemoteStore(tmp_path / "usb-stick")
    for call in (
        lambda: store.list(""),
        lambda: store.get("k"),
        lambda: store.put_if_absent("k", b"x"),
        lambda: store.delete("k"),
    ):
        with pytest.raises(RemoteUnavailable, match="usb-stick"):
            call()
    assert not (tmp_path / "usb-stick").exists(), "the root is never created"


def test_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = FolderRemoteStore(tmp_path / "file")
    with pytest.raises(RemoteError, match="is a file, not a folder"):
        store.list("")
    with pytest.raises(RemoteError, match="is a file"):
        store.put_if_absent("k", b"x")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_folder_not_writable_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "readonly"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(RemoteError, match="permission denied") as info:
            FolderRemoteStore(root).put_if_absent("updates/1", b"x")
        assert str(root) in str(info.value)
    finally:
        root.chmod(0o755)


def test_folder_write_refused_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same as above where chmod cannot stop us (running as root, Windows ACLs)."""

    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(FolderRemoteStore, "_write_new", staticmethod(refuse))
    with pytest.raises(RemoteError, match="permission denied") as info:
        FolderRemoteStore(tmp_path).put_if_absent("updates/1", b"x")
    assert str(tmp_path) in str(info.value)
    assert type(info.value) is RemoteError


def test_folder_ignores_temporaries_and_sync_tool_files(tmp_path: Path) -> None:
    store = FolderRemoteStore(tmp_path)
    store.put_if_absent("updates/000000000001", b"u")
    (tmp_path / "updates" / ".tmp-abc").write_bytes(b"partial")
    (tmp_path / "updates" / "~syncthing~000000000002.tmp").write_bytes(b"partial")
    (tmp_path / "updates" / "000000000001.sync-conflict-20240101-000000-ABC").write_bytes(b"c")
    (tmp_path / ".stfolder").mkdir()
    (tmp_path / ".stfolder" / "x").write_bytes(b"")
    assert keys(store) == ["updates/000000000001"]
    assert list((tmp_path / "updates").glob(".tmp-*")) == [tmp_path / "updates" / ".tmp-abc"]


def test_folder_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FolderRemoteStore(tmp_path)
    store.put_if_absent("updates/1", b"a")
    store.put_if_absent("updates/1", b"b")
    assert sorted(p.name for p in (tmp_path / "updates").iterdir()) == ["1"]


def test_folder_without_hard_links_creates_by_no_replace_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store = FolderRemoteStore(tmp_path)
    assert store.put_if_absent("updates/1", b"first") is True
    assert store.put_if_absent("updates/1", b"second") is False
    assert store.get("updates/1") == b"first"
    assert keys(store) == ["updates/1"]
    assert sorted(p.name for p in (tmp_path / "updates").iterdir()) == ["1"]


def test_folder_observes_its_file_time(tmp_path: Path) -> None:
    seen: list[datetime] = []
    store = FolderRemoteStore(tmp_path, on_server_time=lambda server, *_: seen.append(server))
    store.put_if_absent("a", b"1")
    store.put_if_absent("a", b"2")  # nothing written, nothing to observe
    assert len(seen) == 1
    assert seen[0].microsecond == 0  # whole seconds, like S3's Date header


def _fields(config: RemoteConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__struct_fields__}


def test_a_folder_object_that_grew_while_it_was_read_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read asks for the size found plus one byte; more than that means it grew
    meanwhile, and the rest is read too (never a torn prefix taken for the object)."""
    store = FolderRemoteStore(tmp_path)
    key = "updates/000000000001"
    assert store.put_if_absent(key, b"x" * 5000)
    real_fstat = os.fstat

    def smaller(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        return os.stat_result((*found[:6], 10, *found[7:]))  # as it was a moment before

    monkeypatch.setattr(os, "fstat", smaller)
    assert store.get(key) == b"x" * 5000


def test_a_folder_object_read_in_short_pieces_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder is read with plain ``os.read`` calls (no buffered file object), and a
    read may return less than asked (a network share): the rest is asked for until
    the end, so a short read is never taken for the object."""
    store = FolderRemoteStore(tmp_path)
    key = "updates/000000000001"
    data = bytes(range(256)) * 40
    assert store.put_if_absent(key, data)
    real_read = os.read
    calls: list[int] = []

    def short(fd: int, n: int) -> bytes:
        calls.append(n)
        return real_read(fd, min(n, 1000))

    monkeypatch.setattr(os, "read", short)
    assert store.get(key) == data
    assert len(calls) == 12  # ten pieces of 1,000 bytes, one of 240, and the end
