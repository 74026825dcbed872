"""Start-up: nothing but the window and the local checkpoint before the first paint.

``desktop-app --data-dir DIR`` (``desktop_app.launcher.main``) runs in a fresh
process (imports are per process);
an application event filter notes ``sys.modules`` when the main window first
paints, and again once the deferred start-up work has run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Slow to import, and needed only for sync, settings, conflicts or Markdown.
DEFERRED = (
    "keyring",
    "boto3",
    "botocore",
    "cryptography",
    "markdown_it",
    "desktop_app.sync.engine",
    "desktop_app.sync.s3_store",
    "desktop_app.sync.credentials",
    "desktop_app.app.syncing",
    "desktop_app.app.encryption",
    "desktop_app.app.settings",
    "desktop_app.ui.sync_worker",
    "desktop_app.ui.conflict_panel",
    "desktop_app.ui.settings_dialog",
    "desktop_app.ui.passphrase_dialog",
    "desktop_app.ui.command_palette",
    # Not on the first screen: Markdown rendering and HTML escaping (the first note
    # shown), text merging, the clock's statistics, OpenSSL's hashes, the subprocess
    # that checks Qt's system libraries (only with an X display).
    "desktop_app.app.markdown",
    "html",
    "difflib",
    "statistics",
    "hashlib",
    "subprocess",
    # The CLI's parser (every command module, YAML and e-mail parsing for imports,
    # importlib.metadata for --version), and platformdirs when --data-dir is given.
    "desktop_app.cli",
    "desktop_app.cli.main",
    "desktop_app.app.exchange",
    "yaml",
    "importlib.metadata",
    "platformdirs",
)

# PySide makes each Qt class (and its enums) when first used, ~0.2-1 ms apiece: dialogs
# and editors come when first opened. QWizard stands for all the widget classes PySide
# makes at once the first time a Qt call hands back a plain QWidget it has not seen (a
# view's viewport()).
LATE_QT_CLASSES = (
    "QWizard",
    "QDialog",
    "QMessageBox",
    "QFileDialog",
    "QProgressDialog",
    "QDialogButtonBox",
    "QListWidget",
    "QComboBox",
    "QDateEdit",
    "QTextLayout",  # the filter's highlighting, made as the filter gets focus
)

# Not made by the whole first paint pass either (checked once every widget has painted):
# the check-box style, installed after it, is a Python style, which makes QStyle (570
# enum members) and, as it draws, every style option's class; the first paint's
# delegates never ask the style for anything. QGradient comes with the first QBrush:
# the task rows' colours are QColors.
PAINT_PASS_QT_CLASSES = ("QStyle", "QProxyStyle", "QStyleOptionButton", "QGradient")

# The Notes tab's editor: made on the turn after the first paint, unless that paint shows
# it (the last session ended on a note). Its modules and Qt's text classes come with it.
NOTE_EDITOR = (
    "desktop_app.ui.note_editor",
    "desktop_app.ui.note_preview",
    "desktop_app.ui.markdown_highlighter",
)
NOTE_EDITOR_QT_CLASSES = ("QPlainTextEdit", "QTextBrowser", "QTextCharFormat")

SCRIPT = """
import gc, json, sys
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from desktop_app import launcher
from desktop_app.ui.main_window import MainWindow

names = json.loads(sys.argv[2])
LATE_QT = json.loads(sys.argv[3])
PAINT_PASS_QT = json.loads(sys.argv[4])
seen = {}

def loaded():
    return sorted(n for n in names if n in sys.modules)

