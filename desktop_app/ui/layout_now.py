"""A view laid out at once after its model changed, so that one paint shows the change.

A model reset leaves the view's item layout, its scroll bar and a stretched
column's width each to a later turn of the event loop, and each of those turns
repaints the view: a keystroke in the filter that shrank 10,000 rows to 11
painted the window three times (~5 ms apiece) before it showed the result. Laid
out here, before the first paint, the key costs one paint.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QAbstractItemView, QTableView


def lay_out_now(view: QAbstractItemView) -> None:
    """Do now the layout ``view`` has pending (rows, scroll bars, stretched columns)."""
    header = view.horizontalHeader() if isinstance(view, QTableView) else None
    # A column stretched by the scroll bar's going would be repainted by the table on
    # a timer of its own, after the paint that already shows it at its new width;
    # the table is not told, and ``updateGeometries`` does what it would have done.
    blocked = header.blockSignals(True) if header is not None else False
    try:
        view.executeDelayedItemsLayout()
        QCoreApplication.sendPostedEvents(view, 0)  # the scroll bar shown or hidden
        view.executeDelayedItemsLayout()
    finally:
        if header is not None:
            header.blockSignals(blocked)
    if header is not None:
        view.updateGeometries()  # type: ignore[attr-defined]  # protected in C++
