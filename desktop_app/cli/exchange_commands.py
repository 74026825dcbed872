"""``export`` and ``import``: thin wrappers over ``desktop_app.app.exchange``."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from desktop_app.app import App
from desktop_app.app.exchange import (
    MARKDOWN_SUFFIXES,
    export_json,
    export_markdown_folder,
    import_path,
    markdown_document,
)
from desktop_app.cli.common import plural, write_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="export everything as JSON or Markdown",
        description="json: a lossless export that `import` reads back. markdown: a folder "
        "of .md files (one per note, a folder per list, tasks.md checklists) when --output "
        "is a folder, or one Markdown document on stdout or to an --output ending in .md.",
    )
    p.add_argument("--format", choices=("json", "markdown"), default="json")
    p.add_argument("--output", "-o", type=Path, metavar="PATH", help="default: stdout")
    p.set_defaults(func=export)

    p = subparsers.add_parser(
        "import",
        help="import a Markdown folder or file, or a JSON export, as one undo step",
        description="PATH is a folder of Markdown notes (Obsidian, Joplin, this app; "
        "subfolders become lists), one .md file, or a JSON export of this app (items "
        "already here are skipped). Everything arrives as one change: `undo` takes it back.",
    )
    p.add_argument("path", type=Path)
    p.set_defaults(func=import_command)


def export(args: argparse.Namespace, app: App) -> int:
    out: Path | None = args.output
    if args.format == "markdown" and out is not None and not _is_markdown_file(out):
        count = export_markdown_folder(app.state, out)
        print(f"wrote {plural(count, 'Markdown file')} to {out}")
        return 0
    if args.format == "json":
        data = export_json(app.state)
    else:
        data = markdown_document(app.state).encode()
    if out is None:
        write_bytes(data)
    else:
        _write_atomic(out, data)
    return 0


def _is_markdown_file(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES and not path.is_dir()


def _write_atomic(path: Path, data: bytes) -> None:
    """All or nothing: a failed export never leaves half a file where a good one was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_command(args: argparse.Namespace, app: App) -> int:
    result = import_path(app, args.path)
    text = (
        f"imported {plural(result.notes, 'note')}, {plural(result.tasks, 'task')} "
        f"and {plural(result.lists, 'list')} from {args.path}"
    )
    if result.skipped:
        text += f" ({plural(result.skipped, 'item')} already here, skipped)"
    if result.ignored:
        text += f" ({plural(result.ignored, 'file')} skipped: symlinks or special files)"
    print(text)
    return 0
