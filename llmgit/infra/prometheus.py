"""A tiny Prometheus HTTP API client: per-version evaluation counts for a model.

Only ``/api/v1/query`` (instant queries) over ``urllib``; no new dependencies. The eval
exporter publishes two counters, ``llmgit_eval_correct_total`` and ``llmgit_eval_total``,
labelled ``model`` and ``version`` (the plain SemVer string, e.g. ``1.3.0``).
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from llmgit.core.abstats import Arm
from llmgit.core.promql import CORRECT_METRIC, TOTAL_METRIC, count_queries
from llmgit.errors import BadQuery, BadValue, NoData, PrometheusError, PrometheusUnreachable, UsageError

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


def _api_url(base_url: str, promql: str, at: float | None) -> str:
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(
            f"'{base_url}' is not a Prometheus URL", hint="use http://HOST:PORT, e.g. http://localhost:9090"
        )
    params = {"query": promql} | ({} if at is None else {"time": f"{at:.3f}"})
    return f"{base_url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode(params)}"


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
        return f"{data.get('errorType', 'error')}: {data.get('error', '').strip()}"
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()[:300] or "(empty body)"


def query(base_url: str, promql: str, *, at: float | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[Sample]:
    """Run an instant query (at Unix time ``at``, default now); the resulting vector's samples."""
    url = _api_url(base_url, promql, at)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as e:
        text = _error_text(e.read())
        if e.code in (400, 422):
            raise BadQuery(f"Prometheus rejected the query {promql}: {text}") from None
        raise PrometheusError(f"Prometheus at {base_url} answered HTTP {e.code}: {text}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise PrometheusUnreachable(
            f"cannot reach Prometheus at {base_url}: {reason}",
            hint="check the URL and that Prometheus is running and reachable from here",
        ) from None
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise PrometheusError(f"{base_url} did not answer with Prometheus JSON") from None
    if not isinstance(data, dict) or data.get("status") != "success":
        raise PrometheusError(f"Prometheus query failed: {_error_text(body)}")
    result = data.get("data") or {}
    if result.get("resultType") != "vector":
        raise PrometheusError(f"expected an instant vector from {promql}, got {result.get('resultType')!r}")
    samples = []
    for item in result.get("result") or []:
        raw = item.get("value", [None, None])[1]
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise BadValue(f"Prometheus returned a non-numeric value {raw!r} for {promql}") from None
        samples.append(Sample(dict(item.get("metric") or {}), value))
    return samples


def _per_version(samples: list[Sample], metric: str, model: str, window: str) -> dict[str, float]:
    counts: dict[str, float] = {}
    for sample in samples:
        version = sample.labels.get("version", "")
        if not math.isfinite(sample.value):
            raise BadValue(
                f"{metric} for model '{model}' version '{version}' over {window} is {sample.value}",
                hint="a counter reset or a missing sample can make increase() undefined",
            )
        counts[version] = sample.value
    return counts


def eval_counts(
    base_url: str, model: str, window: str = "1h", *, at: float | None = None, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Arm]:
    """Per-version ``Arm(correct, total)`` of ``model`` over the last ``window``.

    Both counters are read at the same instant (``at``, default now): ``increase()``
    extrapolates to the end of the window, so reading them even milliseconds apart would skew
    the ratio. A version with evaluations but no ``llmgit_eval_correct_total`` series has 0
    correct.
    """
    correct_q, total_q = count_queries(model, window)
    at = time.time() if at is None else at
    totals = _per_version(query(base_url, total_q, at=at, timeout=timeout), TOTAL_METRIC, model, window)
    if not totals:
        raise NoData(
            f"no {TOTAL_METRIC} samples for model '{model}' in the last {window}: nothing was scraped for it",
            hint="check that the eval exporter is a Prometheus target and labels model= correctly",
        )
    correct = _per_version(query(base_url, correct_q, at=at, timeout=timeout), CORRECT_METRIC, model, window)
    stray = sorted(set(correct) - set(totals))
    if stray:
        raise BadValue(
            f"{CORRECT_METRIC} has versions {', '.join(stray)} of model '{model}' "
            f"that {TOTAL_METRIC} lacks over {window}"
        )
    return {version: Arm(correct.get(version, 0.0), total) for version, total in totals.items()}
