"""``python -m benchmarks [--quick] [--json | --markdown] [--only NAME ...]``.

Runs every ``benchmarks/bench_*.py`` that defines ``measure(quick)`` and prints one
table (or one JSON object per figure, or a Markdown table for docs/performance.md).
Exits 1 if a benchmark failed; a peer that is not installed is skipped, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per line")
    out.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument(
        "--only",
        nargs="+",
        default=(),
        metavar="NAME",
        help="run only these modules (core, sync, scale... or bench_core...)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmark modules")
    parser.add_argument(
        "--from",
        dest="saved",
        metavar="FILE",
        help="print the table of a saved --json run instead of measuring",
    )
    opts = parser.parse_args(argv)
    if opts.saved:
        lines = Path(opts.saved).read_text().splitlines()
        saved = [json.loads(line) for line in lines if line.strip()]
        print(harness.markdown(saved) if opts.markdown else harness.table(saved))
        return 0
    if opts.list:
        print("\n".join(harness.short(name) for name in harness.discover()))
        return 0
    known = {harness.short(name) for name in harness.discover()}
    unknown = sorted({harness.short(n) for n in opts.only} - known)
    if unknown:
        parser.error(f"no benchmark module {', '.join(unknown)} (have: {', '.join(sorted(known))})")

    def progress(rec: harness.Record) -> None:
        if opts.json:
            print(harness.json_line(rec), flush=True)
        else:
            print(
                f"  {rec['name']}: {harness._row(rec)[1] or harness._verdict(rec)}",
                file=sys.stderr,
                flush=True,
            )

    started = time.perf_counter()
    records = harness.run(opts.quick, opts.only, progress)
    elapsed = time.perf_counter() - started
    machine = (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}; "
        f"{'--quick' if opts.quick else 'full'} run in {elapsed:.0f} s"
    )
    if opts.markdown:
        print(harness.markdown(records))
        print(f"\n{machine}")
    elif not opts.json:
        print(harness.table(records))
        print(f"\n{machine}")
    return 1 if any(rec.get("error") for rec in records) else 0


if __name__ == "__main__":
    sys.exit(main())
