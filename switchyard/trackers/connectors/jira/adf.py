"""Atlassian Document Format (ADF) <-> the Markdown-like text Switchyard stores.

Supported both ways: paragraphs (a line break inside one is an ADF ``hardBreak``), headings
(``#`` .. ``######``), bullet lists (``- ``), numbered lists (``1. ``), nested lists (indented to
the item's text), fenced code blocks with an optional language, links ``[text](url)``,
``**bold**`` and ``*italic*``. A backslash escapes punctuation. Any other ADF node or mark
degrades to its text. ADF structure: https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Node = dict[str, Any]

_HEADING = re.compile(r"^(#{1,6})(?: (.*))?$")
_BULLET = re.compile(r"^- (.*)$|^-$")
_ORDERED = re.compile(r"^(\d{1,9})\. (.*)$|^(\d{1,9})\.$")
_FENCE = re.compile(r"^(`{3,})([^`\s]*)\s*$")
_ESCAPABLE = frozenset("\\*[]`#-.!()_")
# Characters that always need a backslash in rendered text, wherever they stand.
_INLINE_SPECIAL = re.compile(r"([\\*\[\]])")


# -- Markdown -> ADF ----------------------------------------------------------------------


def markdown_to_adf(text: str) -> Node:
    """Parse Switchyard's Markdown-like text into an ADF document (version 1)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return {"type": "doc", "version": 1, "content": _parse_blocks(lines)}


def _parse_blocks(lines: list[str]) -> list[Node]:
    blocks: list[Node] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if fence := _FENCE.match(line):
            i = _parse_code(lines, i, fence, blocks)
        elif heading := _HEADING.match(line):
            level = len(heading.group(1))
            content = _parse_inline((heading.group(2) or "").strip())
            blocks.append({"type": "heading", "attrs": {"level": level}, "content": content})
            i += 1
        elif _list_marker(line):
            i = _parse_list(lines, i, blocks)
        else:
            i = _parse_paragraph(lines, i, blocks)
    return blocks


def _parse_code(lines: list[str], i: int, fence: re.Match[str], blocks: list[Node]) -> int:
    ticks, language = fence.group(1), fence.group(2)
    body: list[str] = []
    i += 1
    while i < len(lines) and lines[i].rstrip() != ticks:
        body.append(lines[i])
        i += 1
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    code = "\n".join(body)
    if code:
        node["content"] = [{"type": "text", "text": code}]
    blocks.append(node)
    return i + 1


def _list_marker(line: str) -> tuple[str, int, str, int] | None:
    """(list type, content indent, first-line text, start number) when a line opens an item."""
    if bullet := _BULLET.match(line):
        return "bulletList", 2, bullet.group(1) or "", 1
    if ordered := _ORDERED.match(line):
        number = ordered.group(1) or ordered.group(3)
        return "orderedList", len(number) + 2, ordered.group(2) or "", int(number)
    return None


def _parse_list(lines: list[str], i: int, blocks: list[Node]) -> int:
    kind, _, _, start = _list_marker(lines[i])  # type: ignore[misc]
    items: list[Node] = []
    while i < len(lines):
        marker = _list_marker(lines[i])
        if marker is None or marker[0] != kind:
            break
        _, indent, first, _ = marker
        body = [first]
        i += 1
        # The item goes on while lines are indented to its text; a blank line stays inside only
        # when an indented line follows it (otherwise it ends the list).
        while i < len(lines):
            line = lines[i]
            if line.strip() and line[:indent].strip() == "" and len(line) > indent:
                body.append(line[indent:])
                i += 1
            elif not line.strip() and _continues(lines, i, indent):
                body.append("")
                i += 1
            else:
                break
        items.append({"type": "listItem", "content": _item_content(_parse_blocks(body))})
        if i < len(lines) and not lines[i].strip():
            break
    node: Node = {"type": kind, "content": items}
    if kind == "orderedList":
        node["attrs"] = {"order": start}
    blocks.append(node)
    return i


def _item_content(blocks: list[Node]) -> list[Node]:
    """ADF list items hold no headings and must open with a paragraph or a code block."""
    blocks = [
        {"type": "paragraph", "content": block["content"]} if block["type"] == "heading" else block
        for block in blocks
    ]
    if not blocks or blocks[0]["type"] not in ("paragraph", "codeBlock"):
        blocks.insert(0, {"type": "paragraph", "content": []})
    return blocks


def _continues(lines: list[str], i: int, indent: int) -> bool:
    for line in lines[i:]:
        if line.strip():
            return line[:indent].strip() == "" and len(line) > indent
    return False


