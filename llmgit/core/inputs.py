"""Metrics and params: parsed from the text of a file (JSON or YAML, flat or nested) and from
``name=value`` pairs, within bounds. Pure: :mod:`llmgit.register.inputs` reads the files.

What a user passes in ends up in a version tag's summary, which everyone who fetches the tag
reads within the caps of :mod:`llmgit.core.summary`; so the caps here are at most those: a
name is 1 to :data:`MAX_NAME` characters without control characters, a metric is a finite
number within ±1e300 (an integer within int64), a param is plain data (text up to
:data:`MAX_STRING` characters, lists up to :data:`MAX_LIST` items), and there are at most
:data:`MAX_ENTRIES` of each. The size and entry caps are settings (``limits:`` in
``llmgit.yaml``, :class:`InputLimits`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmgit.core import bounded, yamlio
from llmgit.core.bounded import KIB, MIB, BoundError, Limits
from llmgit.errors import InputError

Scalar = int | float | str | bool | None

MAX_NAME = 256  # characters of a metric or param name
MAX_ENTRIES = 10_000  # metrics, and params, of one version (what a tag summary may hold)
MAX_LIST = 1_000  # items of a param's list
MAX_STRING = 64 * KIB  # characters of a param's text
MAX_DEPTH = 15  # nesting of a metrics or params file: a param's lists stay within the summary's depth


@dataclass(frozen=True)
class InputLimits:
    """The caps on files a user names (``limits:`` in ``llmgit.yaml``)."""

    metrics_bytes: int = MIB  # a metrics file (register --metrics, guard --metrics-file, counts files)
    metrics_entries: int = MAX_ENTRIES  # metrics of one version; for guard, of the whole file
    params_bytes: int = MIB
    params_entries: int = MAX_ENTRIES
    card_bytes: int = MIB  # a model card file read from the working tree or --file


LIMIT_MAX_BYTES = 64 * MIB  # the highest a ``*_bytes`` setting may be


DEFAULT_LIMITS = InputLimits()


def _short(text: str, limit: int = 60) -> str:
    """A name or value as a one-line message shows it: escaped and cut short."""
    shown = bounded.escape_control(text[:limit])
    return shown + ("\u2026" if len(text) > limit else "")


def parse_scalar(text: str) -> Scalar:
    """``3e-4`` -> 0.0003, ``8`` -> 8, ``true`` -> True, anything else stays a string
    (``nan``, ``1e999`` and integers of thousands of digits included)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none", "~"):
        return None
    for conv in (int, float):
        try:
            value = conv(text)
        except (ValueError, OverflowError):  # int: also 4,300+ digits
            continue
        if isinstance(value, float) and not math.isfinite(value):
            break
        return value
    return text


def flatten(data: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """``{"eval": {"acc": 1}}`` -> ``{"eval.acc": 1}`` (iterative: any depth, in order)."""
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Iterator[tuple[Any, Any]]]] = [(prefix, iter(data.items()))]
    while stack:
        pre, items = stack[-1]
        for key, value in items:
            full = f"{pre}{key}"
            if isinstance(value, Mapping):
                stack.append((f"{full}.", iter(value.items())))
                break
            flat[full] = value
        else:
            stack.pop()
    return flat


def file_limits(max_bytes: int) -> Limits:
    """How a metrics or params file is parsed: ``max_bytes``, and the caps of a tag summary."""
    return Limits(max_bytes=max_bytes, max_depth=MAX_DEPTH, max_values=10 * MAX_ENTRIES, max_string=MAX_STRING)


def parse_mapping(text: str, path: Path, what: str, *, max_bytes: int = MIB) -> dict[str, Any]:
    """A JSON (by the ``.json`` suffix) or YAML mapping, or one clear :class:`InputError`."""
    where = f"{what} file '{path}'"
    data = load_bounded(text, path.suffix.lower() == ".json", where, max_bytes=max_bytes, setting=what)
    if not isinstance(data, dict):
        raise InputError(f"{where} must hold a mapping of names to values")
    return data


