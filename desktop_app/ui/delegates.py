"""Item delegates: a priority picker, a due-date picker, the sidebar's open-task counts,
and search matches highlighted in the rows."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QMargins,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop_app.core import Priority
from desktop_app.ui import colours
from desktop_app.ui.scope import match_spans

if TYPE_CHECKING:
    from PySide6.QtGui import QTextCharFormat, QTextLayout

AnyIndex = QModelIndex | QPersistentModelIndex


class PriorityDelegate(QStyledItemDelegate):
    """Edits a priority with a combo box, so only valid values can be typed."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        from PySide6.QtWidgets import QComboBox  # an editor: its class is made when first used

        combo = QComboBox(parent)
        for priority in Priority:
            combo.addItem(priority.name.capitalize(), priority.value)
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        from PySide6.QtWidgets import QComboBox

        assert isinstance(editor, QComboBox)
        found = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        from PySide6.QtWidgets import QComboBox

        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class DueDateDelegate(QStyledItemDelegate):
    """Edits a due date with a calendar popup; clearing the field (or Delete) removes it.

    The editor keeps a 'no date' state as its minimum, shown as empty text, so a
    task can lose its due date without typing anything.
    """

    NO_DATE = QDate(2000, 1, 1)

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        from PySide6.QtWidgets import QDateEdit  # an editor: its class is made when first used

        editor = QDateEdit(parent)
        editor.setObjectName("dueEditor")
        editor.setCalendarPopup(True)
        editor.setDisplayFormat("yyyy-MM-dd")
        editor.setMinimumDate(self.NO_DATE)
        editor.setSpecialValueText(" ")  # the minimum shows as empty: no due date
        editor.setToolTip("Pick a date; the earliest (empty) one means no due date")
        return editor

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        from PySide6.QtWidgets import QDateEdit

        assert isinstance(editor, QDateEdit)
        text = index.data(Qt.ItemDataRole.EditRole) or ""
        if text:
            editor.setDate(QDate.fromString(text, "yyyy-MM-dd"))
        else:  # a fresh pick starts at today, the likeliest choice
            today = date.today()
            editor.setDate(QDate(today.year, today.month, today.day))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        from PySide6.QtWidgets import QDateEdit

        assert isinstance(editor, QDateEdit)
        picked = editor.date()
        value = "" if picked == self.NO_DATE else picked.toString("yyyy-MM-dd")
        model.setData(index, value, Qt.ItemDataRole.EditRole)


class CountDelegate(QStyledItemDelegate):
    """Paints a number from ``role`` right-aligned and muted (zero is left out).

    A row whose ``group_role`` is true gets a thin rule above it (sidebar sections).
    ``padding`` is space inside each row around its entry: the style draws the entry,
    its selection included, inset by it, as sidebars in Things or GNOME do. The style
    itself is never asked from Python: PySide would make ``QStyle`` and its enums
    (~5 ms) for the window's first paint, which shows the sidebar.
    """

    def __init__(
        self,
        role: int,
        parent: QAbstractItemView | None = None,
        group_role: int = -1,
        padding: QMargins | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = parent
        self._role = role
        self._group_role = group_role
        self._padding = padding or QMargins()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return super().sizeHint(option, index).grownBy(self._padding)

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().initStyleOption(option, index)
        if not self._padding.isNull():
            option.rect = option.rect.marginsRemoved(self._padding)  # type: ignore[attr-defined]

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        if self._padding.isNull():
            super().updateEditorGeometry(editor, option, index)
        else:  # a framed field over the whole row (createEditor), padding included
            editor.setGeometry(option.rect)  # type: ignore[attr-defined]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().paint(painter, option, index)  # inset by the padding (initStyleOption)
        if self._group_role >= 0 and index.data(self._group_role):
            painter.save()
            painter.setPen(option.palette.color(QPalette.ColorRole.Mid))  # type: ignore[attr-defined]
            top = option.rect.top()  # type: ignore[attr-defined]
            painter.drawLine(option.rect.left() + 4, top, option.rect.right() - 4, top)  # type: ignore[attr-defined]
            painter.restore()
        count = index.data(self._role)
        if not count:
            return
        painter.save()
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText)
            if self._selected(index)
            else colours.placeholder(palette)
        )
        rect = option.rect.adjusted(0, 0, -8, 0)  # type: ignore[attr-defined]
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(count)
        )
        painter.restore()

    def _selected(self, index: AnyIndex) -> bool:
        """Whether the row is drawn selected (what the style reads from the option's
        state, asked of the view instead: the state's type is ``QStyle``'s)."""
        view = self._view
        if view is None or (selection := view.selectionModel()) is None:
            return False
        return selection.isSelected(index)

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit) and not self._padding.isNull():
            editor.setFrame(True)  # a framed field over the whole row, as with the style sheet
        return editor


