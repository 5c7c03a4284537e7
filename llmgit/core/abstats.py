"""Statistics for a canary A/B verdict on accuracy (correct / total per arm). Pure; no scipy.

The verdict is a non-inferiority decision with margin ``mde`` on the difference
``candidate - stable`` and its (1 - alpha) two-sided Newcombe (hybrid Wilson score) interval
``[low, high]``:

- **promote** when ``low > -mde``: the candidate is at most ``mde`` worse, or better, with
  confidence 1 - alpha/2 (a one-sided non-inferiority test at level alpha/2);
- **rollback** when ``high < -mde``: the candidate is worse than the stable version by more
  than ``mde``, with the same confidence;
- **keep collecting** otherwise (the interval still contains ``-mde``), with the per-arm
  sample size that a test at ``alpha`` with ``power`` needs to detect a drop of ``mde`` from
  the stable accuracy (the classic two-proportion formula, no continuity correction).

The two-proportion z-test (pooled) is reported beside the interval; it tests "no difference",
which is not what the verdict decides, so it never overrides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from statistics import NormalDist

from llmgit.errors import InputError, UsageError


class Verdict(str, Enum):
    promote = "promote"
    rollback = "rollback"
    keep_collecting = "keep-collecting"


@dataclass(frozen=True)
class Arm:
    """Evaluations of one version: how many were correct out of how many.

    Counts may be fractional: Prometheus' ``increase()`` extrapolates.
    """

    correct: float
    total: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.total


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    stable: Arm
    candidate: Arm
    difference: float  # candidate accuracy - stable accuracy
    interval: Interval  # (1 - alpha) Newcombe interval of the difference
    z: float  # pooled two-proportion z statistic
    p_value: float  # two-sided
    verdict: Verdict
    reason: str
    alpha: float
    mde: float
    power: float
    required_per_arm: int  # evaluations each arm needs for the planned test
    remaining_stable: int  # still needed for the stable arm (0 when reached)
    remaining_candidate: int


def check_arm(arm: Arm, label: str) -> Arm:
    """Return ``arm`` if usable; a clear :class:`InputError` for zero, negative or NaN counts."""
    for what, value in (("correct", arm.correct), ("total", arm.total)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InputError(f"the {label} arm's {what} count is not a number: {value!r}")
        if math.isnan(value) or math.isinf(value):
            raise InputError(
                f"the {label} arm's {what} count is {value}",
                hint="Prometheus returns NaN when a rate divides by zero; check the counters",
            )
        if value < 0:
            raise InputError(f"the {label} arm's {what} count is negative ({value})")
    if arm.total == 0:
        raise InputError(
            f"the {label} arm has no evaluations (total is 0); there is nothing to compare",
            hint="let evaluations run against both versions before asking for a verdict",
        )
    if arm.correct > arm.total:
        raise InputError(f"the {label} arm has more correct ({arm.correct:g}) than total ({arm.total:g})")
    return arm


def _check_probability(name: str, value: float, *, closed: bool = False) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or math.isnan(value) or not (0 <= value <= 1 if closed else 0 < value < 1):
        raise UsageError(f"{name} must be between 0 and 1, got {value!r}")


def z_quantile(p: float) -> float:
    """The standard normal quantile: ``z_quantile(0.975)`` is about 1.96."""
    return NormalDist().inv_cdf(p)


def z_test(stable: Arm, candidate: Arm) -> tuple[float, float]:
    """Pooled two-proportion z-test: ``(z, two-sided p-value)``, z > 0 when the candidate is better.

    When both arms are all correct or all wrong the pooled variance is zero: there is no
    evidence of a difference, so the result is ``(0.0, 1.0)``.
    """
    check_arm(stable, "stable")
    check_arm(candidate, "candidate")
    pooled = (stable.correct + candidate.correct) / (stable.total + candidate.total)
    se = math.sqrt(pooled * (1 - pooled) * (1 / stable.total + 1 / candidate.total))
    if se == 0:
        return 0.0, 1.0
    z = (candidate.accuracy - stable.accuracy) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def wilson_interval(arm: Arm, confidence: float = 0.95) -> Interval:
    """Wilson score interval of one arm's accuracy."""
    check_arm(arm, "evaluated")
    _check_probability("confidence", confidence)
    z = z_quantile(1 - (1 - confidence) / 2)
    n, p = arm.total, arm.accuracy
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def wald_interval(stable: Arm, candidate: Arm, confidence: float = 0.95) -> Interval:
    """Wald interval of ``candidate - stable`` (shown for reference; degenerate at 0 and 1)."""
    check_arm(stable, "stable")
    check_arm(candidate, "candidate")
    _check_probability("confidence", confidence)
    z = z_quantile(1 - (1 - confidence) / 2)
    p1, p2 = stable.accuracy, candidate.accuracy
    se = math.sqrt(p1 * (1 - p1) / stable.total + p2 * (1 - p2) / candidate.total)
    return Interval(p2 - p1 - z * se, p2 - p1 + z * se)


