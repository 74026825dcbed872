"""Import and export on real files: Markdown folders in, JSON and Markdown out, and back.

These run in process (``App`` and ``cli.main.main``); ``test_cli.py`` covers the
installed script. Every import must arrive as ONE journaled action.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from desktop_app.app import App, AppError
from desktop_app.app import exchange as ex
from desktop_app.core import Priority, State
from desktop_app.core import actions as act
from tests.test_cli import run_in_process as run


def state_of(data_dir: Path) -> State:
    with App(data_dir) as app:
        return app.state


def pending(data_dir: Path) -> int:
    with App(data_dir) as app:
        return app.local.pending_count()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def notes_by_title(state: State) -> dict[str, Any]:
    return {n.title: n for n in state.notes.values()}


def list_name(state: State, list_id: str | None) -> str | None:
    return state.lists[list_id].name if list_id else None


# -- Markdown folder in ---------------------------------------------------------------------------


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A small Obsidian/Joplin-like folder with the cases an import must get right."""
    root = tmp_path / "vault"
    write(root / "Inbox thought.md", "Just a line, no heading.\nSecond line #idea\n")
    write(root / "Work" / "plan.md", "# Q3 plan\n\n## Goals\nShip it. #work/q3 and #42\n")
    write(
        root / "Work" / "Projects" / "site.md",
        '---\ntitle: Website relaunch\ntags: [web, "client a"]\naliases:\n  - site\n---\n'
        "# Website relaunch\n\nSee https://example.com/#pricing and [x](#top).\n"
        "```sh\n# not a heading\necho #nottag\n```\nInline `#code` too.\n",
    )
    write(
        root / "work" / "Joplin note.md",  # same list as "Work": names ignore case
        "---\ntags:\n  - joplin\n  - '#imported'\npinned: true\n---\n"
        "\n# Title from heading\nBody\n",
    )
    write(root / "Later heading.md", "Intro first.\n\n# Not the title\ntext\n")
    write(root / ".obsidian" / "workspace.md", "# hidden settings\n")
    write(root / "Work" / ".hidden.md", "# hidden file\n")
    (root / "Work" / "diagram.png").write_bytes(b"\x89PNG\r\n")
    write(root / "Empty.md", "")
    return root


def test_markdown_folder_imports_as_one_action(tmp_path: Path, vault: Path) -> None:
    d = tmp_path / "profile"
    with App(d) as app:
        app.add_task("Already here", list_name="WORK")  # existing list, other case
        before = app.local.pending_count()
        result = ex.import_path(app, vault)
        assert app.local.pending_count() == before + 1  # one action, one transaction
        state = app.state

    assert (result.notes, result.tasks, result.skipped) == (6, 0, 0)
    assert result.attachments == 1  # diagram.png, left where it is
    notes = notes_by_title(state)
    # Title: front matter ``title``, else the file name; the first heading is content.
    assert set(notes) == {
        "Inbox thought",
        "plan",
        "Website relaunch",
        "Joplin note",
        "Later heading",
        "Empty",
    }
    # Subfolders become lists; an existing list is reused case-insensitively; top level: none.
    assert sorted(lst.name for lst in state.lists.values()) == ["WORK", "Work/Projects"]
    assert list_name(state, notes["plan"].list_id) == "WORK"
    assert list_name(state, notes["Website relaunch"].list_id) == "Work/Projects"
    assert notes["Inbox thought"].list_id is None
    assert list_name(state, notes["Joplin note"].list_id) == "WORK"  # folder "work"
    assert result.lists == 1

    assert notes["plan"].body == "# Q3 plan\n\n## Goals\nShip it. #work/q3 and #42"
    assert notes["Inbox thought"].body == "Just a line, no heading.\nSecond line #idea"
    assert notes["Later heading"].body == "Intro first.\n\n# Not the title\ntext"
    assert notes["Empty"].body == ""
    site = notes["Website relaunch"]
    # Owned keys (title, tags) become fields; other properties stay verbatim on top.
    assert site.body == (
        "---\naliases:\n  - site\n---\n# Website relaunch\n\n"
        "See https://example.com/#pricing and [x](#top).\n"
        "```sh\n# not a heading\necho #nottag\n```\nInline `#code` too."
    )

    # Tags: front matter (list or block) and inline #tags, never code, URLs, anchors or #42.
    assert notes["Inbox thought"].tags == {"idea"}
    assert notes["plan"].tags == {"work/q3"}
    assert site.tags == {"web", "client-a"}
    joplin = notes["Joplin note"]
    assert joplin.tags == {"joplin", "imported"} and joplin.pinned
    assert joplin.body == "# Title from heading\nBody"


