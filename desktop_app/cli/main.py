"""The ``desktop-app`` command line: the same ``App`` engine as the window, without Qt.

Commands live in small modules listed in ``COMMAND_MODULES``; each has
``register(subparsers)``, which adds its subparsers with
``set_defaults(func=handler)``. A handler is ``handler(args, app) -> int``; main
opens the ``App`` for it and always closes it (the checkpoint that makes the
next start instant). A command that must not open the profile (one that only
reads config or the keyring) adds ``needs_app=False`` to its defaults and is
called as ``handler(args, None)``; ``args.data_dir`` is always set. A command
that only reads adds ``read_only=True``: its ``App`` never writes (no migration,
no checkpoint), so it works on read-only media and beside a writing process.

Errors a user can cause (bad input, unusable database, unreadable files) end
as one ``desktop-app: error: ...`` line on stderr and exit status 1, usage
errors as status 2, and nothing is saved: every command is one action.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from desktop_app.app import App, AppError
from desktop_app.app.data_dir import DATA_DIR_ENV, default_data_dir
from desktop_app.cli import (
    conflict_commands,
    exchange_commands,
    item_commands,
    show_commands,
    sync_commands,
)
from desktop_app.cli.common import UsageError, visible
from desktop_app.cli.interrupts import finishing, watching
from desktop_app.storage import StorageError

PROG = "desktop-app"

# One line per command module; its register(subparsers) does the rest.
COMMAND_MODULES: list[ModuleType] = [
    item_commands,
    show_commands,
    conflict_commands,
    exchange_commands,
    sync_commands,
]

_SURROGATE = re.compile("[\ud800-\udfff]")
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what `tool | head` reports for other tools


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (not the whole usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        # The message may quote an argument: keep it one line, without control characters.
        message = visible(" ".join(f"{message} (see {self.prog} --help)".split()))
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _version() -> str:
    from importlib import metadata  # ~30 ms to import: only when --version asks

    try:
        return metadata.version("tidemark")
    except metadata.PackageNotFoundError:
        return "(not installed)"


class _VersionAction(argparse.Action):
    """``--version``, looked up when given rather than each time the parser is built."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show the version and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        sys.stdout.write(f"{parser.prog} {_version()}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Tidemark: offline-first notes and tasks. Without a command, opens the window.",
    )
    data_dir_help = f"where the profile lives (env {DATA_DIR_ENV}; default {default_data_dir()})"
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help=data_dir_help)
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="open the window on a throwaway profile, draw it, close it and exit 0 "
        "(checks an installation)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    # Global options also work after the command (`desktop-app show --data-dir X`);
    # SUPPRESS keeps a subparser from overwriting a value given before the command.
    for sub in {id(p): p for p in subparsers.choices.values()}.values():
        sub.add_argument("--data-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None, open_window: Callable[..., int] | None = None) -> int:
    """Run a command, or hand the window ``open_window(data_dir)`` (``smoke=True`` for --smoke)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error, already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.data_dir = (args.data_dir or default_data_dir()).expanduser().absolute()
    if (problem := _undecodable_argument(args)) is not None:
        return _fail(f"{PROG}: error: {problem}", EXIT_ERROR)
    if args.smoke:
        return _smoke(parser, args, open_window)
    if args.command is None:
        if open_window is None:
            parser.print_usage(sys.stderr)
            return EXIT_USAGE
        return open_window(args.data_dir)
    try:
        with watching():
            code = _run(args)
            sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return code
    except UsageError as exc:
        return _fail(f"{PROG} {args.command}: error: {exc}", EXIT_USAGE)
    except BrokenPipeError:
        # The reader went away (`show | head`): stop quietly. Point stdout at
        # devnull so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (AppError, StorageError) as exc:
        return _fail(f"{PROG}: error: {exc}", EXIT_ERROR)
    except OSError as exc:
        return _fail(f"{PROG}: error: {_os_message(exc)}", EXIT_ERROR)
    except sqlite3.Error as exc:  # damage found after opening, e.g. a malformed page
        return _fail(f"{PROG}: error: the database in {args.data_dir} cannot be used ({exc})", 1)
    except UnicodeError as exc:  # a last guard: text that is not UTF-8 got past the checks
        return _fail(f"{PROG}: error: text that is not valid UTF-8 ({exc.reason})", EXIT_ERROR)


def _as_bytes(text: str) -> bytes:
    """The bytes the user gave (argv keeps them as U+DC80..U+DCFF); other surrogates
    (only an in-process caller can pass them) as their UTF-8-like encoding."""
    try:
        return os.fsencode(text)
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _undecodable_argument(args: argparse.Namespace) -> str | None:
    """Which text argument holds bytes that are not UTF-8 (``add-task $'bad\\xff'``).

    Python keeps such bytes as lone surrogates, which SQLite and JSON cannot
    store. Paths are exempt: a file name may be any bytes, and is used as is.
    """
    for name, value in vars(args).items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _SURROGATE.search(text):
                shown = _as_bytes(text).decode("ascii", "backslashreplace")
                return f"argument {name.replace('_', '-')} is not valid UTF-8 text: {shown!r}"
    return None


def _smoke(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    open_window: Callable[..., int] | None,
) -> int:
    """The window on a fresh profile, deleted afterwards: the user's data is never touched."""
    if args.command is not None or open_window is None:
        parser.error("--smoke opens the window and takes no command")
    with tempfile.TemporaryDirectory(prefix="tidemark-smoke-") as profile:
        return open_window(Path(profile), smoke=True)


def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_app", True):
        return args.func(args, None)
    app = App(args.data_dir, read_only=getattr(args, "read_only", False))
    if app.notice:
        print(f"{PROG}: note: {app.notice}", file=sys.stderr)
    try:
        return args.func(args, app)
    finally:
        with finishing(None, saving=False):  # closing only checkpoints: let it finish
            app.close()
        if app.close_warning:
            print(f"{PROG}: warning: {app.close_warning}", file=sys.stderr)


def _fail(message: str, code: int) -> int:
    # One line, whatever the cause said, and no control character reaches the terminal.
    print(visible(" ".join(message.split())), file=sys.stderr)
    return code


def _os_message(exc: OSError) -> str:
    path = exc.filename2 or exc.filename  # for a rename, the destination is the user's path
    return f"{exc.strerror or exc}: {path}" if path else str(exc.strerror or exc)
