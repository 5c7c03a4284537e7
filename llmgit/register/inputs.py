"""Metrics and params for ``register``: files (JSON or YAML, flat or nested) and ``name=value``
pairs, read once and validated (:mod:`llmgit.core.inputs`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from llmgit.core import inputs
from llmgit.infra.files import read_input


def collect_metrics(file: Path | None, pairs: Iterable[str]) -> dict[str, float | int]:
    """Metrics from a file and ``-M name=value`` pairs (pairs win); numbers only."""
    data = inputs.parse_mapping(read_input(file, "metrics"), file, "metrics") if file is not None else None
    return inputs.metrics_from(data, pairs, f"'{file}'")


def collect_params(file: Path | None, pairs: Iterable[str]) -> dict[str, Any]:
    """Params from a file and ``-p name=value`` pairs (pairs win); nested files flatten."""
    data = inputs.parse_mapping(read_input(file, "params"), file, "params") if file is not None else None
    return inputs.params_from(data, pairs)
