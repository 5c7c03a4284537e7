"""Cost arithmetic on a known case: 100 versions x 7 GB."""

from __future__ import annotations

import pytest

from llmgit.core.config import DEFAULT_PRICES
from llmgit.storage.cost import GB, monthly


def test_hundred_versions_of_seven_gb() -> None:
    total = 100 * 7 * GB  # 700 GB
    standard = monthly({"STANDARD": total}, DEFAULT_PRICES)
    glacier = monthly({"GLACIER": total}, DEFAULT_PRICES)
    assert standard == pytest.approx(16.10)
    assert glacier == pytest.approx(2.80)
    assert (standard - glacier) / standard == pytest.approx(0.826, abs=0.001)  # about 82%


def test_mixed_classes_and_unpriced() -> None:
    prices = {**DEFAULT_PRICES, "GLACIER": 0.0036}
    assert monthly({"STANDARD": GB, "GLACIER": 10 * GB, "LOCAL": 5 * GB}, prices) == pytest.approx(0.023 + 0.036)
