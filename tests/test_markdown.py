"""Note Markdown without a window: rendering, task boxes, wiki links and backlinks."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop_app.app import markdown
from desktop_app.core import Note, State, views

BODY = """# Plan

- [ ] buy milk
- [x] pay rent
> - [ ] quoted
1. [ ] numbered

See [[Recipes]] and [[Nowhere|elsewhere]], not `[[code]]`.

| a | b |
|---|---|
| 1 | 2 |

<script>alert(1)</script>
"""
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def note(note_id: str, title: str, body: str = "") -> Note:
    return Note(id=note_id, title=title, body=body, created=T0, updated=T0)


def test_render_covers_the_common_blocks() -> None:
    out = markdown.render(
        "# H\n\n> q\n\n```\ncode\n```\n\n- a\n\n[x](https://e.org) ~~gone~~\n\n|a|\n|-|\n|1|"
    )
    for piece in (
        "<h1>H</h1>",
        "<blockquote>",
        "<pre><code>code",
        "<ul>",
        "<li>a</li>",
        'href="https://e.org"',
        "<s>gone</s>",
        '<table border="1"',
        "<td>1</td>",
    ):
        assert piece in out


def test_task_boxes_are_links_to_their_source_lines() -> None:
    out = markdown.render(BODY)
    assert 'href="tidemark-task:2">\N{BALLOT BOX}</a> buy milk' in out
    assert 'href="tidemark-task:3">\N{BALLOT BOX WITH CHECK}</a> pay rent' in out
    assert 'href="tidemark-task:4"' in out and 'href="tidemark-task:5"' in out
    assert "<input" not in out


def test_raw_html_is_shown_as_text() -> None:
    assert "<script>" not in markdown.render(BODY)
    assert "&lt;script&gt;" in markdown.render(BODY)


def test_toggle_task_flips_exactly_that_line() -> None:
    lines = BODY.split("\n")
    ticked = markdown.toggle_task(BODY, 2).split("\n")
    assert ticked[2] == "- [x] buy milk"
    assert ticked[:2] + ticked[3:] == lines[:2] + lines[3:]
    assert markdown.toggle_task(BODY, 3).split("\n")[3] == "- [ ] pay rent"
    assert markdown.toggle_task(BODY, 4).split("\n")[4] == "> - [x] quoted"
    assert markdown.toggle_task(BODY, 5).split("\n")[5] == "1. [x] numbered"
    assert markdown.toggle_task(BODY, 0) is None  # a heading has no box
    assert markdown.toggle_task(BODY, 99) is None


def test_wikilinks_resolve_to_notes_or_offer_a_new_one() -> None:
    out = markdown.render(BODY, lambda title: "N1" if title == "Recipes" else None)
    assert '<a class="wikilink" href="tidemark-note:N1">Recipes</a>' in out
    assert 'href="tidemark-new:Nowhere"' in out and ">elsewhere</a>" in out
    assert "<code>[[code]]</code>" in out
    assert markdown.wikilinks(BODY) == ["Recipes", "Nowhere"]
    assert markdown.link_target("tidemark-new:Two%20words") == ("tidemark-new", "Two words")
    assert markdown.link_target("https://e.org/a") == ("external", "https://e.org/a")


def test_backlinks_match_titles_case_blind_and_skip_code() -> None:
    target = note("t", "Recipes", "[[Recipes]]")  # a self link is not a backlink
    notes = [
        target,
        note("a", "Shopping", "see [[recipes]]"),
        note("b", "Code", "`[[Recipes]]` is how you link"),
        note("c", "Aliased", "[[Recipes|the book]]"),
    ]
    assert [n.title for n in markdown.backlinks(notes, target)] == ["Aliased", "Shopping"]


def test_note_titled_picks_the_oldest_of_equal_titles() -> None:
    older = note("z", "Ideas")
    newer = Note(id="a", title="ideas", created=datetime(2026, 4, 1, tzinfo=UTC), updated=T0)
    state = State().with_note(older).with_note(newer)
    assert views.note_titled(state, " IDEAS ") is older
    assert views.note_titled(state, "nothing") is None


def test_kept_properties_render_as_a_table_not_a_rule_and_a_heading() -> None:
    # An imported note keeps its other properties as front matter at the top.
    body = "---\naliases:\n  - Q-plan\n  - <b>plan</b>\npermalink: plan\n---\n- [ ] first step\n"
    rendered = markdown.render(body)
    assert '<table class="properties"' in rendered
    assert "<td><i>aliases</i></td><td>Q-plan, &lt;b&gt;plan&lt;/b&gt;</td>" in rendered
    assert "<h2>" not in rendered and "<hr" not in rendered
    assert 'href="tidemark-task:6"' in rendered  # boxes still name their source line
    broken = markdown.render("---\nkey: [unclosed\n---\ntext\n")
    assert "<pre><code>key: [unclosed</code></pre>" in broken and "<p>text</p>" in broken
