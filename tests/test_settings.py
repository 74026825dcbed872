"""Sync settings below the UI (app.settings) and the Settings dialog, against moto's S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from desktop_app.app import AppError, settings
from desktop_app.app.settings import RemoteForm
from desktop_app.app.syncing import get_remote, sync_now
from desktop_app.sync.credentials import load_credentials
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.settings_dialog import SettingsDialog
from tests.conftest import TEST_BUCKET, use_keyring

REFUSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


def s3_form(endpoint: str, **fields) -> RemoteForm:
    return RemoteForm(
        kind="s3", bucket=TEST_BUCKET, endpoint_url=endpoint, region="us-east-1", **fields
    )


# -- below the UI ---------------------------------------------------------------------------


def test_forms_check_their_fields_in_plain_words(tmp_path: Path) -> None:
    assert RemoteForm().config() is None
    with pytest.raises(AppError, match="choose a folder"):
        RemoteForm(kind="folder").config()
    with pytest.raises(AppError, match="must be absolute"):
        RemoteForm(kind="folder", folder="relative/path").config()
    with pytest.raises(AppError, match="enter the S3 bucket"):
        RemoteForm(kind="s3").config()
    with pytest.raises(AppError, match="3 to 63 characters"):
        RemoteForm(kind="s3", bucket="ab").config()
    with pytest.raises(AppError, match="invalid endpoint"):
        RemoteForm(kind="s3", bucket="abc", endpoint_url="ftp://x").config()


def test_apply_saves_location_interval_and_secret_in_the_keyring(engine, memory_keyring) -> None:
    form = s3_form("http://127.0.0.1:1234", access_key_id="AKID", secret_access_key="s3cr3t")
    assert settings.apply(engine, form) == []
    config = get_remote(engine.local)
    assert config is not None and config.bucket == TEST_BUCKET
    assert load_credentials(config).secret_access_key == "s3cr3t"
    for value in engine.local.db.execute("SELECT value FROM meta").fetchall():
        assert "s3cr3t" not in str(value)  # never in the database
    again = settings.current(engine)
    assert (again.kind, again.access_key_id, again.secret_access_key) == ("s3", "AKID", "")
    settings.apply(engine, RemoteForm(interval_s=300))
    assert get_remote(engine.local) is None and settings.sync_interval_s(engine) == 300
    with pytest.raises(AppError, match="between"):
        settings.apply(engine, RemoteForm(interval_s=1))


def test_without_a_secure_keyring_the_secret_lives_in_memory_only(
    engine, s3_bucket, tmp_path
) -> None:
    with use_keyring(FailKeyring()):
        assert settings.keyring_problem() is not None
        notes = settings.apply(
            engine,
            s3_form(s3_bucket.endpoint_url, access_key_id="testing", secret_access_key="testing"),
        )
        assert "kept in memory until Tidemark closes" in notes[0]
        engine.add_task("synced with a session secret")
        sync_now(engine)  # the round finds the secret typed this session
    assert not any(
        "testing" in p.read_text(errors="ignore")
        for p in (tmp_path / "data").rglob("*")
        if p.is_file() and p.suffix != ""
    )


def test_test_connection_answers_in_plain_words(s3_bucket, memory_keyring) -> None:
    ok = settings.test_connection(s3_form(s3_bucket.endpoint_url))
    assert ok.startswith(f"Connected to s3://{TEST_BUCKET}")
    with pytest.raises(AppError, match="Could not reach") as refused:
        settings.test_connection(s3_form(REFUSED))
    assert "Traceback" not in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(AppError) as missing:
        settings.test_connection(
            RemoteForm(kind="s3", bucket="no-such-bucket", endpoint_url=s3_bucket.endpoint_url)
        )
    assert "no-such-bucket" in str(missing.value)


def test_a_folder_remote_tests_too(tmp_path: Path) -> None:
    (tmp_path / "nas").mkdir()
    assert "Connected to" in settings.test_connection(
        RemoteForm(kind="folder", folder=str(tmp_path / "nas"))
    )


# -- the dialog --------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, engine) -> Iterator[MainWindow]:
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def fill_s3(dialog: SettingsDialog, endpoint: str) -> None:
    dialog.kind.setCurrentIndex(dialog.kind.findData("s3"))
    dialog.bucket.setText(TEST_BUCKET)
    dialog.endpoint.setText(endpoint)
    dialog.region.setText("us-east-1")


def test_the_dialog_tests_the_connection_off_the_gui_thread(
    qtbot, window, s3_bucket, memory_keyring
) -> None:
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    assert isinstance(QApplication.activeModalWidget() or dialog, SettingsDialog)
    fill_s3(dialog, s3_bucket.endpoint_url)
    threads: list[QThread] = []
    dialog.tested.connect(lambda *_: threads.append(QThread.currentThread()))
    with qtbot.waitSignal(dialog.tested, timeout=10_000) as result:
        dialog.test_button.click()
    assert result.args[0] is True
    assert dialog.result.text().startswith(f"✓ Connected to s3://{TEST_BUCKET}")
    assert threads == [QApplication.instance().thread()]  # the answer came back to the GUI

    fill_s3(dialog, REFUSED)
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as result:
        dialog.test_button.click()
    assert result.args[0] is False
    assert dialog.result.text().startswith("✗ Could not reach")
    assert "Traceback" not in dialog.result.text()


def test_saving_the_dialog_sets_the_remote_and_interval(
    qtbot, window, engine, s3_bucket, memory_keyring
) -> None:
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    fill_s3(dialog, s3_bucket.endpoint_url)
    dialog.key_id.setText("testing")
    dialog.secret.setText("testing")
    dialog.interval.setValue(5)
    dialog.save()
    assert not dialog.isVisible()
    assert get_remote(engine.local).bucket == TEST_BUCKET
    assert settings.sync_interval_s(engine) == 300
    assert window.statusBar().currentMessage() == "Settings saved."


def test_a_bad_setting_keeps_the_dialog_open_with_the_reason(qtbot, window, engine) -> None:
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    dialog.folder.setText("not/absolute")
    dialog.save()
    assert dialog.isVisible()
    assert "must be absolute" in dialog.error.text()
    assert get_remote(engine.local) is None
    assert keyring  # the module the fixtures swap is the one in use
