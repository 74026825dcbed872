"""Migrating in from Joplin and Obsidian, and back out (issue 10).

Every fixture follows the format's documented syntax and is built here: a JEX
archive from Joplin's raw items (``BaseItem.serialize``), Joplin's Markdown +
Front Matter export (``utils/frontMatter.ts``), Joplin's plain Markdown export
(the body alone, the file name is the title), and an Obsidian vault.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.app import App
from desktop_app.app import exchange as ex
from desktop_app.cli.progress import ProgressLine
from desktop_app.core import Note, Priority, State, Task, TaskList, new_id, views
from desktop_app.core import actions as act
from desktop_app.core.text import one_line
from tests.test_cli import cli, one_line_error, run_in_process, show

T_CREATED = datetime(2020, 1, 31, 12, 0, tzinfo=UTC)
T_UPDATED = datetime(2020, 2, 1, 8, 30, tzinfo=UTC)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def by_title(items: Any) -> dict[str, Any]:
    return {i.title: i for i in items}


def list_of(state: State, item: Any) -> str | None:
    return state.lists[item.list_id].name if item.list_id else None


# -- Joplin: JEX ------------------------------------------------------------------------------


def joplin_time(when: datetime) -> str:
    """``BaseItem.serialize_format`` for the *_time fields."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def raw_item(title: str | None, body: str | None, **props: Any) -> str:
    """``BaseItem.serialize``: title, body (if any), then ``key: value`` lines."""
    newline = "\\n"  # how a raw item writes a new line inside a value
    lines = [f"{k}: {str(v).replace(chr(10), newline)}" for k, v in props.items()]
    parts = [p for p in (title, body or None, "\n".join(lines)) if p is not None]
    return "\n\n".join(parts)


def note_item(id: str, title: str, body: str, parent: str, **extra: Any) -> str:
    props = {
        "id": id,
        "parent_id": parent,
        "created_time": joplin_time(T_CREATED),
        "updated_time": joplin_time(T_UPDATED),
        "is_conflict": 0,
        "latitude": "0.00000000",
        "longitude": "0.00000000",
        "altitude": "0.0000",
        "author": "",
        "source_url": "",
        "is_todo": 0,
        "todo_due": 0,
        "todo_completed": 0,
        "source": "joplin-desktop",
        "application_data": "",
        "order": 0,
        "user_created_time": joplin_time(T_CREATED),
        "user_updated_time": joplin_time(T_UPDATED),
        "encryption_cipher_text": "",
        "encryption_applied": 0,
        "markup_language": 1,
        "is_shared": 0,
        "share_id": "",
        "conflict_original_id": "",
        "master_key_id": "",
        "user_data": "",
        "deleted_time": 0,
    }
    props.update(extra)
    return raw_item(title, body, **props, type_=1)


def folder_item(id: str, title: str, parent: str = "") -> str:
    return raw_item(
        title,
        None,
        id=id,
        created_time=joplin_time(T_CREATED),
        parent_id=parent,
        deleted_time=0,
        type_=2,
    )


