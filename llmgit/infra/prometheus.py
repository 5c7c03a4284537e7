"""A tiny Prometheus HTTP API client: per-version evaluation counts for a model.

Only ``/api/v1/query`` (instant queries) over ``urllib``; no new dependencies. The eval
exporter publishes two counters, ``llmgit_eval_correct_total`` and ``llmgit_eval_total``,
labelled ``model`` and ``version`` (the plain SemVer string, e.g. ``1.3.0``).

The answer comes from whatever listens at the URL, so it is read within bounds: at most
:data:`MAX_BODY` bytes within ``timeout`` per read and :data:`DEADLINE_FACTOR` times it in
all, JSON within :data:`LIMITS`, every sample a mapping with a number and label values of at
most :data:`MAX_LABEL` characters without control characters. Anything else is one
:class:`~llmgit.errors.PrometheusError` sentence.
"""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from llmgit.core import bounded
from llmgit.core.abstats import Arm
from llmgit.core.bounded import KIB, MIB, BoundError, Limits
from llmgit.core.promql import CORRECT_METRIC, TOTAL_METRIC, count_queries
from llmgit.errors import BadQuery, BadValue, NoData, PrometheusError, PrometheusUnreachable, UsageError

DEFAULT_TIMEOUT = 10.0
MAX_BODY = 16 * MIB  # a vector of ~100,000 samples; llmgit's queries return one per version
MAX_ERROR_BODY = 64 * KIB
LIMITS = Limits(max_bytes=MAX_BODY, max_depth=16, max_values=1_000_000, max_string=64 * KIB)
MAX_LABEL = 1 * KIB
DEADLINE_FACTOR = 3  # the whole answer within this many timeouts (a server dripping bytes stops)
_CHUNK = 64 * KIB


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


class _Readable(Protocol):
    def read(self, amt: int, /) -> bytes: ...


def _read(stream: _Readable, limit: int, base_url: str, timeout: float) -> bytes:
    """At most ``limit`` bytes (more is an error), within ``DEADLINE_FACTOR * timeout``."""
    deadline = time.monotonic() + DEADLINE_FACTOR * timeout
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PrometheusError(f"Prometheus at {base_url} answered more than {limit} bytes")
        if time.monotonic() > deadline:
            raise PrometheusUnreachable(
                f"Prometheus at {base_url} did not finish its answer within {DEADLINE_FACTOR * timeout:g} s",
                hint="check the URL and that Prometheus is running and reachable from here",
            )


def _json(body: bytes, what: str) -> Any:
    """Bounded JSON: the size, then the number of values, before and after parsing."""
    if body.count(b",") + body.count(b"[") + body.count(b"{") > LIMITS.max_values:
        raise BoundError(f"{what} holds more than {LIMITS.max_values} values")
    return bounded.load_json(body, LIMITS, what)


def _error_text(body: bytes) -> str:
    try:
        data = _json(body, "the answer")
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            return f"{data.get('errorType', 'error')}: {data['error'].strip()[:300]}"
    except BoundError:
        pass
    return body.decode("utf-8", "replace").strip()[:300] or "(empty body)"


def query(base_url: str, promql: str, *, at: float | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[Sample]:
    """Run an instant query (at Unix time ``at``, default now); the resulting vector's samples."""
    url = _api_url(base_url, promql, at)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = _read(response, MAX_BODY, base_url, timeout)
    except urllib.error.HTTPError as e:
        try:
            text = _error_text(_read(e, MAX_ERROR_BODY, base_url, timeout))
        except PrometheusError:
            text = f"an error body of more than {MAX_ERROR_BODY} bytes"
        if e.code in (400, 422):
            raise BadQuery(f"Prometheus rejected the query {promql}: {text}") from None
        raise PrometheusError(f"Prometheus at {base_url} answered HTTP {e.code}: {text}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise PrometheusUnreachable(
            f"cannot reach Prometheus at {base_url}: {reason}",
            hint="check the URL and that Prometheus is running and reachable from here",
        ) from None
    except OSError as e:  # http.client errors: a broken status line, headers or chunking
        raise PrometheusError(f"Prometheus at {base_url} sent an answer that is not HTTP: {e}") from None
    try:
        data: Any = _json(body, f"the answer of {base_url}")
    except BoundError as e:
        raise PrometheusError(f"{base_url} did not answer with Prometheus JSON: {e}") from None
    if not isinstance(data, dict) or data.get("status") != "success":
        raise PrometheusError(f"Prometheus query failed: {_error_text(body)}")
    result = data.get("data")
    kind = result.get("resultType") if isinstance(result, dict) else None
    if kind != "vector" or not isinstance(result, dict):
        raise PrometheusError(
            f"expected an instant vector from {promql}, got {bounded.escape_control(repr(kind))[:60]}"
        )
    items = result.get("result") or []
    if not isinstance(items, list):
        raise PrometheusError(f"Prometheus answered {promql} with a result that is not a list")
    return [_sample(item, promql) for item in items]


def _sample(item: object, promql: str) -> Sample:
    """One vector sample: ``{"metric": {label: value}, "value": [time, "number"]}``."""
    pair = item.get("value") if isinstance(item, dict) else None
    metric = (item.get("metric") or {}) if isinstance(item, dict) else None
    if not isinstance(pair, list) or len(pair) != 2 or not isinstance(metric, dict):
        raise PrometheusError(f"Prometheus answered {promql} with a sample that is not a metric and a value")
    raw = pair[1]
    try:
        value = float(raw) if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None:
        shown = bounded.escape_control(repr(raw))[:60]
        raise BadValue(f"Prometheus returned a non-numeric value {shown} for {promql}")
    labels = {}
    for key, label in metric.items():
        try:
            labels[bounded.bounded_text(key, MAX_LABEL, "a label name")] = bounded.bounded_text(
                label, MAX_LABEL, f"the value of label {key!r}"[:80]
            )
        except BoundError as e:
            raise PrometheusError(f"Prometheus answered {promql} with a label llmgit will not use: {e}") from None
    return Sample(labels, value)


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
