"""Metrics and params: parsed from the text of a file (JSON or YAML, flat or nested) and from
``name=value`` pairs. Pure: :mod:`llmgit.register.inputs` reads the files."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llmgit.core import yamlio
from llmgit.errors import InputError

Scalar = int | float | str | bool | None


def parse_scalar(text: str) -> Scalar:
    """``3e-4`` -> 0.0003, ``8`` -> 8, ``true`` -> True, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none", "~"):
        return None
    for conv in (int, float):
        try:
            value = conv(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            break
        return value
    return text


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"eval": {"acc": 1}}`` -> ``{"eval.acc": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def parse_mapping(text: str, path: Path, what: str) -> dict[str, Any]:
    """A JSON (by the ``.json`` suffix) or YAML mapping, or one clear :class:`InputError`."""
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yamlio.load(text)
    except (json.JSONDecodeError, yamlio.YAMLError) as e:
        first = str(e).splitlines()[0]
        raise InputError(f"{what} file '{path}' is malformed: {first}") from None
    if not isinstance(data, dict):
        raise InputError(f"{what} file '{path}' must hold a mapping of names to values")
    return data


def _check_number(name: str, value: Any, source: str) -> float | int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise InputError(f"metric '{name}' in {source} is not a finite number: {value!r}")
    return value


def _pairs(pairs: Iterable[str], what: str) -> dict[str, Scalar]:
    result: dict[str, Scalar] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{what} '{pair}' is not of the form name=value")
        result[name.strip()] = parse_scalar(value)
    return result


def metrics_from(data: Mapping[str, Any] | None, pairs: Iterable[str], source: str) -> dict[str, float | int]:
    """Metrics from a loaded file and ``-M name=value`` pairs (pairs win); numbers only."""
    metrics: dict[str, float | int] = {}
    for name, value in flatten(data or {}).items():
        metrics[name] = _check_number(name, value, source)
    for name, value in _pairs(pairs, "metric").items():
        metrics[name] = _check_number(name, value, "-M")
    return metrics


def params_from(data: Mapping[str, Any] | None, pairs: Iterable[str]) -> dict[str, Any]:
    """Params from a loaded file and ``-p name=value`` pairs (pairs win); nested files flatten."""
    params: dict[str, Any] = {}
    for name, value in flatten(data or {}).items():
        params[name] = list(value) if isinstance(value, (list, tuple)) else value
    params.update(_pairs(pairs, "param"))
    return params
