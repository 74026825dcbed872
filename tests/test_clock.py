"""The clock's offset is the median of its recent samples (computed without ``statistics``,
which the window no longer imports at start-up)."""

from __future__ import annotations

import statistics
from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.sync.clock import _median

samples = st.lists(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=15
)


@given(samples)
def test_the_offset_median_is_statistics_median(values: list[float]) -> None:
    assert _median(deque(values)) == statistics.median(values)
