from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from llmgit.core.filter_parser import parse
from llmgit.core.filters import Expr, Record, needs_card, order_key
from llmgit.errors import FilterSyntaxError, UsageError

# Four versions; a-c are one model, d another. Their ``created`` strings are chosen so that
# string order differs from time order (b is later than a although "21:30" < "22:00").
RECORDS = {
    "a": Record(
        name="chat-7b",
        version="1.0.0",
        created="2026-01-31T22:00:00Z",
        author="alice",
        stages=frozenset({"production"}),
        metrics={"accuracy": 0.82, "loss": 0.41, "eval/acc": 0.8},
        params={"lr": 1e-4, "epochs": 3, "base": "llama-2-7b", "use_lora": True},
        card={
            "training": {"lora_r": 16, "dataset": "oasst1"},
            "performance": {"eval.accuracy": 0.81},
            "release_date": date(2026, 1, 10),
        },
    ),
    "b": Record(
        name="chat-7b",
        version="v1.10.0",
        created="2026-01-31T21:30:00-05:00",  # 2026-02-01T02:30Z
        author="bob",
        stages=frozenset({"staging"}),
        metrics={"accuracy": 0.88, "loss": 0.35},
        params={"lr": 2e-4, "epochs": 5, "base": "llama-2-7b", "use_lora": False},
        card={"training": {"lora_r": 32}},
    ),
    "c": Record(
        name="chat-7b",
        version="2.0.0-rc.1",
        created="2026-02-15T12:00:00",  # naive: UTC
        author="alice",
        metrics={"accuracy": 0.9},
        params={"lr": "0.0003", "base": "mistral-7b"},
    ),
    "d": Record(
        name="coder-13b",
        version="0.9.0",
        created="2025-12-24",
        author="carol",
        stages=frozenset({"production", "canary"}),
        card={"training": {"lora_r": 8}},
    ),
}

VALID = [
    ("name = 'chat-7b'", "abc", "name-eq"),
    ('name != "chat-7b"', "d", "name-ne-double-quotes"),
    ("name like 'chat%'", "abc", "like-percent"),
    ("name like 'c_der-13b'", "d", "like-underscore"),
    ("name like 'CHAT%'", "", "like-case-sensitive"),
    ("name NOT LIKE 'chat%'", "d", "not-like"),
    ("version >= 1.2.0", "bc", "version-semver-not-lexical"),
    ("version > 1.9.0", "bc", "version-1.10-after-1.9"),
    ("version < 2.0.0-rc.1", "abd", "version-prerelease"),
    ("version >= v1.0.0 and version < '2.0.0'", "abc", "version-v-prefix-and-quoted"),
    ("version = 2.0.0-rc.1", "c", "version-eq-prerelease"),
    ("version in (0.9.0, v1.10.0)", "bd", "version-in"),
    ("version like '2.%'", "c", "version-like"),
    ("stage = 'production'", "ad", "stage-holds"),
    ("stage != 'production'", "bc", "stage-does-not-hold"),
    ("stage in ('staging', 'production')", "abd", "stage-in"),
    ("stage not in ('staging', 'production')", "c", "stage-not-in"),
    ("stage = 'canary' and stage = 'production'", "d", "stage-several"),
    ("stage like 'prod%'", "ad", "stage-like"),
    ("created >= 2026-02-01", "bc", "created-offset-respected"),
    ("created < 2026-01-31", "d", "created-bare-date"),
    ("created = '2025-12-24'", "d", "created-quoted-date-midnight-utc"),
    ("created > 2026-01-31T23:00:00+02:00", "abc", "created-datetime-offset"),
    ("created > 2026-01-31T22:30:00Z", "bc", "created-zulu"),
    ('created <= "2026-02-15T12:00:00Z"', "abcd", "created-naive-is-utc"),
    ("created like '2025-%'", "d", "created-like-raw-text"),
    ("metrics.accuracy > 0.85", "bc", "metric-gt"),
    ("metrics.loss <= 0.41 and metrics.accuracy >= 0.8", "ab", "metric-and"),
    ("metrics.loss != 0.35", "a", "metric-ne-missing-false"),
    ("not metrics.loss < 0.4", "acd", "not-missing-true"),
    ("metrics.accuracy in (0.82, 0.9)", "ac", "metric-in"),
    ("metrics.accuracy > -1 and metrics.accuracy < 1e0", "abc", "negative-and-exponent"),
    ("metrics.`eval/acc` >= 0.8", "a", "backquoted-key"),
    ("params.lr = 1e-4", "a", "param-exponent"),
    ("params.lr < 0.0003", "ab", "param-string-vs-number-false"),
    ("params.lr = '0.0003'", "c", "param-string"),
    ("params.epochs in (3, 5)", "ab", "param-in"),
    ("params.base not in ('mistral-7b')", "ab", "param-not-in-missing-false"),
    ("params.use_lora = true", "a", "param-bool-true"),
    ("params.use_lora = FALSE", "b", "param-bool-false"),
    ("params.base like '%-7b'", "abc", "param-like"),
    ("params.epochs like '3'", "", "like-on-number-false"),
    ("card.training.lora_r >= 16", "ab", "card-nested"),
    ("card.training.lora_r != 16", "bd", "card-ne"),
    ("card.performance.eval.accuracy > 0.8", "a", "card-dotted-flat-key"),
    ("card.release_date = 2026-01-10", "a", "card-yaml-date"),
    ("card.missing.key = 1 or not card.missing.key = 1", "abcd", "missing-excluded-middle"),
    ("author = 'alice' or author = 'carol'", "acd", "or"),
    ("author = 'alice' and (stage = 'production' or metrics.accuracy > 0.89)", "ac", "parens"),
    ("author = 'bob' or author = 'alice' and stage = 'production'", "ab", "and-binds-tighter"),
    ("NOT (name = 'chat-7b') Or version = 1.0.0", "ad", "mixed-case-keywords"),
    ("not not stage = 'staging'", "b", "double-not"),
    ("not stage = 'staging' and author = 'alice'", "ac", "not-binds-tighter-than-and"),
    ('(((name = "chat-7b")))', "abc", "nested-parens"),
    ("NAME=='coder-13b'", "d", "double-equals-no-spaces"),
]


