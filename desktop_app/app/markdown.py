"""Note bodies as Markdown: rendering, task checkboxes and ``[[wiki links]]`` (no Qt).

Parsing is markdown-it-py's (CommonMark plus GFM tables, strikethrough and task
lists from mdit-py-plugins, and footnotes). Two small plugin rules adapt its
output to a preview that acts: a task checkbox becomes a ``tidemark-task:LINE``
link (LINE is the source line, so a click can tick exactly that box), and
``[[Note title]]`` becomes a ``tidemark-note:ID`` link, or ``tidemark-new:TITLE``
when no note has that title yet. Raw HTML in a note is shown as text, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from desktop_app.core import Note

if TYPE_CHECKING:  # imported on first render: the window's first paint never waits on it
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

TASK_SCHEME = "tidemark-task"
NOTE_SCHEME = "tidemark-note"
NEW_NOTE_SCHEME = "tidemark-new"
UNCHECKED, CHECKED = "\N{BALLOT BOX}", "\N{BALLOT BOX WITH CHECK}"

Resolve = Callable[[str], str | None]  # note title -> note id, or None

# A task item's box on its source line: list marker (maybe inside quotes), then [ ] or [x].
_TASK_BOX = re.compile(r"^((?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[)([ xX])(\])")


# ``[[inner]]`` on one line; ``inner`` has no ``[`` and no ``]]``. The scan of a
# candidate stops at the next bracket or line end, so a long run of ``[`` stays
# linear (finding ``]]`` first rescanned the rest of the text at every ``[[``).
_WIKILINK = re.compile(r"\[\[((?:[^\[\]\n]|\](?!\]))*)\]\]")


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    """``[[Title]]`` or ``[[Title|shown text]]`` as one ``wikilink`` token."""
    src, start = state.src, state.pos
    if not src.startswith("[[", start):
        return False
    found = _WIKILINK.match(src, start)
    if found is None or not found.group(1).strip():
        return False
    if not silent:
        title, _, shown = found.group(1).partition("|")
        token = state.push("wikilink", "", 0)
        token.meta = {"title": title.strip(), "text": (shown or title).strip()}
    state.pos = found.end()
    return True


def _render_wikilink(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    title, text = tokens[idx].meta["title"], tokens[idx].meta["text"]
    resolve: Resolve | None = env.get("resolve")
    note_id = resolve(title) if resolve else None
    if note_id is not None:
        href, css = f"{NOTE_SCHEME}:{quote(note_id)}", "wikilink"
    else:
        href, css = f"{NEW_NOTE_SCHEME}:{quote(title)}", "wikilink missing"
    tip = "" if note_id else ' title="No note has this title yet: click to create it"'
    return f'<a class="{css}" href="{html.escape(href)}"{tip}>{html.escape(text)}</a>'


def _clickable_boxes(state: StateCore) -> None:
    """Turn the task-list plugin's disabled ``<input>`` into a link naming its source line."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children or i < 2:
            continue
        first, item = token.children[0], tokens[i - 2]
        if first.type != "html_inline" or "task-list-item-checkbox" not in first.content:
            continue
        line = item.map[0] if item.map else -1
        box = CHECKED if 'checked="checked"' in first.content else UNCHECKED
        first.content = f'<a class="task" href="{TASK_SCHEME}:{line}">{box}</a>'