def jex(items: dict[str, str], resources: dict[str, bytes] | None = None) -> bytes:
    """A tar of ``<id>.md`` raw items and ``resources/<file>``, as the JEX exporter makes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        files = {f"{k}.md": v.encode() for k, v in items.items()}
        files |= {f"resources/{k}": v for k, v in (resources or {}).items()}
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


F_WORK, F_PROJECTS, F_EMPTY = "f" * 31 + "1", "f" * 31 + "2", "f" * 31 + "3"
N_PLAN, T_PASSPORT, T_TAXES = "a" * 32, "b" * 32, "c" * 32
TAG_PLANNING, TAG_BIG = "d" * 31 + "1", "d" * 31 + "2"
DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DONE_AT = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def jex_archive() -> bytes:
    items = {
        F_WORK: folder_item(F_WORK, "Work"),
        F_PROJECTS: folder_item(F_PROJECTS, "Projects", F_WORK),
        F_EMPTY: folder_item(F_EMPTY, "Empty notebook"),
        N_PLAN: note_item(
            N_PLAN, "Quarterly plan", "# Q1\n\nShip #it\n\nkey: not a property", F_PROJECTS
        ),
        T_PASSPORT: note_item(
            T_PASSPORT, "Renew passport", "", F_WORK, is_todo=1, todo_due=ms(DUE)
        ),
        T_TAXES: note_item(
            T_TAXES,
            "File taxes",
            "Receipts in the drawer",
            "",
            is_todo=1,
            todo_completed=ms(DONE_AT),
        ),
        "e" * 32: note_item("e" * 32, "Quarterly plan", "their version", F_PROJECTS, is_conflict=1),
        "9" * 32: note_item("9" * 32, "Old idea", "in the trash", "", deleted_time=ms(DONE_AT)),
        TAG_PLANNING: raw_item("planning", None, id=TAG_PLANNING, type_=5),
        TAG_BIG: raw_item("big plans", None, id=TAG_BIG, type_=5),
        "7" * 32: raw_item(None, None, id="7" * 32, note_id=N_PLAN, tag_id=TAG_PLANNING, type_=6),
        "8" * 32: raw_item(None, None, id="8" * 32, note_id=N_PLAN, tag_id=TAG_BIG, type_=6),
        "6" * 32: raw_item(
            "scan.png", None, id="6" * 32, mime="image/png", file_extension="png", type_=4
        ),
    }
    return jex(items, {"6" * 32 + ".png": b"\x89PNG\r\n"})


def test_jex_import_brings_notebooks_notes_todos_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "export.jex"
    path.write_bytes(jex_archive())
    with App(tmp_path / "p") as app:
        result = ex.import_path(app, path)
        state = app.state
    assert (result.notes, result.tasks, result.lists) == (2, 2, 3)
    assert (result.left_out, result.attachments) == (2, 1)  # conflict + trashed; scan.png
    assert sorted(lst.name for lst in state.lists.values()) == [
        "Empty notebook",
        "Work",
        "Work/Projects",
    ]
    notes, tasks = by_title(state.notes.values()), by_title(state.tasks.values())
    assert set(notes) == {"Quarterly plan", "File taxes"}
    plan = notes["Quarterly plan"]
    assert plan.body == "# Q1\n\nShip #it\n\nkey: not a property"
    assert plan.tags == {"planning", "big-plans"}  # Joplin's tags; '#it' is text in Joplin
    assert list_of(state, plan) == "Work/Projects"
    assert (plan.created, plan.updated) == (T_CREATED, T_UPDATED)
    passport, taxes = tasks["Renew passport"], tasks["File taxes"]
    assert (passport.done, passport.due, list_of(state, passport)) == (
        False,
        date(2026, 3, 1),
        "Work",
    )
    assert (taxes.done, taxes.due, list_of(state, taxes)) == (True, None, None)
    assert notes["File taxes"].body == "Receipts in the drawer"  # a to-do's text, kept
    assert (passport.created, passport.updated) == (T_CREATED, T_UPDATED)

    with App(tmp_path / "p") as app:  # again: every item is keyed on its Joplin id
        before = app.local.pending_count()
        again = ex.import_path(app, path)
        assert app.local.pending_count() == before
        assert (again.notes, again.tasks, again.lists, again.skipped) == (0, 0, 0, 4)
        assert app.state == state


def test_joplin_raw_items_read_as_joplin_reads_them() -> None:
    from desktop_app.app import joplin

    item = joplin.unserialize(note_item("a" * 32, "T", "line\\n\n\nx: y", "p"))
    assert (item.title, item.body, item.props["id"], item.type) == (
        "T",
        "line\\n\n\nx: y",
        "a" * 32,
        1,
    )
    link = joplin.unserialize(raw_item(None, None, id="1", note_id="n", tag_id="t", type_=6))
    assert (link.title, link.body, link.props["note_id"]) == ("", "", "n")
    escaped = joplin.unserialize(raw_item("x", None, id="1", source_url="a\nb", type_=1))
    assert escaped.props["source_url"] == "a\nb"


# -- Joplin: Markdown + Front Matter, and plain Markdown --------------------------------------


def test_joplin_markdown_front_matter_export(tmp_path: Path) -> None:
    root = tmp_path / "joplin-md-fm"
    write(
        root / "Work" / "Projects" / "Quarterly plan.md",
        "---\ntitle: Quarterly plan\nupdated: 2020-02-01 08:30:00Z\n"
        "created: 2020-01-31 12:00:00Z\nsource: https://example.com/plan\nauthor: Ada\n"
        "tags:\n  - big plans\n  - planning\n---\n\n# Q1\n\nShip it\n",
    )
    write(
        root / "Work" / "Renew passport.md",
        "---\ntitle: Renew passport\nupdated: 2020-02-01 08:30:00Z\n"
        "created: 2020-01-31 12:00:00Z\ncompleted?: no\ndue: 2026-03-01 12:00:00Z\n"
        "tags:\n  - admin\n---\n\nBring the old one.\n",
    )
    write(
        root / "File taxes.md",
        "---\ntitle: File taxes\nupdated: 2020-02-01 08:30:00Z\n"
        "created: 2020-01-31 12:00:00Z\ncompleted?: yes\n---\n\n",
    )
    with App(tmp_path / "p") as app:
        result = ex.import_path(app, root)
        state = app.state
    assert (result.notes, result.tasks, result.lists) == (2, 2, 2)
    notes, tasks = by_title(state.notes.values()), by_title(state.tasks.values())
    plan = notes["Quarterly plan"]
    assert plan.body == "---\nsource: https://example.com/plan\nauthor: Ada\n---\n# Q1\n\nShip it"
    assert (plan.tags, list_of(state, plan)) == ({"big-plans", "planning"}, "Work/Projects")
    assert (plan.created, plan.updated) == (T_CREATED, T_UPDATED)
    passport = tasks["Renew passport"]
    assert (passport.done, passport.due, passport.tags) == (False, date(2026, 3, 1), {"admin"})
    assert (passport.created, passport.updated, list_of(state, passport)) == (
        T_CREATED,
        T_UPDATED,
        "Work",
    )
    assert notes["Renew passport"].body == "Bring the old one."
    taxes = tasks["File taxes"]
    assert (taxes.done, taxes.due, list_of(state, taxes)) == (True, None, None)
    assert "File taxes" not in notes  # an empty to-do is only a task


def test_plain_joplin_markdown_export_titles_come_from_file_names(tmp_path: Path) -> None:
    root = tmp_path / "joplin-md"
    write(root / "Work" / "Quarterly plan.md", "# Q1\n\nShip it\n")
    write(root / "Work" / "Projects" / "Notes.md", "Plain text.\n")
    with App(tmp_path / "p") as app:
        ex.import_path(app, root)
        state = app.state
    notes = by_title(state.notes.values())
    assert set(notes) == {"Quarterly plan", "Notes"}
    assert notes["Quarterly plan"].body == "# Q1\n\nShip it"
    assert list_of(state, notes["Notes"]) == "Work/Projects"


# -- Obsidian ---------------------------------------------------------------------------------

HOME = """---
aliases: [Start]
description: "Where it begins"
tags: [inbox, project/alpha]
cssclasses:
  - wide
