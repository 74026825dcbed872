"""Check boxes stand out on a dark palette (``ui/indicator_style``): an unticked
box in the task list and in a dialog keeps WCAG's 3:1 contrast for interface parts.

Measured on pixels the style really drew (offscreen, Fusion), so the test fails
with Fusion's own frame: near-black on near-black.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton, QTableView

from desktop_app.ui import colours, indicator_style
from desktop_app.ui.main import application
from tests.test_screenshots import dark_palette

Role = QPalette.ColorRole


@pytest.fixture(params=["dark", "light"])
def palette(request: pytest.FixtureRequest) -> Iterator[QPalette]:
    """The application in Fusion with the style ``desktop-app`` installs."""
    qt_app = QApplication.instance()
    assert isinstance(qt_app, QApplication)
    before_palette, before_style = qt_app.palette(), qt_app.style().name()
    qt_app.setStyle("Fusion")
    chosen = dark_palette() if request.param == "dark" else qt_app.style().standardPalette()
    qt_app.setPalette(chosen)
    indicator_style.install(qt_app)
    yield chosen
    qt_app.setPalette(before_palette)
    qt_app.setStyle(before_style)


def _strongest(image: QImage, rect: QRect, against: QColor) -> float:
    """The highest contrast of any pixel in ``rect`` against ``against``."""
    best = 1.0
    for y in range(rect.top(), rect.bottom() + 1):
        for x in range(rect.left(), rect.right() + 1):
            best = max(best, colours.contrast(QColor(image.pixel(x, y)), against))
    return best


def test_an_unticked_check_box_in_a_dialog_stands_out(qtbot, palette: QPalette) -> None:
    box = QCheckBox()
    qtbot.addWidget(box)
    box.resize(box.sizeHint())
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    option.initFrom(box)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    assert _strongest(image, indicator, palette.color(Role.Window)) >= 3.0
    assert _strongest(image, indicator, palette.color(Role.Base)) >= 3.0


def test_an_unticked_box_in_a_list_stands_out(qtbot, palette: QPalette) -> None:
    model = QStandardItemModel(2, 1)
    for row in range(2):  # a plain row and an alternate one
        item = QStandardItem()
        item.setCheckable(True)
        item.setCheckState(Qt.CheckState.Unchecked)
        model.setItem(row, 0, item)
    view = QTableView()
    view.setAlternatingRowColors(True)
    view.setModel(model)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    image = view.viewport().grab().toImage()
    for row, role in ((0, Role.Base), (1, Role.AlternateBase)):
        cell = view.visualRect(model.index(row, 0, QModelIndex()))
        assert _strongest(image, cell, palette.color(role)) >= 3.0


def test_install_wraps_the_style_in_use_once(qtbot) -> None:
    """The window installs it on the turn after its first paint (``main.Started``;
    ``tests/test_ui_startup.py`` checks a real start ends with it)."""
    qt_app = application()
    current = qt_app.style()  # an earlier window in this process may have wrapped it
    plain = (
        current.baseStyle().name()
        if isinstance(current, indicator_style.VisibleIndicators)
        else current.name()
    )
    qt_app.setStyle(plain)
    try:
        indicator_style.install(qt_app)
        style = qt_app.style()
        assert isinstance(style, indicator_style.VisibleIndicators)
        assert style.baseStyle().name() == plain  # the same style underneath
        indicator_style.install(qt_app)
        assert qt_app.style() is style  # not wrapped twice
    finally:
        qt_app.setStyle(plain)
