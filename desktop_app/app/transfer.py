"""Import and export as the window runs them: read or write off the GUI thread, commit on it.

``plan`` and ``export_to`` only read an immutable ``State`` (and files), so they
may run on a worker thread; the import's one action is dispatched by the caller
on the GUI thread (``commit``), so the store is only ever written from there.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.app.engine import App
from desktop_app.app.errors import AppError
from desktop_app.app.exchange import (
    ImportResult,
    Progress,
    export_json,
    export_markdown_folder,
    markdown_document,
    plan_import,
)
from desktop_app.core import Arg, State

EXPORT_KINDS = ("json", "markdown", "markdown-folder")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class ImportPlan:
    path: Path
    steps: list[Arg]
    result: ImportResult

    def summary(self) -> str:
        r = self.result
        text = (
            f"Imported {_plural(r.notes, 'note')}, {_plural(r.tasks, 'task')} and "
            f"{_plural(r.lists, 'list')} from {self.path.name}"
        )
        text += "".join(f" ({part})" for part in r.notes_on())
        return text + ". Ctrl+Z takes it all back." if self.steps else text + "."


def plan(app: App, path: Path, progress: Progress | None = None) -> ImportPlan:
    """Read ``path`` into the steps of one import (any thread; nothing is written).

    ``progress(done, total)`` is called from this thread as files are found
    (total 0) and read."""
    try:
        steps, result = plan_import(app, Path(path), progress)
    except OSError as exc:
        raise AppError(f"cannot read {path}: {exc.strerror or exc}") from None
    return ImportPlan(Path(path), steps, result)


def commit(app: App, planned: ImportPlan) -> str:
    """Dispatch the import as one action (GUI thread); the sentence to show."""
    app.dispatch_steps(planned.steps)
    return planned.summary()


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


def export_to(state: State, path: Path, kind: str) -> str:
    """Write ``state`` to ``path`` as ``kind`` (any thread); the sentence to show."""
    path = Path(path)
    items = len(state.tasks) + len(state.notes)
    try:
        if kind == "markdown-folder":
            count = export_markdown_folder(state, path)
            return f"Exported {_plural(count, 'Markdown file')} to {path}."
        if kind == "json":
            _write_atomic(path, export_json(state))
        elif kind == "markdown":
            _write_atomic(path, markdown_document(state).encode())
        else:
            raise AppError(f"unknown export format {kind!r}")
    except OSError as exc:
        raise AppError(f"cannot write {path}: {exc.strerror or exc}") from None
    return f"Exported {_plural(items, 'item')} to {path}."
