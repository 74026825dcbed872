"""Remote locations: what the CLI accepts, what is refused, what is stored."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from desktop_app.sync.folder_store import FolderRemoteStore
from desktop_app.sync.remote_config import (
    RemoteConfig,
    RemoteConfigError,
    open_remote,
    parse_remote,
)


def test_parse_s3_bucket_and_prefix() -> None:
    assert parse_remote("s3://my-notes") == RemoteConfig(kind="s3", bucket="my-notes")
    config = parse_remote("s3://my-notes/people/ann/", region="eu-west-1")
    assert config == RemoteConfig(
        kind="s3", bucket="my-notes", prefix="people/ann", region="eu-west-1"
    )
    assert config.describe() == "s3://my-notes/people/ann"


def test_parse_s3_compatible_endpoint() -> None:
    config = parse_remote(
        "s3://notes", endpoint_url="http://nas.local:9000/", allow_insecure_http=True
    )
    assert config.endpoint_url == "http://nas.local:9000"
    assert config.describe() == "s3://notes at http://nas.local:9000"


def test_parse_folder_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_remote("folder", str(tmp_path)) == RemoteConfig(kind="folder", path=str(tmp_path))
    assert parse_remote(f"folder {tmp_path}").path == str(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert parse_remote("folder", "sync").path == str(tmp_path / "sync"), "made absolute"
    assert parse_remote("folder", "~/x").path == os.path.expanduser("~/x")


@pytest.mark.parametrize(
    ("bucket", "why"),
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("My-Notes", "lowercase"),
        ("my_notes", "lowercase"),
        ("-notes", "begin and end"),
        ("notes.", "begin and end"),
        ("my..notes", "two dots"),
        ("192.168.1.10", "IP address"),
        ("xn--notes", "reserves"),
        ("notes-s3alias", "reserves"),
    ],
)
def test_invalid_bucket_names_say_why(bucket: str, why: str) -> None:
    with pytest.raises(RemoteConfigError, match=why):
        parse_remote(f"s3://{bucket}/x")


def test_valid_bucket_names() -> None:
    for bucket in ("abc", "a" * 63, "my.notes-2024", "0notes9"):
        assert parse_remote(f"s3://{bucket}").bucket == bucket


@pytest.mark.parametrize(
    ("args", "kwargs", "why"),
    [
        (("s3://",), {}, "missing bucket"),
        (("s3://notes/a//b",), {}, "invalid prefix"),
        (("s3://notes/../b",), {}, "invalid prefix"),
        (("s3://notes",), {"endpoint_url": "nas.local:9000"}, "invalid endpoint"),
        (("s3://notes", "/path"), {}, "no folder path"),
        (("folder",), {}, "missing folder path"),
        (("folder", "  "), {}, "missing folder path"),
        (("folder", "/x"), {"region": "eu-west-1"}, "no endpoint or region"),
        (("https://example.com/bucket",), {}, "unknown remote"),
        (("dropbox",), {}, "unknown remote"),
    ],
)
def test_bad_input_is_a_plain_error(
    args: tuple[str, ...], kwargs: dict[str, str], why: str
) -> None:
    with pytest.raises(RemoteConfigError, match=why):
        parse_remote(*args, **kwargs)


def test_json_round_trip_holds_no_secret() -> None:
    config = parse_remote("s3://my-notes/ann", endpoint_url="https://s3.example.com", region="x1")
    text = config.to_json()
    assert RemoteConfig.from_json(text) == config
    assert set(msgspec.json.decode(text)) == {"kind", "bucket", "prefix", "endpoint_url", "region"}
    assert "secret" not in text.lower() and "key" not in text.lower()
    folder = RemoteConfig(kind="folder", path="/mnt/nas/tidemark")
    assert RemoteConfig.from_json(folder.to_json()) == folder
    assert msgspec.json.decode(folder.to_json()) == {"kind": "folder", "path": "/mnt/nas/tidemark"}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"kind": "ftp"}',
        '{"kind": "s3", "bucket": "UPPER"}',
        '{"kind": "s3", "bucket": "ok-bucket", "secret_access_key": "x"}',
        '{"kind": "folder", "path": "relative/path"}',
        '{"kind": "folder", "path": "/x", "bucket": "abc"}',
    ],
)
def test_bad_stored_config_is_a_plain_error(text: str) -> None:
    with pytest.raises(RemoteConfigError):
        RemoteConfig.from_json(text)


def test_open_remote_folder(tmp_path: Path) -> None:
    store = open_remote(parse_remote("folder", str(tmp_path)))
    assert isinstance(store, FolderRemoteStore)
    assert store.put_if_absent("meta.json", b"{}")
    assert store.describe() == str(tmp_path)


def test_open_remote_s3(s3_bucket: RemoteConfig) -> None:
    from desktop_app.sync.s3_store import S3RemoteStore

    store = open_remote(s3_bucket)
    assert isinstance(store, S3RemoteStore)
    assert store.put_if_absent("meta.json", b"{}")
    assert store.get("meta.json") == b"{}"
