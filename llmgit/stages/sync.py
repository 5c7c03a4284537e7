"""``sync`` (rebuild stage tags and the archive from the stage branches) and ``guard``
(roll back by itself when the production version's metric degraded: from the model cards,
an observed-metrics file, or live evaluation counts with ``guard_live``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.core import abstats, versions
from llmgit.canary import ab as canary
from llmgit.infra import git
from llmgit.store import branches as stages
from llmgit.core.abstats import Comparison
from llmgit.errors import InputError, UsageError
from llmgit.store.reconcile import Plan, reconcile
from llmgit.stages.promote import TransitionResult, previous_holder, publish, rollback

if TYPE_CHECKING:
    from llmgit.canary.status import Counts
    from llmgit.canary.ab import CanaryResult
    from llmgit.store.store import Registry


@dataclass(frozen=True)
class SyncResult:
    plan: Plan
    pushed: bool

    @property
    def changed(self) -> bool:
        return not self.plan.empty


def sync(reg: Registry, *, push: bool) -> SyncResult:
    settings = reg.require_initialized()
    reg.require_history()
    branches = reg.stage_branches()
    from llmgit.store.store import iso_time

    who = git.ident(reg.root)
    plan = reconcile(reg.root, settings, branches, who, iso_time(who))
    checked_out = git.current_branch(reg.root)
    catch_up = tuple(  # local stage branches behind their remote-tracking branch
        git.RefUpdate(b.branch, b.tip, b.local_tip or git.ZERO)
        for b in branches.values()
        if b.tip and b.tip != b.local_tip and b.branch != checked_out
        and not any(u.ref == b.branch for u in plan.updates)
    )
    plan = Plan(catch_up) + plan
    if plan.empty:
        return SyncResult(plan, False)
    moved = [reg.get(b.file.holders[n].tag) for b in branches.values() for n in b.file.holders
             if f"{n}#{b.stage}" in plan.tags]
    publish(reg, plan, moved, push=push)
    return SyncResult(plan, push)


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


def load_observed(path: Path) -> dict[str, dict[str, float]]:
    """Observed production metrics per version: ``{"1.1.0": {"accuracy": 0.71}, ...}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"metrics file '{path}' does not exist") from None
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"metrics file '{path}' is malformed: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"metrics file '{path}' must map versions to {{metric: value}} mappings")
    return {versions.normalize(str(k)): v for k, v in data.items()}


def guard(reg: Registry, name: str, *, metric: str, threshold: float, relative: bool = False,
          stage: str = "production", observed: dict[str, dict[str, float]] | None = None,
          apply: bool = False, push: bool = False) -> GuardResult:
    settings = reg.require_initialized()
    stages.check_stage(settings, stage, holding=True)
    if not math.isfinite(threshold) or threshold < 0:
        raise UsageError(f"the threshold must be a non-negative number, not {threshold}")
    reg.require_history()
    holder = reg.stage_branches()[stage].file.holders.get(name)
    if holder is None:
        raise UsageError(f"no version of '{name}' holds {stage}, so there is nothing to guard")
    direction = settings.metric_direction(metric)
    prev = previous_holder(reg, name, stage, holder.version)
    base = dict(model=name, stage=stage, metric=metric, direction=direction, current=holder.version,
                threshold=threshold, relative=relative)
    if prev is None:
        return GuardResult(**base, previous=None, current_value=None, previous_value=None,  # type: ignore[arg-type]
                           degraded=False, rollback=None,
                           reason=f"no earlier version of '{name}' held {stage}: nothing to compare with")
    cur_v = _value(reg, name, holder.version, metric, observed)
    prev_v = _value(reg, name, prev, metric, observed)
    limit = (prev_v * (1 - threshold) if direction == "higher" else prev_v * (1 + threshold)) if relative \
        else (prev_v - threshold if direction == "higher" else prev_v + threshold)
    degraded = cur_v < limit if direction == "higher" else cur_v > limit
    how = f"{threshold:.1%}" if relative else f"{threshold:g}"
    reason = (f"{metric} {cur_v:g} of v{holder.version} is {'below' if direction == 'higher' else 'above'} "
              f"{limit:g} (v{prev}'s {prev_v:g} {'-' if direction == 'higher' else '+'} {how})"
              if degraded else
              f"{metric} {cur_v:g} of v{holder.version} is within {how} of v{prev}'s {prev_v:g}")
    result = None
    if degraded and apply:
        result = rollback(reg, name, stage=stage, to=prev, reason=f"guard: {reason}", push=push)
    return GuardResult(**base, previous=prev, current_value=cur_v, previous_value=prev_v,  # type: ignore[arg-type]
                       degraded=degraded, rollback=result, reason=reason)


def _value(reg: Registry, name: str, version: str, metric: str,
           observed: dict[str, dict[str, float]] | None) -> float:
    source = observed if observed is not None else {version: dict(reg.get(f"{name}@{version}").metrics)}
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
    aborted: CanaryResult | None = None  # with apply, a degraded canary is aborted
    rollback: TransitionResult | None = None  # with apply, a degraded holder is rolled back


def guard_live(reg: Registry, name: str, counts: Counts, *, stage: str = "production",
               margin: float | None = None, alpha: float | None = None, apply: bool = False,
               push: bool = False) -> LiveGuardResult:
    """Degraded means the ``abtest`` verdict is rollback: with confidence 1 - alpha/2 the judged
    version's accuracy is more than ``margin`` (default ``deploy.min_detectable_effect``) below."""
    settings = reg.require_initialized()
    state = canary.state(reg, name, stage=stage)
    margin = settings.deploy.min_detectable_effect if margin is None else margin
    alpha = settings.deploy.alpha if alpha is None else alpha
    over = f", last {counts.window}" if counts.window else ""
    running = state.canary
    current = running.version if running else state.holder.version
    roles = ("canary", "stable") if running else (f"{state.stage} holder", f"previous {state.stage} holder")
    baseline = state.holder.version if running else previous_holder(reg, name, state.stage, current)
    if baseline is None:
        why = f"no earlier version of '{name}' held {state.stage}: nothing to compare with"
        return LiveGuardResult(name, state.stage, current, None, False, None, False, why)
    if not running and (counts.arms.get(baseline) is None or counts.arms[baseline].total == 0):
        counts.arm(name, current, roles[0])  # the holder itself must have evaluations
        why = f"{counts.source} has no evaluations of v{baseline} ({roles[1]}{over}): nothing to compare with"
        return LiveGuardResult(name, state.stage, current, baseline, False, None, False, why)
    base, judged = counts.arm(name, baseline, roles[1]), counts.arm(name, current, roles[0])
    comparison = abstats.compare(base, judged, alpha=alpha, mde=margin)
    degraded = comparison.verdict is abstats.Verdict.rollback
    what = f"canary v{current}" if running else f"v{current}"
    reason = (f"accuracy {judged.accuracy:.4f} of {what} against {base.accuracy:.4f} of v{baseline} "
              f"({counts.source}{over}): {comparison.reason}")
    result = LiveGuardResult(name, state.stage, current, baseline, running is not None, comparison,
                             degraded, reason)
    if not (degraded and apply):
        return result
    why = f"guard: {reason}"
    if running is not None:
        return replace(result, aborted=canary.abort(reg, name, stage=state.stage, reason=why, push=push))
    return replace(result, rollback=canary.rollback(reg, name, baseline, stage=state.stage, reason=why,
                                                    push=push))