class MatchDelegate(QStyledItemDelegate):
    """Paints a row's text with the filter's matches highlighted (as Things and Joplin do).

    Rows without a match are painted by Qt as usual; only visible rows are ever
    painted, so a keystroke costs nothing per hidden row. ``needle`` is the
    filter text; the window sets it and repaints.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.needle = ""
        self._marked: tuple[tuple[int, int], QTextCharFormat] | None = None  # per palette

    def _mark_format(self, palette: QPalette) -> QTextCharFormat:
        # Keyed by the two colours it is made from: a row's palette is a fresh copy.
        key = (
            palette.color(QPalette.ColorRole.Base).rgba(),
            palette.color(QPalette.ColorRole.Text).rgba(),
        )
        if self._marked is None or self._marked[0] != key:
            background, foreground = colours.mark(palette)
            marked = _text_classes()[0]()
            marked.setBackground(background)
            marked.setForeground(foreground)
            self._marked = (key, marked)
        return self._marked[1]

    def warm(self, view: QWidget) -> None:
        """Make what the first highlighted paint needs before the first key (PySide makes
        each Qt class and enum type on first use, about a millisecond apiece; the text
        classes, ~5 ms of enums, wait for this rather than the window's first paint)."""
        from PySide6.QtWidgets import QStyle  # see paint

        text_layout = _text_classes()[1]
        self._mark_format(view.palette())
        text_layout("", view.font()).formats()
        text_layout.FormatRange()
        QStyleOptionViewItem()
        for _ in (
            QStyle.ControlElement.CE_ItemViewItem,
            QStyle.SubElement.SE_ItemViewItemText,
            QStyle.PixelMetric.PM_FocusFrameHMargin,
            QStyle.StateFlag.State_Selected,
        ):
            pass

    def spans(self, index: AnyIndex) -> list[tuple[int, int]]:
        """The highlighted (start, length) ranges of ``index``'s text, in UTF-16 units."""
        if not self.needle:
            return []
        return match_spans(str(index.data(Qt.ItemDataRole.DisplayRole) or ""), self.needle)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        spans = self.spans(index)
        if not spans:
            super().paint(painter, option, index)
            return
        # Here, not at the top: the first paint has no matches and makes no QStyle.
        from PySide6.QtWidgets import QStyle

        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        palette: QPalette = opt.palette  # type: ignore[attr-defined]
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        pen = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        marked = self._mark_format(widget.palette() if widget is not None else palette)
        text_layout = _text_classes()[1]
        ranges = []
        for start, length in spans:
            r = text_layout.FormatRange()
            r.start, r.length, r.format = start, length, marked
            ranges.append(r)
        layout = text_layout(text, opt.font)  # type: ignore[attr-defined]
        layout.setFormats(ranges)
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(1_000_000)
        layout.endLayout()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        painter.save()
        painter.setClipRect(rect)
        painter.setPen(pen)
        top = rect.top() + (rect.height() - line.height()) / 2
        layout.draw(painter, QPointF(rect.left() + margin, top))
        painter.restore()


@cache
def _text_classes() -> tuple[type[QTextCharFormat], type[QTextLayout]]:
    """Qt's text-format classes, made when a match is first highlighted (or the filter
    gets focus, ``MatchDelegate.warm``): ~5 ms of enums the first paint does not need."""
    from PySide6.QtGui import QTextCharFormat, QTextLayout

    return QTextCharFormat, QTextLayout
