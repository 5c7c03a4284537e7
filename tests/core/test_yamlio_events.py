"""core.yamlio.load builds values straight from the C parser's events. It must read every text
exactly as the safe loader does (same values, same types, same key order), refuse what it
refused, and leave to the loader what it does not build itself (tags, merge keys, aliases,
errors), without ever being silently different."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import yamlio

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML was built without libyaml")

# strings that resolve to other types when written plain, or that need quoting
TRICKY = st.sampled_from(
    [
        "",
        "~",
        "null",
        "Null",
        "true",
        "False",
        "yes",
        "no",
        "on",
        "1",
        "-0",
        "0x1f",
        "0o17",
        "1_000",
        "1e3",
        ".inf",
        "-.Inf",
        ".nan",
        "2024-01-02",
        "2024-01-02T03:04:05Z",
        "2001-12-14 21:59:43.10 -5",
        "<<",
        "=",
        "a: b",
        "- x",
        "#c",
        "'q'",
        '"d"',
        "*a",
        "&a",
        "!t",
        "%x",
        "@",
        "`",
        "|",
        ">",
        "é",
        "\t",
        " lead",
        "trail ",
        "x\ny",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    TRICKY,
    st.text(max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
)
KEYS = st.one_of(st.text(max_size=8), TRICKY, st.integers(-5, 5), st.booleans(), st.none())
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


def _same(text: str | bytes) -> None:
    expected = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 (the safe loader, the reference)
    got = yamlio._build(text, None)
    assert repr(got) == repr(expected)  # types and key order too (0 and False, 1.0 and 1 differ here)


@settings(max_examples=400, deadline=None)
@given(TREES, st.sampled_from([None, True, False]), st.sampled_from([None, "'", '"']), st.booleans())
def test_dumped_data_reads_back_as_the_safe_loader_reads_it(
    data: Any, flow: bool | None, style: str | None, as_bytes: bool
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True, sort_keys=False)
    _same(text.encode("utf-8") if as_bytes else text)


PIECES = st.sampled_from(
    [
        "a",
        "1",
        "-",
        ":",
        " ",
        "\n",
        "  ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "?",
        "'",
        '"',
        "#",
        "&x ",
        "!!str ",
        "!!int ",
        "~",
        "true",
        "0x10",
        "1.5",
        "2020-02-02",
        "<<",
        "=",
        "---\n",
        "...\n",
        "\t",
        "!t ",
        "!!set ",
        "|\n",
        ">-\n",
    ]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(PIECES, max_size=24).map("".join))
def test_any_text_reads_as_the_loader_reads_it_or_is_refused_as_it_was(text: str) -> None:
    """Arbitrary text: the same value as ``yaml.safe_load``, or an error where it fails (never a
    different value, never a traceback of another kind)."""
    try:
        expected: Any = ("ok", yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, LookupError) as e:  # '!!int ': IndexError
        expected = ("error", type(e))
    try:
        got: Any = ("ok", yamlio.load(text))
    except yamlio.YAMLError:
        got = ("error", None)
    if expected[0] == "ok":
        assert got[0] == "ok" and repr(got[1]) == repr(expected[1]), text
    else:
        assert got[0] == "error", text


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\nb: 3\n",  # a repeated key: the last value, the first place
        "{1: a, true: b, 1.0: c}",  # equal keys of different types merge as in a dict
        "x: &anchor 5\n",  # an anchor with no alias is only a name
        "- !!str 12\n- !!float 3\n- !!binary aGk=\n- !!timestamp 2024-01-02\n- ! plain\n",
        "? a\n: b\n",
        "",
        "---\n",
        "--- 5\n...\n",
        "%YAML 1.1\n--- {a: [1, {b: null}]}\n",
        "a: !!map {b: 1}\nc: !!seq [1]\n",
        "t: 2001-12-14t21:59:43.10-05:00\nd: 2002-12-14\n",
        "n: [.inf, -.inf, 0o17, 0x1F, 1_000, 190:20:30, 0b101]\n",
    ],
)
def test_forms_it_builds_itself(text: str) -> None:
    _same(text)


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nc:\n  <<: {x: 2}\n  y: 3\n",  # a merge key, with no alias
        "s: !!set {a, b}\n",
        "o: !!omap [{a: 1}, {b: 2}]\n",
        "v: !!python/name:os.system x\n",  # refused by the safe loader: still refused
        "? [a, b]\n: c\n",  # a collection as a key: refused
        "= : 1\n",  # the value key becomes a string in the loader
        "a: 1\n---\nb: 2\n",  # two documents: refused
        "a: =\n",
        "a: [1, 2\n",  # a syntax error
    ],
)
def test_forms_left_to_the_loader_end_as_the_loader_ends_them(text: str) -> None:
    with pytest.raises(yamlio._Fallback):
        yamlio._build(text, None)
    try:
        expected: Any = repr(yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506
    except (yaml.YAMLError, ValueError, LookupError):
        with pytest.raises(yamlio.YAMLError):
            yamlio.load(text)
        return
    assert repr(yamlio.load(text)) == expected


def test_an_alias_is_still_refused_with_where_it_is() -> None:
    with pytest.raises(yamlio.YAMLRefused, match=r"aliases \(\*name\) are not accepted[\s\S]*line 2"):
        yamlio.load("a: &x [1, 2]\nb: *x\n")


@pytest.mark.parametrize(
    "text", ["[" + ",".join(["1"] * 30) + "]", "- a\n" * 30, "s: !!set {a, b, c}\nl:\n" + "- x\n" * 30]
)
def test_max_nodes_stops_at_the_first_node_over(text: str) -> None:
    with pytest.raises(yamlio.TooManyNodes):
        yamlio.load(text, max_nodes=25)
    assert yamlio.count_nodes(text, 10**6) > 25


def test_max_nodes_allows_exactly_the_cap() -> None:
    text = "[" + ",".join(["1"] * 24) + "]"  # 25 nodes: the list and 24 scalars
    assert yamlio.count_nodes(text, 10**6) == 25
    assert yamlio.load(text, max_nodes=25) == [1] * 24
    with pytest.raises(yamlio.TooManyNodes):
        yamlio.load(text, max_nodes=24)


def test_floats_keep_their_type_and_nan_stays_nan() -> None:
    got = yamlio._build("[1.0, 1, .nan]", None)
    assert [type(v) for v in got] == [float, int, float] and math.isnan(got[2])