def newcombe_interval(stable: Arm, candidate: Arm, confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval (1998, method 10) of ``candidate - stable``."""
    s, c = wilson_interval(stable, confidence), wilson_interval(candidate, confidence)
    p1, p2 = stable.accuracy, candidate.accuracy
    d = p2 - p1
    low = d - math.sqrt((p2 - c.low) ** 2 + (s.high - p1) ** 2)
    high = d + math.sqrt((c.high - p2) ** 2 + (p1 - s.low) ** 2)
    return Interval(low, high)


def sample_size_per_arm(baseline: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Evaluations per arm to detect a drop of ``mde`` from ``baseline`` accuracy.

    ``n = (z(1-alpha/2) * sqrt(2 pbar qbar) + z(power) * sqrt(p1 q1 + p2 q2))**2 / mde**2``
    with ``p1 = baseline``, ``p2 = baseline - mde`` (``baseline + mde`` when that would be
    negative) and ``pbar`` their mean.
    """
    _check_probability("baseline accuracy", baseline, closed=True)
    _check_probability("the minimum detectable effect", mde)
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    p1 = baseline
    p2 = p1 - mde if p1 - mde >= 0 else p1 + mde
    if not 0 <= p2 <= 1:
        raise UsageError(f"a minimum detectable effect of {mde} does not fit accuracy {baseline}")
    pbar = (p1 + p2) / 2
    root = z_quantile(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar)) + z_quantile(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(root * root / (mde * mde) - 1e-9)


def compare(stable: Arm, candidate: Arm, *, alpha: float = 0.05, mde: float = 0.02, power: float = 0.8) -> Comparison:
    """Compare the arms and decide promote / rollback / keep collecting (see the module doc)."""
    check_arm(stable, "stable")
    check_arm(candidate, "candidate")
    _check_probability("alpha", alpha)
    _check_probability("the minimum detectable effect", mde)
    _check_probability("power", power)
    interval = newcombe_interval(stable, candidate, 1 - alpha)
    z, p_value = z_test(stable, candidate)
    required = sample_size_per_arm(stable.accuracy, mde, alpha, power)
    level = f"{(1 - alpha) * 100:g}%"
    bounds = f"[{interval.low:+.4f}, {interval.high:+.4f}]"
    if interval.low > -mde:
        verdict = Verdict.promote
        reason = f"the {level} interval of the difference {bounds} is above -{mde:g}"
    elif interval.high < -mde:
        verdict = Verdict.rollback
        reason = f"the {level} interval of the difference {bounds} is below -{mde:g}"
    else:
        verdict = Verdict.keep_collecting
        reason = f"the {level} interval of the difference {bounds} contains -{mde:g}"
    return Comparison(
        stable=stable,
        candidate=candidate,
        difference=candidate.accuracy - stable.accuracy,
        interval=interval,
        z=z,
        p_value=p_value,
        verdict=verdict,
        reason=reason,
        alpha=alpha,
        mde=mde,
        power=power,
        required_per_arm=required,
        remaining_stable=max(0, math.ceil(required - stable.total)),
        remaining_candidate=max(0, math.ceil(required - candidate.total)),
    )
