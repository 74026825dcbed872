"""Console entry point: a subcommand runs the CLI; no subcommand opens the window.

It sits above both front ends so that neither imports the other (the CLI stays
Qt-free, which the import contract in pyproject.toml checks).
"""

from __future__ import annotations

from pathlib import Path


def open_window(data_dir: Path, *, smoke: bool = False) -> int:
    from desktop_app.ui.main import run

    return run(data_dir, smoke=smoke)


def main(argv: list[str] | None = None) -> int:
    from desktop_app.cli.main import main as cli_main

    return cli_main(argv, open_window=open_window)