---
# Welcome

See [[Projects/Plan#Budget|the budget]], [[#Risks]] and [[Plan#Risks|risks]].
Visit https://example.com/page#section and <https://example.com/#frag>.
Entities: &#35;notatag and &amp;#x23;nope. Issue #123 is numeric.
Inline tags: #meeting, #status/active and #2024-review.
Link text: [see #linktag](https://example.com) and ![#alt-text](x.png).

```c
#include <stdio.h>
```

`#inline-code` and \\#escaped

- [ ] Call Bob #followup
- [x] Done thing

![[diagram.png]]
![photo](photo.jpg)

## Risks #heading-tag
Some #risk here.
"""


@pytest.fixture
def obsidian(tmp_path: Path) -> Path:
    root = tmp_path / "Vault"
    write(root / "Home.md", HOME)
    write(root / "Projects" / "Plan.md", "---\ntitle: The plan\n---\n## Budget\nMoney.\n")
    write(root / "Projects" / "2026" / "Q1.md", "First quarter #q1\n")
    write(root / ".obsidian" / "app.json", "{}")
    (root / "diagram.png").write_bytes(b"\x89PNG\r\n")
    return root


def test_obsidian_vault(tmp_path: Path, obsidian: Path) -> None:
    with App(tmp_path / "p") as app:
        result = ex.import_path(app, obsidian)
        state = app.state
    assert (result.notes, result.tasks, result.lists) == (3, 0, 2)  # checklists stay text
    assert result.attachments == 4  # diagram.png; three embeds
    notes = by_title(state.notes.values())
    assert set(notes) == {"Home", "The plan", "Q1"}
    home = notes["Home"]
    assert home.tags == {
        "inbox",
        "project/alpha",
        "meeting",
        "status/active",
        "2024-review",
        "followup",
        "risk",
    }
    front = '---\naliases: [Start]\ndescription: "Where it begins"\ncssclasses:\n  - wide\n---\n'
    assert home.body == front + HOME.split("---\n", 2)[2].removesuffix("\n")
    assert (list_of(state, notes["The plan"]), notes["The plan"].body) == (
        "Projects",
        "## Budget\nMoney.",
    )
    assert list_of(state, notes["Q1"]) == "Projects/2026"
    assert notes["Q1"].tags == {"q1"}


def test_export_writes_obsidian_properties_back(tmp_path: Path, obsidian: Path) -> None:
    with App(tmp_path / "p") as app:
        ex.import_path(app, obsidian)
        home = by_title(app.state.notes.values())["Home"]
        ex.export_markdown_folder(app.state, tmp_path / "out")
    text = (tmp_path / "out" / "Home.md").read_text(encoding="utf-8")
    head, body = text.removeprefix("---\n").split("\n---\n\n", 1)
    assert head.split("\n") == [
        "title: Home",
        f"tidemark-id: {home.id}",
        f"created: {home.created.isoformat()}",
        f"updated: {home.updated.isoformat()}",
        "tags: [2024-review, followup, inbox, meeting, project/alpha, risk, status/active]",
        "aliases: [Start]",
        'description: "Where it begins"',
        "cssclasses:",
        "  - wide",
    ]
    assert body == HOME.split("---\n", 2)[2]


# -- re-import: idempotent, and a changed file edits its note ----------------------------------


def test_importing_again_changes_nothing_and_a_changed_file_edits_its_note(
    tmp_path: Path, obsidian: Path
) -> None:
    d = tmp_path / "p"
    with App(d) as app:
        ex.import_path(app, obsidian)
        first = app.state
        journaled = app.local.pending_count()
        again = ex.import_path(app, obsidian)
        assert (again.notes, again.lists, again.skipped, again.updated) == (0, 0, 3, 0)
        assert app.local.pending_count() == journaled and app.state == first

    write(obsidian / "Projects" / "2026" / "Q1.md", "First quarter #q1 #done\nMore.\n")
    seen: list[Any] = []
    with App(d) as app:
        app.store.subscribe(lambda _state, action: seen.append(action))
        result = ex.import_path(app, obsidian)
        q1 = by_title(app.state.notes.values())["Q1"]
    assert (result.notes, result.updated, result.skipped) == (0, 1, 2)
    (action,) = seen
    steps = action.arg.steps
    assert [type(s) for s in steps] == [act.NoteBody, act.AddTag]  # field-level, not whole
    assert steps[0].base == "First quarter #q1"  # merges like any edit
    old_q1 = by_title(first.notes.values())["Q1"]
    assert (q1.id, q1.body, q1.tags) == (
        old_q1.id,
        "First quarter #q1 #done\nMore.",
        {"q1", "done"},
    )


def test_a_note_deleted_here_stays_deleted_on_reimport(tmp_path: Path, obsidian: Path) -> None:
    with App(tmp_path / "p") as app:
        ex.import_path(app, obsidian)
        q1 = by_title(app.state.notes.values())["Q1"]
        app.delete(q1.id)
        result = ex.import_path(app, obsidian)
        assert result.notes == 0 and q1.id not in app.state.notes


# -- malformed input: one line naming the file, exit 1, nothing imported ----------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vault/Bad.md", b"---\ntags: [a, b\n---\ntext\n", "Bad.md: its front matter is not valid"),
        ("vault/Image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Image.md: it is not text"),
        ("vault/Latin.md", "caf\u00e9 au lait".encode("latin-1"), "Latin.md: it is not UTF-8"),
        ("cut.jex", jex_archive()[:1500], "cut.jex: it is not a complete JEX archive"),
    ],
)
def test_a_malformed_file_stops_the_import(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    write(tmp_path / "vault" / "Good.md", "# fine\n")
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    target = tmp_path / name.split("/")[0]
    d = tmp_path / "p"
    assert run_in_process(d, "add-note", "Existing")[0] == 0
    line = one_line_error(cli(d, "import", str(target)), 1)
    assert message in line, line
    assert [n["title"] for n in show(d)["notes"]] == ["Existing"]


# -- export, then import: the same notes and tasks ---------------------------------------------

LIST_NAMES = ("Work", "Work/Projects", "Home", "Ünïcode list", "zeta")
NOTE_TEXT = st.text(alphabet="abcXYZ 019-_.,:;'\"#!?()[]{}é☕/&*%@`|>~", min_size=1, max_size=24)
TASK_TEXT = st.text(alphabet="abcXYZ 019-_.,:;'\"!?()[]{}é☕/&*%@`|>~", min_size=1, max_size=24)
BODY = st.one_of(
    st.text(alphabet="ab #-*[]`\n:~_/!é>xyz", max_size=80),
    st.sampled_from(
        [
            "---\naliases: [a]\n---\nkept",
            "---\ntitle: mine\n---\n",
            "---\n---\nx",
            "#tag in text, not a tag here",
            "```\n#include <x>\n```\n",
            "\n\nleading and trailing\n\n",
        ]
    ),
)
TAG = st.from_regex(r"[a-zé][a-z0-9_/-]{0,8}", fullmatch=True)
MOMENT = st.integers(0, 4_000_000_000_000).map(lambda ms: datetime.fromtimestamp(ms / 1000, UTC))


@st.composite
def states(draw: st.DrawFn) -> list[Any]:
    """Restore steps for lists (closed under parents), tasks and notes with every field set."""
    names = set(draw(st.sets(st.sampled_from(LIST_NAMES))))
    names |= {n.split("/")[0] for n in names}
    lists = [TaskList(id=new_id(), name=n, created=T_CREATED) for n in sorted(names)]
    list_ids = st.sampled_from([None, *(lst.id for lst in lists)])
    tasks = [
        Task(
            id=new_id(),
            title=one_line(draw(TASK_TEXT)) or "t",
            done=draw(st.booleans()),
            due=draw(st.none() | st.dates(date(1970, 1, 1), date(2100, 1, 1))),
            priority=draw(st.sampled_from(Priority)),
            list_id=draw(list_ids),
            tags=draw(st.frozensets(TAG, max_size=3)),
            created=draw(MOMENT),
            updated=draw(MOMENT),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    notes = [
        Note(
            id=new_id(),
            title=one_line(draw(NOTE_TEXT)) or "n",
            body=draw(BODY),
            list_id=draw(list_ids),
            tags=draw(st.frozensets(TAG, max_size=3)),
            pinned=draw(st.booleans()),
            created=draw(MOMENT),
            updated=draw(MOMENT),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    return [
        *(act.RestoreList(list=lst) for lst in lists),
        *(act.RestoreTask(task=t) for t in tasks),
        *(act.RestoreNote(note=n) for n in notes),
    ]


def comparable(state: State) -> dict[str, Any]:
    """``show --json`` up to the ids of lists (made anew, matched by name) and their times."""
    doc = views.document(state)
    return {
        "lists": sorted(lst["name"] for lst in doc["lists"]),
        "tasks": [{k: v for k, v in t.items() if k != "list_id"} for t in doc["tasks"]],
        "notes": [{k: v for k, v in n.items() if k != "list_id"} for n in doc["notes"]],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=states())
def test_markdown_export_then_import_is_the_identity(steps: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not steps:
            return  # nothing to export: an empty folder, which no import takes
        with App(root / "a") as a:
            a.dispatch_steps(steps)
            ex.export_markdown_folder(a.state, root / "out")
            source = a.state
            journaled = a.local.pending_count()
            ex.import_path(a, root / "out")  # into the profile it came from: nothing changes
            assert a.local.pending_count() == journaled
            assert a.state == source
        with App(root / "b") as b:
            ex.import_path(b, root / "out")
            assert comparable(b.state) == comparable(source)
            copy, journaled = b.state, b.local.pending_count()
            ex.import_path(b, root / "out")  # and again: nothing changes
            assert b.local.pending_count() == journaled
            assert b.state == copy


# -- progress on stderr ------------------------------------------------------------------------


class Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_line_appears_after_a_second_on_a_terminal_only(tmp_path: Path) -> None:
    now = [0.0]
    screen = Terminal(tty=True)
    line = ProgressLine("importing vault", screen, clock=lambda: now[0])
    line(10, 0)  # within the first second: nothing
    assert screen.getvalue() == ""
    now[0] = 1.5
    line(500, 0)
    now[0] = 1.55
    line(501, 0)  # within a tenth of a second of the last: not redrawn
    now[0] = 2.0
    line(2, 1000)
    line.close()
    assert screen.getvalue() == (
        "\rimporting vault: 500 files read\x1b[K\rimporting vault: 2/1,000 items\x1b[K\r\x1b[K"
    )
    pipe = Terminal(tty=False)
    quiet = ProgressLine("importing", pipe, clock=lambda: now[0] + 10)
    quiet(1, 2)
    quiet.close()
    assert pipe.getvalue() == ""


def test_import_reports_progress_for_every_file(tmp_path: Path, obsidian: Path) -> None:
    seen: list[tuple[int, int]] = []
    with App(tmp_path / "p") as app:
        ex.import_path(app, obsidian, lambda done, total: seen.append((done, total)))
    assert seen == [(1, 0), (2, 0), (3, 0), (1, 3), (2, 3), (3, 3)]


def test_a_task_ticked_in_obsidian_is_done_on_reimport(tmp_path: Path) -> None:
    with App(tmp_path / "p") as app:
        eggs = app.add_task("Eggs", list_name="Groceries", due="2026-03-01")
        ex.export_markdown_folder(app.state, tmp_path / "vault")
        path = tmp_path / "vault" / "Groceries" / "Eggs.md"
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n---\n\n- [ ] Eggs 📅 2026-03-01\n")
        # What the Tasks plugin writes when the box is ticked: a done date.
        ticked = text.replace("- [ ] Eggs 📅 2026-03-01", "- [x] Eggs 📅 2026-03-01 ✅ 2026-02-27")
        path.write_text(ticked, encoding="utf-8")
        seen: list[Any] = []
        app.store.subscribe(lambda _state, action: seen.append(action))
        result = ex.import_path(app, tmp_path / "vault")
        task = app.state.tasks[eggs]
    assert (result.tasks, result.updated) == (0, 1)
    assert (task.title, task.done, task.due) == ("Eggs", True, date(2026, 3, 1))
    assert [type(a.arg) for a in seen] == [act.TaskDone]  # one field-level edit
