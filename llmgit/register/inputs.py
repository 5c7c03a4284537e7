"""Metrics and params for ``register``: files (JSON or YAML, flat or nested) and ``name=value``
pairs, read once within the caps of ``limits:`` in ``llmgit.yaml`` and validated
(:mod:`llmgit.core.inputs`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llmgit.core import inputs
from llmgit.core.inputs import DEFAULT_LIMITS, InputLimits
from llmgit.infra.files import read_input


def _mapping(file: Path | None, what: str, max_bytes: int) -> dict[str, Any] | None:
    """The mapping in a metrics or params file (None without one), read within ``max_bytes``."""
    if file is None:
        return None
    return inputs.parse_mapping(read_input(file, what, max_bytes=max_bytes), file, what, max_bytes=max_bytes)


def collect_metrics(
    file: Path | None,
    pairs: Iterable[str],
    limits: InputLimits = DEFAULT_LIMITS,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, float | int]:
    """Metrics from a file, ``-M name=value`` pairs and ``extra`` (the Python API's), each
    later source winning; numbers only."""
    data = _mapping(file, "metrics", limits.metrics_bytes)
    source = f"metrics file '{file}'" if file is not None else "the metrics"
    metrics = inputs.metrics_from(data, pairs, source, max_entries=limits.metrics_entries)
    if extra:
        metrics.update(inputs.check_metrics(extra, "the request's metrics", max_entries=limits.metrics_entries))
        inputs.check_metrics(metrics, "the metrics", max_entries=limits.metrics_entries)
    return metrics


def collect_params(
    file: Path | None,
    pairs: Iterable[str],
    limits: InputLimits = DEFAULT_LIMITS,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Params from a file, ``-p name=value`` pairs and ``extra`` (the Python API's), each later
    source winning; nested files flatten."""
    data = _mapping(file, "params", limits.params_bytes)
    source = f"params file '{file}'" if file is not None else "the params"
    params = inputs.params_from(data, pairs, source, max_entries=limits.params_entries)
    if extra:
        params.update(inputs.check_params(extra, "the request's params", max_entries=limits.params_entries))
        inputs.check_params(params, "the params", max_entries=limits.params_entries)
    return params