def _render_table_open(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    # Qt's rich text draws table borders from attributes, not from CSS.
    return '<table border="1" cellspacing="0" cellpadding="4">\n'


def _render_front_matter(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    """Properties kept from an imported note (YAML between ``---`` lines at the top)
    shown as a small table, as Obsidian shows them, not as a rule and a heading."""
    import yaml

    source = tokens[idx].content
    try:
        properties = yaml.safe_load(source)
    except yaml.YAMLError:
        properties = None
    if not isinstance(properties, dict) or not properties:
        return f"<pre><code>{html.escape(source)}</code></pre>\n"
    rows = "".join(
        f"<tr><td><i>{html.escape(str(key))}</i></td><td>{html.escape(_property(value))}</td></tr>"
        for key, value in properties.items()
    )
    return f'<table class="properties" cellspacing="0" cellpadding="2">{rows}</table>\n'


def _property(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_property(v) for v in value)
    return "" if value is None else str(value)


@cache
def parser() -> MarkdownIt:
    """The parser the window renders with."""
    return _configured()


@cache
def _scan_parser() -> MarkdownIt:
    """The same parser, with entities and escapes left as tokens of their own.

    ``&#35;tag`` and ``\\#tag`` are not tags; joined into the text around them
    (markdown-it's ``text_join``) they would look like one.
    """
    return _configured().disable("text_join")


def _configured() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = (
        MarkdownIt("commonmark", {"html": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(tasklists_plugin)
        .use(footnote_plugin)
        .use(front_matter_plugin)
    )
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.core.ruler.after("github-tasklists", "tidemark-boxes", _clickable_boxes)
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("front_matter", _render_front_matter)
    return md


# An Obsidian tag: '#' at the start or after white space, then letters, digits, _ - /.
_TAG = re.compile(r"(?:^|(?<=\s))#([\w/-]+)")
# What a tag or an embed needs in the raw text; without it there is nothing to find.
_CANDIDATE = re.compile(r"(?<!\S)#[\w/-]|!\[")
_BLOCKER = "\x00"  # stands for anything that is not text: no tag may start right after it


@dataclass(frozen=True)
class BodyScan:
    """What an import needs from a body: its tags and the attachments it embeds."""

    tags: frozenset[str] = frozenset()
    embeds: int = 0


def scan(body: str) -> BodyScan:
    """Tags from text tokens only (never code, links, URLs, entities, headings), and embeds.

    Obsidian's tag rules: letters, digits, ``_``, ``-`` and ``/``, not purely
    numeric. ``[[Note#Heading|alias]]`` and ``[[#Heading]]`` are links. An embed
    is an image (``![alt](file.png)``) or an Obsidian embed (``![[file.png]]``).
    """
    if _CANDIDATE.search(body) is None:
        return BodyScan()  # nothing that could be a tag or an embed: skip the parser
    tags: set[str] = set()
    embeds = 0
    in_heading = False
    for token in _scan_parser().parse(body):
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and token.children:
            found, count = _scan_inline(token.children)
            embeds += count
            if not in_heading:
                tags |= found
    return BodyScan(frozenset(tags), embeds)


def _scan_inline(children: list[Token]) -> tuple[set[str], int]:
    parts: list[str] = []
    embeds = link_depth = 0
    for child in children:
        kind = child.type
        if kind == "link_open":
            link_depth += 1
        elif kind == "link_close":
            link_depth -= 1
        if kind == "text" and link_depth == 0:
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        else:
            if kind == "image" or (kind == "wikilink" and parts and parts[-1].endswith("!")):
                embeds += 1
            parts.append(_BLOCKER)
    text = "".join(parts)
    if "#" not in text:
        return set(), embeds
    found = (t.rstrip("/-") for t in _TAG.findall(text))
    return {t for t in found if t and not t.isdigit()}, embeds


def render(body: str, resolve: Resolve | None = None) -> str:
    """The body as an HTML fragment; ``resolve`` maps a wiki-link title to a note id."""
    return parser().render(body, {"resolve": resolve})


def wikilinks(body: str) -> list[str]:
    """The titles a body links to with ``[[...]]`` (not inside code), each once, in order."""
    if "[[" not in body:
        return []
    found: dict[str, None] = {}
    for token in parser().parse(body):
        for child in token.children or ():
            if child.type == "wikilink":
                found.setdefault(child.meta["title"], None)
    return list(found)


def links_to(body: str, titles: Iterable[str]) -> bool:
    """Whether the body has a wiki link to any of ``titles`` (case-insensitively)."""
    wanted = {t.casefold() for t in titles}
    if "[[" not in body or not any(t in body.casefold() for t in wanted):
        return False  # cheap rejection: most notes never mention the title
    return any(t.casefold() in wanted for t in wikilinks(body))


def toggle_task(body: str, line: int) -> str | None:
    """The body with the task box on source ``line`` ticked or unticked; None if there is none."""
    lines = body.split("\n")
    if not 0 <= line < len(lines):
        return None
    match = _TASK_BOX.match(lines[line])
    if match is None:
        return None
    mark = " " if match.group(2) in "xX" else "x"
    lines[line] = match.group(1) + mark + match.group(3) + lines[line][match.end() :]
    return "\n".join(lines)


def link_target(url: str) -> tuple[str, str]:
    """A preview link as ``(scheme, value)``: the task line, note id, new title, or a URL."""
    scheme, _, rest = url.partition(":")
    if scheme in (TASK_SCHEME, NOTE_SCHEME, NEW_NOTE_SCHEME):
        return scheme, unquote(rest)
    return "external", url


def backlinks(notes: Iterable[Note], note: Note) -> list[Note]:
    """The other notes whose body links to ``note`` by its title, by title."""
    found = [n for n in notes if n.id != note.id and links_to(n.body, [note.title])]
    return sorted(found, key=lambda n: (n.title.casefold(), n.id))
