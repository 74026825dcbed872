"""Light Markdown styling for the note editor: headings, emphasis, code, links, quotes, boxes.

Only a hint of structure, as Obsidian's source mode gives: the text stays the
text. Colours come from the palette so dark mode reads as well as light.
"""

from __future__ import annotations

import re

from PySide6.QtGui import (
    QColor,
    QFont,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)

IN_FENCE = 1  # block state: inside a ``` or ~~~ code block

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s.*)?$")
_QUOTE = re.compile(r"^\s{0,3}>.*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s)?")
_INLINE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("strong", re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")),
    ("emphasis", re.compile(r"(?<![*_\w])([*_])(?=\S)(.+?)(?<=\S)\1(?![*_\w])")),
    ("link", re.compile(r"\[\[[^\[\]\n]+\]\]|\[[^\]\n]*\]\([^)\s]*\)|<https?://[^>\s]+>")),
    ("code", re.compile(r"`[^`\n]+`")),
)


def _mixed(a: QColor, b: QColor, share: float) -> QColor:
    return QColor(
        round(a.red() * (1 - share) + b.red() * share),
        round(a.green() * (1 - share) + b.green() * share),
        round(a.blue() * (1 - share) + b.blue() * share),
    )


class MarkdownHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        self.formats = self.palette_formats(palette)

    @staticmethod
    def palette_formats(palette: QPalette) -> dict[str, QTextCharFormat]:
        text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
        link = palette.color(QPalette.ColorRole.Link)
        muted = _mixed(text, base, 0.45)

        def fmt(color: QColor | None = None, *, bold: bool = False, italic: bool = False):
            f = QTextCharFormat()
            if color is not None:
                f.setForeground(color)
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            f.setFontItalic(italic)
            return f

        code = fmt(_mixed(text, link, 0.35))
        code.setBackground(_mixed(base, text, 0.07))
        return {
            "heading": fmt(link, bold=True),
            "strong": fmt(bold=True),
            "emphasis": fmt(italic=True),
            "link": fmt(link),
            "code": code,
            "fence": code,
            "quote": fmt(muted, italic=True),
            "marker": fmt(muted, bold=True),
        }

    def highlightBlock(self, text: str) -> None:
        formats = self.formats
        in_fence = self.previousBlockState() == IN_FENCE
        if _FENCE.match(text):
            self.setFormat(0, len(text), formats["fence"])
            self.setCurrentBlockState(-1 if in_fence else IN_FENCE)
            return
        if in_fence:
            self.setFormat(0, len(text), formats["fence"])
            self.setCurrentBlockState(IN_FENCE)
            return
        self.setCurrentBlockState(-1)
        if _HEADING.match(text):
            self.setFormat(0, len(text), formats["heading"])
            return
        if _QUOTE.match(text):
            self.setFormat(0, len(text), formats["quote"])
        elif match := _LIST.match(text):
            self.setFormat(0, match.end(), formats["marker"])
        for name, pattern in _INLINE:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), formats[name])
