"""The literals of the filter language (``docs/filter-grammar.md``). Pure.

Numbers, dates and versions written in a filter, each checked against the type of the field
it is compared with, and how a literal compares with a recorded value (a value of another
type is not comparable, never an exception). The tokens and field names they are read from
are in :mod:`llmgit.core.filter_tokens`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import semver

from llmgit.core import versions
from llmgit.core.filter_tokens import Field, FieldKind, Kind, Token, syntax_error
from llmgit.errors import InvalidVersion

Value = int | float | bool | str | datetime | semver.Version

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def bare_literal(source: str, token: Token) -> int | float | datetime | semver.Version | None:
    """A number, date or version written without quotes; ``None`` if ``token`` is none."""
    text = token.text
    if _NUMBER_RE.fullmatch(text):
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:  # an int of 4,300+ digits
            raise syntax_error(source, token.col, f"the number '{text[:20]}\u2026' has too many digits") from None
    if _DATE_RE.fullmatch(text):
        moment = parse_datetime(text)
        if moment is None:
            raise syntax_error(
                source,
                token.col,
                f"'{text}' is not a valid date",
                "write YYYY-MM-DD or a full ISO 8601 time such as 2026-01-31T12:00:00Z",
            )
        return moment
    return version_or_none(text)


def parse_datetime(value: object) -> datetime | None:
    """An aware datetime from ISO text or a date/datetime; naive means UTC, a date midnight UTC."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return None


def version_or_none(text: str) -> semver.Version | None:
    try:
        return versions.parse(text)
    except InvalidVersion:
        return None


def read_value(source: str, tok: Token, fld: Field, where: str) -> Value:
    """The literal at ``tok``, checked (and converted) against the field's type where known."""
    literal: Value | None = None
    if tok.kind is Kind.string:
        literal = tok.text
    elif tok.is_word("true", "false"):
        literal = tok.text.lower() == "true"
    elif tok.kind is Kind.bare and not tok.is_word("and", "or", "not", "in", "like"):
        literal = bare_literal(source, tok)
        if literal is None:
            raise syntax_error(source, tok.col, f"'{tok.text}' is not a value", f"quote text: '{tok.text}'")
    if literal is None:
        raise syntax_error(source, tok.col, f"expected a value {where}")
    return _typed(source, fld, tok, literal)


def _typed(source: str, fld: Field, tok: Token, literal: Value) -> Value:
    kind = fld.kind
    if kind in (FieldKind.params, FieldKind.card):
        return literal  # values of any type; a mismatch is simply false at match time
    converted: Value | None = literal
    if kind is FieldKind.version:
        if isinstance(literal, str):
            converted = version_or_none(literal)
        ok, want = isinstance(converted, semver.Version), "a version such as 1.2.0 or v2.0.0-rc.1"
    elif kind is FieldKind.created:
        if isinstance(literal, str):
            converted = parse_datetime(literal)
        ok, want = isinstance(converted, datetime), "a date such as 2026-01-31 or 2026-01-31T12:00Z"
    elif kind is FieldKind.metrics:
        ok, want = isinstance(literal, (int, float)) and not isinstance(literal, bool), "a number"
    else:
        ok, want = isinstance(literal, str), "a quoted string"
    if not ok or converted is None:
        raise syntax_error(source, tok.col, f"{fld.text} compares with {want}")
    return converted


def compare(value: Any, op: str, literal: Value) -> bool | None:
    """``value OP literal``, or ``None`` when the two are not comparable."""
    left: Any
    if isinstance(literal, (bool, str)):
        left = value if type(value) is type(literal) else None
    elif isinstance(literal, (int, float)):
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        left = value if numeric else None
    elif isinstance(literal, datetime):
        left = parse_datetime(value)
    elif isinstance(value, semver.Version):
        left = value
    else:
        left = version_or_none(value) if isinstance(value, str) else None
    if left is None:
        return None
    return _OPS[op](left, literal)
