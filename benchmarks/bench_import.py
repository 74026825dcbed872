"""Import benchmark: a 10,000-note Markdown vault against the parsers alone. Not run in CI.

Run: ``.venv/bin/python benchmarks/bench_import.py [--quick]``

* **import**: ``exchange.import_path`` of an Obsidian-style vault into an empty
  profile: walk and read every file, front matter (PyYAML), tags and embeds
  (markdown-it), plan, and dispatch the one action (one SQLite transaction).
* **floor**: reading the same files and running the same parsers on them alone
  (``yaml`` CSafeLoader on the front matter, the window's markdown-it parser on
  the body): what any faithful import must pay. Goal: import <= 1.5x the floor.

``measure(quick)`` returns the figures for ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from desktop_app.app import App
from desktop_app.app import exchange as ex
from desktop_app.app.markdown import parser

NOTES = 10_000
QUICK_NOTES = 1_000
GOAL = 1.5


def make_vault(root: Path, count: int) -> Path:
    """``count`` notes in 20 folders (some nested), each with a tag, a link, some code."""
    for i in range(count):
        folder = root / f"Area {i % 10}" / (f"Sub {i % 2}" if i % 20 >= 10 else "")
        folder.mkdir(parents=True, exist_ok=True)
        front = f"---\ntags: [t{i % 13}, area/{i % 10}]\naliases: [n{i}]\n---\n" if i % 2 else ""
        body = (
            f"# Note {i}\n\nA paragraph about item {i} with #topic{i % 31} and a link to "
            f"[[Note {i + 1}#Details|the next one]].\n\n"
            "- [ ] something to do\n- [x] something done\n\n"
            "```python\n# a comment, not a tag\nprint('hello')\n```\n\n"
            f"See https://example.com/page#{i} for more.\n"
        )
        (folder / f"Note {i}.md").write_text(front + body, encoding="utf-8")
    return root


def read_and_parse(root: Path) -> int:
    """The floor: every file read, its front matter loaded, its body parsed."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    md = parser()
    tokens = 0
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if not name.endswith(".md"):
                continue
            text = (Path(folder) / name).read_bytes().decode("utf-8")
            if text.startswith("---\n"):
                end = text.index("\n---\n", 4)
                yaml.load(text[4:end], Loader=loader)
                text = text[end + 5 :]
            tokens += len(md.parse(text))
    return tokens


def _timed(fn: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(quick: bool) -> list[dict[str, Any]]:
    """One figure: the import's time and its ratio to the parsers alone."""
    count = QUICK_NOTES if quick else NOTES
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        vault = make_vault(Path(tmp) / "vault", count)
        read_and_parse(vault)  # warm the page cache and the parsers' first-use setup
        floors, imports = [], []
        for run in range(1 if quick else 3):
            floors.append(_timed(lambda: read_and_parse(vault)))
            with App(Path(tmp) / f"profile{run}") as app:
                app.add_task("warm up")  # the first write of a profile creates it
                results: list[Any] = []
                imports.append(_timed(lambda a=app, r=results: r.append(ex.import_path(a, vault))))
                assert results[0].notes == count and len(app.state.notes) == count
        floor, value = min(floors), min(imports)
    ratio = value / floor
    return [
        {
            "name": f"import of {count:,} Markdown notes",
            "value": round(value, 3),
            "unit": "s",
            "floor_name": "reading the same files with the parsers alone",
            "floor_value": round(floor, 3),
            "ratio": round(ratio, 2),
            "goal": f"<= {GOAL}x",
            "met": ratio <= GOAL,
        }
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Import of a Markdown vault against its parsers.")
    p.add_argument("--quick", action="store_true", help=f"{QUICK_NOTES:,} notes, one run")
    for figure in measure(p.parse_args(argv).quick):
        print(
            f"{figure['name']}: {figure['value']:.2f} {figure['unit']}; "
            f"{figure['floor_name']}: {figure['floor_value']:.2f} {figure['unit']}; "
            f"ratio {figure['ratio']:.2f}x (goal {figure['goal']}: "
            f"{'met' if figure['met'] else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
