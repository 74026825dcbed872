"""Secrets go to a secure OS keyring or nowhere (invariant 11)."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from desktop_app.sync.credentials import (
    SERVICE,
    Credentials,
    CredentialsError,
    check_backend,
    delete_credentials,
    keyring_username,
    load_credentials,
    save_credentials,
)
from desktop_app.sync.remote_config import RemoteConfig
from tests.conftest import MemoryKeyring, use_keyring

S3 = RemoteConfig(kind="s3", bucket="my-notes", prefix="ann")
MINIO = RemoteConfig(
    kind="s3", bucket="my-notes", endpoint_url="http://nas.local:9000", allow_insecure_http=True
)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class PlaintextFileKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's PlaintextKeyring: suitable, not recommended."""

    priority = 0.5  # type: ignore[assignment]


class PromotedPlaintextKeyring(PlaintextFileKeyring):
    """A plaintext backend whose priority someone raised: its name still gives it away."""

    priority = 20  # type: ignore[assignment]


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


def test_save_and_load_round_trip(memory_keyring: MemoryKeyring) -> None:
    save_credentials(S3, "AKIDEXAMPLE", SECRET)
    assert load_credentials(S3) == Credentials("AKIDEXAMPLE", SECRET)
    assert list(memory_keyring.passwords) == [(SERVICE, "s3:aws/my-notes")]


def test_each_endpoint_and_bucket_has_its_own_entry(memory_keyring: MemoryKeyring) -> None:
    save_credentials(S3, "AKID1", "secret-1")
    save_credentials(MINIO, "AKID2", "secret-2")
    assert keyring_username(MINIO) == "s3:http://nas.local:9000/my-notes"
    assert load_credentials(S3) == Credentials("AKID1", "secret-1")
    assert load_credentials(MINIO) == Credentials("AKID2", "secret-2")


def test_nothing_saved_means_use_the_aws_chain(memory_keyring: MemoryKeyring) -> None:
    assert load_credentials(S3) is None


def test_delete_forgets_and_is_idempotent(memory_keyring: MemoryKeyring) -> None:
    save_credentials(S3, "AKIDEXAMPLE", SECRET)
    delete_credentials(S3)
    delete_credentials(S3)
    assert load_credentials(S3) is None


def test_fail_backend_is_refused_for_saving_and_means_none_for_loading() -> None:
    with use_keyring(fail.Keyring()):
        with pytest.raises(CredentialsError, match="No system keyring") as info:
            save_credentials(S3, "AKIDEXAMPLE", SECRET)
        assert "AWS_ACCESS_KEY_ID" in str(info.value)
        assert load_credentials(S3) is None


def test_null_backend_is_refused() -> None:
    with use_keyring(null.Keyring()), pytest.raises(CredentialsError):
        save_credentials(S3, "AKIDEXAMPLE", SECRET)


@pytest.mark.parametrize("backend_cls", [PlaintextFileKeyring, PromotedPlaintextKeyring])
def test_plaintext_backend_is_refused(backend_cls: type[PlaintextFileKeyring]) -> None:
    backend = backend_cls()
    with use_keyring(backend):
        with pytest.raises(CredentialsError, match="not a secure system keyring") as info:
            save_credentials(S3, "AKIDEXAMPLE", SECRET)
        assert "AWS_PROFILE" in str(info.value)
        assert backend.passwords == {}, "nothing was written"
        backend.passwords[(SERVICE, keyring_username(S3))] = '{"x": 1}'
        assert load_credentials(S3) is None, "never read from an insecure backend either"


def test_backend_named_like_keyrings_alt_is_refused() -> None:
    cls = type("Keyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    with pytest.raises(CredentialsError):
        check_backend(cls())


def test_recommended_backend_passes(memory_keyring: MemoryKeyring) -> None:
    check_backend()


def test_locked_keyring_says_unlock() -> None:
    with use_keyring(LockedKeyring()):
        with pytest.raises(CredentialsError, match=r"locked.*unlock"):
            save_credentials(S3, "AKIDEXAMPLE", SECRET)
        with pytest.raises(CredentialsError, match="unlock"):
            load_credentials(S3)


def test_secret_is_never_shown(memory_keyring: MemoryKeyring) -> None:
    creds = Credentials("AKIDEXAMPLE", SECRET, session_token="token-secret")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert SECRET not in text
        assert "token-secret" not in text
        assert "AKIDEXAMPLE" in text


def test_secret_not_in_errors(memory_keyring: MemoryKeyring) -> None:
    with use_keyring(PlaintextFileKeyring()), pytest.raises(CredentialsError) as info:
        save_credentials(S3, "AKIDEXAMPLE", SECRET)
    assert SECRET not in str(info.value)


def test_corrupt_entry_is_a_clear_error(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.passwords[(SERVICE, keyring_username(S3))] = "not json"
    with pytest.raises(CredentialsError, match="save them again"):
        load_credentials(S3)


def test_empty_values_and_folders_are_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError):
        save_credentials(S3, "AKID", "  ")
    folder = RemoteConfig(kind="folder", path="/mnt/nas")
    with pytest.raises(CredentialsError, match="folder"):
        save_credentials(folder, "AKID", SECRET)
    assert load_credentials(folder) is None
    assert memory_keyring.passwords == {}
