"""The conflict panel: what a merge left for the user to settle, and one click to settle it.

A dock beside the lists. On the left, the open problems (``core.rules``); on the
right, the chosen one in plain words, its versions side by side with the words
that differ highlighted, and one button per option, the recommended one first.
Arrow keys move between problems and Enter applies the recommended option. Every
option is one ``App.resolve_problem`` call, so it syncs and Ctrl+Z undoes it.

The status bar badge ("⚠ 2 conflicts") opens it, and so do the note banner's
link and View > Conflicts (Ctrl+Shift+K).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import State, resolutions, rules, views
from desktop_app.core.merge import word_changes
from desktop_app.ui import colours
from desktop_app.ui.session import AppSession
from desktop_app.ui.shortcuts import keys

AnyIndex = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class ProblemListModel(QAbstractListModel):
    """The open problems of the session's state, in ``rules.problems`` order."""

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._problems: list[rules.Problem] = rules.problems(session.state)
        session.state_changed.connect(self._on_state)

    @property
    def problems(self) -> list[rules.Problem]:
        return list(self._problems)

    def problem_at(self, row: int) -> rules.Problem | None:
        return self._problems[row] if 0 <= row < len(self._problems) else None

    def row_of(self, problem_id: str) -> int:
        return next((n for n, p in enumerate(self._problems) if p.id == problem_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def data(self, index: AnyIndex, role: int = Role.DisplayRole) -> Any:
        problem = self.problem_at(index.row()) if index.isValid() else None
        if problem is None:
            return None
        if role == Role.DisplayRole:
            return problem.message[:1].upper() + problem.message[1:]
        if role == Role.ToolTipRole:
            return f"{problem.message}\nid {problem.id} · Enter: {_label(problem.options[0])}"
        if role == ID_ROLE:
            return problem.id
        if role == Role.DecorationRole:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def _on_state(self, state: State, action: object) -> None:
        found = rules.problems(self._session.state)  # the latest state (see RowsModel)
        if found == self._problems:
            return
        self.beginResetModel()
        self._problems = found
        self.endResetModel()


def _label(option: str) -> str:
    return resolutions.describe(option)


def changed_style(palette: QPalette) -> str:
    """The words that differ: the search-match colours, readable in a dark palette too."""
    background, text = colours.changed_words(palette)
    return f"background-color:{background.name()}; color:{text.name()};"


def versions_html(problem: rules.Problem, index: int, palette: QPalette | None = None) -> str:
    """One version as HTML, the words that differ from the current one (or, for the
    current one, from the first other) highlighted."""
    style = changed_style(palette or QGuiApplication.palette())
    versions = problem.versions
    text = versions[index].text
    if len(versions) < 2:
        runs = [(text, False)]
    else:
        other = versions[1 if index == 0 else 0].text
        runs = word_changes(text, other)
    body = "".join(
        f'<span style="{style}">{html.escape(run)}</span>' if changed else html.escape(run)
        for run, changed in runs
    )
    return f'<div style="white-space:pre-wrap">{body or "<i>(empty)</i>"}</div>'


class MergeEditor(QDialog):
    """Edit the merged text of a note, starting from every version marked."""

    def __init__(self, problem: rules.Problem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit the merged text")
        self.problem = problem
        self.text = QPlainTextEdit(resolutions.both_texts(problem))
        self.text.setObjectName("mergedText")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Keep what you want; the markers are only a guide."))
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(560, 420)


class ConflictPanel(QDockWidget):
    resolved = Signal(str, str)  # problem id, option

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__("Conflicts", parent)
        self.setObjectName("conflictPanel")
        self._session = session
        self.merge_editor: MergeEditor | None = None
        self.model = ProblemListModel(session, self)

        self.list = QListView()
        self.list.setObjectName("conflictList")
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.installEventFilter(self)
        self.list.selectionModel().currentChanged.connect(lambda *_: self._show_current())
        self.model.modelReset.connect(self._after_reset)

        self.message = QLabel()
        self.message.setObjectName("conflictMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        font = self.message.font()
        font.setBold(True)
        self.message.setFont(font)
        self.versions_row = QHBoxLayout()
        self.options_row = QHBoxLayout()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        quiet = self.hint.palette()
        quiet.setColor(QPalette.ColorRole.WindowText, colours.placeholder_on_window(quiet))
        self.hint.setPalette(quiet)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.message)
        detail_layout.addLayout(self.versions_row, 1)
        detail_layout.addLayout(self.options_row)
        detail_layout.addWidget(self.hint)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([240, 520])
        self.setWidget(self.splitter)
        self.option_buttons: list[QPushButton] = []
        self.version_views: list[QTextBrowser] = []
        self._after_reset()

    # -- public -------------------------------------------------------------------------

    def current_problem(self) -> rules.Problem | None:
        return self.model.problem_at(self.list.currentIndex().row())

    def open(self, problem_id: str | None = None) -> None:
        """Show the panel with the keyboard on the list (and on ``problem_id`` if given)."""
        self.show()
        self.raise_()
        if problem_id is not None and (row := self.model.row_of(problem_id)) >= 0:
            self.list.setCurrentIndex(self.model.index(row, 0))
        self.list.setFocus()

    def open_for_item(self, item_id: str) -> None:
        """Open on the first problem about ``item_id`` (the note banner's link)."""
        found = next((p for p in self.model.problems if item_id in p.ids), None)
        self.open(found.id if found else None)

    def choose(self, option: str, text: str | None = None) -> bool:
        """Apply ``option`` to the current problem; "edit" without text opens the editor."""
        problem = self.current_problem()
        if problem is None:
            return False
        if option == "edit" and text is None:
            self._edit_merged(problem)
            return False
        ok, _ = self._session.call(self._session.app.resolve_problem, problem.id, option, text=text)
        if ok:
            self.resolved.emit(problem.id, option)
        return ok

    def recommended(self) -> bool:
        problem = self.current_problem()
        return problem is not None and self.choose(problem.options[0])

    # -- internals ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.recommended()
            return True
        return super().eventFilter(watched, event)

    def _after_reset(self) -> None:
        """Keep the keyboard where it was: the same problem, or the one now in its row."""
        row = max(0, min(getattr(self, "_row", 0), self.model.rowCount() - 1))
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(row, 0))
        self._show_current()

    def _clear(self, layout: QHBoxLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            if (widget := item.widget()) is not None:
                widget.hide()  # now: deleteLater waits for the event loop
                widget.setParent(None)
                widget.deleteLater()

    def _show_current(self) -> None:
        self._row = max(0, self.list.currentIndex().row())
        problem = self.current_problem()
        self._clear(self.versions_row)
        self._clear(self.options_row)
        self.option_buttons, self.version_views = [], []
        if problem is None:
            self.message.setText("No conflicts: every merge went through cleanly.")
            self.hint.setText("")
            return
        self.message.setText(problem.message[:1].upper() + problem.message[1:])
        for n, version in enumerate(problem.versions):
            box = QGroupBox(version.label.replace("_", " ").capitalize())
            view = QTextBrowser()
            view.setObjectName(f"version_{version.label}")
            view.setHtml(versions_html(problem, n, view.palette()))
            QVBoxLayout(box).addWidget(view)
            self.versions_row.addWidget(box)
            self.version_views.append(view)
        for n, option in enumerate(problem.options):
            button = QPushButton(_label(option))
            button.setObjectName(f"option_{option}")
            button.setAutoDefault(False)
            if n == 0:
                font = button.font()
                font.setBold(True)
                button.setFont(font)
                button.setToolTip("Recommended (Enter in the list)")
            button.clicked.connect(lambda _=False, o=option: self.choose(o))
            self.options_row.addWidget(button)
            self.option_buttons.append(button)
        if problem.kind == "missing_list":
            self._add_move_menu(problem)
        self.options_row.addStretch(1)
        self.hint.setText(
            f"Enter: {_label(problem.options[0])} · Tab: the other options · "
            f"Ctrl+Z undoes · id {problem.id} (desktop-app resolve {problem.id} OPTION)"
        )

    def _add_move_menu(self, problem: rules.Problem) -> None:
        lists = views.sorted_lists(self._session.state)
        if not lists:
            return
        button = QToolButton()
        button.setObjectName("option_move_to")
        button.setText("Move to list…")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for lst in lists:
            action = menu.addAction(lst.name)
            action.triggered.connect(
                lambda _=False, i=lst.id: self.choose(f"{resolutions.MOVE_TO}{i}")
            )
        button.setMenu(menu)
        self.options_row.addWidget(button)

    def _edit_merged(self, problem: rules.Problem) -> None:
        editor = MergeEditor(problem, self)
        self.merge_editor = editor

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and self.current_problem() == problem:
                self.choose("edit", editor.text.toPlainText())
            self.merge_editor = None
            editor.deleteLater()

        editor.finished.connect(done)
        editor.open()


class ConflictBadge(QToolButton):
    """ "⚠ N conflicts" in the status bar; hidden when there are none; opens the panel."""

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictBadge")
        self.setAutoRaise(True)
        self.setToolTip("Open the conflict panel (Ctrl+Shift+K)")
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        warm = self.palette()
        warm.setColor(QPalette.ColorRole.ButtonText, colours.warning_text(warm))
        self.setPalette(warm)
        self._session = session
        session.state_changed.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        count = len(rules.problems(self._session.state))
        self.setText(f"⚠ {plural(count, 'conflict')}")
        self.setVisible(count > 0)


def attach_conflict_panel(window: QMainWindow, session: AppSession, status: Any) -> ConflictPanel:
    """Add the panel (hidden until asked for, or shown when problems are waiting),
    its badge, View > Conflicts and the note banner's link to ``window``."""
    panel = ConflictPanel(session, window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
    panel.setVisible(bool(panel.model.rowCount()))
    badge = ConflictBadge(session, window)
    badge.clicked.connect(lambda: panel.open())
    status.insertPermanentWidget(0, badge)
    action = QAction("&Conflicts…", window)
    action.setShortcuts(keys("conflicts"))
    action.triggered.connect(lambda: panel.open())
    window.addAction(action)
    for menu_action in window.menuBar().actions():
        if menu_action.text() == "&View" and (menu := menu_action.menu()) is not None:
            menu.addSeparator()
            menu.addAction(action)
    editor = getattr(window, "note_editor", None)
    if editor is not None and hasattr(editor, "conflict_link"):
        editor.conflict_link.connect(panel.open_for_item)
    panel.badge, panel.open_action = badge, action  # type: ignore[attr-defined]
    return panel
