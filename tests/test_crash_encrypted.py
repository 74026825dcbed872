"""SIGKILL during encrypted syncs and during a passphrase change: nothing
acknowledged is lost, nothing is applied twice, nothing is quarantined, and the
vault always opens with one of the two passphrases.

Child processes run the real CLI engine (``sync_now``) against a folder remote,
with the passphrase in ``DESKTOP_APP_PASSPHRASE``. The schedule follows one seed
(``TIDEMARK_CRASH_SEED=N`` replays it).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_app.app import App, encryption
from desktop_app.app.syncing import set_remote, sync_now
from desktop_app.core import codec
from desktop_app.sync import sealing
from desktop_app.sync.remote_config import RemoteConfig, open_remote
from desktop_app.sync.sealed_store import open_vault_key
from desktop_app.sync.sealing import WrongPassphrase
from tests.test_crash import crash_seed

REPO = Path(__file__).resolve().parent.parent

SYNCING = r"""
import sys
from desktop_app.app import App
from desktop_app.app.syncing import sync_now
app = App(sys.argv[1])
i = 0
while True:
    title = "%s-%s-%d" % (sys.argv[2], sys.argv[3], i)
    app.add_task(title)
    print("added", title, flush=True)
    sync_now(app)
    print("synced", flush=True)
    i += 1
"""

CHANGING = r"""
import sys
from desktop_app.app import App
from desktop_app.app.encryption import change_passphrase
from desktop_app.app.syncing import get_remote
from desktop_app.sync.remote_config import open_remote
app = App(sys.argv[1])
config = get_remote(app.local)
change_passphrase(app.local, config, open_remote(config), lambda label, confirm: sys.argv[2])
print("changed", flush=True)
"""


def run_child(script: str, args: list[str], passphrase: str, kill_after: float) -> list[str]:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        encryption.PASSPHRASE_ENV: passphrase,
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    time.sleep(kill_after)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    reader.join(timeout=10)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert alive or proc.returncode == 0, stderr[-2000:]
    return [line.rstrip("\n") for line in lines if line.endswith("\n")]


def opens_with(config: RemoteConfig, *candidates: str) -> str:
    """The candidate that opens the newest key object (exactly one must)."""
    opened = []
    for passphrase in candidates:
        try:
            open_vault_key(open_remote(config), passphrase)
        except WrongPassphrase:
            continue
        opened.append(passphrase)
    assert len(opened) == 1, opened
    return opened[0]


@pytest.mark.slow
def test_sigkill_during_encrypted_syncs_and_passphrase_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = crash_seed()
    rnd = random.Random(seed)
    monkeypatch.setattr(sealing, "SCRYPT_N", 2**10)  # the founder's key object
    monkeypatch.delenv(encryption.PASSPHRASE_ENV, raising=False)
    encryption._vault_keys.clear()
    share = tmp_path / "share"
    share.mkdir()
    config = RemoteConfig(kind="folder", path=str(share), encrypted=True)
    passphrase = "first passphrase"
    profiles = [tmp_path / "a", tmp_path / "b"]
    for profile in profiles:
        app = App(profile)
        set_remote(app, config)
        sync_now(app, prompt=lambda label, confirm: passphrase)
        app.close()
    acknowledged: set[str] = set()
    try:
        for round_no in range(14):
            profile = profiles[round_no % 2]
            if round_no % 5 == 4:  # a passphrase change, killed at any moment
                new = f"passphrase {round_no}"
                run_child(CHANGING, [str(profile), new], passphrase, rnd.uniform(0.0, 1.2))
                passphrase = opens_with(config, passphrase, new)
                continue
            lines = run_child(
                SYNCING,
                [str(profile), profile.name, str(round_no)],
                passphrase,
                rnd.uniform(0.3, 2.0),
            )
            acknowledged.update(line.split()[1] for line in lines if line.startswith("added"))
    except BaseException as exc:
        exc.add_note(f"replay with TIDEMARK_CRASH_SEED={seed}")
        raise
    assert len(acknowledged) >= 5, f"too few actions acknowledged (seed={seed})"

    monkeypatch.setenv(encryption.PASSPHRASE_ENV, passphrase)
    apps = [App(profile) for profile in profiles]
    try:
        for _ in range(2):
            for app in apps:
                report = sync_now(app)
                assert not report.quarantined, (seed, report.quarantined)
        states = [codec.encode_state(app.state) for app in apps]
        assert states[0] == states[1], f"seed={seed}"
        titles = [t.title for t in apps[0].state.tasks.values()]
        assert len(titles) == len(set(titles)), f"applied twice (seed={seed})"
        missing = acknowledged - set(titles)
        assert not missing, f"lost (seed={seed}): {sorted(missing)[:5]}"
        assert all(app.local.pending_count() == 0 for app in apps)
    finally:
        for app in apps:
            app.close()
