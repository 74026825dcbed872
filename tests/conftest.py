"""Shared fixtures: a real S3 server on loopback, an isolated AWS environment, a keyring.

Kept small on purpose; feature-specific fixtures belong in their test modules.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest

from desktop_app.sync.remote_config import RemoteConfig

# Before anything imports Qt or keyring: headless Qt, and never the developer's real keyring
# (a test that forgets ``memory_keyring`` then fails loudly instead of writing secrets).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

TEST_BUCKET = "tidemark-test"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    """An ``App`` on a fresh profile in ``tmp_path / "data"`` (the window tests' engine)."""
    from desktop_app.app import App

    app = App(tmp_path / "data")
    yield app
    app.close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto S3 server per session (stopping takes ~0.5 s); yields its base URL."""
    from moto.server import ThreadedMotoServer  # imported lazily: slow, and only S3 tests need it

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # werkzeug logs every request at INFO; capturing thousands of lines slows the S3 tests.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials; boto3 never reads this machine's AWS files or metadata service."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3_endpoint(moto_server: str, aws_env: None) -> str:
    """The moto URL, emptied before each test."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()
    return moto_server


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> RemoteConfig:
    """An empty bucket on moto, as the config ``open_remote`` takes."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=TEST_BUCKET)
    client.close()
    return RemoteConfig(kind="s3", bucket=TEST_BUCKET, endpoint_url=s3_endpoint, region="us-east-1")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A recommended (priority >= 1) in-memory keyring for tests."""

    priority = 10  # type: ignore[assignment]
    viable = False  # never picked by keyring's own detection, only via set_keyring

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@contextmanager
def use_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[Any]:
    """Make ``backend`` the active keyring, then restore the previous one."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install a fresh ``MemoryKeyring``; the previous backend comes back afterwards."""
    with use_keyring(MemoryKeyring()) as backend:
        yield backend
