"""``guard``: roll back by itself when the stage holder's metric degraded against the previous
holder's: from the model cards, an observed-metrics file, or live evaluation counts
(:func:`guard_live`, which judges a running canary against the holder first)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from llmgit.core import abstats, bounded, history, inputs, versions
from llmgit.core.abstats import Comparison
from llmgit.core.counts import Counts
from llmgit.core.inputs import DEFAULT_LIMITS, InputLimits
from llmgit.errors import InputError, UsageError
from llmgit.infra import counts as evidence
from llmgit.infra.files import read_input
from llmgit.stages.requests import GuardRequest
from llmgit.stages.rollback import rollback
from llmgit.store import canaries
from llmgit.store.branches import check_stage
from llmgit.store.canaries import CanaryResult
from llmgit.store.store import Store
from llmgit.store.transitions import TransitionResult, events


@dataclass(frozen=True)
class GuardResult:
    model: str
    stage: str
    metric: str
    direction: str
    current: str
    previous: str | None
    current_value: float | None
    previous_value: float | None
    threshold: float
    relative: bool
    degraded: bool
    rollback: TransitionResult | None
    reason: str
    kind: Literal["metric"] = "metric"


def load_observed(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> dict[str, dict[str, float | int]]:
    """Observed production metrics per version: ``{"1.1.0": {"accuracy": 0.71}, ...}``: a
    regular file within ``limits.metrics_bytes``, JSON within the caps of a metrics file."""
    where = f"metrics file '{path}'"
    text = read_input(path, "metrics", max_bytes=limits.metrics_bytes)
    data = inputs.load_bounded(text, True, where, max_bytes=limits.metrics_bytes)
    observed = inputs.observed_metrics(data, where, max_entries=limits.metrics_entries)
    if not all(versions.is_valid(k) for k in observed):
        bad = next(k for k in observed if not versions.is_valid(k))
        raise InputError(f"{where} names '{bounded.escape_control(bad[:60])}', which is not a version")
    return {versions.normalize(k): v for k, v in observed.items()}


def guard(
    store: Store,
    name: str,
    *,
    metric: str,
    threshold: float,
    relative: bool = False,
    stage: str = "production",
    observed: Mapping[str, Mapping[str, float | int]] | None = None,
    apply: bool = False,
    push: bool = False,
) -> GuardResult:
    settings = store.require_initialized()
    stage = check_stage(settings, stage, holding=True)
    if not math.isfinite(threshold) or threshold < 0:
        raise UsageError(f"the threshold must be a non-negative number, not {threshold}")
    store.require_history()
    holder = store.stage_branches()[stage].file.holders.get(name)
    if holder is None:
        raise UsageError(f"no version of '{name}' holds {stage}, so there is nothing to guard")
    direction = settings.metric_direction(metric)
    prev = restorable(store, name, stage, holder.version)
    current = holder.version

    def result(
        previous: str | None,
        cur: float | None,
        before: float | None,
        degraded: bool,
        done: TransitionResult | None,
        reason: str,
    ) -> GuardResult:
        return GuardResult(
            name, stage, metric, direction, current, previous, cur, before, threshold, relative, degraded, done, reason
        )

    if prev is None:
        return result(None, None, None, False, None, _nothing(name, stage))
    cur_v = _value(store, name, holder.version, metric, observed)
    prev_v = _value(store, name, prev, metric, observed)
    limit = (
        (prev_v * (1 - threshold) if direction == "higher" else prev_v * (1 + threshold))
        if relative
        else (prev_v - threshold if direction == "higher" else prev_v + threshold)
    )
    degraded = cur_v < limit if direction == "higher" else cur_v > limit
    how = f"{threshold:.1%}" if relative else f"{threshold:g}"
    reason = (
        f"{metric} {cur_v:g} of v{holder.version} is {'below' if direction == 'higher' else 'above'} "
        f"{limit:g} (v{prev}'s {prev_v:g} {'-' if direction == 'higher' else '+'} {how})"
        if degraded
        else f"{metric} {cur_v:g} of v{holder.version} is within {how} of v{prev}'s {prev_v:g}"
    )
    done = (
        rollback(store, name, stage=stage, to=prev, reason=f"guard: {reason}", push=push, kind="guard")
        if degraded and apply
        else None
    )
    return result(prev, cur_v, prev_v, degraded, done, reason)


def restorable(store: Store, name: str, stage: str, current: str) -> str | None:
    """I5: the version the guard would restore, the I3 target: the most recent earlier holder
    of ``stage`` that was not rolled back from (I2); None when there is none."""
    return history.rollback_target(events(store, name), stage, current, name)


def _nothing(name: str, stage: str) -> str:
    return f"no earlier version of '{name}' held {stage} that was not rolled back from"


def _value(
    store: Store, name: str, version: str, metric: str, observed: Mapping[str, Mapping[str, float | int]] | None
) -> float:
    source: Mapping[str, Mapping[str, Any]] = (
        observed if observed is not None else {version: dict(store.get(f"{name}@{version}").metrics)}
    )
    value = source.get(version, {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        where = "the metrics file" if observed is not None else "its model card"
        raise InputError(f"v{version} of '{name}' has no numeric metric '{metric}' in {where}")
    return float(value)


@dataclass(frozen=True)
class LiveGuardResult:
    """``guard --source prometheus``: the canary against the holder, or else the holder
    against the previous holder, on live evaluation counts."""

    model: str
    stage: str
    current: str  # the version judged: the running canary, else the holder
    baseline: str | None  # compared with: the holder, else the previous holder
    canary: bool
    comparison: Comparison | None
    degraded: bool
    reason: str
    source: str = ""  # where the counts came from
    window: str | None = None  # the Prometheus window
    aborted: CanaryResult | None = None  # with apply, a degraded canary is aborted
    rollback: TransitionResult | None = None  # with apply, a degraded holder is rolled back
    kind: Literal["live"] = "live"


def guard_live(
    store: Store,
    name: str,
    counts: Counts,
    *,
    stage: str = "production",
    margin: float | None = None,
    alpha: float | None = None,
    apply: bool = False,
    push: bool = False,
) -> LiveGuardResult:
    """Degraded means the ``abtest`` verdict is rollback: with confidence 1 - alpha/2 the judged
    version's accuracy is more than ``margin`` (default ``deploy.min_detectable_effect``) below."""
    settings = store.require_initialized()
    state = canaries.state(store, name, stage=stage)
    margin = settings.deploy.min_detectable_effect if margin is None else margin
    alpha = settings.deploy.alpha if alpha is None else alpha
    over = f", last {counts.window}" if counts.window else ""
    running = state.canary
    current = running.version if running else state.holder.version
    roles = ("canary", "stable") if running else (f"{state.stage} holder", f"previous {state.stage} holder")
    baseline = state.holder.version if running else restorable(store, name, state.stage, current)
    if baseline is None:
        why = _nothing(name, state.stage)
        return LiveGuardResult(name, state.stage, current, None, False, None, False, why, counts.source, counts.window)
    if not running and (counts.arms.get(baseline) is None or counts.arms[baseline].total == 0):
        counts.arm(name, current, roles[0])  # the holder itself must have evaluations
        why = f"{counts.source} has no evaluations of v{baseline} ({roles[1]}{over}): nothing to compare with"
        return LiveGuardResult(
            name, state.stage, current, baseline, False, None, False, why, counts.source, counts.window
        )
    base, judged = counts.arm(name, baseline, roles[1]), counts.arm(name, current, roles[0])
    comparison = abstats.compare(base, judged, alpha=alpha, mde=margin)
    degraded = comparison.verdict is abstats.Verdict.rollback
    what = f"canary v{current}" if running else f"v{current}"
    reason = (
        f"accuracy {judged.accuracy:.4f} of {what} against {base.accuracy:.4f} of v{baseline} "
        f"({counts.source}{over}): {comparison.reason}"
    )
    result = LiveGuardResult(
        name,
        state.stage,
        current,
        baseline,
        running is not None,
        comparison,
        degraded,
        reason,
        counts.source,
        counts.window,
    )
    if not (degraded and apply):
        return result
    why = f"guard: {reason}"
    if running is not None:
        return replace(result, aborted=canaries.abort(store, name, stage=state.stage, reason=why, push=push))
    done = rollback(store, name, stage=state.stage, to=baseline, reason=why, push=push, kind="guard")
    return replace(result, rollback=done)


