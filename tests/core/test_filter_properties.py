"""The filter language for any text: ``filter_parser.parse`` answers a filter or
:class:`FilterSyntaxError` (never another exception, also past the length and nesting caps),
and a parsed filter evaluated on any version, with any metrics, params and card, answers
True or False. ``like`` matches as SQL does, without backtracking."""

from __future__ import annotations

import datetime as dt
import math
import re
import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from llmgit.core import filter_parser, filters
from llmgit.core.filter_tokens import MAX_DEPTH, MAX_LENGTH
from llmgit.core.like import like_pattern
from llmgit.errors import FilterSyntaxError

WORDS = st.sampled_from(
    [
        "name", "version", "stage", "created", "author", "metrics.acc", "params.lr", "card.a.b", "card.`x y`",
        "and", "or", "not", "in", "like", "true", "false", "=", "!=", "<", "<=", ">", ">=", "(", ")", ",",
        "'m'", "'%a_'", '"x\\"y"', "1", "-2.5e3", "1e999", "2026-01-31", "2026-13-45", "v1.2.3", "1.0.0-rc.1",
        "`", "'", "!", "#", "metrics.", "..", "\x00", "\u202e", "9" * 5000,
    ]
)  # fmt: skip
EXPRS = st.one_of(st.text(), st.lists(WORDS, max_size=12).map(" ".join))
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.timezone(dt.timedelta(hours=5))))
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
MAPPINGS = st.dictionaries(st.sampled_from(["acc", "lr", "a", "a.b", "x y", "b"]), VALUES, max_size=4)
RECORDS = st.builds(
    filters.Record,
    name=st.text(max_size=10),
    version=st.sampled_from(["1.0.0", "v2.0.0-rc.1", "not-a-version", ""]),
    created=st.sampled_from(["2026-01-31T12:00:00+00:00", "2026-01-31", "", "garbage", "0001-01-01T00:00:00+05:00"]),
    author=st.text(max_size=10),
    stages=st.frozensets(st.sampled_from(["staging", "production", "archived"])),
    metrics=MAPPINGS,
    params=MAPPINGS,
    card=st.dictionaries(st.sampled_from(["a", "x y", "a.b"]), VALUES, max_size=3),
)


def _parse(text: str) -> filters.Expr | None:
    try:
        return filter_parser.parse(text)
    except FilterSyntaxError as e:
        assert e.message.startswith(f"filter syntax error at column {e.column}: ")
        assert 1 <= e.column <= len(text) + 1
        return None


@settings(max_examples=400)
@given(EXPRS)
@example("(" * 5000 + "name = 'm'" + ")" * 5000)
@example("not " * 5000 + "name = 'm'")
@example("(" * (MAX_DEPTH + 1) + "name = 'm'" + ")" * (MAX_DEPTH + 1))
@example("metrics.acc > " + "1" * 5000)
@example("card." + ".".join(["a"] * 100) + " = 1")
@example("x" * (MAX_LENGTH + 1))
def test_any_text_is_a_filter_or_a_syntax_error(text: str) -> None:
    _parse(text)


@settings(max_examples=300)
@given(EXPRS, st.lists(RECORDS, min_size=1, max_size=3))
@example("card.a like '%a%a%a%a%a%a%a%a%a%b'", [filters.Record("m", "1.0.0", "", "", card={"a": "a" * 60})])
@example("created < 2026-01-01", [filters.Record("m", "1.0.0", "0001-01-01T00:00:00+05:00", "")])
def test_parsed_filters_evaluate_on_any_version(text: str, records: list[filters.Record]) -> None:
    expr = _parse(text)
    if expr is None:
        return
    for record in records:
        assert expr.matches(record) in (True, False)


@given(st.text(alphabet="ab%_\\", max_size=12), st.text(alphabet="ab%_\\\n", max_size=12))
def test_like_matches_as_the_sql_regex_does(pattern: str, text: str) -> None:
    regex: list[str] = []
    for part in re.split(r"(\\[%_\\]|%|_)", pattern):
        if part in ("%", "_"):
            regex.append(".*" if part == "%" else ".")
        else:
            regex.append(re.escape(part[1:] if part in ("\\%", "\\_", "\\\\") else part))
    expected = re.compile("".join(regex), re.DOTALL).fullmatch(text) is not None
    assert like_pattern(pattern).fullmatch(text) is expected


def test_like_takes_linear_time() -> None:
    pattern = like_pattern("%a" * 2000 + "%b")
    start = time.monotonic()
    assert not pattern.fullmatch("a" * 50_000)
    assert time.monotonic() - start < 5


@given(
    st.sampled_from(["metrics.acc", "params.lr", "card.a", "version", "created", "stage", "name"]),
    st.lists(RECORDS, max_size=4),
)
def test_order_by_sorts_any_versions(field: str, records: list[filters.Record]) -> None:
    for descending in (False, True):
        try:
            sorted(records, key=filters.order_key(field, descending=descending))
        except TypeError as e:  # values of one rank that do not compare (nan is fine, mixed is not)
            raise AssertionError(f"order_key({field!r}) cannot sort {records!r}") from e


def test_nan_and_inf_values_compare_quietly() -> None:
    expr = filter_parser.parse("metrics.acc > 0.5 or params.lr = 1e999")
    assert expr.matches(filters.Record("m", "1.0.0", "", "", metrics={"acc": math.nan}, params={"lr": math.inf}))
    assert not filter_parser.parse("metrics.acc > 0.5").matches(
        filters.Record("m", "1.0.0", "", "", metrics={"acc": math.nan})
    )
