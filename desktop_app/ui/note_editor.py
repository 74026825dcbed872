"""The note body editor: saves one action per editing burst, never per keystroke.

A burst ends when typing pauses for ``idle_ms`` or the editor loses focus (or
the window switches note, undoes, deletes or closes: they all ``flush()``
first). Each save carries the body the burst started from as ``base``, so when
another device changed the note meanwhile the handler keeps both versions
instead of silently overwriting one.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop_app.core import Action, Note, State, rules
from desktop_app.core import actions as act
from desktop_app.ui.session import AppSession

IDLE_MS = 800


class NoteEditor(QWidget):
    saved = Signal(str)  # note id, after a burst became one action
    conflict_link = Signal(str)  # note id: the banner's "Resolve…" link was followed

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
        self.conflict_banner = QLabel()
        self.conflict_banner.setWordWrap(True)
        self.conflict_banner.setObjectName("conflictBanner")
        self.conflict_banner.setTextFormat(Qt.TextFormat.RichText)
        self.conflict_banner.linkActivated.connect(
            lambda _: self._note_id and self.conflict_link.emit(self._note_id)
        )
        self.conflict_banner.setStyleSheet(
            "QLabel { background: #fff4d6; color: #6b4e00; padding: 4px 6px; border-radius: 3px; }"
        )
        self.conflict_banner.hide()
        self.body = QPlainTextEdit()
        self.body.setObjectName("noteBody")
        self.body.setPlaceholderText("Write here: plain text or Markdown. Saved as you pause.")
        self.body.setTabChangesFocus(False)
        self.body.installEventFilter(self)
        self.body.textChanged.connect(self._on_text_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.conflict_banner)
        layout.addWidget(self.body, 1)

        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_MS)
        self._idle.timeout.connect(self.flush)
        session.state_changed.connect(self._on_state)
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.body and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return super().eventFilter(watched, event)

    def _on_text_changed(self) -> None:
        if self._loading or self._note_id is None:
            return
        self._dirty = True
        self._idle.start()  # restarted by every keystroke: the burst ends on a pause

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
        self._show_meta(note)

    def _show_meta(self, note: Note | None) -> None:
        self.title_label.setText(note.title if note else "No note selected")
        found = [p for p in rules.problems(self._session.state) if note and note.id in p.ids]
        if note is not None and found:
            words = html.escape(found[0].message[:1].upper() + found[0].message[1:])
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self.conflict_banner.setText(
                f"{words}{more}. Nothing was lost. <a href='conflicts'>Resolve…</a>"
            )
            self.conflict_banner.show()
        else:
            self.conflict_banner.hide()
