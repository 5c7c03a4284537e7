"""llmgit.core.abstats against hand-computed and published numbers."""

from __future__ import annotations

import math

import pytest

from llmgit.core.abstats import (
    Arm,
    Verdict,
    compare,
    newcombe_interval,
    sample_size_per_arm,
    wald_interval,
    wilson_interval,
    z_test,
)
from llmgit.errors import InputError, UsageError


def test_z_test_by_hand() -> None:
    # stable 80/100, candidate 70/100: pooled p = 0.75, se = sqrt(0.75 * 0.25 * (2 / 100))
    # = sqrt(0.00375); z = -0.1 / se = -sqrt(8 / 3) = -1.63299...; p = erfc(1.63299 / sqrt 2)
    z, p = z_test(Arm(80, 100), Arm(70, 100))
    assert z == pytest.approx(-math.sqrt(8 / 3), rel=1e-12)
    assert p == pytest.approx(0.1024704, abs=1e-7)  # 2 * (1 - Phi(1.63299)) from tables


def test_z_test_is_symmetric_and_signed() -> None:
    z1, p1 = z_test(Arm(80, 100), Arm(70, 100))
    z2, p2 = z_test(Arm(70, 100), Arm(80, 100))
    assert z2 == pytest.approx(-z1) and p1 == pytest.approx(p2)


def test_z_test_without_variance_is_no_evidence() -> None:
    assert z_test(Arm(50, 50), Arm(20, 20)) == (0.0, 1.0)
    assert z_test(Arm(0, 50), Arm(0, 20)) == (0.0, 1.0)


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion": 81/263
    interval = wilson_interval(Arm(81, 263))
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.2553, 0.3662)


def test_newcombe_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", method 10: 56/70 - 48/80 = 0.2, 95% CI 0.0524 to 0.3339
    interval = newcombe_interval(stable=Arm(48, 80), candidate=Arm(56, 70))
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0524, 0.3339)


def test_wald_interval_by_hand() -> None:
    # se = sqrt(0.8 * 0.2 / 100 + 0.7 * 0.3 / 100) = sqrt(0.0037); -0.1 -/+ 1.959964 * se
    interval = wald_interval(Arm(80, 100), Arm(70, 100))
    half = 1.959963984540054 * math.sqrt(0.0037)
    assert interval.low == pytest.approx(-0.1 - half) and interval.high == pytest.approx(-0.1 + half)


@pytest.mark.parametrize(
    ("baseline", "mde", "expected"),
    [
        # (1.96 * sqrt(2 * .45 * .55) + 0.8416 * sqrt(.25 + .24))**2 / .01 = 387.3 -> 388
        pytest.param(0.5, 0.1, 388, id="0.5-vs-0.4"),
        # (1.96 * sqrt(2 * .79 * .21) + 0.8416 * sqrt(.16 + .1716))**2 / .0004 = 6509.6 -> 6510
        pytest.param(0.8, 0.02, 6510, id="0.8-vs-0.78"),
        # p2 = baseline + mde when baseline - mde < 0
        pytest.param(0.0, 0.02, sample_size_per_arm(0.02, 0.02), id="zero-baseline"),
    ],
)
def test_sample_size_per_arm(baseline: float, mde: float, expected: int) -> None:
    assert sample_size_per_arm(baseline, mde) == expected


def test_sample_size_grows_with_power_and_shrinks_with_alpha() -> None:
    n = sample_size_per_arm(0.8, 0.02)
    assert sample_size_per_arm(0.8, 0.02, power=0.9) > n
    assert sample_size_per_arm(0.8, 0.02, alpha=0.1) < n


@pytest.mark.parametrize(
    ("stable", "candidate", "verdict"),
    [
        pytest.param(Arm(8000, 10000), Arm(8050, 10000), Verdict.promote, id="better"),
        pytest.param(Arm(80000, 100000), Arm(79500, 100000), Verdict.promote, id="worse-but-within-margin"),
        pytest.param(Arm(8000, 10000), Arm(7000, 10000), Verdict.rollback, id="much-worse"),
        pytest.param(Arm(80, 100), Arm(78, 100), Verdict.keep_collecting, id="too-few"),
        pytest.param(Arm(100, 100), Arm(100, 100), Verdict.keep_collecting, id="all-correct"),
    ],
)
def test_verdicts(stable: Arm, candidate: Arm, verdict: Verdict) -> None:
    result = compare(stable, candidate)
    assert result.verdict is verdict
    assert result.interval.low <= result.difference <= result.interval.high


def test_promote_and_rollback_follow_the_interval() -> None:
    better = compare(Arm(8000, 10000), Arm(8050, 10000))
    assert better.interval.low > -0.02
    assert better.reason == "the 95% interval of the difference [-0.0060, +0.0160] is above -0.02"
    worse = compare(Arm(8000, 10000), Arm(7000, 10000))
    assert worse.interval.high < -0.02 and worse.p_value < 1e-50
    assert worse.reason.endswith("is below -0.02")


def test_keep_collecting_says_how_many_more() -> None:
    result = compare(Arm(80, 100), Arm(78, 100))
    assert result.required_per_arm == 6510
    assert (result.remaining_stable, result.remaining_candidate) == (6410, 6410)
    assert result.reason.endswith("contains -0.02")
    unequal = compare(Arm(80, 100), Arm(30, 40))
    assert unequal.remaining_candidate == unequal.required_per_arm - 40


def test_fractional_counts_from_prometheus_are_fine() -> None:
    result = compare(Arm(96.54, 128.72), Arm(45.2, 90.4))
    assert result.stable.accuracy == pytest.approx(0.75)
    assert result.candidate.accuracy == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("stable", "candidate", "message"),
    [
        pytest.param(
            Arm(0, 0),
            Arm(5, 10),
            "the stable arm has no evaluations (total is 0); there is nothing to compare",
            id="zero-stable",
        ),
        pytest.param(
            Arm(5, 10),
            Arm(0, 0),
            "the candidate arm has no evaluations (total is 0); there is nothing to compare",
            id="zero-candidate",
        ),
        pytest.param(Arm(math.nan, 10), Arm(5, 10), "the stable arm's correct count is nan", id="nan"),
        pytest.param(Arm(5, 10), Arm(5, math.inf), "the candidate arm's total count is inf", id="inf"),
        pytest.param(Arm(-1, 10), Arm(5, 10), "the stable arm's correct count is negative (-1)", id="negative"),
        pytest.param(
            Arm(11, 10), Arm(5, 10), "the stable arm has more correct (11) than total (10)", id="correct-above-total"
        ),
    ],
)
def test_bad_counts_are_clear_errors(stable: Arm, candidate: Arm, message: str) -> None:
    with pytest.raises(InputError) as e:
        compare(stable, candidate)
    assert str(e.value) == message


@pytest.mark.parametrize(
    "options",
    [{"alpha": 0}, {"alpha": 1.5}, {"mde": 0}, {"mde": math.nan}, {"power": 1}],
    ids=["alpha-0", "alpha-1.5", "mde-0", "mde-nan", "power-1"],
)
def test_bad_options(options: dict[str, float]) -> None:
    with pytest.raises(UsageError, match="must be between 0 and 1"):
        compare(Arm(80, 100), Arm(70, 100), **options)
