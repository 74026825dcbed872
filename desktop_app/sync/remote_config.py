"""Where the remote store is: parsed from the CLI, kept in SQLite, turned into a store.

The config is stored in the local database's meta table, so it holds only
locations (bucket, prefix, endpoint, region, folder path), never a secret:
credentials live in the OS keyring (see ``credentials``). Validation happens in
``__post_init__`` so a hand-edited or corrupted stored config fails the same
clear way a mistyped command line does.
"""

from __future__ import annotations

import ipaddress
import os
import re
import urllib.parse
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from desktop_app.sync.credentials import Credentials
    from desktop_app.sync.remote import RemoteStore, ServerTimeObserver

RemoteKind = Literal["s3", "folder"]

_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+")
_BAD_BUCKET_STARTS = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_BUCKET_ENDS = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class RemoteConfigError(ValueError):
    """A remote location the user typed (or we stored) is unusable; one plain sentence."""


def bucket_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None (AWS general-purpose rules)."""
    if not 3 <= len(name) <= 63:
        return f"S3 bucket names are 3 to 63 characters long; {name!r} has {len(name)}"
    if not _BUCKET_CHARS.fullmatch(name):
        return (
            f"S3 bucket name {name!r} may only contain lowercase letters, digits, dots and hyphens"
        )
    if not (name[0].isalnum() and name[-1].isalnum()):
        return f"S3 bucket name {name!r} must begin and end with a letter or a digit"
    if ".." in name:
        return f"S3 bucket name {name!r} must not contain two dots in a row"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return f"S3 bucket name {name!r} must not look like an IP address"
    if name.startswith(_BAD_BUCKET_STARTS) or name.endswith(_BAD_BUCKET_ENDS):
        return f"S3 bucket name {name!r} uses a prefix or suffix that AWS reserves"
    return None


def endpoint_problem(url: str, allow_insecure_http: bool = False) -> None:
    """Refuse an endpoint with credentials in it, or plain HTTP beyond this computer.

    Credentials in a URL would be stored in SQLite and echoed by ``status`` and in
    errors, so the message never repeats the URL. Loopback stays allowed over
    HTTP for local servers (MinIO, moto in tests).
    """
    parts = urllib.parse.urlsplit(url) if url.isprintable() else None
    if parts is not None and "@" in parts.netloc:
        raise RemoteConfigError(
            "the endpoint URL holds a user name or password; give the host only and "
            "save the keys with `desktop-app login` (they go to the system keyring)"
        )
    if parts is None or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url) or not parts.hostname:
        raise RemoteConfigError(
            f"invalid endpoint {url!r}: use https://host[:port] (or http://localhost:port)"
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise RemoteConfigError(
            f"the endpoint {url} is plain HTTP to another computer: notes and requests would "
            "travel unencrypted. Use https://, or pass --allow-insecure-http if you mean it"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_prefix(prefix: str) -> str:
    """Strip surrounding slashes; refuse empty, '.' and '..' segments (ambiguous keys)."""
    cleaned = prefix.strip("/")
    if not cleaned:
        return ""
    for segment in cleaned.split("/"):
        if segment in ("", ".", ".."):
            raise RemoteConfigError(
                f"invalid prefix {prefix!r}: use names separated by single slashes"
            )
    return cleaned


class RemoteConfig(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A remote location without secrets; ``to_json`` goes into the meta table."""

    kind: RemoteKind
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    path: str = ""
    # Plain http:// to a host other than this computer: notes would travel in clear.
    allow_insecure_http: bool = False
    # Seal every object with the vault key (docs/sync-protocol.md, "Encryption").
    encrypted: bool = False

    def __post_init__(self) -> None:
        if self.kind == "s3":
            problem = bucket_problem(self.bucket)
            if problem:
                raise RemoteConfigError(problem)
            if self.prefix != clean_prefix(self.prefix):
                raise RemoteConfigError(f"invalid prefix {self.prefix!r}")
            if self.endpoint_url is not None:
                endpoint_problem(self.endpoint_url, self.allow_insecure_http)
            if self.path:
                raise RemoteConfigError("an S3 remote has no folder path")
        else:
            if not self.path:
                raise RemoteConfigError("a folder remote needs a path")
            if not os.path.isabs(self.path):
                raise RemoteConfigError(f"folder path {self.path!r} must be absolute")
            if (
                self.bucket
                or self.prefix
                or self.endpoint_url
                or self.region
                or (self.allow_insecure_http)
            ):
                raise RemoteConfigError("a folder remote has no bucket, prefix, endpoint or region")

    def describe(self) -> str:
        """A short location for messages: ``s3://bucket/prefix`` or the folder path."""
        if self.kind == "folder":
            return self.path
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def to_json(self) -> str:
        return msgspec.json.encode(self).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> RemoteConfig:
        try:
            return msgspec.json.decode(text, type=cls)
        except msgspec.ValidationError as exc:
            raise RemoteConfigError(f"the stored remote setting is invalid: {exc}") from None
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise RemoteConfigError("the stored remote setting is not valid JSON") from None


def parse_remote(
    target: str,
    path: str | None = None,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    allow_insecure_http: bool = False,
    encrypted: bool = False,
) -> RemoteConfig:
    """Read the CLI forms ``s3://BUCKET[/PREFIX]`` and ``folder PATH``.

    ``folder PATH`` may come as two arguments (``"folder", "/mnt/nas"``) or one
    string. Folder paths are made absolute here, since the CLI's working
    directory means nothing to the next run.
    """
    target = target.strip()
    if path is None and target.startswith("folder "):
        target, path = "folder", target[len("folder ") :].strip()
    if target.startswith("s3://"):
        if path is not None:
            raise RemoteConfigError("an s3:// remote takes no folder path")
        rest = target[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise RemoteConfigError("missing bucket name: use s3://BUCKET or s3://BUCKET/PREFIX")
        return RemoteConfig(
            kind="s3",
            bucket=bucket,
            prefix=clean_prefix(prefix),
            endpoint_url=endpoint_url.rstrip("/") if endpoint_url else None,
            region=region or None,
            allow_insecure_http=allow_insecure_http,
            encrypted=encrypted,
        )
    if target == "folder":
        if not path or not path.strip():
            raise RemoteConfigError("missing folder path: use folder PATH")
        if endpoint_url or region or allow_insecure_http:
            raise RemoteConfigError("a folder remote takes no endpoint or region")
        return RemoteConfig(
            kind="folder",
            path=os.path.abspath(os.path.expanduser(path.strip())),
            encrypted=encrypted,
        )
    raise RemoteConfigError(f"unknown remote {target!r}: use s3://BUCKET[/PREFIX] or folder PATH")


def open_remote(
    config: RemoteConfig,
    credentials: Credentials | None = None,
    on_server_time: ServerTimeObserver | None = None,
) -> RemoteStore:
    """The store for ``config``. ``credentials=None`` means boto3's own chain (env, profiles).

    Callers normally pass ``credentials.load_credentials(config)``. Imports are
    local so a folder-only user never pays for importing boto3.
    """
    if config.kind == "folder":
        from desktop_app.sync.folder_store import FolderRemoteStore

        return FolderRemoteStore(config.path, on_server_time=on_server_time)
    from desktop_app.sync.s3_store import S3RemoteStore

    return S3RemoteStore(
        config.bucket,
        config.prefix,
        endpoint_url=config.endpoint_url,
        region=config.region,
        credentials=credentials,
        on_server_time=on_server_time,
    )