def load_bounded(text: str, is_json: bool, where: str, *, max_bytes: int = MIB, setting: str = "metrics") -> Any:
    """JSON or YAML (no aliases) of any shape within :func:`file_limits` (``setting`` names
    the ``limits.<setting>_bytes`` that a file too big is pointed to)."""
    limits = file_limits(max_bytes)
    try:
        bounded.check_size(text, limits, where)
    except BoundError as e:
        raise InputError(str(e), hint=f"the cap is a setting: limits.{setting}_bytes in llmgit.yaml") from None
    try:
        data = json.loads(text) if is_json else yamlio.load(text)
    except RecursionError:  # JSON nested hundreds of levels (YAML's is a YAMLError)
        raise InputError(f"{where} is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, OverflowError) as e:  # syntax, aliases, 2024-13-01, ints of 4,300+ digits
        if "int_max_str_digits" in str(e):
            raise InputError(f"{where} has an integer of more than 4300 digits") from None
        if "nesting depth" in str(e) or "nested too deeply" in str(e):  # libyaml's cap, or yamlio's
            raise InputError(f"{where} is nested more than {MAX_DEPTH} levels deep") from None
        lines = str(e).strip().splitlines()
        first = _short(lines[0], 200) if lines else type(e).__name__
        raise InputError(f"{where} is malformed: {first}") from None
    try:
        bounded.check_tree(data, limits, where)
    except BoundError as e:
        raise InputError(str(e)) from None
    return data


def check_name(name: object, what: str, source: str) -> str:
    """A metric or param name: text of 1 to :data:`MAX_NAME` characters, no control character
    (a name is a table row, a filter key and a line of a PR body)."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"a {what} in {source} has an empty name")
    if len(name) > MAX_NAME:
        raise InputError(f"{what} name '{_short(name)}' in {source} is longer than {MAX_NAME} characters")
    if bounded.has_control(name):
        raise InputError(f"{what} name '{_short(name)}' in {source} holds a control character")
    return name


def check_metric(name: str, value: object, source: str) -> float | int:
    """A metric's value: a finite number within ±1e300, an integer within int64 (not a bool)."""
    if bounded.is_number(value):
        return value  # type: ignore[return-value]
    shown = _short(repr(value), 60)
    if isinstance(value, int) and not isinstance(value, bool):
        raise InputError(f"metric '{_short(name)}' in {source} is an integer outside -2^63..2^63: {shown}")
    if isinstance(value, float) and math.isfinite(value):
        raise InputError(f"metric '{_short(name)}' in {source} is above 1e300 in magnitude: {shown}")
    raise InputError(f"metric '{_short(name)}' in {source} is not a finite number: {shown}")


def check_param(name: str, value: object, source: str) -> Any:
    """A param's value as JSON can carry it: text, a bounded number, a bool, null, or lists
    and mappings of those; a YAML date becomes ISO text."""
    return _plain(value, name, source, 0)


def _plain(value: object, name: str, source: str, depth: int) -> Any:
    where = f"param '{_short(name)}' in {source}"
    if depth > MAX_DEPTH:
        raise InputError(f"{where} is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise InputError(f"{where} is longer than {MAX_STRING} characters")
        return value
    if isinstance(value, (int, float)):
        if not bounded.is_number(value):
            raise InputError(f"{where} is not a finite number within -1e300..1e300 or int64: {_short(repr(value))}")
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST:
            raise InputError(f"{where} is a list of more than {MAX_LIST} items")
        return [_plain(v, name, source, depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {_key(k, where): _plain(v, name, source, depth + 1) for k, v in value.items()}
    raise InputError(f"{where} is not plain data: {_short(repr(value))}")


def _key(key: object, where: str) -> str:
    if isinstance(key, bool) or not isinstance(key, (str, int, float)):
        raise InputError(f"{where} has a key that is not text: {_short(repr(key))}")
    return str(key)


def _pairs(pairs: Iterable[str], what: str) -> dict[str, Scalar]:
    result: dict[str, Scalar] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{what} '{_short(pair)}' is not of the form name=value")
        result[name.strip()] = parse_scalar(value)
    return result


def _count(found: Mapping[str, Any], what: str, source: str, max_entries: int) -> None:
    if len(found) > max_entries:
        raise InputError(
            f"{source} holds more than {max_entries} {what}s",
            hint=f"the cap is a setting: limits.{what}s_entries in llmgit.yaml (at most {MAX_ENTRIES})",
        )


def check_metrics(data: Mapping[Any, Any], source: str, *, max_entries: int = MAX_ENTRIES) -> dict[str, float | int]:
    """Metrics from a mapping (nested mappings flatten to dotted names), each checked."""
    flat = flatten(data)
    _count(flat, "metric", source, max_entries)
    return {check_name(n, "metric", source): check_metric(n, v, source) for n, v in flat.items()}


def check_params(data: Mapping[Any, Any], source: str, *, max_entries: int = MAX_ENTRIES) -> dict[str, Any]:
    """Params from a mapping (nested mappings flatten to dotted names), each checked."""
    flat = flatten(data)
    _count(flat, "param", source, max_entries)
    return {check_name(n, "param", source): check_param(n, v, source) for n, v in flat.items()}


def metrics_from(
    data: Mapping[str, Any] | None, pairs: Iterable[str], source: str, *, max_entries: int = MAX_ENTRIES
) -> dict[str, float | int]:
    """Metrics from a loaded file and ``-M name=value`` pairs (pairs win); numbers only."""
    metrics = check_metrics(data or {}, source, max_entries=max_entries)
    metrics.update(check_metrics(_pairs(pairs, "metric"), "-M", max_entries=max_entries))
    _count(metrics, "metric", f"{source} with -M", max_entries)
    return metrics


def params_from(
    data: Mapping[str, Any] | None,
    pairs: Iterable[str],
    source: str = "the params file",
    *,
    max_entries: int = MAX_ENTRIES,
) -> dict[str, Any]:
    """Params from a loaded file and ``-p name=value`` pairs (pairs win); nested files flatten."""
    params = check_params(data or {}, source, max_entries=max_entries)
    params.update(check_params(_pairs(pairs, "param"), "-p", max_entries=max_entries))
    _count(params, "param", f"{source} with -p", max_entries)
    return params


def observed_metrics(data: object, source: str, *, max_entries: int = MAX_ENTRIES) -> dict[str, dict[str, float | int]]:
    """``guard --metrics-file``: ``{"1.1.0": {"accuracy": 0.71}, ...}``, keys still as written
    (the caller normalizes versions); every metric checked, at most ``max_entries`` in all."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"{source} must map versions to {{metric: value}} mappings")
    total = sum(len(v) for v in data.values())
    if total > max_entries:
        raise InputError(
            f"{source} holds more than {max_entries} metrics",
            hint=f"the cap is a setting: limits.metrics_entries in llmgit.yaml (at most {MAX_ENTRIES})",
        )
    return {
        check_name(str(version), "version", source): check_metrics(values, source, max_entries=max_entries)
        for version, values in data.items()
    }
