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

from llmgit.core import yamlfast, yamlio

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
    got = yamlfast.build(text, None)
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
    with pytest.raises(yamlfast.Fallback):
        yamlfast.build(text, None)
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
    got = yamlfast.build("[1.0, 1, .nan]", None)
    assert [type(v) for v in got] == [float, int, float] and math.isnan(got[2])


# -- writing ---------------------------------------------------------------------------------
WORDS = st.one_of(
    TRICKY,
    st.text(alphabet="aZ09_./+@<>=-: #'\"é", max_size=14),
    st.from_regex(r"[a-z][a-z0-9 ._/-]{0,90}", fullmatch=True),  # long plain text: the line width
)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), WORDS)
DOCS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(WORDS, inner, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(WORDS, DOCS, max_size=6), st.booleans(), st.sampled_from([80, 100, 1000, 25]))
def test_the_emitter_writes_what_the_c_dumper_writes(data: dict[str, Any], sort_keys: bool, width: int) -> None:
    expected = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=sort_keys, width=width)
    try:
        got = yamlfast.emit(data, sort_keys=sort_keys, width=width)
    except yamlfast.Fallback:
        got = expected  # left to the dumper
    assert got == expected
    assert yamlio.dump(data, allow_unicode=True, sort_keys=sort_keys, width=width) == expected


PLAIN_WORDS = st.from_regex(r"[a-zA-Z0-9_][a-zA-Z0-9_./+@<>=-]{0,10}( [a-z0-9.-]{1,12}){0,5}", fullmatch=True)
PLAIN_DOCS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**20), st.floats(allow_nan=False), PLAIN_WORDS),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(PLAIN_WORDS, inner, max_size=3)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(PLAIN_WORDS, PLAIN_DOCS, min_size=1, max_size=5), st.booleans(), st.sampled_from([80, 40, 1000]))
def test_plain_data_is_written_as_the_c_dumper_writes_it(data: dict[str, Any], sort_keys: bool, width: int) -> None:
    """Data the emitter mostly writes itself (plain words, numbers, nesting, long lines)."""
    expected = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=sort_keys, width=width)
    try:
        assert yamlfast.emit(data, sort_keys=sort_keys, width=width) == expected
    except yamlfast.Fallback:
        pass


def test_the_emitter_writes_a_card_front_matter_itself() -> None:
    """The shape the report writes ten thousand times takes the fast path."""
    front = {
        "base_model": "meta-llama/Llama-2-7b-hf",
        "datasets": ["tatsu-lab/alpaca"],
        "tags": ["llmgit"],
        "model_version": "1.0.1",
        "model-index": [
            {
                "name": "m",
                "results": [{"task": {"type": "text-generation"}, "metrics": [{"type": "accuracy", "value": 0.5}]}],
            }
        ],
        "empty": [],
        "none": {},
        "big": 1e16,
    }
    expected = yaml.dump(front, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    assert yamlfast.emit(front, sort_keys=False, width=80) == expected