def test_undo_takes_a_whole_import_back(tmp_path: Path, vault: Path) -> None:
    d = tmp_path / "profile"
    code, out = run(d, "import", str(vault))
    assert code == 0
    assert out.decode().startswith("imported 6 notes, 0 tasks and ")
    assert len(state_of(d).notes) == 6
    assert run(d, "undo") == (0, b"undone: removed 2 lists, removed 6 notes\n")
    undone = state_of(d)  # the notes stay as tombstones, in case another device edits them
    assert not (undone.lists or undone.tasks or undone.notes)
    assert len(undone.deleted) == 6 + 2 and not any(t.edited for t in undone.deleted.values())


def test_one_windows_file_imports_as_one_note(tmp_path: Path) -> None:
    path = tmp_path / "From Windows.md"
    path.write_bytes("\ufeff# Grüße\r\n\r\nline one\r\nline two #tag\r\n".encode())
    with App(tmp_path / "p") as app:
        result = ex.import_path(app, path)
        (note,) = app.state.notes.values()
    assert (result.notes, result.lists) == (1, 0)
    assert (note.title, note.body, note.tags, note.list_id) == (
        "From Windows",
        "# Grüße\n\nline one\nline two #tag",
        {"tag"},
        None,
    )


def test_tasks_file_imports_tasks(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(
        folder / "Errands" / "tasks.md",
        "---\ntidemark: tasks\n---\n# Errands\n\n"
        "- [ ] Buy milk #home #dairy 📅 2026-03-01 ⏫\n"
        "- [x] Post letter 🔽\n"
        "* [X] Fix issue #42\n"
        "Some prose that is not a task.\n",
    )
    write(folder / "checklist.md", "# Packing\n- [ ] passport\n")  # no marker: a note
    with App(tmp_path / "p") as app:
        result = ex.import_path(app, folder)
        state = app.state
    assert (result.notes, result.tasks, result.lists) == (1, 3, 1)
    tasks = {t.title: t for t in state.tasks.values()}
    milk = tasks["Buy milk"]
    assert (milk.done, milk.due, milk.priority, milk.tags) == (
        False,
        date(2026, 3, 1),
        Priority.HIGH,
        {"home", "dairy"},
    )
    assert tasks["Post letter"].done and tasks["Post letter"].priority is Priority.LOW
    assert tasks["Fix issue #42"].done and tasks["Fix issue #42"].tags == frozenset()
    assert {list_name(state, t.list_id) for t in tasks.values()} == {"Errands"}
    # In any other note, checklist lines are text: no surprise tasks.
    assert notes_by_title(state)["checklist"].body == "# Packing\n- [ ] passport"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.md": "# fine", "b/c.md": b"\xff\xfe not utf-8"}, "c.md: it is not UTF-8 text"),
        ({"t.md": "---\ntidemark: tasks\n---\n- [ ] x 📅 2026-02-30"}, "line 4: invalid date"),
        ({"t.md": "---\ntidemark: tasks\n---\n- [ ] 📅 2026-03-01"}, "title cannot be empty"),
        ({"x.json": "[1, 2]"}, "not a Tidemark JSON export"),
        ({"x.json": b'{"tasks": [{"id": "t", "title": "caf\xe9"}]}'}, "not a Tidemark JSON export"),
        ({"x.json": '{"format": "tidemark-export", "version": 99}'}, "newer Tidemark"),
        (
            {
                "x.json": '{"tasks": [{"id": "t", "title": " ", "created": "2026-01-01T00:00:00Z",'
                ' "updated": "2026-01-01T00:00:00Z"}]}'
            },
            "needs an id and a title",
        ),
        ({"x.json": '{"tasks": [{"id": "t", "title": "x", "priority": "urgent"}]}'}, "$.tasks[0]"),
    ],
)
def test_a_bad_file_stops_the_whole_import(
    tmp_path: Path, files: dict[str, str | bytes], message: str
) -> None:
    folder = tmp_path / "in"
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    target = folder / "x.json" if "x.json" in files else folder
    with App(tmp_path / "p") as app:
        app.add_note("Existing")
        before = app.local.pending_count()
        with pytest.raises(AppError) as error:
            ex.import_path(app, target)
        assert message in str(error.value)
        assert app.local.pending_count() == before
        assert len(app.state.notes) == 1


