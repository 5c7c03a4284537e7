"""The fast paths of :mod:`llmgit.core.yamlio`, for the shapes llmgit reads and writes most.

:func:`build` makes a document's values straight from libyaml's parser events, with the safe
loader's own resolver and scalar constructors, but without its node graph; :func:`emit` writes
block YAML for plain data (mappings, sequences, and scalars that need no quoting) as the C safe
dumper writes it. Each raises :class:`Fallback` for anything else, and ``yamlio`` then does it
the usual way: both are only faster, never different (property tests compare them with PyYAML).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any


class Fallback(Exception):
    """Left to PyYAML's loader or dumper: an alias, a tag not built here, a merge key, a
    collection as a key, a value a constructor refuses, an error (the loader says it), or data
    the emitter does not write itself."""


class NodeCap(Exception):
    """More nodes than ``max_nodes``."""


@cache
def _yaml() -> Any:
    import yaml  # noqa: PLC0415 (heavy third-party: loaded on first use)

    return yaml


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@cache
def _resolvers() -> tuple[dict[str, list[Any]], list[Any]]:
    """The plain-scalar resolvers by first character, wildcards appended (as
    ``Resolver.resolve`` tries them), and the wildcards alone (for any other first character)."""
    implicit = _yaml().resolver.Resolver.yaml_implicit_resolvers
    wildcard = list(implicit.get(None, []))
    return {k: list(v) + wildcard for k, v in implicit.items() if k is not None}, wildcard


@cache
def _builder_parts() -> tuple[Any, ...]:
    """The event classes, the plain-scalar resolvers (:func:`_resolvers`) and the safe
    constructors of non-string scalars."""
    yaml = _yaml()
    by_first, wildcard = _resolvers()
    scalars = {
        tag: f
        for tag, f in yaml.constructor.SafeConstructor.yaml_constructors.items()
        if tag
        in (
            "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:binary",
            "tag:yaml.org,2002:timestamp",
        )
    }
    e = yaml.events
    return (
        e.ScalarEvent,
        e.MappingStartEvent,
        e.SequenceStartEvent,
        e.MappingEndEvent,
        e.SequenceEndEvent,
        e.DocumentStartEvent,
        e.AliasEvent,
        by_first,
        wildcard,
        scalars,
        yaml.constructor.SafeConstructor(),
        yaml.ScalarNode,
    )


def build(text: str | bytes, max_nodes: int | None) -> Any:
    """The document's value, built from the C parser's events as the safe loader builds it
    from nodes; :class:`_Fallback` for what it leaves to the loader."""
    yaml = _yaml()
    (
        scalar_ev,
        map_start,
        seq_start,
        map_end,
        seq_end,
        doc_start,
        alias_ev,
        by_first,
        wildcard,
        scalars,
        constructor,
        scalar_node,
    ) = _builder_parts()
    stack: list[Any] = []  # open collections
    keys: list[Any] = []  # per open mapping: its pending key, or _NO_KEY
    result: Any = None
    documents = nodes = 0
    anchors: set[str] = set()  # a name given twice is the loader's error to say
    limit = max_nodes if max_nodes is not None else -1
    try:
        for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
            kind = type(ev)
            if kind is scalar_ev or kind is map_start or kind is seq_start:
                if ev.anchor is not None:
                    if ev.anchor in anchors:
                        raise Fallback
                    anchors.add(ev.anchor)
            if kind is scalar_ev:
                value = ev.value
                tag = ev.tag
                if tag is None or tag == "!":
                    if ev.implicit[0]:
                        tag = _STR
                        for candidate, pattern in (
                            by_first.get(value[0], wildcard) if value else by_first.get("", wildcard)
                        ):
                            if pattern.match(value):
                                tag = candidate
                                break
                    else:
                        tag = _STR
                if tag != _STR:
                    make = scalars.get(tag)
                    if make is None:
                        raise Fallback
                    value = make(constructor, scalar_node(tag, value, ev.start_mark, ev.end_mark, ev.style))
            elif kind is map_start or kind is seq_start:
                if ev.tag is not None and ev.tag != "!" and ev.tag != (_MAP if kind is map_start else _SEQ):
                    raise Fallback
                nodes += 1
                if nodes == limit + 1 and limit >= 0:
                    raise NodeCap
                stack.append({} if kind is map_start else [])
                keys.append(_NO_KEY)
                continue
            elif kind is map_end or kind is seq_end:
                value = stack.pop()
                keys.pop()
            elif kind is doc_start:
                documents += 1
                if documents > 1:
                    raise Fallback  # the loader says it expects a single document
                continue
            elif kind is alias_ev:
                raise Fallback
            else:
                continue
            if kind is scalar_ev:  # a collection was counted where it opened
                nodes += 1
                if nodes == limit + 1 and limit >= 0:
                    raise NodeCap
            if not stack:
                result = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif keys[-1] is _NO_KEY:
                if kind is not scalar_ev:
                    raise Fallback  # a collection as a key: the loader refuses it
                keys[-1] = value  # (``<<`` and ``=`` resolve to tags left to the loader)
            else:
                top[keys[-1]] = value
                keys[-1] = _NO_KEY
    except NodeCap:
        raise
    except Exception:  # noqa: BLE001 (anything else: the loader does it again and says what is wrong)
        raise Fallback from None
    return result


_NO_KEY = object()


# a string the C dumper writes plain (unquoted) when it also resolves as a string: ASCII, no
# indicator first, no ': ', ' #', line break or doubled or edge space (checked by the property test)
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+@<>=-]*(?: [A-Za-z0-9_./+@<>=-]+)*")
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MAX_KEY = 128  # longer keys are written as complex keys ('? key')


def _resolves_to(text: str) -> str:
    """The tag a plain scalar ``text`` reads back as (the safe loader's implicit resolvers)."""
    by_first, wildcard = _resolvers()
    for tag, pattern in by_first.get(text[0], wildcard) if text else by_first.get("", wildcard):
        if pattern.match(text):
            return str(tag)
    return _STR


def _scalar(value: Any, width: int, column: int) -> str:
    """``value`` as the C safe dumper writes it after ``column`` characters, or Fallback."""
    kind = type(value)
    if kind is str:
        if not _PLAIN.fullmatch(value) or _resolves_to(value) != _STR:
            raise Fallback
        if " " in value and column + len(value) > width:
            raise Fallback  # the dumper would fold it at a space
        return str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        text = repr(value).lower()  # SafeRepresenter.represent_float, finite values
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
        if value != value or value in (float("inf"), float("-inf")) or _resolves_to(text) != _FLOAT_TAG:
            raise Fallback
        return text
    raise Fallback


def _key(key: Any, indent: int) -> str:
    if type(key) is not str or len(key) > _MAX_KEY:
        raise Fallback
    return _scalar(key, 1 << 30, indent)


def _mapping(data: dict[Any, Any], indent: int, sort_keys: bool, width: int, out: list[str], first: str) -> None:
    """Block mapping lines at ``indent``; the first line starts with ``first`` (a ``- ``)."""
    if any(type(k) is not str for k in data):
        raise Fallback
    items = sorted(data.items()) if sort_keys else list(data.items())
    pad = " " * indent
    for i, (key, value) in enumerate(items):
        lead = (first if i == 0 else pad) + _key(key, indent) + ":"
        if type(value) is dict and value:
            out.append(lead)
            _mapping(value, indent + 2, sort_keys, width, out, " " * (indent + 2))
        elif type(value) is list and value:
            out.append(lead)
            _sequence(value, indent, sort_keys, width, out)
        elif type(value) in (dict, list):
            out.append(lead + (" {}" if type(value) is dict else " []"))
        else:
            out.append(lead + " " + _scalar(value, width, len(lead) + 1))


def _sequence(data: list[Any], indent: int, sort_keys: bool, width: int, out: list[str]) -> None:
    """A block sequence whose dashes are at ``indent`` (as a mapping's value: not indented)."""
    pad = " " * indent
    for item in data:
        if type(item) is dict and item:
            _mapping(item, indent + 2, sort_keys, width, out, pad + "- ")
        elif type(item) is dict:
            out.append(pad + "- {}")
        elif type(item) is list:
            if item:
                raise Fallback  # a sequence in a sequence
            out.append(pad + "- []")
        else:
            out.append(pad + "- " + _scalar(item, width, indent + 2))


def emit(data: Any, *, sort_keys: bool = True, width: int = 80) -> str:
    """``data`` (a non-empty mapping) as ``yaml.dump(data, Dumper=CSafeDumper,
    allow_unicode=True, sort_keys=..., width=...)`` writes it, or :class:`Fallback`."""
    if type(data) is not dict or not data or width < 20:
        raise Fallback
    out: list[str] = []
    _mapping(data, 0, sort_keys, width, out, "")
    return "\n".join(out) + "\n"
