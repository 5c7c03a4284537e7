"""Where evaluation counts come from: a JSON counts file, or Prometheus."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import counts, inputs
from llmgit.core.bounded import MIB
from llmgit.core.counts import Counts
from llmgit.core.promql import validate_window
from llmgit.errors import UsageError
from llmgit.infra import prometheus
from llmgit.infra.files import read_input


def load(path: Path, max_bytes: int = MIB) -> Counts:
    """A counts file: ``{"1.2.0": {"correct": 900, "total": 1200}, "1.3.0": {...}}``: a regular
    file of at most ``max_bytes``, JSON within the caps of a metrics file."""
    where = f"counts file '{path}'"
    text = read_input(path, "counts", max_bytes=max_bytes)
    return counts.parse(inputs.load_bounded(text, True, where, max_bytes=max_bytes), where)


def live(url: str, model: str, window: str) -> Counts:
    """Per-version evaluations of ``model`` over the last ``window`` from Prometheus."""
    return counts.from_labels(prometheus.eval_counts(url, model, window), f"Prometheus at {url}", window)


def gather(
    model: str, *, prometheus_url: str | None, window: str = "1h", counts_file: Path | None = None, max_bytes: int = MIB
) -> Counts:
    """The counts from ``counts_file`` (of at most ``max_bytes``) when given, else from Prometheus."""
    if counts_file is not None:
        if prometheus_url is not None:
            raise UsageError("give --prometheus or --counts-file, not both")
        return load(counts_file, max_bytes)
    if prometheus_url is None:
        raise UsageError(
            "no source of live numbers: give --prometheus URL or --counts-file FILE",
            hint="or set LLMGIT_PROMETHEUS_URL",
        )
    return live(prometheus_url, model, validate_window(window))
