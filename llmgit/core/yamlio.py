"""YAML in and out through the safe loader and dumper, in C (libyaml) when available.

Stage files of big registries hold thousands of entries and history reads one per stage
commit, so the C safe loader matters; the semantics are the same as ``yaml.safe_load``.
"""

from __future__ import annotations

from typing import Any

import yaml

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

YAMLError = yaml.YAMLError


def load(text: str | bytes) -> Any:
    """Like ``yaml.safe_load``: plain data only, never arbitrary objects."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 (a safe loader)


def dump(data: Any, **options: Any) -> str:
    """Like ``yaml.safe_dump``."""
    return str(yaml.dump(data, Dumper=_SafeDumper, **options))
