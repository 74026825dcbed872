"""The encrypted vault's passphrase in the window: asked when a round needs it, and changed.

``PassphraseDialog`` is what the sync controller opens (window-modal, never
``exec``) when a round reports ``PassphraseNeeded``: masked input, typed twice
for a new vault, and "Remember in the system keyring" (disabled, with the
reason, when the keyring is a plaintext one). ``ChangePassphraseDialog`` does
what ``desktop-app passphrase`` does; the scrypt work and the store requests run
off the GUI thread while a busy bar shows. Checks live in ``app`` (encryption,
syncing); these only collect and show.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.app import AppError, settings, syncing
from desktop_app.app.encryption import NO_KEYRING, check_new_passphrase
from desktop_app.storage import LocalStore
from desktop_app.ui.background import run_in_background


def masked(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("passphraseError")
    label.setWordWrap(True)
    label.hide()
    return label


class PassphraseDialog(QDialog):
    """Asks for the vault's passphrase; ``passphrase()``/``remember()`` after accept."""

    def __init__(self, label: str, confirm: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("Encrypted vault")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._confirm = confirm
        self.label = QLabel(label.rstrip(":") + ":")
        self.label.setObjectName("passphraseLabel")
        self.label.setWordWrap(True)
        self.edit = masked("passphraseEdit")
        self.repeat = masked("passphraseRepeat")
        self.remember_box = QCheckBox("&Remember in the system keyring")
        self.remember_box.setObjectName("rememberPassphrase")
        problem = settings.keyring_problem()
        self.remember_box.setEnabled(problem is None)
        self.remember_box.setChecked(problem is None)
        self.remember_box.setToolTip(problem or "Tidemark will not ask again on this computer.")
        self.error = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Passphrase:", self.edit)
        if confirm:
            form.addRow("Re&peat:", self.repeat)
        else:
            self.repeat.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addLayout(form)
        layout.addWidget(self.remember_box)
        if problem:
            note = QLabel(NO_KEYRING)
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def passphrase(self) -> str:
        return self.edit.text()

    def remember(self) -> bool:
        return self.remember_box.isEnabled() and self.remember_box.isChecked()

    def _check(self) -> None:
        try:
            if self._confirm:
                check_new_passphrase(self.edit.text(), self.repeat.text())
            elif not self.edit.text():
                raise AppError("enter the passphrase")
        except AppError as exc:
            self.error.setText(f"⚠ {str(exc)[:1].upper()}{str(exc)[1:]}.")
            self.error.show()
            return
        self.accept()


class ChangePassphraseDialog(QDialog):
    """File > Change Passphrase…: a new key object for the vault, made off the GUI thread."""

    changed = Signal(str)  # the words shown in the status bar
    failed = Signal(str)

    def __init__(self, local: LocalStore, needs_current: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("changePassphraseDialog")
        self.setWindowTitle("Change passphrase")
        self._local = local
        self.current = masked("currentPassphrase")
        self.new = masked("newPassphrase")
        self.repeat = masked("repeatPassphrase")
        self.progress = QProgressBar()
        self.progress.setObjectName("passphraseProgress")
        self.progress.setRange(0, 0)  # busy: scrypt and the store give no percentage
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Change")
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        if needs_current:
            form.addRow("&Current passphrase:", self.current)
        else:
            self.current.hide()
        form.addRow("&New passphrase:", self.new)
        form.addRow("Re&peat:", self.repeat)
        note = QLabel(
            "Only the vault key is wrapped again; nothing else is re-encrypted. "
            "Your other computers will ask for the new passphrase."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def start(self) -> None:
        new, repeat, current = self.new.text(), self.repeat.text(), self.current.text()
        try:
            check_new_passphrase(new, repeat)
        except AppError as exc:
            self._show_error(str(exc))
            return
        self.error.hide()
        self.progress.show()
        self.buttons.setEnabled(False)
        run_in_background(
            lambda: syncing.change_vault_passphrase(self._local, new, repeat, current),
            self._done,
            self._failed,
            self,
        )

    def _done(self, number: int) -> None:
        self.progress.hide()
        self.buttons.setEnabled(True)
        self.changed.emit(
            f"Changed the passphrase (key object {number}); other devices will ask for the new one."
        )
        self.accept()

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.buttons.setEnabled(True)
        self._show_error(message)
        self.failed.emit(message)

    def _show_error(self, message: str) -> None:
        message = message.rstrip(".")
        self.error.setText(f"⚠ {message[:1].upper()}{message[1:]}.")
        self.error.show()
