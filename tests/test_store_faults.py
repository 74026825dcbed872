"""Remote stores under faults: S3's 409, folders without hard links, servers that
ignore create-only writes, and objects too big to read.

S3 faults are played by a real HTTP proxy in front of moto (``tests.s3_proxy``);
folder faults use real files, with only the platform's missing feature forced.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from desktop_app.sync import folder_store, no_replace, s3_store
from desktop_app.sync import remote as remote_module
from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.probe import verify_create_only
from desktop_app.sync.remote import RemoteError, RemoteObjectTooLarge, RemoteUnavailable
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.sync.s3_store import S3RemoteStore
from tests.s3_proxy import (
    Canned,
    Request,
    S3Proxy,
    conflict_first,
    running_proxy,
    s3_error,
    strip_if_none_match,
)

KEY = "updates/000000000001"


def _s3(endpoint: str, bucket: str) -> S3RemoteStore:
    return S3RemoteStore(bucket, "vault", endpoint_url=endpoint, region="us-east-1")


def _moto_object(config: RemoteConfig, key: str) -> bytes | None:
    client = boto3.client("s3", endpoint_url=config.endpoint_url, region_name="us-east-1")
    try:
        return client.get_object(Bucket=config.bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    finally:
        client.close()


def _moto_keys(config: RemoteConfig) -> list[str]:
    client = boto3.client("s3", endpoint_url=config.endpoint_url, region_name="us-east-1")
    try:
        listed = client.list_objects_v2(Bucket=config.bucket).get("Contents", [])
        return [item["Key"] for item in listed]
    finally:
        client.close()


@pytest.fixture
def fast_conflict_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_store, "CONFLICT_BACKOFF_S", 0.001)
    monkeypatch.setattr(s3_store, "CONFLICT_BACKOFF_MAX_S", 0.004)


# -- S3: 409 ConditionalRequestConflict means "ask again", never "taken" -------------------


def test_s3_409_is_retried_on_the_same_key_until_created(s3_bucket: RemoteConfig) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, conflict_first(KEY, 3)) as proxy:
        store = _s3(proxy.url, s3_bucket.bucket)
        assert store.put_if_absent(KEY, b"my update") is True
        assert proxy.puts_of(KEY) == 4  # three 409s, then the create, all on one key
        assert not any("000000000002" in r.path for r in proxy.seen)
    assert _moto_object(s3_bucket, f"vault/{KEY}") == b"my update"


def test_s3_409_then_412_is_taken_by_another_writer(s3_bucket: RemoteConfig) -> None:
    assert s3_bucket.endpoint_url
    _s3(s3_bucket.endpoint_url, s3_bucket.bucket).put_if_absent(KEY, b"theirs")
    with running_proxy(s3_bucket.endpoint_url, conflict_first(KEY, 2)) as proxy:
        assert _s3(proxy.url, s3_bucket.bucket).put_if_absent(KEY, b"mine") is False
    assert _moto_object(s3_bucket, f"vault/{KEY}") == b"theirs"


def test_s3_409_then_412_on_our_own_bytes_is_created(s3_bucket: RemoteConfig) -> None:
    """The in-flight write the 409 reported was our own earlier attempt, which landed."""
    assert s3_bucket.endpoint_url
    _s3(s3_bucket.endpoint_url, s3_bucket.bucket).put_if_absent(KEY, b"mine")
    with running_proxy(s3_bucket.endpoint_url, conflict_first(KEY, 1)) as proxy:
        assert _s3(proxy.url, s3_bucket.bucket).put_if_absent(KEY, b"mine") is True


def test_s3_409_forever_is_unavailable_and_takes_nothing(
    s3_bucket: RemoteConfig, fast_conflict_backoff: None
) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, conflict_first(KEY, -1)) as proxy:
        store = _s3(proxy.url, s3_bucket.bucket)
        with pytest.raises(RemoteUnavailable, match="409 ConditionalRequestConflict") as info:
            store.put_if_absent(KEY, b"my update")
        assert proxy.puts_of(KEY) == s3_store.CONFLICT_ATTEMPTS
    text = str(info.value)
    assert KEY in text and text.count(". ") == 0 and text.endswith(".")
    assert _moto_object(s3_bucket, f"vault/{KEY}") is None


def test_s3_409_backoff_spans_a_few_seconds() -> None:
    delays = [s3_store._conflict_delay(n) for n in range(1, s3_store.CONFLICT_ATTEMPTS)]
    assert delays == sorted(delays)
    assert 2 <= sum(delays) <= 10


# -- S3: a server that ignores If-None-Match is refused ------------------------------------


def test_probe_passes_on_a_store_that_refuses_overwrites(s3_bucket: RemoteConfig) -> None:
    assert s3_bucket.endpoint_url
    store = _s3(s3_bucket.endpoint_url, s3_bucket.bucket)
    verify_create_only(store)
    assert store.request_count == 3
    assert _moto_keys(s3_bucket) == []


def test_probe_refuses_a_server_that_ignores_if_none_match(s3_bucket: RemoteConfig) -> None:
    assert s3_bucket.endpoint_url
    with running_proxy(s3_bucket.endpoint_url, strip_if_none_match) as proxy:
        with pytest.raises(RemoteError, match="If-None-Match") as info:
            verify_create_only(_s3(proxy.url, s3_bucket.bucket))
        assert any(r.method == "PUT" for r in proxy.seen)
        assert not any("if-none-match" in r.headers for r in proxy.seen)
    assert "create-only" in str(info.value)
    assert _moto_keys(s3_bucket) == []  # the probe cleaned up after itself


def test_probe_on_a_folder(tmp_path: Path) -> None:
    verify_create_only(FolderRemoteStore(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_probe_on_a_missing_folder_fails_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(RemoteUnavailable, match="does not exist") as info:
        verify_create_only(FolderRemoteStore(tmp_path / "usb-stick"))
    assert time.monotonic() - started < 1
    assert str(tmp_path / "usb-stick") in str(info.value)
    assert not (tmp_path / "usb-stick").exists()


# -- folders without hard links: an atomic no-replace rename, or a plain refusal -----------


@pytest.fixture
def no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """A FAT/exFAT stick: ``link`` is refused with EPERM, as Linux's vfat does."""

    def refuse(src: object, dst: object, **_: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)


