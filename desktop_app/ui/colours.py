"""Colours derived from the palette, so a dark palette reads as well as a light one.

Fixed colours (a red for overdue, a yellow banner) suit one palette and fail
the other: red on near-black, or a glaring light box in a dark window. Each
colour here starts from a hue that says what it means and is then moved
toward the palette's text or base until it keeps WCAG's 4.5:1 contrast
against the background it is drawn on.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

MIN_CONTRAST = 4.5  # WCAG AA for body text
Role = QPalette.ColorRole

_RED = QColor(200, 30, 30)
_ORANGE = QColor(205, 95, 0)
_AMBER = QColor(255, 196, 0)
_WHITE, _BLACK = QColor(255, 255, 255), QColor(0, 0, 0)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = colour.red(), colour.green(), colour.blue()
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: QColor, b: QColor, share: float) -> QColor:
    """``a`` with ``share`` of ``b`` blended in."""
    return QColor(
        round(a.red() * (1 - share) + b.red() * share),
        round(a.green() * (1 - share) + b.green() * share),
        round(a.blue() * (1 - share) + b.blue() * share),
    )


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Base).lightness() < 128


def readable(colour: QColor, background: QColor, *more: QColor) -> QColor:
    """``colour``, moved toward black or white (whichever is farther from ``background``)
    just enough to reach ``MIN_CONTRAST`` against it and every one of ``more``."""
    extreme = _WHITE if luminance(background) < 0.18 else _BLACK
    backgrounds = (background, *more)
    for step in range(11):
        moved = mix(colour, extreme, step / 10)
        if all(contrast(moved, b) >= MIN_CONTRAST for b in backgrounds):
            return moved
    return extreme


def _rows(palette: QPalette) -> tuple[QColor, QColor]:
    """A list's two row backgrounds (alternating rows)."""
    return palette.color(Role.Base), palette.color(Role.AlternateBase)


def muted(palette: QPalette) -> QColor:
    """Secondary text (done tasks, tags, list names): quieter than text, still readable."""
    text, base = palette.color(Role.Text), palette.color(Role.Base)
    return readable(mix(text, base, 0.45), *_rows(palette))


def overdue(palette: QPalette) -> QColor:
    return readable(_RED, *_rows(palette))


def high_priority(palette: QPalette) -> QColor:
    return readable(_ORANGE, *_rows(palette))


def placeholder(palette: QPalette) -> QColor:
    """The empty-state sentence: the palette's placeholder colour, made readable."""
    return readable(palette.color(Role.PlaceholderText), *_rows(palette))


def placeholder_on_window(palette: QPalette) -> QColor:
    """A hint drawn on the window (not in a list): quiet, readable."""
    return readable(palette.color(Role.PlaceholderText), palette.color(Role.Window))


def mark(palette: QPalette) -> tuple[QColor, QColor]:
    """(background, text) of a search match: amber over the base, the palette's text on it."""
    base, text = palette.color(Role.Base), palette.color(Role.Text)
    background = mix(base, _AMBER, 0.35 if is_dark(palette) else 0.6)
    return background, readable(text, background)


def banner(palette: QPalette) -> tuple[QColor, QColor]:
    """(background, text) of the conflict banner: a warm tint of the window, plain text."""
    window, text = palette.color(Role.Window), palette.color(Role.WindowText)
    background = mix(window, _AMBER, 0.18 if is_dark(palette) else 0.22)
    return background, readable(text, background)


def changed_words(palette: QPalette) -> tuple[QColor, QColor]:
    """(background, text) of the words that differ between two versions (conflict panel)."""
    return mark(palette)


def warning_text(palette: QPalette) -> QColor:
    """The conflict badge's bold text on the window."""
    return readable(_ORANGE, palette.color(Role.Window))
