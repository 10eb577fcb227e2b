"""The ADF converter: examples per element, ADF validity, and round-trip properties."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from switchyard.trackers.connectors.jira.adf import adf_to_markdown, markdown_to_adf

INLINE_TYPES = {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"}
MARKS = {"strong", "em", "link", "code", "strike", "underline"}


def assert_valid_adf(doc: dict[str, Any]) -> None:
    """Atlassian's ADF structure rules for the nodes we produce.

    https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
    """
    assert doc["type"] == "doc"
    assert doc["version"] == 1
    assert isinstance(doc["content"], list)
    for block in doc["content"]:
        assert_block(block, top=True)


def assert_block(node: dict[str, Any], *, top: bool = False) -> None:
    kind = node["type"]
    if kind == "paragraph":
        assert_inline(node.get("content", []))
    elif kind == "heading":
        assert_heading(node, top=top)
    elif kind in ("bulletList", "orderedList"):
        assert_list(node)
    elif kind == "codeBlock":
        assert_code_block(node)
    else:
        raise AssertionError(f"unexpected block {kind}")


def assert_heading(node: dict[str, Any], *, top: bool) -> None:
    assert top, "headings are top-level only"
    assert node["attrs"]["level"] in range(1, 7)
    assert_inline(node.get("content", []))


def assert_list(node: dict[str, Any]) -> None:
    assert node["content"], "a list needs at least one item"
    if node["type"] == "orderedList" and "attrs" in node:
        assert isinstance(node["attrs"]["order"], int) and node["attrs"]["order"] >= 0
    for item in node["content"]:
        assert item["type"] == "listItem"
        assert item["content"], "a list item needs content"
        assert item["content"][0]["type"] in ("paragraph", "codeBlock")
        for child in item["content"]:
            assert child["type"] in ("paragraph", "codeBlock", "bulletList", "orderedList")
            assert_block(child)


def assert_code_block(node: dict[str, Any]) -> None:
    if "attrs" in node:
        assert isinstance(node["attrs"]["language"], str)
    for child in node.get("content", []):
        assert child["type"] == "text" and child["text"] and "marks" not in child


def assert_inline(nodes: list[dict[str, Any]]) -> None:
    for node in nodes:
        assert node["type"] in ("text", "hardBreak")
        if node["type"] == "text":
            assert isinstance(node["text"], str) and node["text"], "text nodes are never empty"
            kinds = [mark["type"] for mark in node.get("marks", [])]
            assert len(kinds) == len(set(kinds)) and set(kinds) <= {"strong", "em", "link"}
            for mark in node.get("marks", []):
                if mark["type"] == "link":
                    assert mark["attrs"]["href"]


def text(value: str, *marks: str, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    ordered = ([{"type": "link", "attrs": {"href": href}}] if href else []) + [
        {"type": mark} for mark in ("strong", "em") if mark in marks
    ]
    if ordered:
        node["marks"] = ordered
    return node


def para(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


# -- examples -------------------------------------------------------------------------------


def test_paragraph_marks_and_link() -> None:
    adf = markdown_to_adf("Hi **bold** *it* ***both*** [the **docs**](https://x.io/a)")
    assert adf == doc(
        para(
            text("Hi "),
            text("bold", "strong"),
            text(" "),
            text("it", "em"),
            text(" "),
            text("both", "strong", "em"),
            text(" "),
            text("the ", href="https://x.io/a"),
            text("docs", "strong", href="https://x.io/a"),
        )
    )
    assert adf_to_markdown(adf) == "Hi **bold** *it* ***both*** [the **docs**](https://x.io/a)"


def test_blocks() -> None:
    md = "## Title\n\n- a\n- b\n  - nested\n\n3. three\n4. four\n\n```python\nx = 1\n```\n\nline\nbreak"
    adf = markdown_to_adf(md)
    assert adf == doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Title")]},
        {
            "type": "bulletList",
            "content": [
                {"type": "listItem", "content": [para(text("a"))]},
                {
                    "type": "listItem",
                    "content": [
                        para(text("b")),
                        {
                            "type": "bulletList",
                            "content": [{"type": "listItem", "content": [para(text("nested"))]}],
                        },
                    ],
                },
            ],
        },
        {
            "type": "orderedList",
            "attrs": {"order": 3},
            "content": [
                {"type": "listItem", "content": [para(text("three"))]},
                {"type": "listItem", "content": [para(text("four"))]},
            ],
        },
        {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("x = 1")]},
        para(text("line"), {"type": "hardBreak"}, text("break")),
    )
    assert_valid_adf(adf)
    assert adf_to_markdown(adf) == md


def test_literal_markdown_characters_are_escaped() -> None:
    adf = doc(para(text("# not a heading * [x] 2*3")), para(text("1. not a list")))
    md = adf_to_markdown(adf)
    assert md == "\\# not a heading \\* \\[x\\] 2\\*3\n\n1\\. not a list"
    assert markdown_to_adf(md) == adf


def test_unclosed_markers_stay_literal() -> None:
    assert markdown_to_adf("a ** b [c](") == doc(para(text("a ** b [c](")))


def test_code_fence_longer_than_the_code_inside() -> None:
    adf = doc({"type": "codeBlock", "content": [text("```\ninner\n```")]})
    md = adf_to_markdown(adf)
    assert md.startswith("````\n")
    assert markdown_to_adf(md) == adf


def test_unknown_nodes_degrade_to_their_text() -> None:
    adf = doc(
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [para(text("in panel"))]},
        para(
            {"type": "mention", "attrs": {"id": "1", "text": "@Ada"}},
            text(" see "),
            {"type": "inlineCard", "attrs": {"url": "https://x.io"}},
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            text("code", "strong") | {"marks": [{"type": "code"}]},
        ),
        {"type": "blockquote", "content": [para(text("quoted"))]},
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [{"type": "tableCell", "content": [para(text("cell"))]}],
                }
            ],
        },
    )
    assert adf_to_markdown(adf) == "in panel\n\n@Ada see https://x.io😄code\n\nquoted\n\ncell"


def test_empty_and_missing_documents() -> None:
    assert adf_to_markdown(None) == ""
    assert adf_to_markdown(doc()) == ""
    assert markdown_to_adf("") == doc()


# -- properties -----------------------------------------------------------------------------

WORD = st.text(alphabet="abcXYZ019*[]\\#-.`!_()", min_size=1, max_size=6)
URLS = st.sampled_from(["https://example.com", "https://x.io/a?b=1#c", "mailto:a@b.c"])


@st.composite
def inline_content(draw: st.DrawFn, *, breaks: bool = True) -> list[dict[str, Any]]:
    """Text segments with mark sets, separated by a space or a hard break (canonical ADF)."""
    nodes: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        if index:
            if breaks and draw(st.booleans()):
                nodes.append({"type": "hardBreak"})
            else:
                nodes.append(text(" "))
        words = " ".join(draw(st.lists(WORD, min_size=1, max_size=3)))
        marks = draw(st.sets(st.sampled_from(["strong", "em"])))
        href = draw(st.none() | URLS)
        nodes.append(text(words, *marks, href=href))
    return merge(nodes)


def merge(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for node in nodes:
        last = merged[-1] if merged else None
        if (
            last
            and last["type"] == node["type"] == "text"
            and last.get("marks") == node.get("marks")
        ):
            last["text"] += node["text"]
        else:
            merged.append(dict(node))
    return merged


CODE_LINE = st.text(alphabet="ab `#-*", min_size=1, max_size=8).filter(lambda s: s.strip())


@st.composite
def code_block(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "codeBlock"}
    language = draw(st.sampled_from(["", "python", "c++"]))
    if language:
        node["attrs"] = {"language": language}
    lines = draw(st.lists(CODE_LINE | st.just("") | st.just("```"), max_size=4))
    if "\n".join(lines):
        node["content"] = [text("\n".join(lines))]
    return node


def list_block(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        kind = draw(st.sampled_from(["bulletList", "orderedList"]))
        items = []
        for _ in range(draw(st.integers(1, 3))):
            first = draw(inline_content().map(lambda c: para(*c)) | code_block())
            rest_choices = inline_content().map(lambda c: para(*c)) | code_block()
            if depth > 0:
                rest_choices = rest_choices | list_block(depth - 1)
            rest = draw(st.lists(rest_choices, max_size=2))
            items.append({"type": "listItem", "content": [first, *rest]})
        node: dict[str, Any] = {"type": kind, "content": items}
        if kind == "orderedList":
            node["attrs"] = {"order": draw(st.integers(0, 12))}
        return node

    return build()


BLOCK = st.one_of(
    inline_content().map(lambda c: para(*c)),
    st.builds(
        lambda level, content: {"type": "heading", "attrs": {"level": level}, "content": content},
        st.integers(1, 6),
        inline_content(breaks=False),
    ),
    code_block(),
    list_block(1),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(BLOCK, max_size=5))
def test_generated_documents_round_trip(blocks: list[dict[str, Any]]) -> None:
    adf = doc(*blocks)
    assert_valid_adf(adf)
    md = adf_to_markdown(adf)
    assert markdown_to_adf(md) == adf
    assert adf_to_markdown(markdown_to_adf(md)) == md


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab *[]()\\#-.`1\n", max_size=40))
def test_any_text_gives_valid_adf_and_a_stable_rendering(source: str) -> None:
    adf = markdown_to_adf(source)
    assert_valid_adf(adf)
    md = adf_to_markdown(adf)
    assert adf_to_markdown(markdown_to_adf(md)) == md
