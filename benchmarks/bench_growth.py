"""Local growth: what a long note costs every later command. Not run in CI.

Run: ``.venv/bin/python benchmarks/bench_growth.py [--mb 50] [--runs 5]`` (``python -m benchmarks``
runs ``measure``: 50 MB, or 5 MB with ``--quick``)

A profile with no remote gets a note of ``--mb`` MB (``add-note --body -``) and
then a keystroke-sized edit of it (``edit --body -``), both through the CLI.
After that, each later ``add-task`` is timed against the same command on a
fresh profile in the same run:

* **CLI**: one ``desktop-app add-task`` process per run;
* **in-process, open+add+close**: ``App(dir)``, ``add_task``, ``close()``;
* **in-process, add**: ``add_task`` on an ``App`` kept open.

The floor a profile holding the note must pay is reading it: reading and decoding
the saved view (``LocalStore.load_checkpoint``), printed beside. Goal: the extra cost
of a later command over the fresh profile is no more than that floor, and the
profile's size stays near one copy of the note (journal and undo history keep
no whole second copy).
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # type: ignore[import-not-found]

from desktop_app.app import App
from desktop_app.storage import DB_NAME, LocalStore

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "desktop_app"]  # what the desktop-app script runs, from ROOT


def cli(data_dir: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "DESKTOP_APP_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, env=env, check=True, timeout=600
    )
    return done.stdout.decode().strip()


def interleaved_medians(fns: Sequence[Callable[[], object]], runs: int) -> list[float]:
    """The median time of each of ``fns``, run in turn round after round: a busy moment
    on this shared machine then slows every side of a comparison alike (measured one
    after the other, the CLI line moved between 0.8x and 1.5x from run to run)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, took in zip(fns, times, strict=True):
            gc.collect()
            start = time.perf_counter()
            fn()
            took.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def median_of(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sizes(data_dir: Path) -> dict[str, int]:
    db = sqlite3.connect(data_dir / DB_NAME)
    try:
        q = {
            "journal": "SELECT coalesce(sum(length(body)+coalesce(length(bases),0)),0) "
            "FROM local_actions",
            "history": "SELECT coalesce(sum(length(body)+coalesce(length(texts),0)),0) "
            "FROM (SELECT body, texts FROM undo_steps "
            "UNION ALL SELECT body, texts FROM redo_steps)",
            "view": "SELECT coalesce(sum(length(body)),0) FROM checkpoints WHERE name='view'",
            "base": "SELECT coalesce(sum(length(body)),0) FROM checkpoints WHERE name='base'",
        }
        return {k: db.execute(sql).fetchone()[0] for k, sql in q.items()}
    finally:
        db.close()


def measure(quick: bool, mb: int | None = None, runs: int | None = None) -> list[dict]:
    mb = mb or (5 if quick else 50)
    runs = runs or (3 if quick else 7)
    with tempfile.TemporaryDirectory() as tmp:
        fresh, big = Path(tmp, "fresh"), Path(tmp, "big")
        line = "The quick brown fox jumps over the lazy dog. " * 2 + "\n"
        text = line * (mb * 1_000_000 // len(line))
        for profile in (fresh, big):
            cli(profile, "add-task", "warm-up")
        note = cli(big, "add-note", "long", "--body", "-", stdin=text.encode())
        edited_text = text[: len(text) // 2] + "typed" + text[len(text) // 2 :]
        cli(big, "edit", note, "--body", "-", stdin=edited_text.encode())

        def open_add_close(profile: Path) -> None:
            app = App(profile)
            app.add_task("x")
            app.close()

        local = LocalStore.in_dir(big, read_only=True)

        def read_view() -> None:
            local._base_cache = None  # as a new process finds it: nothing decoded yet
            local.load_checkpoint("view")

        cli_fresh, cli_big, app_fresh, app_big, floor = interleaved_medians(
            [
                lambda: cli(fresh, "add-task", "x"),
                lambda: cli(big, "add-task", "x"),
                lambda: open_add_close(fresh),
                lambda: open_add_close(big),
                read_view,
            ],
            runs,
        )
        local.close()
        results = {
            "CLI add-task": (cli_fresh, cli_big),
            "open+add_task+close": (app_fresh, app_big),
        }
        size = sum(sizes(big).values())
    out = [
        harness.record(
            f"extra cost of {name} with a {mb} MB note",
            (b - a) * 1000,
            "ms",
            floor_name="read and decode the saved view",
            floor_value=floor * 1000,
            goal="<= 1.0x",
        )
        for name, (a, b) in results.items()
    ]
    out.append(
        harness.record(
            f"profile bytes with a {mb} MB note, edited",
            size / 1e6,
            "MB",
            floor_name="one copy of the note",
            floor_value=len(text) / 1e6,
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh, big = Path(tmp, "fresh"), Path(tmp, "big")
        line = "The quick brown fox jumps over the lazy dog. " * 2 + "\n"
        text = line * (opts.mb * 1_000_000 // len(line))
        for profile in (fresh, big):
            cli(profile, "add-task", "warm-up")
        start = time.perf_counter()
        note = cli(big, "add-note", "long", "--body", "-", stdin=text.encode())
        added = time.perf_counter() - start
        edited_text = text[: len(text) // 2] + "typed" + text[len(text) // 2 :]
        start = time.perf_counter()
        cli(big, "edit", note, "--body", "-", stdin=edited_text.encode())
        edit_s = time.perf_counter() - start
        mb = len(text) / 1e6
        print(f"note of {mb:.0f} MB: add-note {added:.2f} s, 5-char edit {edit_s:.2f} s")
        print("profile bytes after the edit:", sizes(big))

        def open_add_close(profile: Path) -> None:
            app = App(profile)
            app.add_task("x")
            app.close()

        cli_fresh, cli_big, app_fresh, app_big = interleaved_medians(
            [
                lambda: cli(fresh, "add-task", "x"),
                lambda: cli(big, "add-task", "x"),
                lambda: open_add_close(fresh),
                lambda: open_add_close(big),
            ],
            opts.runs,
        )
        results = {
            "CLI add-task": (cli_fresh, cli_big),
            "in-process open+add+close": (app_fresh, app_big),
        }
        pair = []
        for profile in (fresh, big):
            app = App(profile)
            pair.append(median_of(lambda app=app: app.add_task("x"), opts.runs * 4))
            app.close()
        results["in-process add_task (open App)"] = (pair[0], pair[1])

        local = LocalStore.in_dir(big, read_only=True)

        def read_view() -> None:
            local._base_cache = None  # as a new process finds it: nothing decoded yet
            local.load_checkpoint("view")

        floor = median_of(read_view, opts.runs)
        local.close()
        print(f"floor (read and decode the saved view holding the note): {floor * 1000:.1f} ms")
        print(f"{'':34} {'fresh':>9} {'big':>9} {'ratio':>7} {'extra':>9} {'extra/floor':>11}")
        for name, (a, b) in results.items():
            extra = b - a
            print(
                f"{name:34} {a * 1000:7.1f}ms {b * 1000:7.1f}ms {b / a:6.1f}x "
                f"{extra * 1000:7.1f}ms {extra / floor:10.2f}x"
            )
        print("profile bytes after the runs:", sizes(big))


if __name__ == "__main__":
    main()
