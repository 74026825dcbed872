"""Settings (Ctrl+,): where to sync, the S3 key pair, how often, and a Test connection button.

The dialog only shows and collects ``desktop_app.app.settings.RemoteForm``; the
checks, the keyring and the network question live there, below the UI. Testing
runs off the GUI thread, so a slow or unreachable endpoint never freezes the window.

"Encrypt end to end" (issue 9) is for a new, empty location and shows a
passphrase pair when ticked. What a location already holds is asked off the GUI
thread when it is entered (``settings.vault_kind``): an encrypted vault shows the
box ticked and locked (its passphrase is asked at the first sync), a plain one
shows it unticked and locked.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.app import AppError, settings
from desktop_app.app.settings import RemoteForm
from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.background import run_in_background
from desktop_app.ui.passphrase_dialog import masked
from desktop_app.ui.session import AppSession

KINDS = (
    ("none", "Nowhere: keep everything on this computer"),
    ("folder", "A folder (NAS, USB stick, Syncthing or Dropbox folder)"),
    ("s3", "Amazon S3 or an S3-compatible service"),
)


class SettingsDialog(QDialog):
    saved = Signal(object)  # the RemoteForm that was applied
    tested = Signal(bool, str)  # ok, the words shown
    vault_checked = Signal(str)  # what the location holds: "encrypted", "plain", "empty", ""

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._session = session
        form = settings.current(session.app)
        self._saved_key_id = form.access_key_id

        self.kind = QComboBox()
        self.kind.setObjectName("remoteKind")
        for value, label in KINDS:
            self.kind.addItem(label, value)
        self.pages = QStackedWidget()
        self.pages.addWidget(
            self._note(
                "Tidemark works fully offline. Choose a folder or S3 to use it "
                "on several computers."
            )
        )
        self.pages.addWidget(self._folder_page(form))
        self.pages.addWidget(self._s3_page(form))
        self.kind.currentIndexChanged.connect(self._on_kind)
        self._saved_encrypted = form.config() if form.encrypt else None
        self._vault = "encrypted" if form.encrypt else ""  # "" until asked
        encryption = self._encryption_box()

        self.interval = QSpinBox()
        self.interval.setObjectName("syncInterval")
        self.interval.setRange(1, 24 * 60)
        self.interval.setSuffix(" min")
        self.interval.setValue(max(1, round(form.interval_s / 60)))
        self.interval.setToolTip(
            "The longest wait between checks while the window is idle or hidden;\n"
            "while you use it, Tidemark checks every few seconds."
        )

        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnection")
        self.test_button.clicked.connect(self.test_connection)
        self.result = QLabel()
        self.result.setObjectName("testResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel()
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self.error.hide()

        general = QFormLayout()
        general.addRow("Sync &through:", self.kind)
        general.addRow("Sync &every:", self.interval)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(general)
        layout.addWidget(self.pages)
        layout.addWidget(encryption)
        layout.addLayout(test_row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.kind.setCurrentIndex(next(i for i, (v, _) in enumerate(KINDS) if v == form.kind))
        self._on_kind()
        for edit in (self.folder, self.bucket, self.prefix, self.endpoint):
            edit.textEdited.connect(self._location_changed)
            edit.editingFinished.connect(self.check_vault)
        self.resize(560, 480)

    # -- pages ----------------------------------------------------------------------------

    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop)
        return label

    def _folder_page(self, form: RemoteForm) -> QWidget:
        page = QWidget()
        self.folder = QLineEdit(form.folder)
        self.folder.setObjectName("remoteFolder")
        self.folder.setPlaceholderText("/mnt/nas/tidemark")
        choose = QPushButton("&Choose…")
        choose.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        label = QLabel("&Folder:")  # a row of two widgets gets no buddy by itself
        label.setBuddy(self.folder)
        layout = QFormLayout(page)
        layout.addRow(label, row)
        layout.addRow(
            self._note(
                "Every computer points at the same folder; Tidemark never "
                "overwrites a file another one wrote."
            )
        )
        return page

    def _s3_page(self, form: RemoteForm) -> QWidget:
        page = QWidget()
        self.bucket = QLineEdit(form.bucket)
        self.bucket.setObjectName("s3Bucket")
        self.prefix = QLineEdit(form.prefix)
        self.prefix.setPlaceholderText("optional, e.g. tidemark/me")
        self.endpoint = QLineEdit(form.endpoint_url)
        self.endpoint.setObjectName("s3Endpoint")
        self.endpoint.setPlaceholderText(
            "empty for AWS; e.g. https://s3.eu-central-003.backblazeb2.com"
        )
        self.region = QLineEdit(form.region)
        self.region.setPlaceholderText("e.g. eu-west-1 (optional)")
        self.key_id = QLineEdit(form.access_key_id)
        self.key_id.setObjectName("s3KeyId")
        self.secret = QLineEdit()
        self.secret.setObjectName("s3Secret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(
            "saved; type to replace it" if form.access_key_id else "stored in the system keyring"
        )
        layout = QFormLayout(page)
        layout.addRow("&Bucket:", self.bucket)
        layout.addRow("&Prefix:", self.prefix)
        layout.addRow("&Endpoint URL:", self.endpoint)
        layout.addRow("&Region:", self.region)
        layout.addRow("Access &key ID:", self.key_id)
        layout.addRow("&Secret key:", self.secret)
        problem = settings.keyring_problem()
        self.keyring_note = self._note(
            f"{problem} A secret typed here is kept in memory until Tidemark closes."
            if problem
            else "The secret goes to the system keyring, never to a file. Leave both empty "
            "to use the AWS environment or profile."
        )
        self.keyring_note.setObjectName("keyringNote")
        layout.addRow(self.keyring_note)
        return page

    def _encryption_box(self) -> QWidget:
        box = QWidget()
        self.encrypt = QCheckBox("&Encrypt end to end")
        self.encrypt.setObjectName("encryptVault")
        self.encrypt.toggled.connect(self._show_encryption)
        self.passphrase = masked("vaultPassphrase")
        self.passphrase_repeat = masked("vaultPassphraseRepeat")
        self.encryption_note = self._note("")
        self.encryption_note.setObjectName("encryptionNote")
        self._passphrase_rows = QWidget()
        rows = QFormLayout(self._passphrase_rows)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addRow("Pass&phrase:", self.passphrase)
        rows.addRow("Repe&at:", self.passphrase_repeat)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.encrypt)
        layout.addWidget(self._passphrase_rows)
        layout.addWidget(self.encryption_note)
        return box

    def _show_encryption(self) -> None:
        """Tick, lock and explain the box from what the location holds."""
        remote = self.kind.currentData() != "none"
        self.encrypt.setVisible(remote)
        if self._vault == "encrypted":
            self.encrypt.setChecked(True)
            note = (
                "This location holds an encrypted vault: Tidemark asks for its "
                "passphrase when a sync needs it."
            )
        elif self._vault == "plain":
            self.encrypt.setChecked(False)
            note = (
                "This location holds a vault that is not encrypted; encryption "
                "starts with a new, empty location."
            )
        elif self.encrypt.isChecked():
            where = (
                "it is kept in memory until Tidemark closes (no secure keyring here)"
                if settings.keyring_problem()
                else "it goes to the system keyring, never to a file"
            )
            note = (
                "The store sees no titles or texts. Nobody can recover a forgotten "
                f"passphrase; {where}."
            )
        else:
            note = ""
        self.encrypt.setEnabled(remote and self._vault not in ("encrypted", "plain"))
        self._passphrase_rows.setVisible(
            remote and self.encrypt.isChecked() and self._vault != "encrypted"
        )
        self.encryption_note.setText(note)
        self.encryption_note.setVisible(remote and bool(note))

    def _location_changed(self) -> None:
        config = self._config_or_none()
        saved = self._saved_encrypted
        same = config is not None and saved is not None and config.describe() == saved.describe()
        self._vault = "encrypted" if same else ""  # the saved encrypted remote stays so
        self._show_encryption()

    def check_vault(self) -> None:
        """Ask off the GUI thread what the location holds; the answer sets the box."""
        try:
            form = self.form()
            config = form.config()
        except AppError:
            return  # the location is not complete yet
        if config is None:
            return
        asked = config.describe()

        def answered(kind: str) -> None:
            current = self._config_or_none()
            if current is not None and current.describe() == asked:
                if kind != "empty":
                    self._vault = kind
                self._show_encryption()
            self.vault_checked.emit(kind)

        run_in_background(
            lambda: settings.vault_kind(form), answered, lambda _: self.vault_checked.emit(""), self
        )

    def _config_or_none(self) -> RemoteConfig | None:
        try:
            return self.form().config()
        except AppError:
            return None

    # -- reading the form -------------------------------------------------------------------

    def form(self) -> RemoteForm:
        return RemoteForm(
            kind=self.kind.currentData(),
            folder=self.folder.text(),
            bucket=self.bucket.text(),
            prefix=self.prefix.text(),
            endpoint_url=self.endpoint.text(),
            region=self.region.text(),
            access_key_id=self.key_id.text(),
            secret_access_key=self.secret.text(),
            interval_s=self.interval.value() * 60,
            encrypt=self.encrypt.isChecked(),
            passphrase=self.passphrase.text(),
            passphrase_repeat=self.passphrase_repeat.text(),
            joins_vault=self._vault == "encrypted",
        )

    def _on_kind(self) -> None:
        self.pages.setCurrentIndex(self.kind.currentIndex())
        self.test_button.setEnabled(self.kind.currentData() != "none")
        self.result.clear()
        self._location_changed()
        self.check_vault()

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Sync through this folder", self.folder.text()
        )
        if path:
            self.folder.setText(path)
            self._location_changed()
            self.check_vault()

    # -- actions ------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Ask the remote one question on a worker thread; the answer lands in ``result``."""
        self.error.hide()
        try:
            form = self.form()
            form.config()  # a typo is answered at once, without a thread
        except AppError as exc:
            self._show_test(False, str(exc))
            return
        self.test_button.setEnabled(False)
        self.result.setText("Testing…")
        run_in_background(
            lambda: settings.test_connection(form), self._tested_ok, self._tested_failed, self
        )

    def _tested_ok(self, text: str) -> None:
        self._show_test(True, text)
        self.check_vault()

    def _tested_failed(self, text: str) -> None:
        self._show_test(False, text)

    def _show_test(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(self.kind.currentData() != "none")
        self.result.setText(("✓ " if ok else "✗ ") + text)
        self.tested.emit(ok, text)

    def save(self) -> None:
        form = self.form()
        try:
            notes = settings.apply(self._session.app, form)
        except AppError as exc:
            self.error.setText(f"⚠ {exc}")
            self.error.show()
            return
        self.notes = notes
        self.saved.emit(form)
        self.accept()

    notes: list[str] = []  # what ``apply`` wanted the user to know (set by save)
