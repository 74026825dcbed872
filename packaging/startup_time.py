"""Start-up of the window, bundled against the development venv, in the same run.

Each round starts ``PROGRAM --smoke`` (window opened on a throwaway profile, drawn,
closed) once from each side, alternating, and the medians of the wall times are
compared, so a busy machine slows both alike.

    .venv/bin/python packaging/startup_time.py build/dist/tidemark/tidemark [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

VENV_PROGRAM = Path(sys.executable).with_name("desktop-app")


def smoke_seconds(program: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    subprocess.run([str(program), "--smoke"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def compare(bundled: Path, rounds: int = 7) -> tuple[float, float]:
    """Median start-up seconds (venv, bundle); one warm-up run each is not counted."""
    smoke_seconds(VENV_PROGRAM), smoke_seconds(bundled)  # file caches warm for both
    venv, bundle = [], []
    for _ in range(rounds):
        venv.append(smoke_seconds(VENV_PROGRAM))
        bundle.append(smoke_seconds(bundled))
    return statistics.median(venv), statistics.median(bundle)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print("usage: startup_time.py BUNDLED_PROGRAM [ROUNDS]", file=sys.stderr)
        return 2
    venv, bundle = compare(Path(argv[0]), int(argv[1]) if len(argv) > 1 else 7)
    print(f"venv {venv:.3f} s, bundle {bundle:.3f} s, ratio {bundle / venv:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