def finish(window):
    seen["after"] = loaded()
    seen["read_state_after"] = window.app.loaded
    seen["collecting_after"] = gc.isenabled()
    seen["frozen_after"] = gc.get_freeze_count()
    seen["icons_after"] = [not window.windowIcon().isNull(), not QApplication.windowIcon().isNull()]
    seen["style_after"] = type(QApplication.style()).__name__
    window.close()

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            if "at_paint" not in seen:
                seen["at_paint"] = loaded()
                seen["collecting_at_paint"] = gc.isenabled()
                seen["tasks"] = watched.task_model.rowCount()
                seen["notes"] = watched.note_model.rowCount()
                seen["read_state"] = watched.app.loaded  # not when a saved screen shows
                import linecache  # PySide's import hook read sources through it (feature_hook)
                seen["sources_read"] = sorted(  # all but the top package, imported before the hook
                    f for f in linecache.cache
                    if "desktop_app" in f and not f.endswith("desktop_app/__init__.py")
                )
                import PySide6.QtGui as gui
                import PySide6.QtWidgets as widgets  # the classes PySide has made so far
                made = {**vars(gui), **vars(widgets)}
                seen["qt_classes"] = sorted(n for n in LATE_QT if n in made)
                # Posted now, this runs once the whole window has painted (the window's
                # own filter, installed before this one, posts its first_painted after).
                QTimer.singleShot(0, lambda: seen.__setitem__(
                    "qt_classes_paint_pass",
                    sorted(n for n in PAINT_PASS_QT if n in {**vars(gui), **vars(widgets)}),
                ))
                seen["styled"] = [  # the first style sheet costs ~15 ms: after the paint
                    w.objectName() or type(w).__name__
                    for w in [watched, *watched.findChildren(QWidget)]
                    if w.styleSheet()
                ]
                watched.first_painted.connect(lambda: QTimer.singleShot(0, lambda: finish(watched)))
        return False

# The spy watches the main window alone: one on the whole application would make
# PySide wrap every object that gets an event (and so make every widget class).
spy = FirstPaint()
shown = MainWindow.showEvent
def show_event(window, event):
    window.installEventFilter(spy)
    shown(window, event)
MainWindow.showEvent = show_event
code = launcher.main(["--data-dir", sys.argv[1]])
print(json.dumps({**seen, "code": code}))
"""


@pytest.mark.parametrize("place", ["tasks", "a note"])
def test_the_first_paint_comes_before_sync_keyring_and_dialogs(tmp_path: Path, place) -> None:
    """Also when the last session left a note open (it comes back at start), but for the
    note editor, which that paint shows. The first start reads the state before its
    paint; the second paints from the screen the first saved (``ui.first_screen``)."""
    from PySide6.QtCore import QSettings

    from desktop_app.app import App
    from desktop_app.ui import profile

    with App(tmp_path / "data") as app:  # something to show, from the checkpoint
        app.add_task("on screen at once")
        note = app.add_note("and a note: neither list is empty", body="# Heading\n\n- [ ] a box")
        app.checkpoint()
    if place == "a note":
        ini = tmp_path / "data" / profile.SETTINGS_FILE
        settings = QSettings(str(ini), QSettings.Format.IniFormat)
        settings.setValue("place/tab", "notes")
        settings.setValue("place/note", note)
        settings.sync()
    for start, saved_screen in enumerate((False, True)):
        seen = start_once(tmp_path / "data")
        assert seen["code"] == 0, start
        assert (seen["read_state"], seen["read_state_after"]) == (not saved_screen, True)
        check_first_paint(seen, place)


def start_once(data_dir: Path) -> dict:
    """What ``SCRIPT`` saw of one start of the app on ``data_dir``, to its window closed."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(data_dir),
            json.dumps([*DEFERRED, *NOTE_EDITOR]),
            json.dumps([*LATE_QT_CLASSES, *NOTE_EDITOR_QT_CLASSES]),
            json.dumps(PAINT_PASS_QT_CLASSES),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_first_paint(seen: dict, place: str) -> None:
    # What the first paint shows was on screen: the checkpoint's (or the saved screen's).
    assert seen["tasks" if place == "tasks" else "notes"] == 1
    editor = (list(NOTE_EDITOR), list(NOTE_EDITOR_QT_CLASSES))
    expected = ([], []) if place == "tasks" else (sorted(editor[0]), sorted(editor[1]))
    assert (seen["at_paint"], seen["qt_classes"]) == expected, "made before the first paint"
    assert seen["qt_classes_paint_pass"] == [], "made by the first paint pass"
    assert seen["sources_read"] == [], "PySide's import hook parsed our sources"
    assert seen["styled"] == [], f"style sheets before the first paint: {seen['styled']}"
    # The cycle collector waits for the paint (it only walked the decoded items again)...
    assert (seen["collecting_at_paint"], seen["collecting_after"]) == (False, True)
    # What start-up made is out of the collector's reach (a full pass skips the vault).
    assert seen["frozen_after"] > 10_000
    assert seen["icons_after"] == [True, True]  # the window's, and dialogs'
    assert seen["style_after"] == "VisibleIndicators"  # check boxes framed for dark palettes
    # ...and they do arrive right after it: sync starts, the conflict panel attaches.
    for name in (
        "desktop_app.ui.sync_worker",
        "desktop_app.ui.conflict_panel",
        "keyring",
        *editor[0],
    ):
        assert name in seen["after"], seen["after"]


