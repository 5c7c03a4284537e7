"""YAML in and out through the safe loader and dumper, in C (libyaml) when available.

Stage files of big registries hold thousands of entries and history reads one per stage
commit, so the C safe loader matters; the semantics are the same as ``yaml.safe_load``.
PyYAML loads on first use (start-up: ``llmgit --help`` needs no YAML).
"""

from __future__ import annotations

from functools import cache
from typing import Any


class YAMLError(ValueError):
    """Text that is not YAML (the message is the parser's)."""


@cache
def _yaml() -> Any:
    import yaml  # noqa: PLC0415 (heavy third-party: loaded on first use)

    return yaml


def load(text: str | bytes) -> Any:
    """Like ``yaml.safe_load``: plain data only, never arbitrary objects."""
    yaml = _yaml()
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
    except yaml.YAMLError as e:
        raise YAMLError(str(e)) from None


def dump(data: Any, **options: Any) -> str:
    """Like ``yaml.safe_dump``."""
    yaml = _yaml()
    return str(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options))
