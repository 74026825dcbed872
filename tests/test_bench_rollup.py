"""The roll-up benchmark starts both sides from the same state: the log in the page
cache (``benchmarks/bench_rollup.py``). Left alone, a kernel that pages out page
cache untouched for a minute (this machine's DAMON) made the subject read the log
from the disk in a full run, while the floor's bytes were in memory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import bench_rollup

    yield bench_rollup
    sys.modules.pop("bench_rollup", None)


def test_each_side_starts_with_the_log_in_the_page_cache(
    bench: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "log"
    folder.mkdir()
    bench.write_log(folder, 2_000)  # written durably: its pages are clean, droppable
    if not bench.evict(folder) or bench.cached_share(folder) not in (0.0,):
        pytest.skip("this file system keeps the log in memory, or cannot say")
    started: list[tuple[str, float]] = []

    def child(module: str, function: str, path: str) -> dict[str, float]:
        started.append((function, bench.cached_share(Path(path))))
        return {
            "seconds": 1.0,
            "cpu_seconds": 1.0,
            "actions": 1_000_000,
            "maxrss_mb": 1.0,
        }  # as if the full log

    monkeypatch.setattr(bench, "cached_log", lambda total: folder)
    monkeypatch.setattr(bench.harness, "in_child", child)
    monkeypatch.setattr(bench, "PAIRS", 2)
    records = bench.measure(quick=False)
    *measured, (cold, share) = started
    assert measured == [
        ("rollup_child", 1.0),
        ("floor_child", 1.0),
        ("rollup_child", 1.0),
        ("floor_child", 1.0),
    ]
    assert cold == "rollup_child" and share == 0.0  # the figure beside: out of the cache
    assert [r["name"] for r in records][-1].endswith("out of the page cache: time")