@pytest.mark.parametrize(("text", "expected"), [v[:2] for v in VALID], ids=[v[2] for v in VALID])
def test_filter_matches(text: str, expected: str) -> None:
    expr = parse(text)
    assert "".join(k for k, rec in RECORDS.items() if expr.matches(rec)) == expected


INVALID = [
    ("", 1, "the filter is empty", "empty"),
    ("metrics.accuracy >=", 20, "expected a value after '>='", "no-value"),
    ("version >= and name = 'a'", 12, "expected a value after '>='", "keyword-as-value"),
    ("foo = 1", 1, "unknown field 'foo'", "unknown-field"),
    ("name = 'a' and foo.bar = 1", 16, "unknown field 'foo.bar'", "unknown-field-later"),
    ("name = 1", 8, "name compares with a quoted string", "name-vs-number"),
    ("metrics.acc = 'high'", 15, "metrics.acc compares with a number", "metric-vs-string"),
    ("stage > 'a'", 7, "stage supports only", "stage-ordering"),
    ("name = 'abc", 8, "unterminated string", "unterminated-string"),
    ("(name = 'a'", 12, "expected ')'", "unclosed-paren"),
    ("name = 'a')", 11, "unexpected ')'", "stray-paren"),
    ("name 'a'", 6, "expected an operator after 'name'", "missing-operator"),
    ("name = 'a' version = 1.0.0", 12, "unexpected 'version'", "missing-and"),
    ("version >= 1.2", 12, "version compares with a version", "version-vs-float"),
    ("version = 'one'", 11, "version compares with a version", "version-bad-string"),
    ("created > 2026-13-45", 11, "'2026-13-45' is not a valid date", "bad-date"),
    ("created > 'yesterday'", 11, "created compares with a date", "created-bad-string"),
    ("metrics = 1", 1, "'metrics' needs a key", "metrics-without-key"),
    ("name.first = 'a'", 1, "'name' has no sub-fields", "name-with-key"),
    ("metrics.eval/acc > 1", 13, "unexpected character '/'", "unquoted-slash"),
    ("metrics.`eval/acc > 1", 9, "unterminated backquoted name", "unterminated-backquote"),
    ("metrics..acc > 1", 1, "invalid field name", "empty-segment"),
    ("name in 'a'", 9, "expected '(' after 'in'", "in-without-list"),
    ("name in ('a' 'b')", 14, "expected ',' or ')'", "list-missing-comma"),
    ("name in ()", 10, "expected a value in the list", "empty-list"),
    ("name like 5", 11, "expected a quoted pattern", "like-unquoted"),
    ("metrics.acc like '1%'", 18, "metrics hold numbers", "like-on-metric"),
    ("name not = 'a'", 10, "expected 'in' or 'like' after 'not'", "not-equals"),
    ("name = 'a' and", 15, "expected a field name or '('", "dangling-and"),
    ("name = 'a' or or name = 'b'", 15, "expected a field name or '('", "double-or"),
    ("name = bob", 8, "'bob' is not a value", "unquoted-string"),
    ("name ! 'a'", 6, "expected '!='", "bang"),
    ("name = $", 8, "unexpected character '$'", "bad-character"),
    ("'name' = 'a'", 1, "expected a field name", "quoted-field"),
]


@pytest.mark.parametrize(("text", "column", "message"), [v[:3] for v in INVALID], ids=[v[3] for v in INVALID])
def test_filter_syntax_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    err = info.value
    assert err.column == column
    assert str(err).startswith(f"filter syntax error at column {column}: ")
    assert message in str(err)
    assert err.hint is not None
    source, caret = err.hint.splitlines()[:2]
    assert source == text
    assert caret == " " * (column - 1) + "^"


