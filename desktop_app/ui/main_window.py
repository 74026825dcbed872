"""The main window: lists on the left, tasks and notes on the right, status below.

It is a thin shell: models read the immutable state, every edit is one ``App``
call through ``AppSession`` (which turns ``AppError`` into a status message),
and nothing here blocks on slow I/O: local dispatches are sub-millisecond
SQLite commits that must finish before returning (invariant 1); sync will run
in its own thread and report through ``show_sync_status``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.app import App, AppError, quick_add
from desktop_app.core import State, rules
from desktop_app.core import actions as act
from desktop_app.ui import first_screen, organise
from desktop_app.ui.activity import ActivityWatch
from desktop_app.ui.delegates import MatchDelegate
from desktop_app.ui.empty_state import EmptyState
from desktop_app.ui.layout_now import lay_out_now
from desktop_app.ui.models import NoteListModel, SidebarModel, TaskColumn, TaskTableModel
from desktop_app.ui.profile import profile_name
from desktop_app.ui.resources import app_icon
from desktop_app.ui.scope import ALL, NO_LIST, TODAY, TRASH, Scope, list_scope
from desktop_app.ui.session import AppSession
from desktop_app.ui.shortcuts import WindowKeysWin, keys
from desktop_app.ui.sidebar import Sidebar
from desktop_app.ui.status_bar import StatusBar
from desktop_app.ui.transfer import Transfers

if TYPE_CHECKING:  # imported when first used: never before the first paint
    from PySide6.QtWidgets import QDialog, QMessageBox

    from desktop_app.ui.command_palette import Entry
    from desktop_app.ui.conflict_panel import ConflictPanel
    from desktop_app.ui.note_editor import NoteEditor
    from desktop_app.ui.settings_dialog import SettingsDialog
    from desktop_app.ui.sync_worker import SyncController
    from desktop_app.ui.trash_view import TrashView
from desktop_app.ui.task_view import TaskTable
from desktop_app.ui.view_state import KeepCurrent

log = logging.getLogger(__name__)
_DONE = attrgetter("done")
TASKS_TAB, NOTES_TAB = 0, 1
NEW_LIST_NAME = "New list"
FIRST_PAINT_FALLBACK_MS = 1500  # start sync even if the window is never exposed
FOCUS_RING = (
    ", ".join(
        f"{kind}#{name}:focus"
        for kind, name in (
            ("QListView", "sidebar"),
            ("QTableView", "tasks"),
            ("QListView", "notes"),
            ("QPlainTextEdit", "noteBody"),
            ("QTextBrowser", "notePreview"),
        )
    )
    + " { border: 2px solid palette(highlight); }"
)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class MainWindow(QMainWindow):
    """The window; what the first paint does not need is set up right after it.

    Start-up shows the local checkpoint at once: the conflict panel, the focus
    ring's style sheet, the status counts and (in ``run``) sync are made on the
    first event-loop turn after the first paint (``first_painted``).
    """

    closed = Signal()
    first_painted = Signal()  # once, on the event-loop turn after the first paint

    def __init__(
        self, app: App, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.app = app
        self._settings = settings
        self._closed = False
        # The first paint shows the screen the last session saved, if the profile is
        # still as it was then (ui.first_screen); the state is read right after it.
        preview = first_screen.load(app, settings, date.today())
        self.session = AppSession(app, self, preview)
        self._profile = profile_name(app.data_dir)
        self.setWindowTitle("Tidemark")
        self.resize(1040, 660)

        self.sidebar_model = SidebarModel(self.session, self)
        self.task_model = TaskTableModel(self.session, self)
        self.note_model = NoteListModel(self.session, self)
        self._build_widgets()
        self._build_actions()
        self._connect()
        self._painted = False
        self._started = False  # _after_first_paint has run
        self._set_scope(ALL)
        self._update_counts()
        self._restore_settings()
        if preview is not None:  # the scroll bars as for the whole view
            self.task_model.show_rows_to_come(preview.task_rows)
            self.note_model.show_rows_to_come(preview.note_rows)
        self.session.watch_disk()
        self._conflict_panel: ConflictPanel | None = None
        self.installEventFilter(self)  # to notice the first paint

    def _after_first_paint(self) -> None:
        """What the first paint did not wait for (see the class docstring)."""
        if self._closed or self._started:
            return
        self._started = True
        self._painted = True
        self.setWindowIcon(app_icon())  # not needed to paint (resources.app_icon)
        try:
            self.session.load()  # the models leave the saved first screen for the state
        except AppError as exc:
            self._cannot_load(str(exc))
            return
        self.note_editor  # noqa: B018 (made now, so the Notes tab opens at once)
        self.setStyleSheet(FOCUS_RING)
        self._update_counts()
        self.conflict_panel  # noqa: B018 (attaching it opens it when problems wait)
        self.first_painted.emit()

    def _cannot_load(self, reason: str) -> None:
        """The profile opened but its state could not be read: say so, and close."""
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(self, "Tidemark", f"Tidemark cannot open its data.\n\n{reason}")
        self.close()

    @property
    def first_paint_done(self) -> bool:
        """Whether what waits for the first paint has run (``first_painted`` was sent)."""
        return self._started

    @property
    def settings(self) -> QSettings | None:
        """This profile's window settings (None: nothing is remembered, as in tests)."""
        return self._settings

    @property
    def note_editor(self) -> NoteEditor:
        """The Notes tab's editor, made on first use (its Qt text classes and Markdown
        highlighting cost ~10 ms that the first paint of the Tasks tab need not wait for)."""
        if self._note_editor is None:
            from desktop_app.ui.note_editor import NoteEditor, NoteMode

            editor = NoteEditor(self.session)
            if self._note_mode in {m.value for m in NoteMode}:
                editor.set_mode(NoteMode(self._note_mode))
            editor.set_search(self.filter_edit.text())
            editor.set_note(self._current_note_id())
            editor.open_note_requested.connect(self.open_note)
            for field in (editor.body, editor.tags_edit):
                field.installEventFilter(self._window_keys)
            self.notes_splitter.replaceWidget(1, editor).deleteLater()  # same size and place
            self.notes_splitter.setStretchFactor(1, 1)  # a widget's own: set on the new one
            self._note_editor = editor
        return self._note_editor

    @property
    def trash_view(self) -> TrashView:
        """The Trash's page, made when the Trash is first opened: until then no keystroke
        in the filter or change of the state lists what the trash holds."""
        if self._trash_view is None:
            from desktop_app.ui.trash_view import TrashView

            view = TrashView(self.session, lambda text: self.show_message(text))
            if self.filter_edit.text().strip():
                view.set_filter(self.filter_edit.text())
            self.pages.addWidget(view)
            self._trash_view = view
        return self._trash_view

    def _current_note_id(self) -> str | None:
        current = self.note_list.currentIndex()
        return self.note_model.id_at(current.row()) if current.isValid() else None

    def _flush_note(self) -> None:
        """Save the note's unsaved typing (there is none before the editor is made)."""
        if self._note_editor is not None:
            self._note_editor.flush()

    @property
    def conflict_panel(self) -> ConflictPanel:
        """The conflict dock and its status-bar badge, attached on first use."""
        if self._conflict_panel is None:
            from desktop_app.ui.conflict_panel import attach_conflict_panel

            self._conflict_panel = attach_conflict_panel(self, self.session, self.status)
        return self._conflict_panel

    # -- construction ------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar = Sidebar(self.sidebar_model)
        self.quick_add = QLineEdit()
        self.quick_add.setObjectName("quickAdd")
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filter")
        self.filter_edit.setPlaceholderText("Filter (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)

        self.task_view = TaskTable(self.task_model)
        self.task_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sort_memory = organise.SortMemory(self.task_view.horizontalHeader(), self._settings)
        self.note_list = QListView()
        self.note_list.setObjectName("notes")
        self.note_list.setModel(self.note_model)
        self.note_list.setUniformItemSizes(True)
        self.note_list.setDragEnabled(True)  # onto a list in the sidebar
        self.note_list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.note_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.note_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.note_list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        KeepCurrent(self.note_list, self.note_model)
        # The filter's matches are highlighted in titles and tags (Things, Joplin);
        # these delegates paint only while a filter is typed (see _set_filter).
        self.task_matches = MatchDelegate(self.task_view)
        self.note_matches = MatchDelegate(self.note_list)
        self._plain_notes = self.note_list.itemDelegate()
        # The note editor is made when first needed: right after the first paint, or
        # before it when the Notes tab is what that paint shows (``note_editor``).
        self._note_editor: NoteEditor | None = None
        self._note_mode: str | None = None  # the saved mode, until the editor is made
        self.notes_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.notes_splitter.addWidget(self.note_list)
        self.notes_splitter.addWidget(QWidget())  # the editor's place
        self.notes_splitter.setStretchFactor(1, 1)
        self.notes_splitter.setSizes([260, 560])

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.task_view, "Tasks")
        self.tabs.addTab(self.notes_splitter, "Notes")
        self.pages = QStackedWidget()  # the tabs, or the trash in their place (trash_view)
        self.pages.addWidget(self.tabs)
        self._trash_view: TrashView | None = None

        top = QHBoxLayout()
        top.addWidget(self.quick_add, 3)
        top.addWidget(self.filter_edit, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(top)
        # What quick add understood ("due tomorrow · high priority"), before Enter.
        self.quick_hint = QLabel()
        self.quick_hint.setObjectName("quickHint")
        self.quick_hint.setEnabled(False)  # the palette's quieter text colour
        self.quick_hint.hide()
        right_layout.addWidget(self.quick_hint)
        right_layout.addWidget(self.pages, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([210, 830])
        self.splitter.setContentsMargins(6, 6, 6, 0)
        self.setCentralWidget(self.splitter)

        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.transfers = Transfers(self.session, self)
        self.task_empty = EmptyState(self.task_view, lambda: self._empty_text("task"))
        self.note_empty = EmptyState(self.note_list, lambda: self._empty_text("note"))
        self._counts_timer = QTimer(self)  # coalesces a burst of changes into one recount
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(0)
        self._counts_timer.timeout.connect(self._update_counts)

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcuts(keys(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_actions(self) -> None:
        self.new_task_action = self._action("New &Task", self.new_task, "new_task")
        self.new_note_action = self._action("New &Note", self.new_note, "new_note")
        self.new_list_action = self._action("New &List", self.new_list, "new_list")
        self.quit_action = self._action("&Quit", self.close, "quit")
        self.settings_action = self._action("Se&ttings…", self.open_settings, "settings")
        self.change_passphrase_action = self._action(
            "Change &Passphrase…", self.open_change_passphrase
        )
        self.import_file_action = self._action(
            "&Import File…", self.transfers.choose_import_file, "import_file"
        )
        self.import_folder_action = self._action(
            "Import Markdown &Folder…", self.transfers.choose_import_folder
        )
        self.export_file_action = self._action(
            "&Export…", self.transfers.choose_export_file, "export_file"
        )
        self.export_folder_action = self._action(
            "Export Markdown F&older…", self.transfers.choose_export_folder
        )
        self.undo_action = self._action("&Undo", self.undo, "undo")
        self.redo_action = self._action("&Redo", self.redo, "redo")
        self.delete_action = self._action("&Delete", self.delete_selected, "delete")
        self.find_action = self._action("&Filter", self.focus_filter, "find")
        self.palette_action = self._action("&Go to or Run…", self.open_palette, "palette")
        self.tasks_tab_action = self._action(
            "&Tasks", lambda: self.tabs.setCurrentIndex(TASKS_TAB), "show_tasks"
        )
        self.notes_tab_action = self._action(
            "&Notes", lambda: self.tabs.setCurrentIndex(NOTES_TAB), "show_notes"
        )
        self.focus_sidebar_action = self._action(
            "Go to &Lists", self.sidebar.view.setFocus, "focus_sidebar"
        )
        self.focus_list_action = self._action("Go to the &Rows", self.focus_list, "focus_list")
        self.focus_editor_action = self._action(
            "Go to the &Editor", self.focus_editor, "focus_editor"
        )
        self.preview_action = self._action(
            "Read or &Edit Note", self.toggle_note_preview, "toggle_preview"
        )
        self.split_action = self._action(
            "Preview &Beside Source", lambda: self.note_editor.toggle_split(), "split_preview"
        )
        self.pin_action = self._action(
            "&Pin Note", lambda: self.note_editor.toggle_pinned(), "pin_note"
        )
        self.move_action = self._action("&Move to List…", self.move_selected, "move_to_list")
        self.hide_done_action = self._action(
            "&Hide Completed Tasks", self.toggle_hide_done, "hide_completed"
        )
        self.hide_done_action.setCheckable(True)
        clear_filter = QAction("Clear filter", self.filter_edit)
        clear_filter.setShortcut(Qt.Key.Key_Escape)
        clear_filter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear_filter.triggered.connect(self.clear_filter)
        self.filter_edit.addAction(clear_filter)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.new_task_action, self.new_note_action, self.new_list_action])
        file_menu.addSeparator()
        transfer_actions = [
            self.import_file_action,
            self.import_folder_action,
            self.export_file_action,
            self.export_folder_action,
        ]
        file_menu.addActions(transfer_actions)
        for action in transfer_actions:
            self.transfers.busy_changed.connect(lambda busy, a=action: a.setEnabled(not busy))
        file_menu.addSeparator()
        file_menu.addActions([self.settings_action, self.change_passphrase_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.task_view.toggle_done_action, self.delete_action])
        edit_menu.addAction(self.move_action)
        edit_menu.addSeparator()
        edit_menu.addActions([self.find_action, self.palette_action])
        view_menu = menus.addMenu("&View")
        view_menu.addActions([self.tasks_tab_action, self.notes_tab_action])
        view_menu.addSeparator()
        view_menu.addActions(
            [self.focus_sidebar_action, self.focus_list_action, self.focus_editor_action]
        )
        view_menu.addSeparator()
        view_menu.addAction(self.hide_done_action)
        view_menu.addSeparator()
        view_menu.addActions([self.preview_action, self.split_action, self.pin_action])

    def _connect(self) -> None:
        self.session.error.connect(self.show_error)
        self.session.state_changed.connect(self._on_state)
        self.sidebar.scope_changed.connect(self._set_scope)
        self.sidebar.add_requested.connect(self.new_list)
        self.sidebar.rename_requested.connect(self.sidebar.rename_current)
        self.sidebar.delete_requested.connect(self.delete_current_list)
        self.quick_add.returnPressed.connect(self.quick_add_entered)
        self.quick_add.textChanged.connect(self._update_quick_hint)
        self.filter_edit.textChanged.connect(self._set_filter)
        self.filter_edit.installEventFilter(self)
        self._window_keys = WindowKeysWin(self)
        for field in (self.quick_add, self.filter_edit):
            field.installEventFilter(self._window_keys)
        self.tabs.currentChanged.connect(self._on_tab)
        self.note_list.selectionModel().currentChanged.connect(self._on_note_current)
        self.sidebar_model.moved.connect(self.show_message)
        self.status.sync_label.clicked.connect(self.show_sync_details)
        self.transfers.finished.connect(self.show_message)
        self.transfers.failed.connect(self.show_error)
        self.task_view.customContextMenuRequested.connect(self._task_menu)
        self.note_list.customContextMenuRequested.connect(self._note_menu)

    # -- public API (menu actions, and what sync will call) -----------------------------

    def attach_sync(self, controller: SyncController) -> None:
        """Show the controller's status and offer File > Sync Now (F5)."""
        self.sync_controller = controller
        controller.dialog_parent = self  # the passphrase prompt is modal to this window
        controller.status_changed.connect(self.show_sync_status)
        self.sync_action = self._action("&Sync Now", controller.sync_now, "sync_now")
        file_menu = self.menuBar().actions()[0].menu()
        file_menu.insertAction(self.quit_action, self.sync_action)
        file_menu.insertSeparator(self.quit_action)
        # Polling follows use: often while this window is used, rarely when it is not.
        self.activity = ActivityWatch(self, controller)

    def open_settings(self) -> SettingsDialog:
        """Ctrl+,: the sync settings; saving applies them and starts a round soon."""
        from desktop_app.ui.settings_dialog import SettingsDialog  # not before the first paint

        dialog = SettingsDialog(self.session, self)
        dialog.saved.connect(self._settings_saved)
        dialog.open()
        return dialog

    def _settings_saved(self, form: object) -> None:
        from desktop_app.app import settings

        dialog = self.sender()
        notes = getattr(dialog, "notes", [])
        controller = getattr(self, "sync_controller", None)
        if controller is not None:
            controller.set_poll_interval(settings.sync_interval_s(self.app) * 1000)
            controller.sync_soon(0)
        self.show_message(" ".join(["Settings saved.", *notes]))

    def open_change_passphrase(self) -> QDialog | None:
        """File > Change Passphrase…: ``desktop-app passphrase`` off the GUI thread."""
        from desktop_app.app import encryption, syncing
        from desktop_app.ui.passphrase_dialog import ChangePassphraseDialog

        try:
            config = syncing.get_remote(self.app.local)
        except syncing.SYNC_ERRORS as exc:  # a broken stored setting: say so
            self.show_error(f"the sync setting cannot be read: {exc}")
            return None
        if config is None or not config.encrypted:
            self.show_error(
                "the remote is not an encrypted vault; Settings > Encrypt end to end "
                "starts one in a new, empty location"
            )
            return None
        try:
            known = encryption.stored_passphrase(config) or encryption.session_passphrase(config)
        except syncing.SYNC_ERRORS:  # the keyring failed: ask for the current passphrase
            known = None
        dialog = ChangePassphraseDialog(self.app.local, needs_current=not known, parent=self)
        dialog.changed.connect(self.show_message)
        dialog.open()
        return dialog

    def show_sync_status(self, text: str) -> None:
        """Shown at the right of the status bar until replaced (the sync worker's voice)."""
        self.status.set_sync(text)

    def sync_details(self) -> str:
        """What the sync status stands for, in full (the status bar shows it elided)."""
        from desktop_app.app import syncing

        try:
            info = syncing.status(self.app)
        except Exception as exc:  # a broken stored setting still gets a readable answer
            return f"{self.status.sync_label.text()}\n\nThe sync setting cannot be read: {exc}"
        lines = [self.status.sync_label.text(), ""]
        lines.append(f"Remote: {info['remote'] or 'none (this computer only)'}")
        lines.append(f"Changes waiting to be sent: {info['pending']}")
        lines.append(f"Last sync: {info['last_sync'] or 'never'}")
        offset = info["clock_offset_s"]
        if abs(offset) >= 1:
            lines.append(
                f"This computer's clock is {abs(offset):.0f} s "
                f"{'behind' if offset > 0 else 'ahead of'} the remote's."
            )
        return "\n".join(lines)

    def show_sync_details(self) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox  # a dialog's class: made when first used

        box = QMessageBox(QMessageBox.Icon.Information, "Sync", self.sync_details(), parent=self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        return box

    def show_message(self, text: str) -> None:
        self.status.show_info(text)

    def show_error(self, text: str) -> None:
        self.status.show_error(text)

    @property
    def scope(self) -> Scope:
        return self.task_model.scope

    def new_task(self) -> None:
        self.tabs.setCurrentIndex(TASKS_TAB)
        self.quick_add.setFocus()
        self.quick_add.selectAll()

    def new_note(self) -> None:
        self.tabs.setCurrentIndex(NOTES_TAB)
        self.quick_add.setFocus()
        self.quick_add.selectAll()

    def new_list(self) -> None:
        """Create 'New list' (numbered if taken) and open its name for editing."""
        state, name, n = self.session.state, NEW_LIST_NAME, 1
        while state.list_named(name) is not None:
            n += 1
            name = f"{NEW_LIST_NAME} {n}"
        ok, list_id = self.session.call(self.app.add_list, name)
        if ok and list_id:
            self.sidebar.select_scope(list_scope(list_id))
            self.sidebar.view.setFocus()
            self.sidebar.rename_current()

    def quick_add_entered(self) -> None:
        """Enter in the quick-add line: a task (Tasks tab) or a note (Notes tab) in the scope."""
        text = self.quick_add.text()
        target = self.scope.list_in(self.session.state)
        list_name = target.name if target else None
        if self.tabs.currentIndex() == NOTES_TAB:
            tags = [self.scope.list_id] if self.scope.kind == "tag" else []
            ok, note_id = self.session.call(self.app.add_note, text, list_name=list_name, tags=tags)
            if ok and note_id:
                self.quick_add.clear()
                self.select_note(note_id)
                self.note_editor.body.setFocus()
            return
        parsed = quick_add.parse(text, self.session.today())
        extra: dict[str, object] = {"tags": list(parsed.tags)}
        if parsed.due is not None:
            extra["due"] = parsed.due
        elif self.scope == TODAY:
            extra["due"] = self.session.today()
        if self.scope.kind == "tag" and self.scope.list_id not in parsed.tags:
            extra["tags"] = [self.scope.list_id, *parsed.tags]
        if parsed.priority is not None:
            extra["priority"] = parsed.priority
        list_name = parsed.list_name or list_name
        ok, task_id = self.session.call(
            self.app.add_task, parsed.title, list_name=list_name, **extra
        )
        if ok and task_id:
            self.quick_add.clear()
            self.task_view.select_id(task_id)

    def select_note(self, note_id: str) -> None:
        row = self.note_model.row_of(note_id)
        if row >= 0:
            index = self.note_model.index(row, 0)
            self.note_list.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.note_list.scrollTo(index)

    def open_note(self, note_id: str) -> None:
        """Show a note wherever it is: widen the scope and clear the filter if they hide it."""
        note = self.session.state.notes.get(note_id)
        if note is None:
            return
        self.tabs.setCurrentIndex(NOTES_TAB)
        if self.note_model.row_of(note_id) < 0:
            self.filter_edit.clear()
        if self.note_model.row_of(note_id) < 0:
            self.sidebar.select_scope(ALL)
        self.select_note(note_id)

    def selected_item_ids(self) -> list[str]:
        """The selected tasks (Tasks tab) or the current note (Notes tab)."""
        if self.tabs.currentIndex() == NOTES_TAB:
            note_id = self.note_model.id_at(self.note_list.currentIndex().row())
            return [note_id] if note_id else []
        return self.task_view.selected_ids()

    def move_selected(self) -> None:
        """Ctrl+M: choose a list, and move the selection there (one action)."""
        self._flush_note()
        ids = self.selected_item_ids()
        if not ids:
            self.show_message("Select a task or a note first, then Ctrl+M moves it.")
            return
        if message := organise.pick_and_move(self.session, ids, self):
            self.show_message(message)

    def toggle_hide_done(self) -> None:
        self.task_model.set_hide_done(not self.task_model.hide_done)
        self.hide_done_action.setChecked(self.task_model.hide_done)
        if self._settings is not None:
            self._settings.setValue("tasks/hide_done", self.task_model.hide_done)

    def _task_menu(self, pos: QPoint) -> None:
        ids = self.task_view.selected_ids()
        if ids:
            menu = organise.context_menu(
                self.task_view,
                self.session,
                ids,
                [self.task_view.toggle_done_action, None, self.delete_action],
                self.show_message,
            )
            menu.exec(self.task_view.viewport().mapToGlobal(pos))

    def _note_menu(self, pos: QPoint) -> None:
        self._flush_note()
        ids = self.selected_item_ids()
        if ids:
            menu = organise.context_menu(
                self.note_list,
                self.session,
                ids,
                [self.pin_action, None, self.delete_action],
                self.show_message,
            )
            menu.exec(self.note_list.viewport().mapToGlobal(pos))

    def palette_entries(self) -> list[Entry]:
        """Everything Ctrl+K can reach: sidebar entries, notes, tasks, then commands."""
        from desktop_app.ui.command_palette import Entry, command_entries

        state = self.session.state
        entries = []
        for row in (self.sidebar_model.item_at(r) for r in range(self.sidebar_model.rowCount())):
            kind = "Tag" if row.scope.kind == "tag" else "List"
            entries.append(Entry(kind, row.label, lambda s=row.scope: self.sidebar.select_scope(s)))
        for note in sorted(state.notes.values(), key=lambda n: n.title.casefold()):
            entries.append(Entry("Note", note.title, lambda i=note.id: self.open_note(i)))
        for task in sorted(state.tasks.values(), key=lambda t: t.title.casefold()):
            hint = "done" if task.done else (task.due.isoformat() if task.due else "")
            entries.append(Entry("Task", task.title, lambda i=task.id: self.show_task(i), hint))
        commands = [a for a in self.actions() if a is not self.palette_action]
        return entries + command_entries([*commands, self.task_view.toggle_done_action])

    def open_palette(self) -> None:
        """Ctrl+K: type, arrows, Enter."""
        from desktop_app.ui.command_palette import CommandPalette

        self._flush_note()
        palette = CommandPalette(self.palette_entries(), self)
        palette.query.setFocus()
        if palette.exec() == CommandPalette.DialogCode.Accepted and palette.chosen is not None:
            palette.chosen.run()

    def show_task(self, task_id: str) -> None:
        """Show one task wherever it is: the Tasks tab, widening scope and filter if needed."""
        self.tabs.setCurrentIndex(TASKS_TAB)
        if self.task_model.row_of(task_id) < 0:
            self.filter_edit.clear()
        if self.task_model.row_of(task_id) < 0:
            self.sidebar.select_scope(ALL)
        if self.task_model.row_of(task_id) < 0 and self.task_model.hide_done:
            self.toggle_hide_done()
        self.task_view.select_id(task_id)
        self.task_view.setFocus()

    def focus_list(self) -> None:
        """Ctrl+2: the task table or the note list, whichever tab is showing (or the trash)."""
        if self.scope == TRASH:
            self.trash_view.table.setFocus()
            return
        view = self.note_list if self.tabs.currentIndex() == NOTES_TAB else self.task_view
        view.setFocus()
        if not view.currentIndex().isValid() and view.model().rowCount():
            view.setCurrentIndex(view.model().index(0, 1 if view is self.task_view else 0))

    def focus_editor(self) -> None:
        """Ctrl+3: the note being edited (the Notes tab comes forward)."""
        self.tabs.setCurrentIndex(NOTES_TAB)
        from desktop_app.ui.note_editor import NoteMode

        if self.note_editor.mode is NoteMode.PREVIEW:
            self.note_editor.preview.setFocus()
        else:
            self.note_editor.body.setFocus()

    def toggle_note_preview(self) -> None:
        self.tabs.setCurrentIndex(NOTES_TAB)
        self.note_editor.toggle_preview()

    def undo(self) -> None:
        self._flush_note()  # unsaved typing is one step of its own, undone first
        from desktop_app.app import describe  # words for the message, loaded when first needed

        before = self.session.state
        ok, action = self.session.call(self.app.undo)
        if ok:
            self.show_message(
                f"Undid: {describe.undone(action.arg, before)}." if action else "Nothing to undo."
            )
            if action:
                self._reveal_note(action.arg)

    def redo(self) -> None:
        self._flush_note()
        from desktop_app.app import describe

        before = self.session.state
        ok, action = self.session.call(self.app.redo)
        if ok:
            self.show_message(
                f"Redid: {describe.redone(action.arg, before)}." if action else "Nothing to redo."
            )
            if action:
                self._reveal_note(action.arg)

    def _reveal_note(self, arg: act.Arg) -> None:
        """An undo or redo that changed a note shows it: never a silent edit on a hidden tab."""
        steps = arg.steps if isinstance(arg, act.Batch) else (arg,)
        ids = [i for step in steps for i in step.target_ids]
        ids += [step.note.id for step in steps if isinstance(step, act.RestoreNote)]
        notes = [i for i in ids if i in self.session.state.notes]
        shown = self._note_editor.note_id if self._note_editor is not None else None
        if notes and (self.tabs.currentIndex() != NOTES_TAB or shown not in notes):
            self.open_note(notes[0])

    def delete_selected(self) -> None:
        """Delete what the focused part shows: the list, the selected tasks or the note."""
        focus = QApplication.focusWidget()
        if focus is not None and self.sidebar.isAncestorOf(focus):
            self.delete_current_list()
        elif self.scope == TRASH:
            self.trash_view.forget_selected()
        elif self.tabs.currentIndex() == NOTES_TAB:
            self.delete_current_note()
        else:
            self.delete_selected_tasks()

    def delete_selected_tasks(self) -> None:
        ids = self.task_view.selected_ids()
        if not ids:
            return
        if len(ids) == 1:
            ok, item = self.session.call(self.app.delete, ids[0])
            what = f"“{item.title}”" if ok and item else ""
        else:  # one action, so one Ctrl+Z brings them all back
            steps = [act.DeleteItem(id=i) for i in ids]
            ok, _ = self.session.call(self.app.dispatch_steps, steps)
            what = _plural(len(ids), "task")
        if ok:
            self.show_message(f"Deleted {what}. Ctrl+Z brings it back.")

    def delete_current_note(self) -> None:
        note_id = self.note_model.id_at(self.note_list.currentIndex().row())
        if note_id is None:
            return
        self._flush_note()
        ok, item = self.session.call(self.app.delete, note_id)
        if ok and item:
            self.show_message(f"Deleted “{item.title}”. Ctrl+Z brings it back.")

    def delete_current_list(self) -> None:
        target = self.sidebar.scope.list_in(self.session.state)
        if target is None:
            self.show_message("“All” and “No list” are views, not lists: nothing to delete.")
            return
        ok, _ = self.session.call(self.app.delete, target.id)
        if ok:
            self.show_message(
                f"Deleted list “{target.name}”; its tasks and notes are now in No list. "
                "Ctrl+Z brings it back."
            )

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def clear_filter(self) -> None:
        self.filter_edit.clear()
        self.tabs.currentWidget().setFocus()

    # -- reacting ------------------------------------------------------------------------

    def _set_scope(self, scope: Scope) -> None:
        self._flush_note()
        self.sort_memory.switch(scope)
        self.task_model.set_scope(scope)
        self.note_model.set_scope(scope)
        self.task_view.show_list_column(scope.shows_lists)
        self.pages.setCurrentWidget(self.trash_view if scope == TRASH else self.tabs)
        self.quick_add.setEnabled(scope != TRASH)
        self.task_empty.refresh()
        self.note_empty.refresh()
        if scope.tasks_only:
            self.tabs.setCurrentIndex(TASKS_TAB)
        self._update_placeholder()
        self._counts_timer.start()

    def _set_filter(self, text: str) -> None:
        self.task_model.set_filter(text)
        self.note_model.set_filter(text)
        if self._trash_view is not None:
            self._trash_view.set_filter(text)
        self._show_matches(text.strip())
        if self._note_editor is not None:
            self._note_editor.set_search(text)
        self.task_empty.refresh()
        self.note_empty.refresh()
        # The key's result in one paint (docs/performance.md, "Search keystroke"): the
        # shown view and the counts laid out now, not on later turns with paints of their own.
        for view in (self.task_view, self.note_list):
            if view.isVisible():
                lay_out_now(view)
        self._counts_timer.stop()
        self._update_counts()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _show_matches(self, needle: str) -> None:
        """Highlight ``needle`` in the rows; with no filter Qt's own painting is used."""
        self.task_matches.needle = self.note_matches.needle = needle
        task_delegate = self.task_matches if needle else None
        for column in (TaskColumn.TITLE, TaskColumn.TAGS):
            if self.task_view.itemDelegateForColumn(column) is not task_delegate:
                self.task_view.setItemDelegateForColumn(column, task_delegate)
        note_delegate = self.note_matches if needle else self._plain_notes
        if self.note_list.itemDelegate() is not note_delegate:
            self.note_list.setItemDelegate(note_delegate)
        self.task_view.viewport().update()
        self.note_list.viewport().update()

    def _on_tab(self, index: int) -> None:
        self._flush_note()
        if index == NOTES_TAB:
            self.note_editor  # noqa: B018 (made when first shown)
        self._update_placeholder()
        self._update_quick_hint()

    def _update_quick_hint(self) -> None:
        """Tasks only: a note's title is taken as typed."""
        text = self.quick_add.text()
        parsed = quick_add.parse(text, self.session.today())
        show = self.tabs.currentIndex() == TASKS_TAB and parsed.understood
        if show:
            new_list = parsed.list_name and self.session.state.list_named(parsed.list_name) is None
            hint = quick_add.describe(parsed, self.session.today())
            self.quick_hint.setText(f"Enter adds: {hint}" + (" (a new list)" if new_list else ""))
        self.quick_hint.setVisible(bool(show))

    def _on_state(self, state: State, action: object) -> None:
        self._update_placeholder()  # the current list may have been renamed
        self._counts_timer.start()

    def _on_note_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._note_editor is not None:  # else it opens the current note when made
            self._note_editor.set_note(self._current_note_id())

    def _update_placeholder(self) -> None:
        scope, state = self.scope, self.session.state
        kind = "note" if self.tabs.currentIndex() == NOTES_TAB else "task"
        target = scope.list_in(state)
        where = f" to {target.name}" if target else " (no list)" if scope == NO_LIST else ""
        if scope == TODAY:
            where = ", due today"
        elif scope.kind == "tag":
            where = f" tagged #{scope.list_id}"
        self.quick_add.setPlaceholderText(
            "Nothing is added to the trash: pick a list to add"
            if scope == TRASH
            else f"Add a {kind}{where}: type, then Enter"
        )
        title = target.name if target else self.sidebar.label_of(scope)
        profile = f" ({self._profile})" if self._profile else ""
        self.setWindowTitle(f"{title} — Tidemark{profile}")

    def showEvent(self, event: QShowEvent) -> None:
        # A window that is shown but not painted (not exposed yet) still starts soon.
        QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self, self._after_first_paint)
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self.removeEventFilter(self)
            QTimer.singleShot(0, self._after_first_paint)
        if watched is self.filter_edit and event.type() == QEvent.Type.FocusIn:
            self.task_model.warm_search()  # ~30 ms on 12,000 items, before the first key
            self.note_model.warm_search()
            self.task_matches.warm(self.task_view)
            self.task_empty.place()  # a filter that matches nothing shows them at once
            self.note_empty.place()
        return super().eventFilter(watched, event)

    def _empty_text(self, kind: str) -> str:
        """What an empty list says: the filter found nothing, or how to begin."""
        needle = self.filter_edit.text().strip()
        if needle:
            return f"No {kind}s match “{needle}”. Escape clears the filter."
        scope = self.scope
        if scope == TODAY and kind == "task":
            return "Nothing due today or overdue. Upcoming shows the week ahead."
        if scope.kind == "upcoming":
            return "Nothing due in the next seven days."
        if scope.kind == "completed":
            return "Completed tasks show here once you tick them."
        if scope.tasks_only:
            return "Notes live in lists: pick All or a list to see them."
        if kind == "task":
            return "No tasks here yet.\nType one in the box above and press Enter."
        return "No notes here yet.\nType a title in the box above and press Enter (Ctrl+Shift+N)."

    def _update_counts(self) -> None:
        """Counts of what the scope and the filter show (done ones even while hidden)."""
        if (preview := self.session.preview) is not None:
            self.status.set_counts(preview.status)  # the saved screen's, until the state
            return
        if self.isVisible() and not self._painted:
            return  # the first paint does not wait for them: _after_first_paint counts
        self.status.set_counts(
            self.counts_text(self.session.state, self.scope, self.filter_edit.text())
        )

    def counts_text(self, state: State, scope: Scope, needle: str) -> str:
        if scope == TRASH:
            shown = len(self.trash_view.entries())
            return f"{_plural(shown, 'item')} in the trash"
        tasks = self.task_model.counted(state, scope, needle, self.session.today())
        done = sum(map(_DONE, tasks))  # in C: 10,000 tasks before the first paint
        notes = len(self.note_model.counted(state, scope, needle))
        parts = [f"{len(tasks) - done:,} open", f"{done:,} done", _plural(notes, "note")]
        if problems := rules.problems(state):
            parts.append(f"⚠ {_plural(len(problems), 'conflict')}")
        prefix = "Filtered: " if needle.strip() else ""
        return prefix + " · ".join(parts)

    # -- lifecycle ------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        if self._settings is None:
            return
        for key, restore in (
            ("window/geometry", self.restoreGeometry),
            ("window/splitter", self.splitter.restoreState),
            ("window/notes_splitter", self.notes_splitter.restoreState),
        ):
            if (value := self._settings.value(key)) is not None:
                restore(value)
        if str(self._settings.value("tasks/hide_done", "false")).lower() == "true":
            self.toggle_hide_done()
        self._note_mode = str(self._settings.value("notes/mode", ""))  # set as it is made
        self._restore_place()

    def _restore_place(self) -> None:
        """Back where the last session left off: its list, its tab, its note. A list
        or note deleted since (here or on another device) falls back quietly."""
        assert self._settings is not None
        kind = str(self._settings.value("place/scope", "all"))
        scope = Scope(kind, str(self._settings.value("place/scope_id", "")) or None)
        if scope != ALL:
            self.sidebar.select_scope(scope)
        if str(self._settings.value("place/tab", "")) == "notes":
            self.tabs.setCurrentIndex(NOTES_TAB)
        note = str(self._settings.value("place/note", ""))
        if note:
            # After the first paint: showing a note renders Markdown, which the
            # window's first frame does not wait for (nor reads the state for).
            self.first_painted.connect(lambda: self._restore_note(note))

    def _restore_note(self, note_id: str) -> None:
        if note_id in self.session.state.notes:
            self.select_note(note_id)

    def _save_settings(self) -> None:
        if self._settings is None:
            return
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.setValue("window/notes_splitter", self.notes_splitter.saveState())
        if self._note_editor is not None:
            self._settings.setValue("notes/mode", self._note_editor.mode.value)
        scope = self.scope
        self._settings.setValue("place/scope", scope.kind)
        self._settings.setValue("place/scope_id", scope.list_id or "")
        self._settings.setValue(
            "place/tab", "notes" if self.tabs.currentIndex() == NOTES_TAB else "tasks"
        )
        shown = self._note_editor.note_id if self._note_editor else self._current_note_id()
        self._settings.setValue("place/note", shown or "")

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the open note and checkpoint, so the next start replays nothing."""
        if not self._closed:
            self._closed = True
            self._flush_note()
            self._save_settings()
            if self.app.loaded:  # else nothing was read, so nothing changed here
                try:
                    self.app.checkpoint()
                    first_screen.save(self)
                except Exception:  # only start-up shortcuts: the journal has everything
                    log.warning("could not checkpoint on close", exc_info=True)
            self.session.dispose()
            if (activity := getattr(self, "activity", None)) is not None:
                activity.stop()
            self.closed.emit()
        super().closeEvent(event)
