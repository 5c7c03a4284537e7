"""Live A/B verdicts: evaluations per version (from Prometheus, or a JSON file for offline
use), the running canary against the stable version, decided by :mod:`llmgit.core.abstats`."""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core import abstats
from llmgit.core.abstats import Arm, Comparison
from llmgit.core.counts import Counts
from llmgit.errors import UsageError
from llmgit.store import canaries
from llmgit.store.store import Store


@dataclass(frozen=True)
class AbStatus:
    model: str
    stage: str
    stable: str
    candidate: str
    percent: int
    mode: str
    since: str
    counts: Counts
    comparison: Comparison

    @property
    def verdict(self) -> abstats.Verdict:
        return self.comparison.verdict

    @property
    def confidence(self) -> float:
        return 1 - self.comparison.alpha

    def arm_rows(self) -> list[tuple[str, str, Arm, abstats.Interval]]:
        c = self.comparison
        return [
            (role, version, arm, abstats.wilson_interval(arm, self.confidence))
            for role, version, arm in (("stable", self.stable, c.stable), ("candidate", self.candidate, c.candidate))
        ]

    def to_json(self) -> dict[str, object]:
        c = self.comparison
        return {
            "model": self.model,
            "stage": self.stage,
            "source": self.counts.source,
            "window": self.counts.window,
            "canary": {"version": self.candidate, "percent": self.percent, "mode": self.mode, "since": self.since},
            "arms": [
                {
                    "role": role,
                    "version": version,
                    "requests": arm.total,
                    "correct": arm.correct,
                    "accuracy": arm.accuracy,
                    "interval": [ci.low, ci.high],
                }
                for role, version, arm, ci in self.arm_rows()
            ],
            "difference": c.difference,
            "interval": [c.interval.low, c.interval.high],
            "confidence": self.confidence,
            "z": c.z,
            "p_value": c.p_value,
            "verdict": c.verdict.value,
            "reason": c.reason,
            "alpha": c.alpha,
            "mde": c.mde,
            "power": c.power,
            "required_per_arm": c.required_per_arm,
            "remaining": {"stable": c.remaining_stable, "candidate": c.remaining_candidate},
        }


def status(
    store: Store,
    name: str,
    counts: Counts,
    *,
    stage: str = "production",
    alpha: float | None = None,
    mde: float | None = None,
) -> AbStatus:
    """The running canary of ``name`` in ``stage`` against its holder, on ``counts``."""
    settings = store.require_initialized()
    state = canaries.state(store, name, stage=stage)
    running = state.canary
    if running is None:
        raise UsageError(
            f"no canary of '{name}' runs in {state.stage}",
            hint=f"start one: llmgit ab start {name} --candidate X.Y.Z --percent 10",
        )
    stable = counts.arm(name, state.holder.version, "stable")
    candidate = counts.arm(name, running.version, "candidate")
    comparison = abstats.compare(
        stable,
        candidate,
        alpha=settings.deploy.alpha if alpha is None else alpha,
        mde=settings.deploy.min_detectable_effect if mde is None else mde,
    )
    return AbStatus(
        name,
        state.stage,
        state.holder.version,
        running.version,
        running.percent,
        running.mode,
        running.since,
        counts,
        comparison,
    )