def test_error_is_a_usage_error_with_caret_hint() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse("metrics.acc >= ")
    err = info.value
    assert isinstance(err, UsageError)
    assert err.exit_code == 2
    assert err.message == "filter syntax error at column 16: expected a value after '>='"
    assert err.hint == "metrics.acc >= \n               ^"


def test_unknown_field_hint_lists_valid_fields() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse("foo = 1")
    assert info.value.hint is not None
    assert info.value.hint.splitlines()[2] == (
        "valid fields: name, version, stage, created, author, metrics.X, params.X, card.X.Y"
    )


@pytest.mark.parametrize(
    ("text", "name", "matches"),
    [
        (r"name = 'it\'s'", "it's", True),
        (r'name = "say \"hi\""', 'say "hi"', True),
        (r"name = 'a\\b'", "a\\b", True),
        (r"name like '100\%'", "100%", True),
        (r"name like '100\%'", "1000", False),
        (r"name like 'a\_b'", "axb", False),
        ("name like 'a%'", "a\nb", True),
    ],
    ids=[
        "escaped-quote",
        "escaped-double",
        "escaped-backslash",
        "like-literal-percent",
        "like-literal-percent-no-wildcard",
        "like-literal-underscore",
        "like-spans-newline",
    ],
)
def test_string_escapes_and_like(text: str, name: str, matches: bool) -> None:
    record = Record(name=name, version="1.0.0", created="2026-01-01", author="x")
    assert parse(text).matches(record) is matches


def test_unparseable_record_values_count_as_missing() -> None:
    record = Record(name="m", version="not-semver", created="someday", author="x")
    assert not parse("version >= 0.0.0").matches(record)
    assert not parse("created < 2100-01-01").matches(record)
    assert parse("not created < 2100-01-01").matches(record)


def test_stage_on_a_version_without_stages() -> None:
    record = Record(name="m", version="1.0.0", created="2026-01-01", author="x")
    assert parse("stage != 'production'").matches(record)
    assert not parse("stage like '%'").matches(record)


def _order(key: str, *, descending: bool = False) -> str:
    return "".join(sorted(RECORDS, key=lambda k: order_key(key, descending=descending)(RECORDS[k])))


@pytest.mark.parametrize(
    ("key", "ascending", "descending"),
    [
        ("metrics.accuracy", "abcd", "cbad"),
        ("version", "dabc", "cbad"),
        ("created", "dabc", "cbad"),
        ("name", "abcd", "dabc"),
        ("card.training.lora_r", "dabc", "badc"),
        ("params.lr", "abcd", "cbad"),
        ("card.release_date", "abcd", "abcd"),
        ("stage", "dabc", "badc"),
    ],
    ids=[
        "metric-missing-last",
        "semver",
        "created-by-time",
        "name-stable-ties",
        "card-nested",
        "numbers-before-strings",
        "only-one-present",
        "stage-sets",
    ],
)
def test_order_key(key: str, ascending: str, descending: str) -> None:
    assert _order(key) == ascending
    assert _order(key, descending=True) == descending


@pytest.mark.parametrize(
    ("key", "column"),
    [("foo", 1), ("metrics.accuracy desc", 18), ("", 1), ("metrics", 1)],
    ids=["unknown", "trailing-word", "empty", "no-key"],
)
def test_order_key_rejects_bad_fields(key: str, column: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        order_key(key)
    assert info.value.column == column


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (parse("name = 'a' or card.training.lora_r > 8"), True),
        (parse("not card.x = 1"), True),
        (parse("metrics.card = 1 and params.x = 2"), False),
        ("card.training.lora_r", True),
        ("CARD.x", True),
        ("metrics.accuracy", False),
        ("created", False),
    ],
    ids=["expr-or", "expr-not", "expr-without", "field-card", "field-upper", "field-metric", "field-created"],
)
def test_needs_card(subject: Expr | str, expected: bool) -> None:
    assert needs_card(subject) is expected


def test_field_prefix_is_case_insensitive_but_keys_are_not() -> None:
    rec = RECORDS["a"]
    assert parse("Metrics.accuracy > 0.5").matches(rec)
    assert not parse("metrics.Accuracy > 0.5").matches(rec)


def test_parsed_filters_are_comparable_values() -> None:
    text = "name = 'chat-7b' and (version >= 1.0.0 or not stage in ('staging'))"
    assert parse(text) == parse(text)
    assert parse(text) != parse("name = 'chat-7b'")


def test_documented_examples_parse() -> None:
    doc = Path(__file__).parents[2] / "docs" / "filter-grammar.md"
    section = doc.read_text(encoding="utf-8").split("## Examples", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    examples = [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert len(examples) >= 10
    for text in examples:
        parse(text)