def _parse_paragraph(lines: list[str], i: int, blocks: list[Node]) -> int:
    content: list[Node] = []
    first = True
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            break
        if not first and (_FENCE.match(line) or _HEADING.match(line) or _list_marker(line)):
            break
        if not first:
            content.append({"type": "hardBreak"})
        content.extend(_parse_inline(line.strip()))
        first = False
        i += 1
    blocks.append({"type": "paragraph", "content": _merge_text(content)})
    return i


def _parse_inline(text: str) -> list[Node]:
    nodes, _ = _inline(text, 0, None, ())
    return _merge_text(nodes)


def _inline(
    text: str, i: int, closer: str | None, marks: tuple[Node, ...]
) -> tuple[list[Node], int | None]:
    """Parse inline text from i until ``closer``; returns (nodes, index after closer or None)."""
    nodes: list[Node] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            nodes.append(_text("".join(plain), marks))
            plain.clear()

    while i < len(text):
        char = text[i]
        if closer is not None and text.startswith(closer, i):
            flush()
            return nodes, i + len(closer)
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            plain.append(text[i + 1])
            i += 2
            continue
        opened = _open_span(text, i, marks)
        if opened is not None:
            inner, end = opened
            flush()
            nodes.extend(inner)
            i = end
            continue
        plain.append(char)
        i += 1
    flush()
    return nodes, None


def _open_span(text: str, i: int, marks: tuple[Node, ...]) -> tuple[list[Node], int] | None:
    """Try to read a **strong**, *em* or [link](url) span at i; None leaves it literal."""
    kinds = {mark["type"] for mark in marks}
    if text.startswith("**", i) and "strong" not in kinds:
        return _span(text, i + 2, "**", (*marks, {"type": "strong"}))
    if text[i] == "*" and "em" not in kinds:
        return _span(text, i + 1, "*", (*marks, {"type": "em"}))
    if text[i] == "[" and "link" not in kinds:
        close = text.find("](", i + 1)
        while close != -1 and _escaped(text, close):
            close = text.find("](", close + 1)
        end = text.find(")", close + 2) if close != -1 else -1
        if close == -1 or end == -1:
            return None
        href = text[close + 2 : end]
        if not href or any(c.isspace() for c in href):
            return None
        inner, done = _inline(text[:close], i + 1, None, (*marks, _link(href)))
        if not inner:
            return None
        return inner, end + 1
    return None


def _span(
    text: str, start: int, closer: str, marks: tuple[Node, ...]
) -> tuple[list[Node], int] | None:
    inner, end = _inline(text, start, closer, marks)
    if end is None or not inner:
        return None
    return inner, end


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes - 1 >= 0 and text[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _text(value: str, marks: Iterable[Node]) -> Node:
    node: Node = {"type": "text", "text": value}
    ordered = sorted(marks, key=lambda mark: _MARK_ORDER.get(mark["type"], 9))
    if ordered:
        node["marks"] = [dict(mark) for mark in ordered]
    return node


def _link(href: str) -> Node:
    return {"type": "link", "attrs": {"href": href}}


_MARK_ORDER = {"link": 0, "strong": 1, "em": 2}


def _merge_text(nodes: list[Node]) -> list[Node]:
    """Join neighbouring text nodes that carry the same marks (ADF's canonical form)."""
    merged: list[Node] = []
    for node in nodes:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and node["type"] == "text"
            and previous["type"] == "text"
            and previous.get("marks") == node.get("marks")
        ):
            previous["text"] += node["text"]
        else:
            merged.append(dict(node))
    return [node for node in merged if node["type"] != "text" or node["text"]]


# -- ADF -> Markdown ----------------------------------------------------------------------


def adf_to_markdown(doc: Node | None) -> str:
    """Render an ADF document as Switchyard's Markdown-like text; unknown nodes become text."""
    if not isinstance(doc, dict):
        return ""
    return "\n\n".join(block for block in _render_blocks(_children(doc)) if block)