# -- JSON out and back in -------------------------------------------------------------------------


def populate(app: App) -> None:
    """A state with every field set somewhere, including a kept conflicting version."""
    milk = app.add_task(
        "Buy milk", list_name="Groceries", due="2026-03-01", priority="high", tags=["home"]
    )
    app.add_task("Eggs ☕", list_name="Groceries", priority="low")
    app.edit(milk, done=True)
    app.add_list("Empty list")
    note = app.add_note("Pancakes", body="v1", list_name="Recipes", tags=["food", "b"], pinned=True)
    app.edit(note, body="v2")
    app.dispatch(act.NoteBody(id=note, body="v3 from another device", base="v1"))
    app.add_note("Loose", body="multi\nline\n")


def test_json_export_imports_back_identically(tmp_path: Path) -> None:
    source, copy = tmp_path / "source", tmp_path / "copy"
    with App(source) as app:
        populate(app)
        assert any(n.conflicts for n in app.state.notes.values())
    export = tmp_path / "backup.json"
    assert run(source, "export", "--format", "json", "--output", str(export)) == (0, b"")
    assert run(source, "export") == (0, export.read_bytes())  # stdout is the same bytes
    assert export.read_text(encoding="utf-8").startswith('{\n  "format": "tidemark-export"')

    code, out = run(copy, "import", str(export))
    assert (code, out.decode()) == (0, f"imported 2 notes, 2 tasks and 3 lists from {export}\n")
    assert run(copy, "show", "--json") == run(source, "show", "--json")
    assert pending(copy) == 1

    # Again: every id is already here, so nothing is added and nothing is journaled.
    code, out = run(copy, "import", str(export))
    assert out.decode().endswith("(7 items already here, skipped)\n")
    assert pending(copy) == 1
    assert run(copy, "show", "--json") == run(source, "show", "--json")


def test_json_import_joins_lists_that_already_exist_by_name(tmp_path: Path) -> None:
    with App(tmp_path / "a") as app:
        app.add_task("From a", list_name="Shared")
        data = ex.export_json(app.state)
    export = write(tmp_path / "a.json", data.decode())
    with App(tmp_path / "b") as app:
        app.add_task("From b", list_name="shared")
        result = ex.import_path(app, export)
        state = app.state
    assert (result.tasks, result.lists, result.skipped) == (1, 0, 1)
    (only,) = state.lists.values()
    assert only.name == "shared"
    assert {t.list_id for t in state.tasks.values()} == {only.id}


# -- Markdown out ---------------------------------------------------------------------------------