def test_sidebar_rows_keep_their_padding_without_a_style_sheet(qtbot, tmp_path: Path) -> None:
    """The room around each sidebar entry (once a style sheet's) comes from its delegate:
    rows 6 px taller than plain ones, and a rename field over the whole row."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate

    from desktop_app.app import App
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.scope import list_scope

    with App(tmp_path / "data") as app:
        list_id = app.add_list("Errands")
        window = MainWindow(app)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        view = window.sidebar.view
        padded = view.sizeHintForRow(0)
        view.setItemDelegate(QStyledItemDelegate(view))
        assert padded == view.sizeHintForRow(0) + 6
        window.sidebar.view.setItemDelegate(window.sidebar.delegate)
        window.sidebar.select_scope(list_scope(list_id))
        window.sidebar.rename_current()
        editor = view.findChild(QLineEdit)
        assert editor is not None and editor.hasFrame()
        assert editor.geometry() == view.visualRect(view.currentIndex())
        qtbot.keyClick(editor, Qt.Key.Key_Escape)
        window.close()


def test_an_empty_state_placed_late_still_shows_over_its_list(qtbot, tmp_path: Path) -> None:
    """A list with rows at start leaves its empty state off the viewport until it empties."""
    from desktop_app.app import App
    from desktop_app.ui.main_window import MainWindow

    with App(tmp_path / "data") as app:
        app.add_task("Buy milk")
        window = MainWindow(app)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert not window.task_empty.isVisible()
        window.filter_edit.setText("zebra")
        assert window.task_empty.isVisible()
        assert window.task_empty.parent() is window.task_view.viewport()
        assert window.task_empty.geometry().width() == window.task_view.viewport().width() - 48
        assert window.task_empty.text() == "No tasks match “zebra”. Escape clears the filter."
        window.filter_edit.clear()
        assert not window.task_empty.isVisible()
        window.close()


def test_the_task_table_asks_for_no_row_labels(qtbot, tmp_path: Path) -> None:
    """Its row header is hidden before the model comes: a visible one asked for ~900
    labels of 10,000 rows (a Python call each) before the first paint."""
    from PySide6.QtCore import Qt

    from desktop_app.app import App
    from desktop_app.ui.models import TaskTableModel
    from desktop_app.ui.session import AppSession
    from desktop_app.ui.task_view import TaskTable

    asked: list[int] = []

    class Counting(TaskTableModel):
        def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
            if orientation == Qt.Orientation.Vertical:
                asked.append(section)
            return super().headerData(section, orientation, role)

    with App(tmp_path / "data") as app:
        app.dispatch_steps(
            [
                step
                for n in range(300)
                for step in app.new_task_steps(f"t{n}", created=app._stamp()[1], lists={})[1]
            ]
        )
        session = AppSession(app)
        table = TaskTable(Counting(session))
        qtbot.addWidget(table)
        table.show()
        qtbot.waitExposed(table)
        assert table.model().rowCount() == 300
        assert asked == []
        table.close()