def _children(node: Node) -> list[Node]:
    content = node.get("content")
    return (
        [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []
    )


def _render_blocks(nodes: list[Node]) -> list[str]:
    return [_render_block(node) for node in nodes]


def _render_block(node: Node) -> str:
    kind = node.get("type")
    if kind == "paragraph":
        return _render_paragraph(_children(node))
    if kind == "heading":
        level = (node.get("attrs") or {}).get("level", 1)
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        text = _render_inline(_children(node)).replace("\n", " ")
        return f"{'#' * level} {text}".rstrip()
    if kind == "codeBlock":
        return _render_code(node)
    if kind in ("bulletList", "orderedList"):
        return _render_list(node)
    if kind in ("text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"):
        return _render_paragraph([node])
    if kind == "rule":
        return "---"
    # Unknown containers (panel, blockquote, table, expand, mediaSingle...) keep their text.
    inner = _children(node)
    if inner and all(child.get("type") in _INLINE_TYPES for child in inner):
        return _render_paragraph(inner)
    return "\n\n".join(block for block in _render_blocks(inner) if block)


_INLINE_TYPES = frozenset({"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"})


def _render_paragraph(nodes: list[Node]) -> str:
    text = _render_inline(nodes)
    lines = [_escape_line_start(line.strip()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _escape_line_start(line: str) -> str:
    """Keep a paragraph line from reading as a heading, list item or fence when parsed back."""
    if _HEADING.match(line) or _BULLET.match(line) or line.startswith("```"):
        return "\\" + line
    if ordered := _ORDERED.match(line):
        number = ordered.group(1) or ordered.group(3)
        return f"{number}\\{line[len(number) :]}"
    return line


def _render_code(node: Node) -> str:
    code = "".join(_plain_text(child) for child in _children(node))
    language = (node.get("attrs") or {}).get("language") or ""
    language = language if isinstance(language, str) and re.fullmatch(r"[^`\s]+", language) else ""
    runs = [len(match) for match in re.findall(r"^`{3,}", code, flags=re.MULTILINE)]
    ticks = "`" * max([3, *(run + 1 for run in runs)])
    return f"{ticks}{language}\n{code}\n{ticks}"


def _render_list(node: Node) -> str:
    ordered = node.get("type") == "orderedList"
    number = (node.get("attrs") or {}).get("order", 1) if ordered else 1
    number = number if isinstance(number, int) and number >= 0 else 1
    lines: list[str] = []
    for item in _children(node):
        marker = f"{number}. " if ordered else "- "
        number += 1
        body = _render_item(item)
        indent = " " * len(marker)
        body_lines = body.split("\n") if body else [""]
        lines.append((marker + body_lines[0]).rstrip())
        lines.extend(indent + line if line else "" for line in body_lines[1:])
    return "\n".join(lines)


def _render_item(item: Node) -> str:
    children = _children(item) if item.get("type") == "listItem" else [item]
    parts: list[str] = []
    previous: str | None = None
    for child in children:
        rendered = _render_block(child)
        if not rendered:
            continue
        kind = child.get("type")
        if previous is not None:
            parts.append(_item_separator(previous, kind))
        parts.append(rendered)
        previous = kind
    return "".join(parts)


def _item_separator(previous: str | None, kind: str | None) -> str:
    """Blocks in an item: a paragraph runs on into a list or a fence; anything else needs a
    blank line, or two paragraphs (or two lists) would merge when parsed back."""
    lists = ("bulletList", "orderedList")
    if previous == "paragraph" and (kind in lists or kind == "codeBlock"):
        return "\n"
    return "\n\n"


def _render_inline(nodes: list[Node]) -> str:
    out: list[str] = []
    i = 0
    while i < len(nodes):
        href = _href(nodes[i])
        if href is None:
            out.append(_render_unlinked(nodes[i]))
            i += 1
            continue
        # Neighbouring nodes that share a link render as one [text](url), as Jira's editor shows.
        run: list[str] = []
        while i < len(nodes) and _href(nodes[i]) == href:
            run.append(_render_unlinked(nodes[i]))
            i += 1
        out.append(f"[{''.join(run)}]({href})")
    return "".join(out)


def _href(node: Node) -> str | None:
    if node.get("type") != "text":
        return None
    for mark in node.get("marks") or []:
        if isinstance(mark, dict) and mark.get("type") == "link":
            href = (mark.get("attrs") or {}).get("href")
            if isinstance(href, str) and href and ")" not in href:
                if not any(c.isspace() for c in href):
                    return href
    return None


def _render_unlinked(node: Node) -> str:
    kind = node.get("type")
    if kind == "hardBreak":
        return "\n"
    if kind != "text":
        return _escape(_plain_text(node))
    text = node.get("text")
    if not isinstance(text, str) or not text:
        return ""
    kinds = {mark.get("type") for mark in node.get("marks") or [] if isinstance(mark, dict)}
    rendered = _escape(text)
    if "em" in kinds:
        rendered = f"*{rendered}*"
    if "strong" in kinds:
        rendered = f"**{rendered}**"
    return rendered


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _plain_text(node: Node) -> str:
    """The visible text of any node: its text, a mention's name, an emoji, a card's URL..."""
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return node.get("text") or ""
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return attrs.get("text") or ""
    if kind == "emoji":
        return attrs.get("text") or attrs.get("shortName") or ""
    if kind == "inlineCard":
        return attrs.get("url") or ""
    if kind == "status":
        return attrs.get("text") or ""
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    return "".join(_plain_text(child) for child in _children(node))