def test_markdown_folder_export_reads_back(tmp_path: Path) -> None:
    with App(tmp_path / "source") as app:
        populate(app)
        app.add_note("Same", body="first", list_name="Recipes")
        app.add_note("same", body="second", list_name="Recipes")
        app.add_note('a/b: c? "d"', body="odd name")
        app.add_note("tasks", body="not the checklist")
        app.add_note("Deep", list_name="Work/Projects", tags=["x"])
        app.add_note("Buy milk", body="a note titled like a task", list_name="Groceries")
        state = app.state
    out = tmp_path / "export"
    code, message = run(tmp_path / "source", "export", "--format", "markdown", "-o", str(out))
    assert code == 0 and message.decode() == f"wrote 10 Markdown files to {out}\n"

    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "Groceries/Buy milk (2).md",  # the note: every item has a file of its own
        "Groceries/Buy milk.md",
        "Groceries/Eggs ☕.md",
        "Loose.md",
        "Recipes/Pancakes.md",
        "Recipes/Same.md",
        "Recipes/same (2).md",  # case-insensitive file systems would clash
        "Work/Projects/Deep.md",
        "a-b- c- -d-.md",
        "tasks.md",  # a note: only front matter ``tidemark: tasks`` makes a checklist
    ]
    assert (out / "Empty list").is_dir()
    tasks_by_title = {t.title: t for t in state.tasks.values()}
    eggs, milk = tasks_by_title["Eggs ☕"], tasks_by_title["Buy milk"]
    # A task is a file that Joplin imports as a to-do and Obsidian's Tasks plugin reads.
    assert (out / "Groceries" / "Buy milk.md").read_text(encoding="utf-8") == (
        f"---\ntitle: Buy milk\ntidemark-id: {milk.id}\n"
        f"created: {milk.created.isoformat()}\nupdated: {milk.updated.isoformat()}\n"
        "completed?: yes\ndue: 2026-03-01\ntags: [home]\n---\n\n"
        "- [x] Buy milk #home 📅 2026-03-01 ⏫\n"
    )
    assert (out / "Groceries" / "Eggs ☕.md").read_text(encoding="utf-8") == (
        f"---\ntitle: Eggs ☕\ntidemark-id: {eggs.id}\n"
        f"created: {eggs.created.isoformat()}\nupdated: {eggs.updated.isoformat()}\n"
        "completed?: no\n---\n\n- [ ] Eggs ☕ 🔽\n"
    )
    pancakes = notes_by_title(state)["Pancakes"]
    assert (out / "Recipes" / "Pancakes.md").read_text(encoding="utf-8") == (
        f"---\ntitle: Pancakes\ntidemark-id: {pancakes.id}\n"
        f"created: {pancakes.created.isoformat()}\nupdated: {pancakes.updated.isoformat()}\n"
        "tags: [b, food]\npinned: true\n---\n\nv3 from another device\n"
    )

    with App(tmp_path / "copy") as app:
        result = ex.import_path(app, out)
        copy = app.state
    assert (result.notes, result.tasks) == (len(state.notes), len(state.tasks))

    def notes(s: State) -> set[tuple[Any, ...]]:
        return {
            (n.title, n.body.rstrip(), n.tags, n.pinned, list_name(s, n.list_id))
            for n in s.notes.values()
        }

    def tasks(s: State) -> set[tuple[Any, ...]]:
        return {
            (t.title, t.done, t.due, t.priority, t.tags, list_name(s, t.list_id))
            for t in s.tasks.values()
        }

    assert notes(copy) == notes(state)
    assert tasks(copy) == tasks(state)

    with pytest.raises(AppError, match="not an empty folder"):
        ex.export_markdown_folder(state, out)


def test_list_folders_nest_and_never_collide(tmp_path: Path) -> None:
    with App(tmp_path / "p") as app:
        app.add_note("a", list_name="Work")
        app.add_note("b", list_name="work/Sub")  # nests inside the folder of "Work"
        app.add_list("Work:Home")
        app.add_list("Work-Home")  # the same folder name once made safe
        state = app.state
    out = tmp_path / "out"
    assert ex.export_markdown_folder(state, out) == 2
    found = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert found == ["Work", "Work-Home", "Work-Home (2)", "Work/Sub", "Work/Sub/b.md", "Work/a.md"]


