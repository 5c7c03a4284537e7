"""The lexical side of the filter language (``docs/filter-grammar.md``). Pure.

Tokens and field names; the literals and how they compare are in
:mod:`llmgit.core.filter_values`, the ``like`` matcher in :mod:`llmgit.core.like`, the parser
in :mod:`llmgit.core.filter_parser` and the evaluator in :mod:`llmgit.core.filters`. The
tokenizer is context-free and records the 1-based column of every token. A *bare* token is a
run of letters, digits and ``_ . - + :`` with optional backquoted parts; the parser decides
whether it is a field, a keyword or a literal (number, date, version).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import Enum

from llmgit.errors import FilterSyntaxError

_BARE = frozenset(string.ascii_letters + string.digits + "_.-+:")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
MAX_LENGTH = 10_000  # characters of a filter
MAX_DEPTH = 64  # nested parentheses and 'not'
SHOWN = 100  # characters of the filter a syntax error's hint repeats
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
    """The error for ``message`` at ``col``; the hint repeats the filter (around ``col`` when
    it is long) with a caret under it."""
    start = max(0, min(col - 1 - SHOWN // 2, len(source) - SHOWN))
    shown = source[start : start + SHOWN]
    lead, tail = ("\u2026" if start else ""), ("\u2026" if start + SHOWN < len(source) else "")
    hint = f"{lead}{shown}{tail}\n{' ' * (col - 1 - start + len(lead))}^"
    if extra:
        hint = f"{hint}\n{extra}"
    return FilterSyntaxError(f"filter syntax error at column {col}: {message}", hint=hint, column=col)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with a ``Kind.end`` token."""
    if len(source) > MAX_LENGTH:
        raise syntax_error(source, MAX_LENGTH + 1, f"the filter is longer than {MAX_LENGTH} characters")
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
    if len(rest) > MAX_DEPTH:
        raise syntax_error(source, tok.col, f"the field name has more than {MAX_DEPTH} parts")
    if kind in _KEYED and not rest:
        raise syntax_error(source, tok.col, f"'{head}' needs a key, e.g. {head}.X", FIELDS_HINT)
    if kind not in _KEYED and rest:
        raise syntax_error(source, tok.col, f"'{head}' has no sub-fields", FIELDS_HINT)
    return Field(kind, tuple(rest), tok.text)


def field_from_text(text: str) -> Field:
    """A lone field name, as ``--order-by`` takes it."""
    tokens = tokenize(text)
    fld = parse_field(text, tokens[0])
    if tokens[1].kind is not Kind.end:
        raise syntax_error(text, tokens[1].col, "expected a single field name")
    return fld
