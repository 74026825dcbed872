"""The note pane: Markdown source and its preview, tags, pin and backlinks.

The body is saved as one action per editing burst, never per keystroke.

A burst ends when typing pauses for ``idle_ms`` or the editor loses focus (or
the window switches note, undoes, deletes or closes: they all ``flush()``
first). Each save carries the body the burst started from as ``base``, so when
another device changed the note meanwhile the handler keeps both versions
instead of silently overwriting one.

The preview sits beside the source (``SPLIT``) or in its place (``PREVIEW``);
Ctrl+E toggles in place. A box ticked in the preview is one ``set_note_body``
action of its own, made after any unsaved typing was saved.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import Action, Note, State, rules, views
from desktop_app.core import actions as act
from desktop_app.ui import colours
from desktop_app.ui.markdown_highlighter import MarkdownHighlighter
from desktop_app.ui.note_preview import NotePreview
from desktop_app.ui.scope import MAX_MARKS
from desktop_app.ui.session import AppSession

IDLE_MS = 800
PREVIEW_DELAY_MS = 120  # re-render after a typing pause this short


class NoteMode(enum.Enum):
    EDIT = "edit"
    PREVIEW = "preview"
    SPLIT = "split"


def parse_tags(text: str) -> set[str]:
    """``"#home, errand"`` -> ``{"home", "errand"}`` (the engine validates each)."""
    return {t.strip().lstrip("#") for t in text.replace(",", " ").split()} - {""}


class NoteEditor(QWidget):
    saved = Signal(str)  # note id, after a burst became one action
    conflict_link = Signal(str)  # note id: the banner's "Resolve…" link was followed
    open_note_requested = Signal(str)  # a wiki link or backlink was clicked
    mode_changed = Signal(object)  # NoteMode

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._note_id: str | None = None
        self._base = ""  # the body as last loaded or saved: the next save's base
        self._dirty = False
        self._loading = False

        self.title_label = QLabel()
        title_font = QFont(self.title_label.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title_label.setFont(title_font)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pin_button = QToolButton()
        self.pin_button.setObjectName("pinNote")
        self.pin_button.setText("Pin")
        self.pin_button.setCheckable(True)
        self.pin_button.setToolTip("Pinned notes stay at the top of the list (Ctrl+Shift+P)")
        self.pin_button.clicked.connect(self.toggle_pinned)
        self.mode_button = QToolButton()
        self.mode_button.setObjectName("noteMode")
        self.mode_button.clicked.connect(self.toggle_preview)
        self.split_button = QToolButton()
        self.split_button.setObjectName("noteSplit")
        self.split_button.setText("Side by side")
        self.split_button.setCheckable(True)
        self.split_button.setToolTip("The rendered note beside its source (Ctrl+Shift+E)")
        self.split_button.clicked.connect(self.toggle_split)
        self.tags_edit = QLineEdit()
        self.tags_edit.setObjectName("noteTags")
        self.tags_edit.setPlaceholderText("Tags: #idea #work, then Enter")
        self.tags_edit.editingFinished.connect(self._save_tags)
        self.conflict_banner = QLabel()
        self.conflict_banner.setWordWrap(True)
        self.conflict_banner.setObjectName("conflictBanner")
        self.conflict_banner.setTextFormat(Qt.TextFormat.RichText)
        self.conflict_banner.linkActivated.connect(
            lambda _: self._note_id and self.conflict_link.emit(self._note_id)
        )
        self.conflict_banner.setAutoFillBackground(True)
        self.conflict_banner.setContentsMargins(6, 4, 6, 4)
        self.conflict_banner.hide()
        self.body = QPlainTextEdit()
        self.body.setObjectName("noteBody")
        self.body.setPlaceholderText(
            "Write here in Markdown: # heading, - [ ] task, [[Note title]]. Saved as you pause."
        )
        self.body.setTabChangesFocus(False)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setFixedPitch(True)
        self.body.setFont(mono)
        self.body.installEventFilter(self)
        self.body.textChanged.connect(self._on_text_changed)
        self.highlighter = MarkdownHighlighter(self.body.document(), self.body.palette())
        self.preview = NotePreview()
        self.preview.task_clicked.connect(self.tick_task)
        self.preview.note_link_clicked.connect(self.open_note_requested)
        self.preview.new_note_requested.connect(self.create_linked_note)
        self.pages = QSplitter(Qt.Orientation.Horizontal)
        self.pages.setChildrenCollapsible(False)
        self.pages.addWidget(self.body)
        self.pages.addWidget(self.preview)
        self.backlinks_label = QLabel()
        self.backlinks_label.setObjectName("backlinks")
        self.backlinks_label.setWordWrap(True)
        self.backlinks_label.setTextFormat(Qt.TextFormat.RichText)
        self.backlinks_label.linkActivated.connect(self._on_backlink)

        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.mode_button)
        header.addWidget(self.split_button)
        header.addWidget(self.pin_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.tags_edit)
        layout.addWidget(self.conflict_banner)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.backlinks_label)

        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_MS)
        self._idle.timeout.connect(self.flush)
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(PREVIEW_DELAY_MS)
        self._render_timer.timeout.connect(self._render)
        self._mode = NoteMode.SPLIT
        self._needle = ""  # the window's filter text, highlighted in source and preview
        self._backlinks_for: tuple[object, object] | None = None
        session.state_changed.connect(self._on_state)
        self._apply_palette()
        self.set_mode(NoteMode.SPLIT)
        self._load(None)

    # -- public -----------------------------------------------------------------------

    @property
    def note_id(self) -> str | None:
        return self._note_id

    @property
    def idle_ms(self) -> int:
        return self._idle.interval()

    @idle_ms.setter
    def idle_ms(self, value: int) -> None:
        self._idle.setInterval(value)

    @property
    def has_unsaved_changes(self) -> bool:
        return self._dirty

    @property
    def mode(self) -> NoteMode:
        return self._mode

    def set_mode(self, mode: NoteMode) -> None:
        """Source only, rendered only, or both side by side."""
        self._mode = mode
        self.body.setVisible(mode is not NoteMode.PREVIEW)
        self.preview.setVisible(mode is not NoteMode.EDIT)
        reading = mode is NoteMode.PREVIEW
        self.mode_button.setText("Edit" if reading else "Read")
        self.mode_button.setToolTip(
            "Edit the Markdown source (Ctrl+E)"
            if reading
            else "Show only the rendered note (Ctrl+E)"
        )
        self.split_button.setChecked(mode is NoteMode.SPLIT)
        self._render()
        self.mode_changed.emit(mode)

    def toggle_preview(self) -> None:
        """Ctrl+E: the preview in place of the source, and back to where it was."""
        if self._mode is NoteMode.PREVIEW:
            self.set_mode(getattr(self, "_before_preview", NoteMode.EDIT))
            self.body.setFocus()
        else:
            self._before_preview = self._mode
            self.flush()
            self.set_mode(NoteMode.PREVIEW)
            self.preview.setFocus()

    def toggle_split(self) -> None:
        """The preview beside the source, or the source alone."""
        self.set_mode(NoteMode.EDIT if self._mode is NoteMode.SPLIT else NoteMode.SPLIT)

    def set_search(self, text: str) -> None:
        """Highlight the filter's matches in the source and the preview (case-blind)."""
        needle = text.strip()
        if needle != self._needle:
            self._needle = needle
            self._mark_matches(self.body)
            self._mark_matches(self.preview)

    @staticmethod
    def match_ranges(view: QTextEdit | QPlainTextEdit) -> list[tuple[int, int]]:
        """The highlighted (start, end) positions in ``view``'s document, for tests and tools."""
        return [
            (s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in view.extraSelections()
        ]

    def _mark_matches(self, view: QTextEdit | QPlainTextEdit) -> None:
        """Extra selections, not edits: the text and its undo history stay untouched."""
        selections = []
        if self._needle:
            background, foreground = colours.mark(view.palette())
            marked = QTextCharFormat()
            marked.setBackground(background)
            marked.setForeground(foreground)
            document: QTextDocument = view.document()
            found = document.find(self._needle, 0)
            while not found.isNull() and len(selections) < MAX_MARKS:
                selection = QTextEdit.ExtraSelection()
                selection.cursor, selection.format = found, marked  # type: ignore[misc]
                selections.append(selection)
                found = document.find(self._needle, found)
        view.setExtraSelections(selections)

    def tick_task(self, line: int) -> bool:
        """Tick or untick the box on source ``line``: one action, after any unsaved typing."""
        if self._note_id is None:
            return False
        self.flush()
        note = self._session.state.notes.get(self._note_id)
        from desktop_app.app import markdown

        new_body = markdown.toggle_task(note.body, line) if note else None
        if note is None or new_body is None:
            return False
        arg = act.NoteBody(id=note.id, body=new_body, base=note.body)
        return self._session.call(self._session.app.dispatch, arg)[0]

    def toggle_pinned(self) -> None:
        note = self._current()
        if note is not None:
            self._session.call(self._session.app.edit, note.id, pinned=not note.pinned)
        self._show_meta(self._current())

    def create_linked_note(self, title: str) -> None:
        """A ``[[link]]`` to a note that does not exist yet: make it (in this note's list)."""
        note = self._current()
        state = self._session.state
        target = state.lists.get(note.list_id) if note and note.list_id else None
        app = self._session.app
        ok, note_id = self._session.call(
            app.add_note, title, list_name=target.name if target else None
        )
        if ok and note_id:
            self.open_note_requested.emit(note_id)

    def set_note(self, note_id: str | None) -> None:
        """Show another note; what was typed in the previous one is saved first."""
        if note_id == self._note_id:
            return
        self.flush()
        self._note_id = note_id
        self._load(self._session.state.notes.get(note_id) if note_id else None)

    def flush(self) -> bool:
        """End the current burst: one ``set_note_body`` action if the text changed."""
        self._idle.stop()
        if not self._dirty or self._note_id is None:
            return False
        self._dirty = False
        text, base = self.body.toPlainText(), self._base
        if text == base:
            return False
        # Set before dispatching: the store's echo must not reload the editor.
        self._base = text
        arg = act.NoteBody(id=self._note_id, body=text, base=base)
        ok, _ = self._session.call(self._session.app.dispatch, arg)
        if not ok:
            self._base, self._dirty = base, True
            return False
        self.saved.emit(self._note_id)
        return True

    # -- internals ----------------------------------------------------------------------

    def _apply_palette(self) -> None:
        """Banner, Markdown styling and search marks in this palette's colours (dark mode)."""
        background, text = colours.banner(self.palette())
        banner = self.conflict_banner.palette()
        banner.setColor(QPalette.ColorRole.Window, background)
        banner.setColor(QPalette.ColorRole.WindowText, text)
        banner.setColor(
            QPalette.ColorRole.Link,
            colours.readable(banner.color(banner.ColorRole.Link), background),
        )
        self.conflict_banner.setPalette(banner)
        self.highlighter.formats = self.highlighter.palette_formats(self.body.palette())
        self.highlighter.rehighlight()
        self.preview.apply_palette()
        self._mark_matches(self.body)
        self._mark_matches(self.preview)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.body and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    def _on_text_changed(self) -> None:
        if self._loading or self._note_id is None:
            return
        self._dirty = True
        self._idle.start()  # restarted by every keystroke: the burst ends on a pause
        if self._needle:  # a match typed just now is highlighted too
            self._mark_matches(self.body)
        if self.preview.isVisible():
            self._render_timer.start()

    def _current(self) -> Note | None:
        return self._session.state.notes.get(self._note_id) if self._note_id else None

    def _resolve(self, title: str) -> str | None:
        note = views.note_titled(self._session.state, title)
        return note.id if note is not None else None

    def _render(self) -> None:
        self._render_timer.stop()
        if self._mode is NoteMode.EDIT:
            return
        if self._note_id is None:
            self.preview.clear_note()
        else:
            state = self._session.state  # titles decide where wiki links lead
            if self.preview.show_markdown(self.body.toPlainText(), self._resolve, state.notes):
                self._mark_matches(self.preview)  # a new document: its marks are gone

    def _save_tags(self) -> None:
        note = self._current()
        if note is None:
            return
        wanted = parse_tags(self.tags_edit.text())
        if wanted != note.tags:
            self._session.call(
                self._session.app.edit,
                note.id,
                add_tags=sorted(wanted - note.tags),
                remove_tags=sorted(note.tags - wanted),
            )
        self._show_meta(self._current())

    def _show_backlinks(self, note: Note | None) -> None:
        state = self._session.state
        key = (note, state.notes)
        if key == self._backlinks_for:
            return
        self._backlinks_for = key
        linked = []
        if note is not None:  # Markdown is imported with the first note shown
            from desktop_app.app import markdown

            linked = markdown.backlinks(state.notes.values(), note)
        if not linked:
            self.backlinks_label.setText("")
            self.backlinks_label.hide()
            return
        import html

        links = ", ".join(
            f'<a href="{html.escape(n.id)}">{html.escape(n.title)}</a>' for n in linked
        )
        self.backlinks_label.setText(f"Linked from: {links}")
        self.backlinks_label.show()

    def _on_backlink(self, note_id: str) -> None:
        self.open_note_requested.emit(note_id)

    def _on_state(self, state: State, action: Action | None) -> None:
        if self._note_id is None:
            return
        note = self._session.state.notes.get(self._note_id)  # the latest (see RowsModel)
        if note is None:  # deleted (undo of its creation, or another device)
            self._idle.stop()
            self._dirty = False
            self._note_id = None
            self._load(None)
        elif not self._dirty and note.body != self._base:
            self._load(note, keep_cursor=True)  # undo, redo or sync changed it
        else:
            self._show_meta(note)
            self._render()  # a linked note may have been added, renamed or removed

    def _load(self, note: Note | None, *, keep_cursor: bool = False) -> None:
        position = self.body.textCursor().position()
        self._loading = True
        try:
            self.body.setPlainText(note.body if note else "")
        finally:
            self._loading = False
        if keep_cursor and note is not None:
            cursor = self.body.textCursor()
            end = self.body.document().characterCount() - 1  # Qt counts UTF-16 units
            cursor.setPosition(min(position, end), QTextCursor.MoveMode.MoveAnchor)
            self.body.setTextCursor(cursor)
        self._base = note.body if note else ""
        self._dirty = False
        self.body.setEnabled(note is not None)
        self._mark_matches(self.body)
        self._show_meta(note)
        self._render()

    def _show_meta(self, note: Note | None) -> None:
        self.title_label.setText(note.title if note else "No note selected")
        for widget in (self.pin_button, self.tags_edit, self.mode_button, self.split_button):
            widget.setEnabled(note is not None)
        self.pin_button.setChecked(bool(note and note.pinned))
        self.pin_button.setText("Pinned" if note and note.pinned else "Pin")
        if not self.tags_edit.hasFocus():
            self.tags_edit.setText(" ".join(f"#{t}" for t in sorted(note.tags)) if note else "")
        self._show_backlinks(note)
        found = [p for p in rules.problems(self._session.state) if note and note.id in p.ids]
        if note is not None and found:
            import html

            words = html.escape(found[0].message[:1].upper() + found[0].message[1:])
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self.conflict_banner.setText(
                f"{words}{more}. Nothing was lost. <a href='conflicts'>Resolve…</a>"
            )
            self.conflict_banner.show()
        else:
            self.conflict_banner.hide()
