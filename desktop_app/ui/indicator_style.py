"""Check boxes that can be seen on a dark palette.

Fusion (Qt's style on Linux desktops without a platform theme) frames a check box
in the window colour made 40% darker. On a light palette that is a grey line on
white; on a dark one it is near-black on near-black, and an unticked box in the
task list or the settings dialog all but vanishes. ``VisibleIndicators`` draws the
frame again, in a colour moved from Fusion's toward the text until it keeps
WCAG's 3:1 contrast for interface parts against the backgrounds around it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from desktop_app.ui import colours

MIN_FRAME_CONTRAST = 3.0  # WCAG 2.1, 1.4.11: non-text contrast of interface parts
Role = QPalette.ColorRole


_FRAMES: dict[int, QColor] = {}  # by QPalette.cacheKey(): a list paints many boxes


def frame_colour(palette: QPalette) -> QColor:
    """Fusion's frame colour, moved toward the text just enough to stand out from
    the box's fill (the base), the rows it sits on and the window around it."""
    key = palette.cacheKey()
    colour = _FRAMES.get(key)
    if colour is None:
        if len(_FRAMES) > 64:  # palettes come and go (a theme change): keep a few
            _FRAMES.clear()
        colour = _FRAMES[key] = _frame_colour(palette)
    return colour


def _frame_colour(palette: QPalette) -> QColor:
    fusion = palette.color(Role.Window).darker(140)
    text = palette.color(Role.Text)
    around = (
        palette.color(Role.Base),
        palette.color(Role.AlternateBase),
        palette.color(Role.Window),
    )
    for step in range(21):
        moved = colours.mix(fusion, text, step / 20)
        if all(colours.contrast(moved, b) >= MIN_FRAME_CONTRAST for b in around):
            return moved
    return text


class VisibleIndicators(QProxyStyle):
    """The default style, with a check box frame that keeps its contrast."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element != QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            return  # an item view's check (PE_IndicatorItemViewItemCheck) comes here too
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.translate(0.5, 0.5)  # on the pixel centres, as Fusion draws its frame
        painter.setBrush(Qt.BrushStyle.NoBrush)
        focused = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_KeyboardFocusChange
        if (option.state & focused) == focused:
            painter.setPen(QPen(option.palette.color(Role.Highlight)))
        else:
            painter.setPen(QPen(frame_colour(option.palette)))
        painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()


def install(qt_app: QApplication) -> None:
    """Wrap the application's style (once); widgets made afterwards use it."""
    style = qt_app.style()
    if not isinstance(style, VisibleIndicators):
        # By name: the style the user chose (-style, QT_STYLE_OVERRIDE), not the default.
        qt_app.setStyle(VisibleIndicators(style.name()))
