"""Issue 9, end-to-end encryption: through the App's own round (``sync_now``) against
a real folder and a real S3 server (moto over HTTP).

The store learns no titles or texts; a flipped bit or a moved object is
quarantined the same way on every device; a wrong passphrase changes nothing; a
changed passphrase keeps every device working once it has the new one.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from desktop_app.app import App, AppError, encryption
from desktop_app.app.encryption import change_passphrase
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import codec
from desktop_app.sync import protocol, sealing
from desktop_app.sync.credentials import save_credentials
from desktop_app.sync.remote_config import RemoteConfig, open_remote
from desktop_app.sync.rollup import rollup
from desktop_app.sync.sealed_store import SealedStore, open_vault_key

SECRETS = ("Quarterly tax secret", "Buy an engagement ring", "the safe code is 4512")
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap scrypt for the tests (key objects record their own parameters); each
    test starts with no vault key in memory, like a fresh process."""
    monkeypatch.setattr(sealing, "SCRYPT_N", 2**10)
    monkeypatch.delenv(encryption.PASSPHRASE_ENV, raising=False)
    encryption._vault_keys.clear()
    yield
    encryption._vault_keys.clear()


@pytest.fixture(params=["folder", "s3"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> RemoteConfig:
    """An empty encrypted location: a folder, or a bucket on moto."""
    if request.param == "folder":
        root = tmp_path / "share"
        root.mkdir()
        return RemoteConfig(kind="folder", path=str(root), encrypted=True)
    config: RemoteConfig = request.getfixturevalue("s3_bucket")
    return RemoteConfig(
        kind="s3",
        bucket=config.bucket,
        endpoint_url=config.endpoint_url,
        region=config.region,
        encrypted=True,
    )


def answer(passphrase: str) -> Callable[[str, bool], str]:
    return lambda label, confirm: passphrase


class Device:
    """A machine with its own data dir, syncing as the CLI does (prompted passphrase)."""

    def __init__(self, data_dir: Path, config: RemoteConfig, passphrase: str = PASSPHRASE):
        self.data_dir = data_dir
        self.app = App(data_dir)
        self.passphrase = passphrase
        set_remote(self.app, config)

    def sync(self):
        return sync_now(self.app, prompt=answer(self.passphrase))

    def restart(self) -> None:
        """A new process: the vault key is no longer in memory."""
        self.app.close()
        encryption._vault_keys.clear()
        self.app = App(self.data_dir)

    def titles(self) -> set[str]:
        return {t.title for t in self.app.state.tasks.values()}


# -- raw access to what the store holds -------------------------------------------------


def raw_objects(config: RemoteConfig) -> dict[str, bytes]:
    store = open_remote(config)
    return {
        e.key: store.get(e.key)
        for prefix in ("meta.json", "keys/", "updates/", "snapshots/")
        for e in store.list(prefix)
    }


def overwrite(config: RemoteConfig, key: str, data: bytes) -> None:
    """What a hostile or broken store does: replace an object's bytes in place."""
    if config.kind == "folder":
        (Path(config.path) / key).write_bytes(data)
        return
    client = boto3.client("s3", endpoint_url=config.endpoint_url, region_name="us-east-1")
    client.put_object(Bucket=config.bucket, Key=key, Body=data)
    client.close()


def flip_bit(data: bytes, index: int) -> bytes:
    index %= len(data)
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def sealed_store(config: RemoteConfig, passphrase: str = PASSPHRASE) -> SealedStore:
    remote = open_remote(config)
    return SealedStore(remote, open_vault_key(remote, passphrase)[1])


def local_snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


# -- the store learns nothing ------------------------------------------------------------


def test_object_bodies_hold_none_of_the_titles_or_texts(tmp_path: Path, vault) -> None:
    a = Device(tmp_path / "a", vault)
    a.app.add_task(SECRETS[0])
    a.sync()  # the genesis carries this state
    a.app.add_task(SECRETS[1])
    a.app.add_note("Notes", body=SECRETS[2])
    a.sync()
    assert rollup(sealed_store(vault)).created  # a snapshot, sealed as well
    b = Device(tmp_path / "b", vault)
    b.sync()
    assert b.titles() == {SECRETS[0], SECRETS[1]}
    assert any(n.body == SECRETS[2] for n in b.app.state.notes.values())

    objects = raw_objects(vault)
    assert {k.split("/")[0] for k in objects} == {"meta.json", "keys", "updates", "snapshots"}
    for key, body in objects.items():
        for secret in (*SECRETS, PASSPHRASE):
            for form in (secret.encode(), secret.encode("utf-16-le")):
                assert form not in body, (key, secret)
        if key.startswith(("updates/", "snapshots/")):
            assert body.startswith(sealing.ENVELOPE_MAGIC), key
            assert b"actions" not in body and b"state" not in body, key
    meta = protocol.decode_meta(objects["meta.json"])
    assert meta.format == protocol.SEALED_VAULT_FORMAT and meta.sealed == protocol.SEALED


# -- tampering is quarantine, the same on every device -----------------------------------


def three_updates(tmp_path: Path, vault) -> Device:
    a = Device(tmp_path / "a", vault)
    a.sync()  # genesis (empty) at 1
    for title in ("one", "two", "three"):  # updates 2, 3, 4
        a.app.add_task(title)
        a.sync()
    return a


@pytest.mark.parametrize("index", [0, 5, 20, -1])
def test_a_flipped_bit_in_an_update_is_quarantined_on_every_device(
    tmp_path: Path, vault, index: int
) -> None:
    three_updates(tmp_path, vault)
    key = protocol.update_key(3)  # holds "two"
    overwrite(vault, key, flip_bit(raw_objects(vault)[key], index))
    b, c = Device(tmp_path / "b", vault), Device(tmp_path / "c", vault)
    reports = [b.sync(), c.sync()]
    for device, report in zip((b, c), reports, strict=True):
        assert report.quarantined == [key]
        assert device.titles() == {"one", "three"}  # not applied, and the log went on
    assert codec.encode_state(b.app.state) == codec.encode_state(c.app.state)
    b.app.add_task("after")  # the log does not stall: both keep syncing past it
    b.sync()
    c.sync()
    assert "after" in c.titles()


def test_a_flipped_bit_in_the_genesis_or_a_snapshot_is_quarantined(tmp_path: Path, vault) -> None:
    a = Device(tmp_path / "a", vault)
    a.app.add_task("first")
    a.sync()  # the (empty) genesis at 1, "first" at 2
    a.app.add_task("later")
    a.sync()
    assert rollup(sealed_store(vault)).created
    snapshot = protocol.snapshot_key(3)
    overwrite(vault, snapshot, flip_bit(raw_objects(vault)[snapshot], 30))
    b = Device(tmp_path / "b", vault)
    report = b.sync()
    assert snapshot in report.quarantined  # fell back to walking the updates
    assert b.titles() == {"first", "later"}
    genesis = protocol.update_key(1)
    overwrite(vault, genesis, flip_bit(raw_objects(vault)[genesis], 40))
    c, d = Device(tmp_path / "c", vault), Device(tmp_path / "d", vault)
    for device in (c, d):
        report = device.sync()
        assert report.quarantined == [snapshot, genesis]
        assert device.titles() == {"first", "later"}  # the log went on past it


def test_an_object_copied_to_another_position_is_refused(tmp_path: Path, vault) -> None:
    three_updates(tmp_path, vault)
    objects = raw_objects(vault)
    # A replay: update 2's envelope committed again at the next free position.
    overwrite(vault, protocol.update_key(5), objects[protocol.update_key(2)])
    # A swap: update 4's envelope put in place of update 3.
    overwrite(vault, protocol.update_key(3), objects[protocol.update_key(4)])
    b, c = Device(tmp_path / "b", vault), Device(tmp_path / "c", vault)
    for device in (b, c):
        report = device.sync()
        assert report.quarantined == [protocol.update_key(3), protocol.update_key(5)]
        assert device.titles() == {"one", "three"}
        assert device.app.local.base()[1] == 5
    # A snapshot's envelope at an update's key is refused as well.
    assert rollup(sealed_store(vault)).created
    snapshot = raw_objects(vault)[protocol.snapshot_key(5)]
    overwrite(vault, protocol.update_key(6), snapshot)
    assert b.sync().quarantined == [protocol.update_key(6)]


# -- passphrases --------------------------------------------------------------------------


def test_a_wrong_passphrase_is_refused_and_changes_nothing(tmp_path: Path, vault) -> None:
    a = Device(tmp_path / "a", vault)
    a.app.add_task("one")
    a.sync()
    b = Device(tmp_path / "b", vault, passphrase="not the passphrase")
    b.app.add_task("b's own")
    b.app.close()
    before_local, before_remote = local_snapshot(b.data_dir), raw_objects(vault)
    b.app = App(b.data_dir)
    with pytest.raises(AppError) as failure:
        b.sync()
    assert str(failure.value) == "wrong passphrase for this vault"
    b.app.close()
    assert local_snapshot(b.data_dir) == before_local
    assert raw_objects(vault) == before_remote
    b.app = App(b.data_dir)
    b.passphrase = PASSPHRASE  # the right one: it works, nothing was lost
    b.sync()
    assert b.titles() == {"one", "b's own"}


def test_a_damaged_key_object_is_not_a_damaged_vault(tmp_path: Path, vault) -> None:
    Device(tmp_path / "a", vault).sync()
    key = sealing.key_object_key(1)
    overwrite(vault, key, b"{not json")
    b = Device(tmp_path / "b", vault)
    with pytest.raises(AppError, match="key object keys/000000000001 is damaged"):
        b.sync()
    assert b.app.local.base()[1] == 0


def test_changing_the_passphrase_keeps_every_device_working(
    tmp_path: Path, vault, memory_keyring
) -> None:
    a, b = Device(tmp_path / "a", vault), Device(tmp_path / "b", vault)
    a.app.add_task("before")
    a.sync()
    b.sync()
    before = raw_objects(vault)
    number = change_passphrase(a.app.local, vault, open_remote(vault), answer("new secret"))
    assert number == 2
    after = raw_objects(vault)
    # Only the key object changed: nothing else was re-encrypted.
    assert {k: v for k, v in after.items() if not k.startswith("keys/")} == {
        k: v for k, v in before.items() if not k.startswith("keys/")
    }
    assert [k for k in after if k.startswith("keys/")] == [sealing.key_object_key(2)]
    a.app.add_task("after the change")
    a.sync()

    # b restarts with the old passphrase in its keyring: told, and nothing touched.
    assert memory_keyring.get_password("tidemark", f"passphrase:{vault.describe()}") == (
        "new secret"  # a saved the new one; b's entry is the same item here, so reset it
    )
    b.restart()
    b.app.add_task("b offline")
    memory_keyring.set_password("tidemark", f"passphrase:{vault.describe()}", PASSPHRASE)
    b.passphrase = PASSPHRASE
    position = b.app.local.base()[1]
    with pytest.raises(AppError) as failure:
        b.sync()
    assert "passphrase was changed on another device: enter the new one" in str(failure.value)
    assert b.app.local.base()[1] == position and b.app.local.pending_count() == 1
    b.passphrase = "new secret"  # the prompt gives the new one
    b.sync()
    a.sync()
    assert a.titles() == b.titles() == {"before", "after the change", "b offline"}
    c = Device(tmp_path / "c", vault, passphrase="new secret")
    c.sync()
    assert c.titles() == a.titles()
    d = Device(tmp_path / "d", vault)  # a new device with the old passphrase
    memory_keyring.passwords.clear()
    with pytest.raises(AppError, match="wrong passphrase for this vault"):
        d.sync()


def test_an_encrypted_vault_is_not_read_without_encryption(tmp_path: Path, vault) -> None:
    Device(tmp_path / "a", vault).sync()
    from msgspec.structs import replace

    plain = Device(tmp_path / "b", replace(vault, encrypted=False))
    with pytest.raises(AppError, match="holds an encrypted vault"):
        plain.sync()
    with pytest.raises(Exception, match="encrypted vault"):
        rollup(open_remote(vault))  # the Lambda without a passphrase refuses too


def test_lambda_rolls_up_an_encrypted_vault_given_the_passphrase(
    tmp_path: Path, s3_bucket: RemoteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.sync import lambda_handler

    config = RemoteConfig(
        kind="s3", bucket=s3_bucket.bucket, endpoint_url=s3_bucket.endpoint_url, encrypted=True
    )
    a = Device(tmp_path / "a", config)
    a.app.add_task("x")
    a.sync()
    monkeypatch.setenv("TIDEMARK_BUCKET", config.bucket)
    monkeypatch.setenv("TIDEMARK_ENDPOINT_URL", str(config.endpoint_url))
    with pytest.raises(Exception, match="encrypted vault"):
        lambda_handler.handler()
    monkeypatch.setenv("TIDEMARK_PASSPHRASE", PASSPHRASE)
    assert lambda_handler.handler()["created"]


# -- secrets go nowhere -------------------------------------------------------------------


def test_secret_scan_after_a_session(
    tmp_path: Path, s3_bucket: RemoteConfig, memory_keyring
) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    key_id, secret = "AKIASCANTESTKEY00001", "s3-secret-for-the-scan-9f8e7d6c5b4a"
    config = RemoteConfig(
        kind="s3", bucket=s3_bucket.bucket, endpoint_url=s3_bucket.endpoint_url, encrypted=True
    )
    save_credentials(config, key_id, secret)
    a, b = Device(tmp_path / "a", config), Device(tmp_path / "b", config)
    a.app.add_task("t")
    a.sync()
    b.sync()
    change_passphrase(a.app.local, config, open_remote(config), answer("second passphrase"))
    a.sync()
    b.restart()
    b.passphrase = "second passphrase"
    b.sync()
    for device in (a, b):
        device.app.close()
    root.removeHandler(handler)
    root.setLevel(previous)
    logged = captured.getvalue()
    assert "ListObjectsV2" in logged  # the capture did see botocore's debug log
    needles = [s.encode() for s in (secret, PASSPHRASE, "second passphrase")]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("tidemark.sqlite3") for p in files)
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, path
    for needle in needles:
        assert needle.decode() not in logged
        for body in raw_objects(config).values():
            assert needle not in body
    assert os.environ.get(encryption.PASSPHRASE_ENV) is None


# -- the command line ---------------------------------------------------------------------


def _cli(data_dir: Path, *args: str, stdin: str = "", passphrase: str | None = None):
    import subprocess
    import sys

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop(encryption.PASSPHRASE_ENV, None)
    if passphrase is not None:
        env[encryption.PASSPHRASE_ENV] = passphrase
    exe = Path(sys.executable).parent / "desktop-app"
    return subprocess.run(
        [str(exe), "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_cli_encrypt_sync_wrong_passphrase_and_change(tmp_path: Path) -> None:
    """Real scrypt parameters; the passphrase comes from the prompt (stdin here) or
    DESKTOP_APP_PASSPHRASE, never from argv."""
    share = tmp_path / "share"
    share.mkdir()
    a, b = tmp_path / "a", tmp_path / "b"
    assert _cli(a, "remote", "folder", str(share), "--encrypt").returncode == 0
    assert _cli(a, "add-task", SECRETS[0]).returncode == 0
    mismatch = _cli(a, "sync", stdin="one\ntwo\n")
    assert mismatch.returncode == 1 and "differ" in mismatch.stderr
    created = _cli(a, "sync", stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert created.returncode == 0, created.stderr
    assert (share / "keys" / "000000000001").exists()

    shown = _cli(b, "remote", "folder", str(share))  # no --encrypt: found out
    assert shown.returncode == 0 and "encrypted" in shown.stdout
    wrong = _cli(b, "sync", passphrase="guess")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().splitlines() == [
        "desktop-app: error: wrong passphrase for this vault"
    ]
    joined = _cli(b, "sync", passphrase=PASSPHRASE)
    assert joined.returncode == 0, joined.stderr
    assert SECRETS[0] in _cli(b, "show").stdout

    changed = _cli(a, "passphrase", stdin=f"{PASSPHRASE}\nfresh words\nfresh words\n")
    assert changed.returncode == 0, changed.stderr
    stale = _cli(b, "sync", passphrase=PASSPHRASE)
    assert stale.returncode == 1
    assert "passphrase was changed on another device: enter the new one" in stale.stderr
    assert _cli(b, "sync", passphrase="fresh words").returncode == 0
    assert _cli(b, "rollup", passphrase="fresh words").returncode == 0
    for result in (created, joined, changed):
        assert PASSPHRASE not in result.stdout + result.stderr


def test_the_window_without_a_passphrase_gets_one_clear_message(
    tmp_path: Path, vault, memory_keyring
) -> None:
    """The window's worker has no prompt: without a passphrase in the keyring or the
    environment its round fails with a sentence saying how to give one."""
    from desktop_app.app.syncing import run_round

    Device(tmp_path / "a", vault).sync()
    memory_keyring.passwords.clear()
    b = Device(tmp_path / "b", vault)
    with pytest.raises(AppError, match=r"is encrypted: run `desktop-app sync` in a terminal"):
        run_round(b.app.local, b.app.clock)
    memory_keyring.set_password("tidemark", f"passphrase:{vault.describe()}", PASSPHRASE)
    run_round(b.app.local, b.app.clock)  # the keyring has it: no prompt needed