@pytest.fixture
def rename_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts the real no-replace renames (they still run)."""
    calls: list[str] = []
    real = no_replace.rename_no_replace

    def counting(src: str, dst: str) -> None:
        calls.append(os.fspath(dst))
        real(src, dst)

    monkeypatch.setattr(no_replace, "rename_no_replace", counting)
    yield calls


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_no_links_publishes_by_no_replace_rename(
    tmp_path: Path, no_hard_links: None, rename_calls: list[str]
) -> None:
    store = FolderRemoteStore(tmp_path)
    assert store.put_if_absent(KEY, b"first") is True
    assert rename_calls == [str(tmp_path / KEY)]
    assert store.put_if_absent(KEY, b"second") is False
    assert store.get(KEY) == b"first"
    assert _files(tmp_path) == [KEY]  # no temporary left, nothing partial


def test_no_replace_rename_refuses_an_existing_name(tmp_path: Path) -> None:
    (tmp_path / "final").write_bytes(b"theirs")
    (tmp_path / ".tmp-mine").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        no_replace.rename_no_replace(tmp_path / ".tmp-mine", tmp_path / "final")
    assert (tmp_path / "final").read_bytes() == b"theirs"
    assert (tmp_path / ".tmp-mine").read_bytes() == b"mine"
    no_replace.rename_no_replace(tmp_path / ".tmp-mine", tmp_path / "new")
    assert (tmp_path / "new").read_bytes() == b"mine"
    assert not (tmp_path / ".tmp-mine").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux syscall path")
def test_renameat2_through_the_raw_syscall(tmp_path: Path) -> None:
    """Libcs before glibc 2.28 have no renameat2 wrapper: the syscall does the same."""
    import ctypes
    import ctypes.util
    import types

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    raw = no_replace._linux_renameat2(types.SimpleNamespace(syscall=libc.syscall))  # type: ignore[arg-type]
    assert raw is not None
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    assert raw(os.fsencode(tmp_path / "a"), os.fsencode(tmp_path / "b")) == -1
    assert ctypes.get_errno() == errno.EEXIST
    assert raw(os.fsencode(tmp_path / "a"), os.fsencode(tmp_path / "c")) == 0
    assert _files(tmp_path) == ["b", "c"]


def test_no_links_race_has_exactly_one_winner(
    tmp_path: Path, no_hard_links: None, rename_calls: list[str]
) -> None:
    store = FolderRemoteStore(tmp_path)
    for round_ in range(5):
        key = f"updates/{round_:012d}"
        barrier = threading.Barrier(8)

        def race(n: int, key: str = key, barrier: threading.Barrier = barrier) -> bool:
            barrier.wait()
            return store.put_if_absent(key, f"writer {n}".encode())

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(race, range(8)))
        assert results.count(True) == 1, results
        assert store.get(key) == f"writer {results.index(True)}".encode()
    assert rename_calls, "the race went through the no-replace rename"
    assert _files(tmp_path) == [f"updates/{n:012d}" for n in range(5)]


def test_no_atomic_create_at_all_is_refused_plainly(
    tmp_path: Path, no_hard_links: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(src: object, dst: object) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(no_replace, "rename_no_replace", unsupported)
    store = FolderRemoteStore(tmp_path)
    with pytest.raises(RemoteError, match="cannot create files atomically") as info:
        store.put_if_absent(KEY, b"update")
    text = str(info.value)
    assert str(tmp_path) in text and "hard links" in text and "S3" in text
    assert _files(tmp_path) == []
    with pytest.raises(RemoteError, match="atomically"):
        verify_create_only(store)  # so `remote folder` refuses such a drive at once
    assert _files(tmp_path) == []


_CRASHING_WRITER = textwrap.dedent(
    """
    import errno, os, sys
    from desktop_app.sync.folder_store import FolderRemoteStore

    def no_link(src, dst, **kw):
        raise OSError(errno.EPERM, "Operation not permitted")

    die_at = int(sys.argv[3])
    writes = 0
    real_write = os.write
    def write_then_die(fd, data):
        global writes
        writes += 1
        if writes < die_at:
            return real_write(fd, data)
        real_write(fd, bytes(data[: len(data) // 2]))
        os._exit(9)  # power cut: no cleanup, no finally

    os.link = no_link
    os.write = write_then_die
    FolderRemoteStore(sys.argv[1]).put_if_absent(sys.argv[2], b"x" * 4096)
    """
)


@pytest.mark.parametrize("die_at_write", [1, 2])
def test_a_writer_killed_mid_write_leaves_no_torn_update(tmp_path: Path, die_at_write: int) -> None:
    """Killed during the n-th file write of a put: the key is absent or whole, never torn."""
    args = [str(tmp_path), KEY, str(die_at_write)]
    result = subprocess.run([sys.executable, "-c", _CRASHING_WRITER, *args], timeout=60)
    assert result.returncode in (0, 9)
    store = FolderRemoteStore(tmp_path)
    if [e.key for e in store.list("")] == [KEY]:
        assert store.get(KEY) == b"x" * 4096
    else:
        assert store.list("") == []
        assert store.put_if_absent(KEY, b"whole") is True


def test_stale_temporaries_are_swept_on_put(tmp_path: Path) -> None:
    updates = tmp_path / "updates"
    updates.mkdir()
    old, recent = updates / ".tmp-crashed", updates / ".tmp-in-flight"
    old.write_bytes(b"half")
    recent.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    FolderRemoteStore(tmp_path).put_if_absent(KEY, b"u")
    assert not old.exists()
    assert recent.exists(), "a writer may still be busy with a recent one"
    assert folder_store.STALE_TMP_S == 3600


# -- a proxy sanity check, so a broken helper cannot make the tests above pass ----------


def test_proxy_forwards_everything_else(s3_bucket: RemoteConfig) -> None:
    assert s3_bucket.endpoint_url

    def nothing(request: object) -> None:
        return None

    with running_proxy(s3_bucket.endpoint_url, nothing) as proxy:
        assert isinstance(proxy, S3Proxy)
        store = _s3(proxy.url, s3_bucket.bucket)
        assert store.put_if_absent(KEY, b"u") is True
        assert store.put_if_absent(KEY, b"v") is False  # If-None-Match reached moto
        assert store.get(KEY) == b"u"
        assert [e.key for e in store.list("")] == [KEY]
        store.delete(KEY)
        assert store.list("") == []


# -- huge objects are refused before they are read -----------------------------------------


def test_s3_huge_object_is_refused_by_its_length_before_the_body(s3_bucket: RemoteConfig) -> None:
    """A GET announcing a terabyte: refused on the header, the body is never awaited."""
    assert s3_bucket.endpoint_url

    def huge(request: Request) -> Canned | None:
        if request.method == "GET" and request.path.split("?")[0].endswith(KEY):
            headers = {"Content-Length": str(10**12), "Connection": "close", "ETag": '"x"'}
            return Canned(200, b"", headers)
        return None

    with (
        running_proxy(s3_bucket.endpoint_url, huge) as proxy,
        pytest.raises(RemoteObjectTooLarge, match=KEY) as info,
    ):
        _s3(proxy.url, s3_bucket.bucket).get(KEY)
    assert info.value.size == 10**12


def test_folder_huge_object_is_refused_by_its_size_before_reading(tmp_path: Path) -> None:
    (tmp_path / "updates").mkdir()
    with open(tmp_path / KEY, "wb") as f:  # sparse: costs no disk
        f.truncate(remote_module.MAX_OBJECT_BYTES + 1)
    tracemalloc.start()
    try:
        with pytest.raises(RemoteObjectTooLarge, match="268435457 bytes"):
            FolderRemoteStore(tmp_path).get(KEY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


def test_s3_server_without_conditional_writes_is_named(s3_bucket: RemoteConfig) -> None:
    """Some servers answer 501 NotImplemented to If-None-Match on PUT: say which feature."""
    assert s3_bucket.endpoint_url

    def not_implemented(request: Request) -> Canned | None:
        if request.method == "PUT" and "if-none-match" in request.headers:
            return s3_error(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            )
        return None

    with (
        running_proxy(s3_bucket.endpoint_url, not_implemented) as proxy,
        pytest.raises(RemoteError, match="If-None-Match") as info,
    ):
        verify_create_only(_s3(proxy.url, s3_bucket.bucket))
    assert type(info.value) is RemoteError
    assert "create-only" in str(info.value)
    assert _moto_keys(s3_bucket) == []