def test_markdown_document(tmp_path: Path) -> None:
    with App(tmp_path / "p") as app:
        populate(app)
    code, text = run(tmp_path / "p", "export", "--format", "markdown")
    assert code == 0
    doc = text.decode()
    assert doc.startswith("# Tidemark\n\n## Empty list\n\n(empty)\n\n## Groceries\n\n")
    assert "- [x] Buy milk #home 📅 2026-03-01 ⏫\n" in doc
    assert "## Recipes\n\n### Pancakes\n\n#b #food (pinned)\n\nv3 from another device\n" in doc
    assert doc.endswith("## No list\n\n### Loose\n\nmulti\nline\n")
    target = tmp_path / "all.md"
    assert run(tmp_path / "p", "export", "--format", "markdown", "-o", str(target)) == (0, b"")
    assert target.read_text(encoding="utf-8") == doc


# -- scale ----------------------------------------------------------------------------------------


def test_thousand_notes_import_as_one_action(tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    for i in range(1000):
        write(
            folder / f"Folder {i % 10}" / f"note {i:04}.md", f"# Note {i}\n\nBody {i} #t{i % 7}\n"
        )
    with App(tmp_path / "p") as app:
        app.add_task("warm up")  # the first write of a profile pays for creating it
        t0 = time.perf_counter()
        app.add_task("one edit")
        one_edit = time.perf_counter() - t0
        before = app.local.pending_count()
        t0 = time.perf_counter()
        steps, result = ex.plan_import(app, folder)  # read and parse every file
        t1 = time.perf_counter()
        app.dispatch_steps(steps)  # one action, one transaction
        t2 = time.perf_counter()
        assert app.local.pending_count() == before + 1
        assert (result.notes, result.lists) == (1000, 10)
        assert len(app.state.notes) == 1000
        assert app.undo() is not None
        assert len(app.state.notes) == 0
    print(
        f"\none edit {one_edit * 1000:.1f} ms; 1,000 notes: reading {(t1 - t0) * 1000:.0f} ms, "
        f"dispatching the one action {(t2 - t1) * 1000:.0f} ms"
    )


# -- the parsers on their own ---------------------------------------------------------------------


def test_front_matter_parsing() -> None:
    meta, rest = ex.split_front_matter(
        "---\ntitle: \"Quoted: yes\"\ntags: a, b #c\nother: 'it''s'\nnested:\n  key: v\n---\nbody"
    )
    assert meta == {"title": "Quoted: yes", "tags": "a, b", "other": "it's", "nested": {"key": "v"}}
    assert rest == "body"
    assert ex.split_front_matter("---\nnot closed\n") == ({}, "---\nnot closed\n")
    assert ex.split_front_matter("text\n---\nx: 1\n---\n")[0] == {}


def test_note_parsing_edge_cases() -> None:
    note = ex.parse_note("\n# Title  ##\nline\n", "file")
    assert (note.title, note.body) == ("file", "\n# Title  ##\nline")  # headings are content
    assert ex.parse_note("#nospace heading", "file").title == "file"
    assert ex.parse_note("---\ntitle: Front\n---\n# Other\nx", "f").body == "# Other\nx"
    assert ex.parse_note("---\ntitle: '  '\n---\nx", "f").title == "f"
    assert ex.inline_tags("a #one, (#two) x#three &#39; #4 #fine/sub- `#code`") == {
        "one",
        "fine/sub",
    }


def test_safe_file_names() -> None:
    assert ex.safe_file_name("  ..hidden  ") == "hidden"
    assert ex.safe_file_name("CON") == "CON_"
    assert ex.safe_file_name("???") == "---"
    assert ex.safe_file_name("") == "Untitled"
    assert len(ex.safe_file_name("é" * 500).encode()) <= 120
