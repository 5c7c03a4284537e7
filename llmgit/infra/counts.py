"""Where evaluation counts come from: a JSON counts file, or Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

from llmgit.core import counts
from llmgit.core.counts import Counts
from llmgit.core.promql import validate_window
from llmgit.errors import InputError, UsageError
from llmgit.infra import prometheus


def load(path: Path) -> Counts:
    """A counts file: ``{"1.2.0": {"correct": 900, "total": 1200}, "1.3.0": {...}}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"counts file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"counts file '{path}' is malformed: {str(e).splitlines()[0]}") from None
    return counts.parse(data, f"counts file '{path}'")


def live(url: str, model: str, window: str) -> Counts:
    """Per-version evaluations of ``model`` over the last ``window`` from Prometheus."""
    return counts.from_labels(prometheus.eval_counts(url, model, window), f"Prometheus at {url}", window)


def gather(model: str, *, prometheus_url: str | None, window: str = "1h", counts_file: Path | None = None) -> Counts:
    """The counts from ``counts_file`` when given, else from Prometheus."""
    if counts_file is not None:
        if prometheus_url is not None:
            raise UsageError("give --prometheus or --counts-file, not both")
        return load(counts_file)
    if prometheus_url is None:
        raise UsageError(
            "no source of live numbers: give --prometheus URL or --counts-file FILE",
            hint="or set LLMGIT_PROMETHEUS_URL",
        )
    return live(prometheus_url, model, validate_window(window))
