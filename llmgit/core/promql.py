"""PromQL as values: the metric names llmgit's exporter convention uses, durations, and the
queries for per-version evaluation counts. Pure: :mod:`llmgit.infra.prometheus` runs them."""

from __future__ import annotations

import re

from llmgit.errors import UsageError

CORRECT_METRIC = "llmgit_eval_correct_total"
TOTAL_METRIC = "llmgit_eval_total"

_DURATION_RE = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)
MAX_DURATION = 64  # characters: every number in it stays far from float's range


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration (``0``, ``30s``, ``5m``, ``1h30m``, ``1d``); else UsageError."""
    match = _DURATION_RE.fullmatch(text) if isinstance(text, str) and len(text) <= MAX_DURATION else None
    if text == "0":
        return 0.0
    if not text or match is None:
        shown = text if len(text) <= MAX_DURATION else text[: MAX_DURATION - 1] + "\u2026"
        raise UsageError(
            f"'{shown}' is not a Prometheus duration",
            hint="use a number and a unit (ms, s, m, h, d, w, y), for example 5m, 1h or 1d",
        )
    return float(sum(int(g) * unit for g, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if g))


def validate_window(window: str) -> str:
    """Return ``window`` if it is a positive Prometheus duration, else raise UsageError."""
    if parse_duration(window) <= 0:
        raise UsageError(f"the window '{window}' is zero", hint="use a window such as 5m or 1h")
    return window


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def count_queries(model: str, window: str) -> tuple[str, str]:
    """The (correct, total) queries: per-version increase of each counter over ``window``."""
    validate_window(window)
    selector = f"{{model={promql_string(model)}}}[{window}]"
    return (
        f"sum by (version) (increase({CORRECT_METRIC}{selector}))",
        f"sum by (version) (increase({TOTAL_METRIC}{selector}))",
    )
