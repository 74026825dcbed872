"""`python -m benchmarks --quick --json` runs every benchmark module to the end.

Checks shape, not speed: each ``benchmarks/bench_*.py`` yields at least one
well-formed figure, none failed, and a peer that is not installed here is
reported as skipped with the reason. Timings are never asserted.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"name", "value", "unit", "floor_name", "floor_value", "ratio", "goal", "met"}

pytestmark = pytest.mark.slow


def bench_modules() -> set[str]:
    return {p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py")}


def test_quick_run_yields_well_formed_figures_from_every_module() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert {r["module"] for r in records} == bench_modules()
    names = [r["name"] for r in records]
    assert len(names) == len(set(names)), "two figures share a name"
    for rec in records:
        assert rec.keys() >= FIELDS, rec
        assert "error" not in rec, rec
        if rec.get("skipped"):
            assert "pip install" in rec["skipped"], rec
            continue
        assert isinstance(rec["value"], int | float) and math.isfinite(rec["value"]), rec
        assert rec["unit"], rec  # "extra cost" figures may be negative: no sign check
        if rec["floor_value"] is not None:
            assert rec["floor_name"] and rec["floor_value"] > 0, rec
            assert rec["ratio"] == pytest.approx(rec["value"] / rec["floor_value"], rel=1e-2)
        if rec["goal"] is not None:
            assert isinstance(rec["met"], bool), rec
        else:
            assert rec["met"] is None, rec


def test_a_new_module_with_measure_is_picked_up(tmp_path: Path) -> None:
    """Discovery is by file name: a bench_*.py defining measure needs no registration."""
    (tmp_path / "bench_zz_probe.py").write_text(
        "import harness\n\n"
        "def measure(quick):\n"
        "    return [harness.record('probe', 2.0, 's', floor_name='f', floor_value=4.0,"
        " goal='<= 1.0x')]\n"
    )
    (tmp_path / "bench_zz_helper.py").write_text("X = 1  # no measure: not a benchmark\n")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import harness

        records = harness.run(True, where=tmp_path)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
        for name in ("bench_zz_probe", "bench_zz_helper"):
            sys.modules.pop(name, None)
    assert [(r["name"], r["ratio"], r["met"], r["module"]) for r in records] == [
        ("probe", 0.5, True, "zz_probe")
    ]


def test_a_missing_peer_is_skipped_with_the_reason() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import harness

        with pytest.raises(harness.PeerMissing, match=r"pip install -e '\.\[bench\]'"):
            harness.peer("no_such_peer_module_xyz", "no-such-peer")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
