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

from llmgit.core import yamlfast


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


def load(text: str | bytes, *, max_nodes: int | None = None) -> Any:
    """Like ``yaml.safe_load``: plain data only, never arbitrary objects, and no aliases.
    ``max_nodes``: refuse (:class:`TooManyNodes`) text with more nodes, before building them.

    Values are built straight from the C parser's events (:func:`llmgit.core.yamlfast.build`: the same parser,
    resolver and scalar constructors as the safe loader, without its node graph, about twice
    as fast). What that does not build (an alias, an explicit tag, a merge key, an error) goes
    to the loader: text without an alias to the C loader (text without ``*`` cannot hold one;
    other text is first read as events: a ``*`` in a string or a comment is no alias), text with
    one to the pure-Python loader, which stops at the first alias or says what is wrong."""
    yaml = _yaml()
    if hasattr(yaml, "CSafeLoader"):
        try:
            return yamlfast.build(text, max_nodes)
        except yamlfast.NodeCap:
            raise TooManyNodes(f"more than {max_nodes} nodes") from None
        except yamlfast.Fallback:
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


_EMITTED = frozenset({"sort_keys", "allow_unicode", "width"})


def dump(data: Any, **options: Any) -> str:
    """Like ``yaml.safe_dump``. Plain data written with ``allow_unicode=True`` (cards, stage
    files, front matter) is written by :func:`llmgit.core.yamlfast.emit` when it can: the same
    text as the C dumper, several times sooner."""
    yaml = _yaml()
    if options.get("allow_unicode") is True and options.keys() <= _EMITTED and hasattr(yaml, "CSafeDumper"):
        try:
            return yamlfast.emit(data, sort_keys=bool(options.get("sort_keys", True)), width=options.get("width") or 80)
        except yamlfast.Fallback:
            pass
    return str(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options))
