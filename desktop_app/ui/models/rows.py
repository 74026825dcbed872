"""A table model whose rows are immutable items with ids, refreshed by diffing.

The state is immutable and persistent, so an unchanged item is the *same
object* in the next state: a refresh compares row ids and item identity and
emits the narrowest signal that is correct: ``dataChanged`` for the rows that
changed (a done toggle touches one row), ``rowsInserted``/``rowsRemoved`` for
pure additions or removals (the view keeps its selection), and a reset only
when rows moved.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from desktop_app.core import Action, State, load_order, transitions
from desktop_app.ui.models.corpus import Corpus
from desktop_app.ui.scope import ALL, Haystacks, Scope
from desktop_app.ui.session import AppSession

ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ITEM_IDS_MIME = "application/x-tidemark-item-ids"  # dragged tasks and notes, one id a line
# Typing on searches only the last matches while they are at most this share of
# the rows (1/4); more, and the joined texts are searched faster than them one by one.
NARROW_SHARE = 4


def item_ids_of(data: QMimeData) -> list[str]:
    if not data.hasFormat(ITEM_IDS_MIME):
        return []
    text = bytes(data.data(ITEM_IDS_MIME).data()).decode("utf-8", "replace")
    return [line for line in text.split("\n") if line]


AnyIndex = QModelIndex | QPersistentModelIndex


class HasId(Protocol):
    @property
    def id(self) -> str: ...


def _is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted indexes as inclusive (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class RowsModel(QAbstractTableModel):
    """Subclasses give ``HEADERS``, ``select(state)`` and ``data`` for their items."""

    HEADERS: ClassVar[tuple[str, ...]] = ("",)

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._state = session.state
        self._padding = 0  # rows reported before they are known (``show_rows_to_come``)
        self._rows: list[Any] = list(self.select(self._state))
        self._reindex()
        session.state_changed.connect(self._on_state)

    # -- what subclasses provide ---------------------------------------------------

    def select(self, state: State) -> Sequence[HasId]:
        raise NotImplementedError

    def affected(self, old: State, new: State) -> bool:
        """False when the change cannot touch these rows (cheap identity checks)."""
        return True

    def patch(self, old: State, new: State) -> bool:
        """Bring the rows from ``old`` to ``new`` by the items that changed alone, and
        signal it; False when that cannot be known (then ``refresh`` selects anew)."""
        return False

    # -- access ------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    def item_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def id_at(self, row: int) -> str | None:
        item = self.item_at(row)
        return item.id if item is not None else None

    def row_of(self, item_id: str | None) -> int:
        """The row showing ``item_id``, or -1."""
        if item_id is None:
            return -1
        if self._index is None:
            self._index = {r.id: i for i, r in enumerate(self._rows)}
        return self._index.get(item_id, -1)

    def ids(self) -> list[str]:
        return [r.id for r in self._rows]

    # -- Qt model API ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows) + self._padding

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def show_rows_to_come(self, total: int) -> None:
        """Report ``total`` rows while only the first are known (a saved first screen's),
        so the scroll bar is sized for the whole view from the first paint. The rest
        read as empty; the next refresh replaces them all, with one reset."""
        extra = total - self.rowCount()
        if extra > 0:
            first = self.rowCount()
            self.beginInsertRows(QModelIndex(), first, first + extra - 1)
            self._padding += extra
            self.endInsertRows()

    # -- refreshing --------------------------------------------------------------------

    def _on_state(self, state: State, action: Action | None) -> None:
        # Read the store, not the signal's argument: a dispatch made while an
        # earlier notification is still being delivered (a note saved because the
        # selection moved) makes later slots of that earlier emit see an older state.
        old, self._state = self._state, self._session.state
        changed = self._state is not old and self.affected(old, self._state)
        if changed and (self._padding or not self.patch(old, self._state)):
            self.refresh()

    def refresh(self) -> None:
        """Recompute the rows (after a state, scope or filter change) and signal the diff."""
        self._state = self._session.state
        new = list(self.select(self._state))
        old_ids, new_ids = self.ids(), [r.id for r in new]
        if self._padding:
            self._reset_to(new)
        elif old_ids == new_ids:
            self._replace_changed(new)
        elif len(new_ids) > len(old_ids) and _is_subsequence(old_ids, new_ids):
            self._insert_missing(new)
            self._replace_changed(new)
        elif len(new_ids) < len(old_ids) and _is_subsequence(new_ids, old_ids):
            self._remove_gone(set(new_ids))
            self._replace_changed(new)
        else:
            self._reset_to(new)

    def _reset_to(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._padding = 0
        self._reindex()
        self.endResetModel()

    def _reindex(self) -> None:
        """Forget the row of each id; ``row_of`` finds them again when first asked (a
        keystroke that leaves 20,000 rows need not index them)."""
        self._index: dict[str, int] | None = None

    def _replace_changed(self, new: list[Any]) -> None:
        # Identity first (free for untouched items); equality spares a repaint when
        # a row was rebuilt with the same values (the sidebar's pseudo rows).
        changed = [
            i for i, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a is not b and a != b
        ]
        self._rows = new
        last_column = self.columnCount() - 1
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def _insert_missing(self, new: list[Any]) -> None:
        known = {r.id for r in self._rows}
        positions = [i for i, r in enumerate(new) if r.id not in known]
        for first, last in _runs(positions):  # left to right: earlier inserts fix the offsets
            self.beginInsertRows(QModelIndex(), first, last)
            self._rows[first:first] = new[first : last + 1]
            self._reindex()
            self.endInsertRows()

    def _remove_gone(self, keep: set[str]) -> None:
        positions = [i for i, r in enumerate(self._rows) if r.id not in keep]
        for first, last in reversed(_runs(positions)):  # right to left: offsets stay valid
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self._reindex()
            self.endRemoveRows()


class _Unfiltered:
    """The scope's rows before the filter, with their search texts, for one state and view."""

    def __init__(self, maps: tuple[object, ...], settings: tuple[object, ...], items: list) -> None:
        self.maps, self.settings, self.items = maps, settings, items
        self.texts: list[str] | None = None  # filled on the first keystroke
        self.corpus: Corpus | None = None  # the texts joined, made for keystrokes

    def fits(self, maps: tuple[object, ...], settings: tuple[object, ...]) -> bool:
        same_maps = len(maps) == len(self.maps) and all(
            a is b for a, b in zip(maps, self.maps, strict=True)
        )
        return same_maps and settings == self.settings


class ScopedRowsModel(RowsModel):
    """Rows narrowed by the sidebar's scope and the filter box (tasks and notes).

    A keystroke in the filter must take less than a frame over 12,000 items (and
    as little as can be over 120,000), so the scope's rows (sorted) are kept with
    their case-folded search texts while the state and the view settings stay the
    same. A keystroke searches the texts joined in one string (``Corpus``), or,
    typing on, only the last matches when they are few. The filtered rows replace
    the old ones with one model reset (``KeepCurrent`` restores the current row by
    id): cheaper than removing thousands of scattered rows run by run.
    """

    SEARCHED: ClassVar[str] = "tasks"  # the State map whose items the filter searches

    def __init__(self, session: AppSession, parent: QObject | None = None) -> None:
        self._scope: Scope = ALL
        self._filter = ""
        self._haystacks = Haystacks()
        self._unfiltered: _Unfiltered | None = None
        self._last_match: tuple[_Unfiltered, str, list, list[str]] | None = None
        self._typing = False  # selecting for a keystroke: worth joining the texts
        super().__init__(session, parent)

    def first_rows(self, state: State, count: int) -> tuple[list[Any], int]:
        """The first ``count`` rows ``state`` gives this scope with no filter typed, and
        how many rows it gives."""
        shown = state is self._state and not self._filter.strip() and not self._padding
        rows = self._rows if shown else list(self.select_unfiltered(state))
        return rows[:count], len(rows)

    # -- what subclasses provide instead of ``select`` ------------------------------------

    def select_unfiltered(self, state: State) -> Sequence[HasId]:
        """The scope's rows in display order, as if the filter were empty."""
        raise NotImplementedError

    def unfiltered_key(self, state: State) -> tuple[tuple[object, ...], tuple[object, ...]]:
        """(state maps compared by identity, settings compared by value) that
        ``select_unfiltered`` depends on. The first map holds the rows' items."""
        raise NotImplementedError

    def shows(self, state: State, item: Any) -> bool:
        """Whether ``select_unfiltered(state)`` has ``item`` among its rows."""
        raise NotImplementedError

    def order_key(self, item: Any) -> object:
        """What the rows' order reads of one item: two items that agree on it keep
        their places whatever else changed (compared with ``==``)."""
        raise NotImplementedError

    def insert_key(self) -> Callable[[Any], Any] | None:
        """A key the rows are sorted by, strictly ascending, to place a new row by
        bisection; None when the order has no such key (then a new row selects anew)."""
        return None

    def patch(self, old: State, new: State) -> bool:
        """An edit changes an item or two of 100,000: selecting and sorting every
        task again took ~90 ms of each edit there. When ``core.transitions`` names the
        items changed since ``old``, no filter is typed, and nothing else the rows
        depend on changed, each changed item keeps its row if its order key is the
        same, leaves it if it no longer shows, and (where ``insert_key`` allows) finds
        its place by bisection if it now shows. Anything else: False.
        tests/test_rows_patch.py compares the rows with a fresh selection after
        every step of random edits."""
        base = self._unfiltered
        if base is None or self._filter.strip() or len(base.items) != len(self._rows):
            return False
        maps, settings = self.unfiltered_key(new)
        old_maps = self.unfiltered_key(old)[0]
        if not base.fits(old_maps, settings) or any(
            a is not b for a, b in zip(maps[1:], old_maps[1:], strict=True)
        ):
            return False
        ids = transitions.between(old, new)
        if ids is None:
            return False
        old_items, new_items = old_maps[0], maps[0]
        kept: list[Any] = []
        gone: list[str] = []
        added: list[Any] = []
        for item_id in ids:
            before = old_items.get(item_id)  # type: ignore[attr-defined]
            after = new_items.get(item_id)  # type: ignore[attr-defined]
            if before is after:
                continue
            was = before is not None and self.shows(old, before)
            now = after is not None and self.shows(new, after)
            if was and now:
                if self.order_key(before) != self.order_key(after):
                    return False
                kept.append(after)
            elif was:
                gone.append(item_id)
            elif now:
                added.append(after)
        key = self.insert_key()
        if added and key is None:
            return False
        self._apply_patch(kept, gone, added, key)
        self._unfiltered = _Unfiltered(maps, settings, list(self._rows))
        self._last_match = None
        return True

    def _apply_patch(
        self, kept: list[Any], gone: list[str], added: list[Any], key: Callable[[Any], Any] | None
    ) -> None:
        """Changed rows in place, then removals right to left, then insertions."""
        last_column = self.columnCount() - 1
        for item in kept:
            row = self._row_by_key(item, key)
            self._rows[row] = item
            self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
        for row in sorted((self.row_of(item_id) for item_id in gone), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self._reindex()
            self.endRemoveRows()
        if added and key is not None:
            for item in sorted(added, key=key):
                row = bisect.bisect_right(self._rows, key(item), key=key)
                self.beginInsertRows(QModelIndex(), row, row)
                self._rows.insert(row, item)
                self._reindex()
                self.endInsertRows()

    def select(self, state: State) -> Sequence[HasId]:
        maps, settings = self.unfiltered_key(state)
        base = self._unfiltered
        if base is None or not base.fits(maps, settings):
            base = self._unfiltered = _Unfiltered(
                maps, settings, list(self.select_unfiltered(state))
            )
            self._last_match = None
        needle = self._filter.strip().casefold()
        if not needle:
            return base.items
        if base.texts is None:
            base.texts = [self._haystacks(item) for item in base.items]
        items, texts = base.items, base.texts
        last = self._last_match
        if (
            last is not None
            and last[0] is base
            and last[1] in needle
            and len(last[2]) * NARROW_SHARE <= len(items)
        ):
            items, texts = last[2], last[3]  # typing on: only the last matches can match
            hits = [i for i, text in enumerate(texts) if needle in text]
        elif base.corpus is not None or self._typing:
            if base.corpus is None:
                base.corpus = Corpus(texts)
                base.texts = texts = list(base.corpus.texts)  # the copies side by side
            hits = base.corpus.matching(needle)
        else:  # a change while filtered: one pass, no corpus to make
            hits = [i for i, text in enumerate(texts) if needle in text]
        if len(hits) == len(items):  # all of them (a common letter): no copies to make
            found, found_texts = items, texts
        else:
            found, found_texts = [items[i] for i in hits], [texts[i] for i in hits]
        self._last_match = (base, needle, found, found_texts)
        return found

    def _row_by_key(self, item: Any, key: Callable[[Any], Any] | None) -> int:
        """The row of ``item``'s id: by bisection in a keyed order, sparing the first
        edit the index of every row (~30 ms at 100,000 tasks); else by the index."""
        if key is not None and self._index is None:
            row = bisect.bisect_left(self._rows, key(item), key=key)
            if row < len(self._rows) and self._rows[row].id == item.id:
                return row
        return self.row_of(item.id)

    @property
    def scope(self) -> Scope:
        return self._scope

    def set_scope(self, scope: Scope) -> None:
        if scope != self._scope:
            self._scope = scope
            self.refresh()

    def set_filter(self, text: str) -> None:
        if text != self._filter:
            self._filter = text
            self._state = self._session.state
            self._typing = True
            try:
                rows = list(self.select(self._state))
            finally:
                self._typing = False
            self._reset_to(rows)  # see the class docstring
            if not text:
                self._haystacks.forget_missing(self._state)

    def warm_search(self) -> None:
        """Prepare every item's search text now (the filter got focus), not on the first key."""
        for item in load_order.values(getattr(self._state, self.SEARCHED)):
            self._haystacks(item)
        self.select(self._state)  # the scope's rows, as the first key finds them
        base = self._unfiltered
        if base is not None and base.texts is None:
            base.texts = [self._haystacks(i) for i in base.items]
        if base is not None and base.corpus is None and base.texts is not None:
            base.corpus = Corpus(base.texts)
            base.texts = list(base.corpus.texts)

    # -- dragging rows onto the sidebar ---------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        ids = [item_id for r in rows if (item_id := self.id_at(r)) is not None]
        data = QMimeData()
        data.setData(ITEM_IDS_MIME, "\n".join(ids).encode())
        data.setText("\n".join(self.item_at(r).title for r in rows if self.item_at(r)))
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction
