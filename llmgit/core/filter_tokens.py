"""The lexical side of the filter language (``docs/filter-grammar.md``). Pure.

Tokens, field names, literals and how a literal compares with a recorded value; the parser and
evaluator are in :mod:`llmgit.core.filters`. The tokenizer is context-free and records the 1-based
column of every token. A *bare* token is a run of letters, digits and ``_ . - + :`` with
optional backquoted parts; the parser decides whether it is a field, a keyword or a literal
(number, date, version).
"""

from __future__ import annotations

import operator
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

import semver

from llmgit.core import versions
from llmgit.errors import FilterSyntaxError, InvalidVersion

Value = int | float | bool | str | datetime | semver.Version

_BARE = frozenset(string.ascii_letters + string.digits + "_.-+:")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FIELDS_HINT = "valid fields: name, version, stage, created, author, metrics.X, params.X, card.X.Y"


class Kind(Enum):
    lparen = "'('"
    rparen = "')'"
    comma = "','"
    op = "an operator"
    string = "a quoted string"
    bare = "a word"
    end = "the end of the filter"


class FieldKind(str, Enum):
    name = "name"
    version = "version"
    stage = "stage"
    created = "created"
    author = "author"
    metrics = "metrics"
    params = "params"
    card = "card"


_KEYED = (FieldKind.metrics, FieldKind.params, FieldKind.card)


@dataclass(frozen=True)
class Field:
    kind: FieldKind
    path: tuple[str, ...]  # the key segments after metrics./params./card.
    text: str


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # the source text (for ``string`` the unescaped value)
    col: int  # 1-based column of the first character
    segments: tuple[str, ...] = ()  # bare: dot-separated parts, backquotes removed
    plain: tuple[bool, ...] = ()  # bare: whether each segment had no backquoted part

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.bare and self.text.lower() in words


def syntax_error(source: str, col: int, message: str, extra: str | None = None) -> FilterSyntaxError:
    """The error for ``message`` at ``col``; the hint repeats the filter with a caret under it."""
    hint = f"{source}\n{' ' * (col - 1)}^"
    if extra:
        hint = f"{hint}\n{extra}"
    return FilterSyntaxError(f"filter syntax error at column {col}: {message}", hint=hint, column=col)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with a ``Kind.end`` token."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c in "(),":
            kind = {"(": Kind.lparen, ")": Kind.rparen, ",": Kind.comma}[c]
            tokens.append(Token(kind, c, col))
            i += 1
        elif c in "=!<>":
            two = source[i : i + 2]
            if two in ("!=", "<=", ">=", "=="):
                tokens.append(Token(Kind.op, "=" if two == "==" else two, col))
                i += 2
            elif c == "!":
                raise syntax_error(source, col, "expected '!=' (write 'not' to negate)")
            else:
                tokens.append(Token(Kind.op, c, col))
                i += 1
        elif c in "'\"":
            i = _read_string(source, i, tokens)
        elif c in _BARE or c == "`":
            i = _read_bare(source, i, tokens)
        else:
            raise syntax_error(source, col, f"unexpected character {c!r}")
    tokens.append(Token(Kind.end, "", n + 1))
    return tokens


def _read_string(source: str, start: int, tokens: list[Token]) -> int:
    quote, i = source[start], start + 1
    out: list[str] = []
    while i < len(source):
        c = source[i]
        if c == quote:
            tokens.append(Token(Kind.string, "".join(out), start + 1))
            return i + 1
        if c == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            # unknown escapes keep their backslash, so like-patterns can say \% and \_
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    raise syntax_error(source, start + 1, f"unterminated string, add the closing {quote}")


def _read_bare(source: str, start: int, tokens: list[Token]) -> int:
    segments: list[str] = []
    plain: list[bool] = []
    current: list[str] = []
    is_plain = True
    i = start
    while i < len(source):
        c = source[i]
        if c == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise syntax_error(source, i + 1, "unterminated backquoted name, add the closing `")
            current.append(source[i + 1 : end])
            is_plain = False
            i = end + 1
        elif c == ".":
            segments.append("".join(current))
            plain.append(is_plain)
            current, is_plain = [], True
            i += 1
        elif c in _BARE:
            current.append(c)
            i += 1
        else:
            break
    segments.append("".join(current))
    plain.append(is_plain)
    tokens.append(Token(Kind.bare, source[start:i], start + 1, tuple(segments), tuple(plain)))
    return i


def bare_literal(source: str, token: Token) -> int | float | datetime | semver.Version | None:
    """A number, date or version written without quotes; ``None`` if ``token`` is none."""
    text = token.text
    if _NUMBER_RE.fullmatch(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
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


def parse_field(source: str, tok: Token) -> Field:
    if tok.kind is not Kind.bare:
        raise syntax_error(source, tok.col, f"expected a field name, found {tok.kind.value}")
    head, *rest = tok.segments
    try:
        kind = FieldKind(head.lower()) if tok.plain[0] else None
    except ValueError:
        kind = None
    if kind is None:
        raise syntax_error(source, tok.col, f"unknown field '{tok.text}'", FIELDS_HINT)
    for seg, plain in zip(rest, tok.plain[1:], strict=True):
        if not seg or (plain and not _PLAIN_SEGMENT.fullmatch(seg)):
            raise syntax_error(
                source,
                tok.col,
                f"invalid field name '{tok.text}'",
                "keys use letters, digits, '_', '-' and '.'; backquote others: metrics.`eval/acc`",
            )
    if kind in _KEYED and not rest:
        raise syntax_error(source, tok.col, f"'{head}' needs a key, e.g. {head}.X", FIELDS_HINT)
    if kind not in _KEYED and rest:
        raise syntax_error(source, tok.col, f"'{head}' has no sub-fields", FIELDS_HINT)
    return Field(kind, tuple(rest), tok.text)


def like_regex(pattern: str) -> re.Pattern[str]:
    """SQL ``like``: ``%`` any run, ``_`` one character, ``\\%``/``\\_`` literal; case-sensitive."""
    regex: list[str] = []
    for part in re.split(r"(\\[%_\\]|%|_)", pattern):
        if part in ("%", "_"):
            regex.append(".*" if part == "%" else ".")
        else:
            regex.append(re.escape(part[1:] if part in ("\\%", "\\_", "\\\\") else part))
    return re.compile("".join(regex), re.DOTALL)


def version_or_none(text: str) -> semver.Version | None:
    try:
        return versions.parse(text)
    except InvalidVersion:
        return None


def field_from_text(text: str) -> Field:
    """A lone field name, as ``--order-by`` takes it."""
    tokens = tokenize(text)
    fld = parse_field(text, tokens[0])
    if tokens[1].kind is not Kind.end:
        raise syntax_error(text, tokens[1].col, "expected a single field name")
    return fld


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
