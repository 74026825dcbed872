"""``conflicts`` and ``resolve``: the problems a merge left, and settling them.

``conflicts --json`` is a contract for scripts and acceptance checks: an array
of ``{id, kind, description, options, items, versions}`` with the recommended
option first. ``resolve ID OPTION`` dispatches one action, which syncs like any
edit; an unknown id or option is one line on stderr, exit 1, and changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop_app.app import App
from desktop_app.app.exchange import canonical_json
from desktop_app.cli.common import UsageError, describe_change, plural, write_bytes
from desktop_app.core import resolutions, rules


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "conflicts", help="list the conflicts merges left (--json for scripts)"
    )
    p.add_argument("--json", action="store_true", help="a JSON array, one object per conflict")
    p.set_defaults(func=conflicts)

    p = subparsers.add_parser(
        "resolve",
        help="settle one conflict: resolve ID OPTION (see: conflicts)",
        description="Settle one conflict with one of its options (listed by `conflicts`, "
        "the recommended one first). ID may be a unique prefix of at least 4 characters. "
        "For missing_list, move_to:LIST_ID moves the item to another list.",
    )
    p.add_argument("id")
    p.add_argument("option", nargs="?", help="e.g. keep_current, keep_other, restore")
    p.add_argument("--keep", metavar="OPTION", help="the same as giving OPTION")
    text = p.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="the merged text, for the edit option")
    text.add_argument("--text-file", type=Path, metavar="FILE", help="read the merged text")
    p.set_defaults(func=resolve)


def info(problem: rules.Problem) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": problem.id,
        "kind": problem.kind,
        "description": problem.message,
        "options": list(problem.options),
        "items": list(problem.ids),
    }
    if problem.versions:
        found["versions"] = [{"label": v.label, "text": v.text} for v in problem.versions]
    return found


def conflicts(args: argparse.Namespace, app: App) -> int:
    found = app.problems()
    if args.json:
        write_bytes(canonical_json([info(p) for p in found]))
        return 0
    if not found:
        print("No conflicts.")
        return 0
    print(f"{plural(len(found), 'conflict')}:")
    for problem in found:
        print(f"\n[{problem.id}] {problem.message}")
        for version in problem.versions:
            text = version.text.replace("\n", "\n      ")
            print(f"    {version.label}: {text}")
        options = ", ".join(problem.options)
        print(f"  resolve with: desktop-app resolve {problem.id} OPTION  ({options})")
    return 0


def resolve(args: argparse.Namespace, app: App) -> int:
    if args.option and args.keep and args.option != args.keep:
        raise UsageError("give the option once (OPTION or --keep OPTION)")
    option = args.option or args.keep
    if not option:
        raise UsageError("which option? e.g. desktop-app resolve ID keep_current")
    text = args.text
    if args.text_file is not None:
        text = args.text_file.read_text(encoding="utf-8")
    elif text == "-":
        text = sys.stdin.read()
    problem = app.problem(args.id)
    before = app.state
    app.resolve_problem(problem.id, option, text=text)
    what = resolutions.describe(option) if not option.startswith("move_to:") else option
    print(f"Resolved {problem.id} ({what}): {describe_change(before, app.state)}.")
    if left := len(app.problems()):
        print(f"{plural(left, 'conflict')} left.")
    return 0
