"""Console entry point: a subcommand runs the CLI; no subcommand opens the window.

It sits above both front ends so that neither imports the other (the CLI stays
Qt-free, which the import contract in pyproject.toml checks).

Opening the window is what people do most, so ``desktop-app`` and
``desktop-app --data-dir DIR`` open it without building the CLI: the parser
imports every command module (Markdown and Joplin import, YAML, e-mail
parsing), about a quarter of the window's start-up. Anything else (a command,
``--help``, ``--smoke``, an option spelled another way) goes through the CLI,
which hands the window the same folder (``tests/test_launcher.py`` checks both
paths agree).
"""

from __future__ import annotations

import sys
from pathlib import Path

DATA_DIR_OPTION = "--data-dir"


def open_window(data_dir: Path, *, smoke: bool = False) -> int:
    from desktop_app.sync.collector import StartUpPause

    pause = StartUpPause()  # before the window's imports, which allocate too
    try:
        from desktop_app.ui.main import run
    except BaseException:
        pause.resume()
        raise
    return run(data_dir, smoke=smoke, pause=pause)


def window_only(argv: list[str]) -> Path | None:
    """The profile folder when ``argv`` only opens the window, else None (the CLI decides).

    Only the two plain spellings qualify: none at all, and ``--data-dir DIR`` /
    ``--data-dir=DIR`` with a value that is not an option. The folder is the one
    the CLI would hand the window: made absolute, ``~`` expanded.
    """
    if not argv:
        from desktop_app.app.data_dir import default_data_dir

        folder = default_data_dir()
    elif len(argv) == 2 and argv[0] == DATA_DIR_OPTION and not argv[1].startswith("-"):
        folder = Path(argv[1])
    elif len(argv) == 1 and argv[0].startswith(DATA_DIR_OPTION + "="):
        folder = Path(argv[0].removeprefix(DATA_DIR_OPTION + "="))
    else:
        return None
    return folder.expanduser().absolute()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if (data_dir := window_only(args)) is not None:
        return open_window(data_dir)
    from desktop_app.cli.main import main as cli_main

    return cli_main(argv, open_window=open_window)