def run(store: Store, req: GuardRequest) -> GuardResult | LiveGuardResult:
    """Check the request's flags against its source, gather the evidence, and guard."""
    chosen = req.source or ("file" if req.metrics_file is not None else "card")
    if chosen not in ("card", "file", "prometheus"):
        raise UsageError(f"unknown --source '{chosen}'", hint="use card, file or prometheus")
    if chosen == "prometheus":
        if req.metric is not None or req.metrics_file is not None or req.relative:
            raise UsageError("--source prometheus judges live accuracy: drop --metric, --metrics-file and --relative")
        counts = evidence.gather(
            req.name,
            prometheus_url=None if req.counts_file else req.prometheus_url,
            window=req.window,
            counts_file=req.counts_file,
            max_bytes=store.require_initialized().limits.metrics_bytes,
        )
        return guard_live(
            store, req.name, counts, stage=req.stage, margin=req.threshold, apply=req.apply, push=req.push
        )
    if req.counts_file is not None:
        raise UsageError("--counts-file needs --source prometheus")
    if req.metric is None or req.threshold is None:
        raise UsageError(
            f"--source {chosen} needs --metric and --threshold", hint="for example: --metric accuracy --threshold 0.02"
        )
    if chosen == "file" and req.metrics_file is None:
        raise UsageError("--source file needs --metrics-file")
    limits = store.require_initialized().limits
    observed = load_observed(req.metrics_file, limits) if chosen == "file" and req.metrics_file is not None else None
    return guard(
        store,
        req.name,
        metric=req.metric,
        threshold=req.threshold,
        relative=req.relative,
        stage=req.stage,
        observed=observed,
        apply=req.apply,
        push=req.push,
    )
