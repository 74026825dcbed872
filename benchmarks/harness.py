"""The benchmark harness: one record per figure, discovery of ``bench_*.py``, output.

A figure is a dict with the keys of ``FIELDS``: its value and unit, the floor it is
compared with (measured in the same run, on the same machine) and the ratio
value / floor, a goal such as ``"<= 1.2x"`` (on the ratio) or ``"<= 16 ms"`` (on the
value), and whether the goal was met. Ratios carry over between machines; the
absolute values do not.

Every ``benchmarks/bench_*.py`` that defines ``measure(quick: bool) -> list[dict]``
is picked up by ``python -m benchmarks``; nothing is registered by hand.
"""

from __future__ import annotations

import importlib
import json
import math
import operator
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIELDS = ("name", "value", "unit", "floor_name", "floor_value", "ratio", "goal", "met")
_GOAL = re.compile(r"^\s*(<=|>=)\s*([0-9.]+)\s*(x|[a-zA-Z/%]+)?\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge}

Record = dict[str, Any]


def record(
    name: str,
    value: float,
    unit: str,
    *,
    floor_name: str | None = None,
    floor_value: float | None = None,
    goal: str | None = None,
    note: str | None = None,
) -> Record:
    """One figure. A goal ending in ``x`` judges the ratio, any other the value."""
    ratio = value / floor_value if floor_value else None
    out: Record = {
        "name": name,
        "value": _round(value),
        "unit": unit,
        "floor_name": floor_name,
        "floor_value": _round(floor_value),
        "ratio": _round(ratio, 3),
        "goal": goal,
        "met": judge(goal, value, ratio),
    }
    if note:
        out["note"] = note
    return out


def skipped(name: str, reason: str) -> Record:
    """A figure that could not be measured here (a peer not installed): not a failure."""
    out: Record = dict.fromkeys(FIELDS)
    out.update(name=name, unit="", skipped=reason)
    return out


def failed(name: str, error: BaseException) -> Record:
    out: Record = dict.fromkeys(FIELDS)
    out.update(name=name, unit="", error=f"{type(error).__name__}: {error}")
    return out


def judge(goal: str | None, value: float, ratio: float | None) -> bool | None:
    if not goal:
        return None
    match = _GOAL.match(goal)
    if match is None:
        raise ValueError(f"goal {goal!r} is not like '<= 1.2x' or '>= 40 /s'")
    op, limit, unit = match.group(1), float(match.group(2)), match.group(3)
    subject = ratio if unit == "x" else value
    return None if subject is None else _OPS[op](subject, limit)


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return round(value, max(digits - 1 - math.floor(math.log10(abs(value))), 0))


# -- peers that may not be installed --------------------------------------------------


class PeerMissing(Exception):
    """A peer package is not installed: its figures are skipped, with this reason."""


def peer(module: str, package: str | None = None) -> ModuleType:
    """Import a peer, or raise ``PeerMissing`` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PeerMissing(
            f"{package or module} is not installed ({exc}); pip install -e '.[bench]'"
        ) from None


# -- measuring ------------------------------------------------------------------------


def best(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` runs, in seconds: the run least disturbed by the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: unlike ``ru_maxrss``, it is not
    inherited from the parent across ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(module: str, function: str, *args: Any, timeout: float = 900) -> dict[str, Any]:
    """Run ``module.function(*args)`` in a fresh interpreter; its dict result plus
    ``maxrss_mb``, the child's peak resident memory (a fresh process, so the peak
    is the function's own plus the interpreter and its imports)."""
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(HERE)!r}, {str(ROOT)!r}]\n"
        f"from {module} import {function} as f\n"
        "from harness import peak_mb\n"
        "out = f(*json.loads(sys.argv[1]))\n"
        "out['maxrss_mb'] = peak_mb()\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{module}.{function} failed in a child process: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- discovery and running ------------------------------------------------------------


def discover(where: Path = HERE) -> list[str]:
    """The names of the ``bench_*`` modules in ``where`` (beside this file), sorted."""
    return sorted(path.stem for path in where.glob("bench_*.py"))


def short(module: str) -> str:
    return module.removeprefix("bench_")


def run(
    quick: bool,
    only: Iterable[str] = (),
    emit: Callable[[Record], None] = lambda r: None,
    where: Path = HERE,
) -> list[Record]:
    """Measure every module discovered in ``where`` (or those named in ``only``);
    ``emit`` sees each record as it comes, so a long run shows progress."""
    for path in (str(ROOT), str(HERE), str(where)):
        if path not in sys.path:
            sys.path.insert(0, path)
    wanted = {short(name) for name in only}
    out: list[Record] = []
    for name in discover(where):
        if wanted and short(name) not in wanted:
            continue
        try:
            module = importlib.import_module(name)
        except PeerMissing as exc:
            batch = [skipped(short(name), str(exc))]
        except Exception as exc:
            batch = [failed(short(name), exc)]
        else:
            measure = getattr(module, "measure", None)
            if measure is None:
                continue
            try:
                batch = list(measure(quick))
            except PeerMissing as exc:
                batch = [skipped(short(name), str(exc))]
            except Exception as exc:
                batch = [failed(short(name), exc)]
        for rec in batch:
            rec.setdefault("module", short(name))
            emit(rec)
            out.append(rec)
    return out


# -- output -----------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _verdict(rec: Record) -> str:
    if rec.get("skipped"):
        return "skipped: " + rec["skipped"]
    if rec.get("error"):
        return "ERROR: " + rec["error"]
    if rec["met"] is None:
        return ""
    return "met" if rec["met"] else "NOT MET"


def _row(rec: Record) -> list[str]:
    value = "" if rec["value"] is None else f"{_fmt(rec['value'])} {rec['unit']}"
    floor = "" if rec["floor_value"] is None else f"{_fmt(rec['floor_value'])} {rec['unit']}"
    ratio = "" if rec["ratio"] is None else f"{_fmt(rec['ratio'])}x"
    return [
        rec["name"],
        value,
        rec["floor_name"] or "",
        floor,
        ratio,
        rec["goal"] or "",
        _verdict(rec),
    ]


HEADER = ["benchmark", "value", "floor", "floor value", "ratio", "goal", "verdict"]


def table(records: Iterable[Record]) -> str:
    rows = [HEADER, *(_row(r) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def markdown(records: Iterable[Record]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for rec in records:
        cells = [cell.replace("|", "\\|") for cell in _row(rec)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def json_line(rec: Record) -> str:
    return json.dumps(rec, default=str)


def script_main(measure: Callable[[bool], list[Record]], argv: list[str] | None = None) -> None:
    """What each ``bench_*.py`` runs as a script: its own figures, as a table."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    opts = parser.parse_args(argv)
    records = measure(opts.quick)
    if opts.json:
        for rec in records:
            print(json_line(rec))
    else:
        print(table(records))
