"""Two devices, one real S3 server (moto over HTTP), the CLI: every kind of merge
problem appears on both devices with the same id and options, a resolution made on
one clears it on both, and the devices end byte-identical (``show --json``).

The CLI runs in-process (``main``), the very code the console script runs, so the
scenarios stay fast; tests/test_sync_s3.py covers the console script itself.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli.main import main
from desktop_app.sync.remote_config import RemoteConfig
from tests.conftest import TEST_BUCKET


class Device:
    def __init__(self, data_dir: Path, endpoint: str) -> None:
        self.data_dir = data_dir
        remote = f"s3://{TEST_BUCKET}/vault"
        self.ok("remote", remote, "--endpoint-url", endpoint, "--region", "us-east-1")

    def run(self, *args: str) -> tuple[int, str, str]:
        raw, err = io.BytesIO(), io.StringIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--data-dir", str(self.data_dir), *args])
        out.flush()
        return code, raw.getvalue().decode(), err.getvalue()

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, err
        return out

    def conflicts(self) -> list[dict[str, Any]]:
        return json.loads(self.ok("conflicts", "--json"))


def sync_all(*devices: Device) -> None:
    for device in (*devices, *devices):
        device.ok("sync")


@pytest.fixture
def pair(s3_bucket: RemoteConfig, tmp_path: Path) -> tuple[Device, Device]:
    assert s3_bucket.endpoint_url
    return Device(tmp_path / "laptop", s3_bucket.endpoint_url), Device(
        tmp_path / "desktop", s3_bucket.endpoint_url
    )


Scenario = Callable[[Device, Device], None]


def _task_then(edit_a: list[str], edit_b: list[str]) -> Scenario:
    def scenario(a: Device, b: Device) -> None:
        task = a.ok("add-task", "Buy milk", "--due", "2026-05-01").strip()
        sync_all(a, b)
        a.ok("edit", task, *edit_a)
        b.ok("edit", task, *edit_b)

    return scenario


def _body(a: Device, b: Device) -> None:
    note = a.ok("add-note", "Plan", "--body", "pack\nbook train\ncall mum").strip()
    sync_all(a, b)
    a.ok("edit", note, "--body", "pack\nbook the 9:12 train\ncall mum")
    b.ok("edit", note, "--body", "pack\nbook a flight\ncall mum")


def _deleted(a: Device, b: Device) -> None:
    task = a.ok("add-task", "Renew passport").strip()
    sync_all(a, b)
    a.ok("delete", task)
    b.ok("edit", task, "--title", "Renew passport before June")


def _missing_list(a: Device, b: Device) -> None:
    lst = a.ok("add-list", "Trip").strip()
    sync_all(a, b)
    a.ok("delete", lst)
    b.ok("add-task", "Buy sunscreen", "--list", "Trip")


def _same_names(a: Device, b: Device) -> None:
    a.ok("add-task", "Milk", "--list", "Groceries")
    b.ok("add-task", "Bread", "--list", "groceries")


SCENARIOS: dict[str, Scenario] = {
    "title_conflict": _task_then(["--title", "Buy oat milk"], ["--title", "Buy almond milk"]),
    "due_conflict": _task_then(["--due", "2026-05-03"], ["--due", "2026-04-28"]),
    "note_body_conflict": _body,
    "edited_after_delete": _deleted,
    "missing_list": _missing_list,
    "duplicate_list_name": _same_names,
}


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_a_problem_shows_on_both_devices_and_one_resolution_clears_it(
    pair: tuple[Device, Device], kind: str
) -> None:
    laptop, desktop = pair
    SCENARIOS[kind](laptop, desktop)
    sync_all(laptop, desktop)
    seen = laptop.conflicts()
    assert [p["kind"] for p in seen] == [kind]
    assert desktop.ok("conflicts", "--json") == laptop.ok("conflicts", "--json")
    (problem,) = seen
    assert {"id", "kind", "description", "options", "items"} <= problem.keys()
    assert problem["id"] in laptop.ok("show")  # `show` points at it too

    laptop.ok("resolve", problem["id"], problem["options"][0])
    assert laptop.conflicts() == []
    sync_all(laptop, desktop)
    assert desktop.conflicts() == [] and laptop.conflicts() == []
    assert laptop.ok("show", "--json") == desktop.ok("show", "--json")


def test_devices_that_resolve_differently_converge_and_lose_nothing(
    pair: tuple[Device, Device],
) -> None:
    laptop, desktop = pair
    SCENARIOS["title_conflict"](laptop, desktop)
    sync_all(laptop, desktop)
    (problem,) = laptop.conflicts()
    titles = {v["text"] for v in problem["versions"]}
    laptop.ok("resolve", problem["id"], "keep_current")  # offline, each its own way
    desktop.ok("resolve", problem["id"], "--keep", "keep_other")
    sync_all(laptop, desktop)
    assert laptop.ok("show", "--json") == desktop.ok("show", "--json")
    (task,) = json.loads(laptop.ok("show", "--json"))["tasks"]
    assert {task["title"], *task["title_conflicts"]} == titles
    (again,) = desktop.conflicts()  # shown honestly: both choices, to settle once more
    assert again["id"] == problem["id"] and {v["text"] for v in again["versions"]} == titles


def test_a_delete_that_lands_after_an_unseen_edit_is_flagged(
    pair: tuple[Device, Device],
) -> None:
    """The other order: the edit reaches the remote first, then the deletion of the
    version its device had seen (the deletion names that version)."""
    laptop, desktop = pair
    task = laptop.ok("add-task", "Renew passport").strip()
    sync_all(laptop, desktop)
    laptop.ok("delete", task)
    desktop.ok("edit", task, "--title", "Renew passport before June")
    sync_all(desktop, laptop)
    (problem,) = laptop.conflicts()
    assert problem["kind"] == "edited_after_delete" and desktop.conflicts() == [problem]
    laptop.ok("resolve", problem["id"], "restore")
    sync_all(laptop, desktop)
    (shown,) = json.loads(desktop.ok("show", "--json"))["tasks"]
    assert shown["title"] == "Renew passport before June"


def test_edit_option_takes_the_merged_text(pair: tuple[Device, Device], tmp_path: Path) -> None:
    laptop, desktop = pair
    SCENARIOS["note_body_conflict"](laptop, desktop)
    sync_all(laptop, desktop)
    (problem,) = laptop.conflicts()
    merged = tmp_path / "merged.txt"
    merged.write_text("pack\nbook the 9:12 train, or a flight\ncall mum", encoding="utf-8")
    laptop.ok("resolve", problem["id"], "edit", "--text-file", str(merged))
    sync_all(laptop, desktop)
    (note,) = json.loads(desktop.ok("show", "--json"))["notes"]
    assert note["body"] == merged.read_text(encoding="utf-8") and note["conflicts"] == []


def test_non_overlapping_body_edits_merge_on_both_devices(pair: tuple[Device, Device]) -> None:
    laptop, desktop = pair
    note = laptop.ok("add-note", "Plan", "--body", "pack\nbook train\ncall mum").strip()
    sync_all(laptop, desktop)
    laptop.ok("edit", note, "--body", "pack socks\nbook train\ncall mum")
    desktop.ok("edit", note, "--body", "pack\nbook train\ncall mum and dad")
    sync_all(laptop, desktop)
    assert laptop.conflicts() == [] == desktop.conflicts()
    (shown,) = json.loads(desktop.ok("show", "--json"))["notes"]
    assert shown["body"] == "pack socks\nbook train\ncall mum and dad"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("resolve", "0000000000", "keep_current"), "no open conflict has id"),
        (("resolve", "{id}", "keep_everything"), "has no option 'keep_everything'"),
        (("resolve", "{id}", "edit"), "needs the merged text"),
    ],
)
def test_bad_resolutions_are_one_line_and_change_nothing(
    pair: tuple[Device, Device], args: tuple[str, ...], message: str
) -> None:
    laptop, desktop = pair
    SCENARIOS["note_body_conflict"](laptop, desktop)
    sync_all(laptop, desktop)
    (problem,) = laptop.conflicts()
    before = laptop.ok("show", "--json")
    code, _, err = laptop.run(*(a.format(id=problem["id"]) for a in args))
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert laptop.ok("show", "--json") == before
    assert json.loads(laptop.ok("status", "--json"))["pending"] == 0
