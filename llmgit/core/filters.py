"""The version-search filter language: parsed expressions and the records they match. Pure.

Used by ``llmgit versions NAME --filter EXPR``, ``llmgit search EXPR`` and ``--order-by``;
:func:`llmgit.core.filter_parser.parse` turns the text into an :class:`Expr`. The grammar,
fields and semantics are documented in ``docs/filter-grammar.md``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import semver

from llmgit.core.filter_tokens import Field, FieldKind, field_from_text
from llmgit.core.filter_values import Value, compare, parse_datetime, version_or_none
from llmgit.core.like import LikePattern


@dataclass(frozen=True)
class Record:
    """One model version, as a filter sees it."""

    name: str
    version: str
    created: str  # ISO 8601
    author: str
    stages: frozenset[str] = frozenset()
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    card: Mapping[str, Any] = field(default_factory=dict)  # nested, from model_card.yaml


_MISSING: Any = object()


class Expr(ABC):
    """A parsed filter; :meth:`matches` evaluates it against one record."""

    @abstractmethod
    def matches(self, record: Record) -> bool: ...

    @abstractmethod
    def fields(self) -> Iterator[Field]: ...


@dataclass(frozen=True)
class Junction(Expr):
    """``a and b and ...`` (``every``) or ``a or b or ...``."""

    every: bool
    items: tuple[Expr, ...]

    def matches(self, record: Record) -> bool:
        found = (item.matches(record) for item in self.items)
        return all(found) if self.every else any(found)

    def fields(self) -> Iterator[Field]:
        for item in self.items:
            yield from item.fields()


@dataclass(frozen=True)
class Not(Expr):
    item: Expr

    def matches(self, record: Record) -> bool:
        return not self.item.matches(record)

    def fields(self) -> Iterator[Field]:
        return self.item.fields()


@dataclass(frozen=True)
class Compare(Expr):
    """``field OP value``, ``field [not] in (values)`` or ``field [not] like pattern``."""

    field: Field
    op: str  # = != < <= > >= in "not in" like "not like"
    values: tuple[Value, ...]
    pattern: LikePattern | None = None

    def matches(self, record: Record) -> bool:
        value = _value(self.field, record)
        if value is _MISSING:
            return False
        negated = self.op.startswith("not ")
        if self.pattern is not None:
            texts = _texts(self.field, record, value)
            found = any(self.pattern.fullmatch(t) for t in texts)
            return bool(texts) and found != negated
        if isinstance(value, frozenset):  # stage: the version holds a set of stages
            held = any(v in value for v in self.values)
            return held != (negated or self.op == "!=")
        if not self.op.endswith("in"):
            return compare(value, self.op, self.values[0]) is True
        results = [compare(value, "=", v) for v in self.values]  # None: not comparable
        if negated:
            return any(r is not None for r in results) and True not in results
        return True in results

    def fields(self) -> Iterator[Field]:
        yield self.field


def needs_card(expr_or_field: Expr | str) -> bool:
    """Whether evaluating the filter (or ordering by the field) reads model card contents."""
    if isinstance(expr_or_field, str):
        return field_from_text(expr_or_field).kind is FieldKind.card
    return any(f.kind is FieldKind.card for f in expr_or_field.fields())


def order_key(field: str, *, descending: bool = False) -> Callable[[Record], tuple[Any, ...]]:
    """A sort key for ``--order-by KEY``; missing values sort last in both directions.

    Always sort ascending with it: ``sorted(rs, key=order_key("metrics.acc", descending=True))``.
    """
    fld = field_from_text(field)

    def sort_key(record: Record) -> tuple[Any, ...]:
        value = _value(fld, record)
        if isinstance(value, frozenset):
            value = tuple(sorted(value)) if value else _MISSING
        if value is _MISSING:
            return (1,)
        ranked = _ranked(value)
        return (0, _Descending(ranked) if descending else ranked)

    return sort_key


@dataclass(frozen=True)
class _Descending:
    value: Any

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)


def _ranked(value: object) -> tuple[int, Any]:
    """Values of different types never compare with each other: rank them first."""
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, float)):
        return (0, value)
    moment = parse_datetime(value) if not isinstance(value, str) else None
    if moment is not None:
        return (2, moment)
    if isinstance(value, semver.Version):
        return (3, value)
    if isinstance(value, tuple):  # the stages a version holds
        return (4, value)
    return (5, value) if isinstance(value, str) else (6, repr(value))


def _value(fld: Field, record: Record) -> Any:
    """The field's value in ``record``, or ``_MISSING`` (a ``None`` value counts as missing)."""
    kind = fld.kind
    value: Any
    if kind is FieldKind.version:
        value = version_or_none(record.version)
    elif kind is FieldKind.created:
        value = parse_datetime(record.created)
    elif kind in (FieldKind.metrics, FieldKind.params, FieldKind.card):
        value = _lookup(getattr(record, kind.value), fld.path)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is FieldKind.metrics and not number:
            return _MISSING
    else:
        return frozenset(record.stages) if kind is FieldKind.stage else getattr(record, kind.value)
    return _MISSING if value is None else value


def _lookup(mapping: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``mapping[a][b]``, also trying dotted joins of the remaining path as flat keys."""
    for i in range(len(path), 0, -1):
        key = ".".join(path[:i])
        if key not in mapping:
            continue
        if i == len(path):
            return mapping[key]
        if isinstance(mapping[key], Mapping):
            found = _lookup(mapping[key], path[i:])
            if found is not _MISSING:
                return found
    return _MISSING


def _texts(fld: Field, record: Record, value: Any) -> list[str]:
    """What ``like`` matches: every held stage, else the field's text (strings only)."""
    if isinstance(value, frozenset):
        return sorted(value)
    if fld.kind is FieldKind.version:
        return [str(value)]
    if fld.kind is FieldKind.created:
        return [record.created]
    return [value] if isinstance(value, str) else []
