"""``export`` and ``import``: thin wrappers over ``desktop_app.app.exchange``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_app.app import App
from desktop_app.app.exchange import (
    MARKDOWN_SUFFIXES,
    export_json,
    export_markdown_folder,
    markdown_document,
    plan_import,
)
from desktop_app.app.export_file import STREAM, is_stream, write_export
from desktop_app.app.vault_files import display_path
from desktop_app.cli.common import plural, visible_lines, write_bytes
from desktop_app.cli.interrupts import finishing
from desktop_app.cli.progress import ProgressLine


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="export everything as JSON or Markdown",
        description="json: a lossless export that `import` reads back. markdown: a folder "
        "of .md files (a folder per list, one file per note and per task, with front matter "
        "that Obsidian and Joplin read) when --output "
        "is a folder, or one Markdown document on stdout or to an --output ending in .md.",
    )
    p.add_argument("--format", choices=("json", "markdown"), default="json")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="PATH",
        help="default: stdout ('-'); devices and pipes are written to, never replaced",
    )
    p.add_argument(
        "--force", action="store_true", help="replace an existing file that is not an export"
    )
    p.set_defaults(func=export, read_only=True)

    p = subparsers.add_parser(
        "import",
        help="import an Obsidian vault, a Joplin export, a Markdown folder or file, or a "
        "JSON export, as one undo step",
        description="PATH is a folder of Markdown notes (an Obsidian vault, Joplin's "
        "Markdown or Markdown + Front Matter export, this app's Markdown export; "
        "subfolders become lists), one .md file, a Joplin .jex archive, or a JSON export "
        "of this app. Importing the same files again adds nothing; a changed file updates "
        "its note. Everything arrives as one change: `undo` takes it back.",
    )
    p.add_argument("path", type=Path)
    p.set_defaults(func=import_command)


def export(args: argparse.Namespace, app: App) -> int:
    out: Path | None = args.output
    if out is not None and str(out) == STREAM:
        out = None
    if args.format == "markdown" and out is not None and _is_folder_target(out):
        count = export_markdown_folder(app.state, out)
        print(f"wrote {plural(count, 'Markdown file')} to {display_path(out)}")
        return 0
    if args.format == "json":
        data = export_json(app.state)
    else:
        data = markdown_document(app.state).encode()
    if out is None:
        if args.format == "markdown" and sys.stdout.isatty():  # for eyes, not for a file
            data = visible_lines(data.decode()).encode()
        write_bytes(data)
    else:
        write_export(out, data, force=args.force)
    return 0


def _is_folder_target(path: Path) -> bool:
    """A Markdown export goes to a folder unless PATH ends in .md or is a stream."""
    if path.is_dir():
        return True
    return path.suffix.lower() not in MARKDOWN_SUFFIXES and not is_stream(path)


def import_command(args: argparse.Namespace, app: App) -> int:
    progress = ProgressLine(f"importing {display_path(args.path)}")
    try:
        steps, result = plan_import(app, args.path, progress)  # Ctrl+C here: nothing is saved
    finally:
        progress.close()
    with finishing("the import was already saved"):  # from the commit on, it is reported
        app.dispatch_steps(steps)
        text = (
            f"imported {plural(result.notes, 'note')}, {plural(result.tasks, 'task')} "
            f"and {plural(result.lists, 'list')} from {display_path(args.path)}"
        )
        text += "".join(f" ({part})" for part in result.notes_on())
        print(text)
        sys.stdout.flush()
    return 0
