"""Live A/B verdicts: evaluations per version (from Prometheus, or a JSON file for offline
use), the running canary against the stable version, decided by :mod:`llmgit.core.abstats`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import abstats, versions
from llmgit.canary import ab as canary
from llmgit.infra import prometheus
from llmgit.core.abstats import Arm, Comparison
from llmgit.errors import InputError, InvalidVersion, UsageError

if TYPE_CHECKING:
    from llmgit.store.store import Registry


@dataclass(frozen=True)
class Counts:
    """Correct and total evaluations per version (plain SemVer), and where they came from."""

    arms: Mapping[str, Arm]
    source: str  # "Prometheus at URL" or "counts file PATH"
    window: str | None = None  # the Prometheus window
    live: bool = False  # from Prometheus

    def arm(self, model: str, version: str, role: str) -> Arm:
        """The evaluations of one version; a precise error when there are none."""
        found = self.arms.get(version)
        if found is None or found.total == 0:
            over = f" in the last {self.window}" if self.window else ""
            message = f"{self.source} has no evaluations of {model} v{version} (the {role}){over}"
            if self.live:
                have = ", ".join(f"v{v}" for v in sorted(self.arms)) or "none"
                raise prometheus.NoData(
                    message, hint=f"versions with evaluations: {have}; check the exporter's version "
                    "label and that the canary gets traffic")
            raise InputError(message, hint='counts files map versions to {"correct": N, "total": N}')
        return abstats.check_arm(found, f"{role} (v{version})")


def load_counts(path: Path) -> Counts:
    """``{"1.2.0": {"correct": 900, "total": 1200}, "1.3.0": {...}}`` from a JSON file."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"counts file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"counts file '{path}' is malformed: {str(e).splitlines()[0]}") from None
    shape = 'map versions to {"correct": N, "total": N}'
    if not isinstance(data, dict):
        raise InputError(f"counts file '{path}' must {shape}")
    arms: dict[str, Arm] = {}
    for key, value in data.items():
        try:
            version = versions.normalize(str(key))
        except InvalidVersion:
            raise InputError(f"counts file '{path}': '{key}' is not a semantic version") from None
        numbers = [value.get(k) for k in ("correct", "total")] if isinstance(value, dict) else []
        floats = [float(n) for n in numbers if isinstance(n, (int, float)) and not isinstance(n, bool)]
        if len(floats) != 2:
            raise InputError(f"counts file '{path}': version {key} must have numeric 'correct' and 'total'",
                             hint=f"counts files {shape}")
        arms[version] = Arm(floats[0], floats[1])
    return Counts(arms, f"counts file '{path}'")


def live_counts(url: str, model: str, window: str) -> Counts:
    """Per-version evaluations of ``model`` over the last ``window`` from Prometheus."""
    arms = prometheus.eval_counts(url, model, window)
    plain = {}
    for label, arm in arms.items():
        try:
            plain[versions.normalize(label)] = arm
        except InvalidVersion:
            continue  # not a version llmgit knows; the verdict only reads two versions
    return Counts(plain, f"Prometheus at {url}", window, live=True)


def gather(model: str, *, prometheus_url: str | None, window: str = "1h",
           counts_file: Path | None = None) -> Counts:
    """The counts from ``counts_file`` when given, else from Prometheus."""
    if counts_file is not None:
        if prometheus_url is not None:
            raise UsageError("give --prometheus or --counts-file, not both")
        return load_counts(counts_file)
    if prometheus_url is None:
        raise UsageError("no source of live numbers: give --prometheus URL or --counts-file FILE",
                         hint="or set LLMGIT_PROMETHEUS_URL")
    return live_counts(prometheus_url, model, prometheus.validate_window(window))


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
        return [(role, version, arm, abstats.wilson_interval(arm, self.confidence))
                for role, version, arm in (("stable", self.stable, c.stable),
                                           ("candidate", self.candidate, c.candidate))]

    def to_json(self) -> dict[str, object]:
        c = self.comparison
        return {
            "model": self.model, "stage": self.stage, "source": self.counts.source,
            "window": self.counts.window,
            "canary": {"version": self.candidate, "percent": self.percent, "mode": self.mode,
                       "since": self.since},
            "arms": [{"role": role, "version": version, "requests": arm.total, "correct": arm.correct,
                      "accuracy": arm.accuracy, "interval": [ci.low, ci.high]}
                     for role, version, arm, ci in self.arm_rows()],
            "difference": c.difference, "interval": [c.interval.low, c.interval.high],
            "confidence": self.confidence, "z": c.z, "p_value": c.p_value,
            "verdict": c.verdict.value, "reason": c.reason, "alpha": c.alpha, "mde": c.mde,
            "power": c.power, "required_per_arm": c.required_per_arm,
            "remaining": {"stable": c.remaining_stable, "candidate": c.remaining_candidate},
        }


def status(reg: Registry, name: str, counts: Counts, *, stage: str = "production",
           alpha: float | None = None, mde: float | None = None) -> AbStatus:
    """The running canary of ``name`` in ``stage`` against its holder, on ``counts``."""
    settings = reg.require_initialized()
    state = canary.state(reg, name, stage=stage)
    running = state.canary
    if running is None:
        raise UsageError(
            f"no canary of '{name}' runs in {state.stage}",
            hint=f"start one: llmgit ab start {name} --candidate X.Y.Z --percent 10",
        )
    stable = counts.arm(name, state.holder.version, "stable")
    candidate = counts.arm(name, running.version, "candidate")
    comparison = abstats.compare(
        stable, candidate, alpha=settings.deploy.alpha if alpha is None else alpha,
        mde=settings.deploy.min_detectable_effect if mde is None else mde,
    )
    return AbStatus(name, state.stage, state.holder.version, running.version, running.percent,
                    running.mode, running.since, counts, comparison)
