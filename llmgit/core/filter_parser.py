"""The parser of the filter language: filter text to an :class:`~llmgit.core.filters.Expr`. Pure.

Recursive descent over the tokens of :mod:`llmgit.core.filter_tokens`; every error is a
:class:`~llmgit.errors.FilterSyntaxError` that points at its column. The grammar is documented
in ``docs/filter-grammar.md``; what a parsed filter matches is :mod:`llmgit.core.filters`.
"""

from __future__ import annotations

from collections.abc import Callable

from llmgit.core.filter_tokens import MAX_DEPTH, Field, FieldKind, Kind, Token, parse_field, syntax_error, tokenize
from llmgit.core.filter_values import Value, read_value
from llmgit.core.filters import Compare, Expr, Junction, Not
from llmgit.core.like import like_pattern
from llmgit.errors import FilterSyntaxError

_ORDERING = ("<", "<=", ">", ">=")


def parse(text: str) -> Expr:
    """Parse a filter expression; raise :class:`~llmgit.errors.FilterSyntaxError`."""
    return _Parser(text).parse()


class _Parser:
    """Recursive descent; precedence ``not`` > ``and`` > ``or``. Parentheses and ``not`` nest
    at most :data:`MAX_DEPTH` deep, so neither parsing nor matching runs out of stack."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0

    def parse(self) -> Expr:
        if self.peek().kind is Kind.end:
            raise self.error(self.peek(), "the filter is empty")
        expr = self.or_expr()
        tok = self.peek()
        if tok.kind is not Kind.end:
            what = "')' without a matching '('" if tok.kind is Kind.rparen else f"'{tok.text}'"
            raise self.error(tok, f"unexpected {what}; join conditions with 'and' or 'or'")
        return expr

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, tok: Token, message: str, extra: str | None = None) -> FilterSyntaxError:
        return syntax_error(self.source, tok.col, message, extra)

    def or_expr(self) -> Expr:
        return self.junction("or", self.and_expr)

    def and_expr(self) -> Expr:
        return self.junction("and", self.not_expr)

    def junction(self, word: str, operand: Callable[[], Expr]) -> Expr:
        items = [operand()]
        while self.peek().is_word(word):
            self.next()
            items.append(operand())
        return items[0] if len(items) == 1 else Junction(word == "and", tuple(items))

    def not_expr(self) -> Expr:
        tok = self.peek()
        if tok.is_word("not") or tok.kind is Kind.lparen:
            self.next()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(tok, f"the filter nests parentheses and 'not' more than {MAX_DEPTH} deep")
            if tok.kind is Kind.lparen:
                expr = self.or_expr()
                self.expect(Kind.rparen, "expected ')' to close the '('")
            else:
                expr = Not(self.not_expr())
            self.depth -= 1
            return expr
        tok = self.peek()
        if tok.kind is Kind.end or tok.is_word("and", "or", "in", "like"):
            raise self.error(tok, "expected a field name or '('")
        return self.comparison(parse_field(self.source, self.next()))

    def expect(self, kind: Kind, message: str) -> Token:
        if self.peek().kind is not kind:
            raise self.error(self.peek(), message)
        return self.next()

    def comparison(self, fld: Field) -> Expr:
        tok = self.next()
        op = tok.text.lower()
        if tok.is_word("not"):
            if not self.peek().is_word("in", "like"):
                raise self.error(self.peek(), "expected 'in' or 'like' after 'not'")
            op = "not " + self.next().text.lower()
        elif not (tok.kind is Kind.op or tok.is_word("in", "like")):
            raise self.error(
                tok, f"expected an operator after '{fld.text}'", "operators: = != < <= > >= in, not in, like, not like"
            )
        if fld.kind is FieldKind.stage and op in _ORDERING:
            raise self.error(tok, "stage supports only =, !=, in and like")
        if op.endswith("like"):
            pat = self.expect(Kind.string, f"expected a quoted pattern after '{op}'")
            if fld.kind is FieldKind.metrics:
                raise self.error(pat, "metrics hold numbers; 'like' needs text")
            return Compare(fld, op, (pat.text,), like_pattern(pat.text))
        if not op.endswith("in"):
            return Compare(fld, op, (self.value(fld, f"after '{op}'"),))
        self.expect(Kind.lparen, f"expected '(' after '{op}'")
        values = [self.value(fld, "in the list")]
        while self.peek().kind is Kind.comma:
            self.next()
            values.append(self.value(fld, "after ','"))
        self.expect(Kind.rparen, "expected ',' or ')' in the list")
        return Compare(fld, op, tuple(values))

    def value(self, fld: Field, where: str) -> Value:
        return read_value(self.source, self.next(), fld, where)
