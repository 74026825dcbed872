"""Issue 9, encryption in the window: the Settings checkbox, the passphrase prompt of
the sync controller, and Change Passphrase, on a real folder remote with an
in-memory keyring (never the real one) and Qt offscreen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtWidgets import QApplication

from desktop_app.app import App, AppError, encryption, settings
from desktop_app.app.encryption import PassphraseNeeded, keep_passphrase
from desktop_app.app.settings import RemoteForm
from desktop_app.app.syncing import (
    change_vault_passphrase,
    get_remote,
    run_window_round,
    set_remote,
    sync_now,
)
from desktop_app.sync import sealing
from desktop_app.sync.remote_config import RemoteConfig, open_remote
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.passphrase_dialog import ChangePassphraseDialog, PassphraseDialog
from desktop_app.ui.settings_dialog import SettingsDialog
from desktop_app.ui.sync_worker import SyncController
from tests.conftest import use_keyring

PASSPHRASE = "correct horse battery staple"
TITLE = "Quarterly tax secret"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap scrypt; each test starts like a fresh process (no key or passphrase in memory)."""
    monkeypatch.setattr(sealing, "SCRYPT_N", 2**10)
    monkeypatch.delenv(encryption.PASSPHRASE_ENV, raising=False)
    encryption._vault_keys.clear()
    encryption._session_passphrases.clear()
    yield
    encryption._vault_keys.clear()
    encryption._session_passphrases.clear()


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    return root


def vault_config(share: Path) -> RemoteConfig:
    return RemoteConfig(kind="folder", path=str(share), encrypted=True)


def founded_vault(tmp_path: Path, share: Path, passphrase: str = PASSPHRASE) -> RemoteConfig:
    """An encrypted vault with one task, made by another device."""
    config = vault_config(share)
    other = App(tmp_path / "founder")
    set_remote(other, config)
    other.add_task(TITLE)
    sync_now(other, prompt=lambda label, confirm: passphrase)
    other.close()
    encryption._vault_keys.clear()
    with contextlib.suppress(keyring.errors.KeyringError):
        keyring.delete_password("tidemark", encryption.passphrase_username(config))
    return config  # the founder's keyring is not this device's


def raw_bytes(share: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(share.rglob("*")) if p.is_file())


def keyring_entry(keyring, config: RemoteConfig) -> str | None:
    return keyring.passwords.get(("tidemark", encryption.passphrase_username(config)))


# -- below the UI ---------------------------------------------------------------------------


def test_a_new_encrypted_vault_needs_the_passphrase_twice(
    tmp_path: Path, share: Path, memory_keyring
) -> None:
    app = App(tmp_path / "a")
    form = RemoteForm(kind="folder", folder=str(share), encrypt=True)
    with pytest.raises(AppError, match="enter a passphrase"):
        settings.apply(app, form)
    with pytest.raises(AppError, match="the two passphrases differ"):
        settings.apply(
            app, RemoteForm(**{**form.__dict__, "passphrase": "a", "passphrase_repeat": "b"})
        )
    assert get_remote(app.local) is None  # nothing saved by a refused form

    good = RemoteForm(
        kind="folder",
        folder=str(share),
        encrypt=True,
        passphrase=PASSPHRASE,
        passphrase_repeat=PASSPHRASE,
    )
    assert settings.apply(app, good) == []
    config = get_remote(app.local)
    assert config is not None and config.encrypted
    assert keyring_entry(memory_keyring, config) == PASSPHRASE
    assert settings.current(app).encrypt and settings.current(app).joins_vault
    app.add_task(TITLE)
    sync_now(app)  # the first round makes the vault with the keyring's passphrase
    app.close()
    assert (share / "keys").is_dir()
    assert TITLE.encode() not in raw_bytes(share)
    assert PASSPHRASE.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()
    )


def test_a_plaintext_keyring_is_refused_and_the_passphrase_kept_in_memory(
    tmp_path: Path, share: Path
) -> None:
    app = App(tmp_path / "a")
    form = RemoteForm(
        kind="folder",
        folder=str(share),
        encrypt=True,
        passphrase=PASSPHRASE,
        passphrase_repeat=PASSPHRASE,
    )
    with use_keyring(FailKeyring()):
        notes = settings.apply(app, form)
        assert notes == [encryption.NO_KEYRING]
        run_window_round(app.local, app.clock)  # the session's passphrase founds the vault
    assert encryption.session_passphrase(get_remote(app.local)) == PASSPHRASE
    app.close()


def test_vault_kind_tells_empty_plain_and_encrypted_apart(tmp_path: Path, share: Path) -> None:
    form = RemoteForm(kind="folder", folder=str(share))
    assert settings.vault_kind(form) == "empty"
    founded_vault(tmp_path, share)
    assert settings.vault_kind(form) == "encrypted"
    plain = tmp_path / "plain"
    plain.mkdir()
    app = App(tmp_path / "p")
    set_remote(app, RemoteConfig(kind="folder", path=str(plain)))
    sync_now(app)
    app.close()
    assert settings.vault_kind(RemoteForm(kind="folder", folder=str(plain))) == "plain"


