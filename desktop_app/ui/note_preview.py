"""The rendered note: Markdown as rich text whose links act.

A task box is a link to its source line (ticking it is asked of the editor, so
it becomes one action); a ``[[wiki link]]`` asks to open (or create) that note;
anything else with a scheme opens in the browser. The HTML comes from
``desktop_app.app.markdown``; this widget only shows it and routes clicks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop_app.ui import colours

if TYPE_CHECKING:  # rendering is imported with the first note shown, not at start-up
    from desktop_app.app import markdown


def _css(palette: QPalette) -> str:
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    link = palette.color(QPalette.ColorRole.Link).name()
    dark = base.lightness() < 128
    code_bg = base.lighter(160).name() if dark else base.darker(106).name()
    muted = colours.muted(palette).name()
    return f"""
        body {{ color: {text.name()}; }}
        a {{ color: {link}; }}
        a.missing {{ color: {muted}; }}
        a.task {{ text-decoration: none; font-size: large; }}
        code {{ background-color: {code_bg}; font-family: monospace; }}
        pre {{ background-color: {code_bg}; font-family: monospace; padding: 6px; }}
        blockquote {{ color: {muted}; margin-left: 12px; }}
        blockquote p {{ color: {muted}; font-style: italic; }}
        ul.contains-task-list {{ -qt-list-indent: 0; margin-left: 4px; }}
        th {{ background-color: {code_bg}; }}
        li.task-list-item {{ list-style-type: none; }}
    """


class NotePreview(QTextBrowser):
    task_clicked = Signal(int)  # the source line of the box
    note_link_clicked = Signal(str)  # note id
    new_note_requested = Signal(str)  # a title no note has yet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notePreview")
        self.setOpenLinks(False)  # every click goes through _on_anchor
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor)
        self._source: tuple[str, object] | None = None
        self.apply_palette()

    def apply_palette(self) -> None:
        self.document().setDefaultStyleSheet(_css(self.palette()))

    def show_markdown(self, body: str, resolve: markdown.Resolve, context: object = None) -> bool:
        """Render ``body``, keeping the scroll position (a tick must not jump the view).

        Nothing is redone while ``body`` and ``context`` (what ``resolve`` reads) are the
        same; returns whether the document was replaced.
        """
        if (body, context) == self._source:
            return False
        self._source = (body, context)
        bar = self.verticalScrollBar()
        position = bar.value()
        from desktop_app.app import markdown

        self.setHtml(markdown.render(body, resolve))
        bar.setValue(position)
        return True

    def clear_note(self) -> None:
        self._source = None
        self.clear()

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("#"):
            self.scrollToAnchor(text[1:])
            return
        from desktop_app.app import markdown

        scheme, value = markdown.link_target(text)
        if scheme == markdown.TASK_SCHEME:
            self.task_clicked.emit(int(value))
        elif scheme == markdown.NOTE_SCHEME:
            self.note_link_clicked.emit(value)
        elif scheme == markdown.NEW_NOTE_SCHEME:
            self.new_note_requested.emit(value)
        elif url.scheme():  # a relative link names nothing outside the note
            QDesktopServices.openUrl(url)
