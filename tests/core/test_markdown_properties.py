"""llmgit.core.markdown, for any text, through a CommonMark parser with GFM tables
(markdown-it-py): ``code`` renders as exactly one code span holding the text, ``text`` and
``paragraphs`` render as plain text only (no tag, link, image, emphasis or block of their
own), and a table cell stays one cell."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from llmgit.core import markdown as md

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Markdown's own characters, a scheme and a mention, so hypothesis finds the hard cases fast
SPECIAL = "`*_~[]()<>!#|\\-+.=:@&;$^{}\"' \t\n\r/wWhtps019ab\u200b\u202e\x00\x1b"
TEXTS = st.one_of(st.text(), st.text(alphabet=SPECIAL, max_size=40))
INLINE_ONLY = {"text", "softbreak"}


def blocks(source: str) -> list[Token]:
    return PARSER.parse(source)


def inline_text(token: Token) -> str:
    return "".join(c.content if c.type == "text" else "\n" for c in token.children or [])


def visible(value: str) -> str:
    """What a reader sees of ``value`` in one line: line breaks as spaces, controls escaped."""
    return md.one_line(value).replace(md.ZWSP, "")


def cells(source: str) -> list[Token]:
    return [t for t in blocks(source) if t.type == "inline"]


def test_an_empty_value_shows_as_empty_quotes() -> None:
    assert md.code("") == '""'
    assert md.text("") == ""


@given(TEXTS.filter(lambda s: s != ""))
def test_code_is_one_code_span_holding_the_text(value: str) -> None:
    span = md.code(value)
    for source in (span, f"before {span} after", f"- item {span}"):
        inline = [t for t in blocks(source) if t.type == "inline"]
        assert len(inline) == 1, source
        codes = [c for c in inline[0].children or [] if c.type == "code_inline"]
        assert len(codes) == 1, source
        assert codes[0].content == md.one_line(value)
        assert all(c.type in {"code_inline", "text"} for c in inline[0].children or [])


# llmgit's control characters (core.bounded): C0, DEL, C1, line separators, bidirectional controls
BIDI = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029" + BIDI)))
def test_code_keeps_text_without_control_characters_as_it_is(value: str) -> None:
    if value:
        (inline,) = cells(md.code(value))
        assert (inline.children or [])[0].content == value


@given(TEXTS)
def test_code_cell_stays_one_cell(value: str) -> None:
    source = f"| value | end |\n|---|---|\n| {md.code_cell(value)} | end |\n"
    tokens = blocks(source)
    assert [t.type for t in tokens][:2] == ["table_open", "thead_open"]
    head_a, head_b, cell, end = cells(source)
    assert end.content == "end"
    children = cell.children or []
    if children and children[0].type == "code_inline":
        assert len(children) == 1 and children[0].content == md.one_line(value)
    else:  # shown as text (a backslash and a pipe), or an empty value
        assert {c.type for c in children} <= INLINE_ONLY
        assert inline_text(cell).replace(md.ZWSP, "").strip() == (visible(value).strip() or '""')


def assert_plain(source: str, value: str) -> None:
    tokens = blocks(source)
    assert [t.type for t in tokens if t.type != "inline"] in (
        ["paragraph_open", "paragraph_close"],
        [],  # nothing to show (an empty value)
    ), source
    for inline in (t for t in tokens if t.type == "inline"):
        assert {c.type for c in inline.children or []} <= INLINE_ONLY, source
        shown = inline_text(inline)
        assert not re.search(r"@[^\u200b]", shown)  # no @mention, no e-mail autolink
        assert "://" not in shown and "www." not in shown.lower()  # no autolink
    html = PARSER.render(source)
    assert "<" not in re.sub(r"</?p>", "", html), html


@given(TEXTS)
def test_text_renders_as_the_text_and_nothing_else(value: str) -> None:
    shown = md.text(value)
    assert_plain(shown, value)
    (inline,) = cells(shown) or [None]
    assert (inline_text(inline) if inline else "").replace(md.ZWSP, "").strip() == visible(value).strip()


@given(TEXTS, TEXTS)
def test_text_between_llmgit_markup_stays_inside_it(a: str, b: str) -> None:
    source = f"### {md.text(a)}\n\n- [ ] real check ({md.text(b)})\n\n| {md.text(a)} | end |\n|---|---|\n| {md.text(b)} | end |\n"
    types = [t.type for t in blocks(source)]
    assert types.count("heading_open") == 1 and types.count("list_item_open") == 1
    assert types.count("td_open") == 2 and types.count("th_open") == 2
    heads = [t for t in cells(source)]
    assert heads[1].content.startswith("[ ] real check (")
    assert heads[3].content == "end" and heads[5].content == "end"
    assert "<!--" not in PARSER.render(source)


@given(TEXTS)
def test_paragraphs_are_plain_text_only(value: str) -> None:
    tokens = blocks(md.paragraphs(value))
    assert {t.type for t in tokens} <= {"paragraph_open", "inline", "paragraph_close"}
    for inline in (t for t in tokens if t.type == "inline"):
        assert {c.type for c in inline.children or []} <= INLINE_ONLY
    assert "<" not in re.sub(r"</?p>", "", PARSER.render(md.paragraphs(value)))


# what the fast path of ``text`` takes: words, joiners, the punctuation it keeps, and near misses
FAST = st.text(alphabet="aZ09-_. ,;/?%'\"wW:@\t<", max_size=30)


@given(st.one_of(FAST, TEXTS, st.integers(), st.floats()))
def test_text_returns_what_the_escaping_returns(value: object) -> None:
    """``text`` skips the escaping for values with nothing to escape; it must give exactly
    what the escaping gives, for every value."""
    assert md.text(value) == md._escaped(str(value))