def test_the_window_round_asks_and_forgets_a_wrong_passphrase(
    tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    app = App(tmp_path / "b")
    set_remote(app, config)
    with pytest.raises(PassphraseNeeded) as asked:
        run_window_round(app.local, app.clock)
    assert not asked.value.confirm and config.describe() in asked.value.label
    keep_passphrase(config, "wrong words", remember=True)
    with pytest.raises(PassphraseNeeded, match="Wrong passphrase for this vault"):
        run_window_round(app.local, app.clock)
    assert encryption.session_passphrase(config) is None  # forgotten: asked again
    assert keyring_entry(memory_keyring, config) is None
    keep_passphrase(config, PASSPHRASE, remember=False)
    assert run_window_round(app.local, app.clock).pulled_actions >= 1
    assert keyring_entry(memory_keyring, config) is None  # not asked to remember
    app.close()


def test_a_passphrase_changed_elsewhere_is_asked_for_in_the_window(
    tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    memory_keyring.set_password("tidemark", encryption.passphrase_username(config), PASSPHRASE)
    b = App(tmp_path / "b")
    set_remote(b, config)
    run_window_round(b.local, b.clock)  # the keyring's passphrase opens key object 1
    a = App(tmp_path / "a")
    set_remote(a, config)
    keep_passphrase(config, PASSPHRASE, remember=False)
    with pytest.raises(AppError, match="the two passphrases differ"):
        change_vault_passphrase(a.local, "fresh words", "fresh wordz")
    memory_keyring.passwords.clear()  # device a's keyring is not b's
    assert change_vault_passphrase(a.local, "fresh words", "fresh words") == 2
    memory_keyring.set_password("tidemark", encryption.passphrase_username(config), PASSPHRASE)
    encryption._vault_keys.clear()
    encryption._session_passphrases.clear()
    with pytest.raises(PassphraseNeeded, match="changed on another device"):
        run_window_round(b.local, b.clock)
    keep_passphrase(config, "fresh words", remember=True)
    run_window_round(b.local, b.clock)
    assert keyring_entry(memory_keyring, config) == "fresh words"
    a.close()
    b.close()


# -- the window ---------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    app = App(tmp_path / "data")
    win = MainWindow(app)
    controller = SyncController(app, poll_interval_ms=3_600_000, after_edit_ms=3_600_000)
    win.attach_sync(controller)
    qtbot.addWidget(win)
    win.show()
    yield win
    controller.shutdown()
    win.close()
    app.close()


def ask(qtbot, window: MainWindow) -> PassphraseDialog:
    with qtbot.waitSignal(window.sync_controller.passphrase_asked, timeout=10_000) as asked:
        window.sync_controller.sync_now()
    return asked.args[0]


def answer(qtbot, window: MainWindow, dialog: PassphraseDialog, words: str, remember: bool):
    dialog.edit.setText(words)
    dialog.remember_box.setChecked(remember)
    dialog._check()


def test_the_checkbox_makes_a_vault_whose_objects_hold_no_titles(
    qtbot, window: MainWindow, share: Path, memory_keyring
) -> None:
    window.app.add_task(TITLE)
    dialog: SettingsDialog = window.open_settings()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    dialog.folder.setText(str(share))
    assert not dialog.passphrase.isVisibleTo(dialog)  # shown only when ticked
    dialog.encrypt.setChecked(True)
    assert dialog.passphrase.isVisibleTo(dialog) and dialog.passphrase_repeat.isVisibleTo(dialog)
    dialog.passphrase.setText(PASSPHRASE)
    dialog.passphrase_repeat.setText("typo")
    dialog.save()
    assert dialog.isVisible() and "differ" in dialog.error.text()
    dialog.passphrase_repeat.setText(PASSPHRASE)
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        dialog.save()  # saving starts a round at once
    config = get_remote(window.app.local)
    assert config.encrypted
    assert list((share / "keys").iterdir())
    assert TITLE.encode() not in raw_bytes(share)
    assert window.sync_controller.passphrase_dialog is None  # the keyring had it


def test_an_encrypted_vault_shows_the_box_ticked_and_locked(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    founded_vault(tmp_path, share)
    dialog: SettingsDialog = window.open_settings()
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    with qtbot.waitSignal(dialog.vault_checked, timeout=10_000) as checked:
        dialog.folder.setText(str(share))
        dialog.check_vault()
    assert checked.args == ["encrypted"]
    assert dialog.encrypt.isChecked() and not dialog.encrypt.isEnabled()
    assert not dialog.passphrase.isVisibleTo(dialog)
    assert "asks for its passphrase when a sync needs it" in dialog.encryption_note.text()
    dialog.save()
    assert get_remote(window.app.local).encrypted


def test_the_prompt_asks_re_asks_when_wrong_and_syncs_when_right(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    set_remote(window.app, config)
    dialog = ask(qtbot, window)
    assert dialog.isModal() and dialog.edit.echoMode() == dialog.edit.EchoMode.Password
    assert QApplication.activeModalWidget() in (dialog, None)
    assert "Waiting for the encrypted vault's passphrase" in window.status.sync_label.text()
    with qtbot.waitSignal(window.sync_controller.passphrase_asked, timeout=10_000) as again:
        answer(qtbot, window, dialog, "wrong words", remember=True)
    retry = again.args[0]
    assert "Wrong passphrase for this vault" in retry.label.text()
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        answer(qtbot, window, retry, PASSPHRASE, remember=False)
    assert TITLE in {t.title for t in window.app.state.tasks.values()}
    assert keyring_entry(memory_keyring, config) is None  # not ticked: memory only
    encryption._vault_keys.clear()  # a later round derives the key again: no new prompt
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        window.sync_controller.sync_now()


def test_remember_puts_the_passphrase_in_the_keyring(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    set_remote(window.app, config)
    dialog = ask(qtbot, window)
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        answer(qtbot, window, dialog, PASSPHRASE, remember=True)
    assert keyring_entry(memory_keyring, config) == PASSPHRASE


def test_cancel_leaves_the_app_working_offline(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    set_remote(window.app, config)
    controller = window.sync_controller
    dialog = ask(qtbot, window)
    dialog.reject()
    assert controller.passphrase_dialog is None and not controller.busy
    assert "Working offline" in window.status.sync_label.text()
    window.app.add_task("typed offline")  # the app keeps working
    asked: list[object] = []
    controller.passphrase_asked.connect(asked.append)
    controller.sync_soon(0)  # what an edit or the timer does... after Settings: asks again
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    asked.pop().reject()
    controller._sync_automatically()  # the timer after a Cancel: no new prompt
    qtbot.wait(200)
    assert asked == [] and not controller.busy
    dialog = ask(qtbot, window)  # F5 asks again
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        answer(qtbot, window, dialog, PASSPHRASE, remember=False)
    assert window.app.local.pending_count() == 0


def test_a_passphrase_changed_on_another_device_is_asked_for(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    config = founded_vault(tmp_path, share)
    memory_keyring.set_password("tidemark", encryption.passphrase_username(config), PASSPHRASE)
    set_remote(window.app, config)
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        window.sync_controller.sync_now()
    other = App(tmp_path / "other")
    set_remote(other, config)
    encryption.change_passphrase(
        other.local, config, open_remote(config), lambda label, confirm: "fresh words"
    )
    other.close()
    memory_keyring.set_password("tidemark", encryption.passphrase_username(config), PASSPHRASE)
    encryption._vault_keys.clear()  # a restart: the old passphrase is all this device has
    dialog = ask(qtbot, window)
    assert "changed on another device" in dialog.label.text()
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        answer(qtbot, window, dialog, "fresh words", remember=True)
    assert keyring_entry(memory_keyring, config) == "fresh words"


def test_change_passphrase_from_the_window(
    qtbot, window: MainWindow, tmp_path: Path, share: Path, memory_keyring
) -> None:
    assert window.open_change_passphrase() is None  # no encrypted vault yet
    assert "not an encrypted vault" in window.statusBar().currentMessage()
    config = founded_vault(tmp_path, share)
    set_remote(window.app, config)
    dialog = ask(qtbot, window)
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        answer(qtbot, window, dialog, PASSPHRASE, remember=False)

    change = window.open_change_passphrase()
    assert isinstance(change, ChangePassphraseDialog)
    assert not change.current.isVisibleTo(change)  # this session knows it
    change.new.setText("fresh words")
    change.repeat.setText("fresh words")
    with qtbot.waitSignal(change.changed, timeout=10_000):
        change.start()
        assert change.progress.isVisibleTo(change) and not change.buttons.isEnabled()
    assert "Changed the passphrase (key object 2)" in window.statusBar().currentMessage()
    with pytest.raises(sealing.WrongPassphrase):
        from desktop_app.sync.sealed_store import open_vault_key

        open_vault_key(open_remote(config), PASSPHRASE)
    encryption._vault_keys.clear()
    with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
        window.sync_controller.sync_now()  # the session and the keyring have the new one
    assert window.sync_controller.passphrase_dialog is None


def test_change_passphrase_asks_the_current_one_and_says_when_it_is_wrong(
    qtbot, window: MainWindow, tmp_path: Path, share: Path
) -> None:
    with use_keyring(FailKeyring()):
        config = founded_vault(tmp_path, share)
        set_remote(window.app, config)
        change = window.open_change_passphrase()
        assert change.current.isVisibleTo(change)
        change.current.setText("wrong words")
        change.new.setText("fresh words")
        change.repeat.setText("fresh words")
        with qtbot.waitSignal(change.failed, timeout=10_000) as failed:
            change.start()
        assert "wrong passphrase" in failed.args[0]
        assert "Wrong passphrase" in change.error.text() and change.isVisible()
        change.current.setText(PASSPHRASE)
        with qtbot.waitSignal(change.changed, timeout=10_000):
            change.start()
        encryption._vault_keys.clear()
        with qtbot.waitSignal(window.sync_controller.synced, timeout=10_000):
            window.sync_controller.sync_now()  # no keyring: the session keeps the new one
        assert window.sync_controller.passphrase_dialog is None
