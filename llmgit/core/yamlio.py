"""YAML in and out through the safe loader and dumper, in C (libyaml) when available.

Stage files of big registries hold thousands of entries and history reads one per stage
commit, so the C safe loader matters; the semantics are the same as ``yaml.safe_load``, except
that aliases (``*name``) are refused: no llmgit format has a use for them, and an alias bomb (a
few hundred bytes that expand to gigabytes) must not take down ``review`` on a pull request.
PyYAML loads on first use (start-up: ``llmgit --help`` needs no YAML).
"""

from __future__ import annotations

from functools import cache
from typing import Any


class YAMLError(ValueError):
    """Text that is not YAML llmgit reads (the message is the parser's, or names the alias)."""


class YAMLRefused(YAMLError):
    """YAML that parses but that llmgit refuses: an alias, nesting too deep, or a value the
    loader cannot build (a date such as ``2024-13-01``, an integer of 4,300+ digits)."""


class _AliasMet(Exception):
    def __init__(self, mark: object) -> None:
        super().__init__(f"YAML aliases (*name) are not accepted\n{mark}")


@cache
def _yaml() -> Any:
    import yaml  # noqa: PLC0415 (heavy third-party: loaded on first use)

    return yaml


@cache
def _no_alias_loader() -> Any:
    """The pure-Python safe loader, refusing an alias the moment the composer meets one."""
    yaml = _yaml()

    class NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.events.AliasEvent):
                raise _AliasMet(self.peek_event().start_mark)
            return super().compose_node(parent, index)

    return NoAliasLoader


class TooManyNodes(YAMLRefused):
    """More nodes than the caller allows (``load(..., max_nodes=)``)."""


class _Fallback(Exception):
    """Text the event builder leaves to the loader: an alias, a tag it does not build, a merge
    key, a collection as a key, a value a constructor refuses, or an error (the loader says it)."""


def load(text: str | bytes, *, max_nodes: int | None = None) -> Any:
    """Like ``yaml.safe_load``: plain data only, never arbitrary objects, and no aliases.
    ``max_nodes``: refuse (:class:`TooManyNodes`) text with more nodes, before building them.

    Values are built straight from the C parser's events (:func:`_build`: the same parser,
    resolver and scalar constructors as the safe loader, without its node graph, about twice
    as fast). What that does not build (an alias, an explicit tag, a merge key, an error) goes
    to the loader: text without an alias to the C loader (text without ``*`` cannot hold one;
    other text is first read as events: a ``*`` in a string or a comment is no alias), text with
    one to the pure-Python loader, which stops at the first alias or says what is wrong."""
    yaml = _yaml()
    if hasattr(yaml, "CSafeLoader"):
        try:
            return _build(text, max_nodes)
        except _Fallback:
            pass
    if max_nodes is not None and count_nodes(text, max_nodes + 1) > max_nodes:
        raise TooManyNodes(f"more than {max_nodes} nodes")
    aliased = ((b"*" in text) if isinstance(text, bytes) else ("*" in text)) and _has_alias(text)
    loader = _no_alias_loader() if aliased else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    except _AliasMet as e:
        raise YAMLRefused(str(e)) from None
    except yaml.YAMLError as e:
        if "maximum nesting depth" in str(e):  # libyaml's own limit
            raise YAMLRefused("the document is nested too deeply") from None
        raise YAMLError(str(e)) from None
    except RecursionError:
        raise YAMLRefused("the document is nested too deeply") from None
    except UnicodeDecodeError as e:
        raise YAMLError(f"the document is not UTF-8: {e}") from None
    except (ValueError, TypeError, OverflowError, LookupError) as e:  # a value the loader cannot build (``!!int ''``)
        raise YAMLRefused(
            f"a value YAML cannot read: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from None


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@cache
def _builder_parts() -> tuple[Any, ...]:
    """The event classes, the plain-scalar resolvers by first character (wildcards appended,
    as ``Resolver.resolve`` tries them) and the safe constructors of non-string scalars."""
    yaml = _yaml()
    implicit = yaml.resolver.Resolver.yaml_implicit_resolvers
    wildcard = list(implicit.get(None, []))
    by_first = {k: list(v) + wildcard for k, v in implicit.items() if k is not None}
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


def _build(text: str | bytes, max_nodes: int | None) -> Any:
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
    limit = max_nodes if max_nodes is not None else -1
    try:
        for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
            kind = type(ev)
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
                        raise _Fallback
                    value = make(constructor, scalar_node(tag, value, ev.start_mark, ev.end_mark, ev.style))
            elif kind is map_start or kind is seq_start:
                if ev.tag is not None and ev.tag != "!" and ev.tag != (_MAP if kind is map_start else _SEQ):
                    raise _Fallback
                nodes += 1
                if nodes == limit + 1 and limit >= 0:
                    raise TooManyNodes(f"more than {max_nodes} nodes")
                stack.append({} if kind is map_start else [])
                keys.append(_NO_KEY)
                continue
            elif kind is map_end or kind is seq_end:
                value = stack.pop()
                keys.pop()
                if not stack:
                    result = value
                    continue
                top = stack[-1]
                if type(top) is list:
                    top.append(value)
                elif keys[-1] is _NO_KEY:
                    raise _Fallback  # a collection as a key: the loader refuses it
                else:
                    top[keys[-1]] = value
                    keys[-1] = _NO_KEY
                continue
            elif kind is doc_start:
                documents += 1
                if documents > 1:
                    raise _Fallback  # the loader says it expects a single document
                continue
            elif kind is alias_ev:
                raise _Fallback
            else:
                continue
            nodes += 1
            if nodes == limit + 1 and limit >= 0:
                raise TooManyNodes(f"more than {max_nodes} nodes")
            if not stack:
                result = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif keys[-1] is _NO_KEY:
                keys[-1] = value  # a scalar (``<<`` and ``=`` resolve to tags left to the loader)
            else:
                top[keys[-1]] = value
                keys[-1] = _NO_KEY
    except TooManyNodes:
        raise
    except Exception:  # noqa: BLE001 (anything else: the loader does it again and says what is wrong)
        raise _Fallback from None
    return result


_NO_KEY = object()


def _has_alias(text: str | bytes) -> bool:
    """Whether the C parser meets an alias event (True too when it cannot parse the text)."""
    yaml = _yaml()
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                return True
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return True
    return False


def count_nodes(text: str | bytes, stop: int) -> int:
    """The number of nodes (scalars, sequences, mappings, aliases) in ``text``, counting no
    further than ``stop``; text that does not parse counts what came before the error (the
    loader then says why)."""
    yaml = _yaml()
    count = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.NodeEvent):
                count += 1
                if count >= stop:
                    break
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        pass
    return count


def dump(data: Any, **options: Any) -> str:
    """Like ``yaml.safe_dump``."""
    yaml = _yaml()
    return str(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options))
