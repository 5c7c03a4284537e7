"""Comparing two versions: metric deltas with each metric's direction, and card changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmgit.core.config import Settings
from llmgit.core.inputs import flatten

# card fields that differ between any two versions and say nothing about the model
VOLATILE = ("name", "version", "date", "provenance.created", "provenance.git_commit",
            "provenance.llmgit_version")


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    old: float | int | None
    new: float | int | None
    direction: str  # higher | lower

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        if self.change is None or not self.old:
            return None
        return self.change / abs(self.old)

    @property
    def verdict(self) -> str:
        """better, worse, same, added or removed."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.change == 0:
            return "same"
        improved = (self.change or 0) > 0 if self.direction == "higher" else (self.change or 0) < 0
        return "better" if improved else "worse"

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "old": self.old, "new": self.new, "change": self.change,
                "relative": self.relative, "direction": self.direction, "verdict": self.verdict}


def metric_deltas(old: Mapping[str, float | int], new: Mapping[str, float | int],
                  settings: Settings) -> list[MetricDelta]:
    names = list(dict.fromkeys([*old, *new]))
    return [MetricDelta(n, old.get(n), new.get(n), settings.metric_direction(n)) for n in names]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


def card_changes(old: Mapping[str, Any], new: Mapping[str, Any],
                 ignore: tuple[str, ...] = VOLATILE) -> list[FieldChange]:
    """Fields (dotted paths) whose values differ; ``performance`` is left to the metrics."""
    a = flatten({k: v for k, v in old.items() if k != "performance"})
    b = flatten({k: v for k, v in new.items() if k != "performance"})
    changes = []
    for key in sorted(set(a) | set(b)):
        if key in ignore or any(key.startswith(f"{i}.") for i in ignore):
            continue
        if a.get(key) != b.get(key):
            changes.append(FieldChange(key, a.get(key), b.get(key)))
    return changes


def format_number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_change(d: MetricDelta) -> str:
    if d.change is None:
        return d.verdict
    sign = "+" if d.change > 0 else ""
    rel = f" ({sign}{d.relative * 100:.1f}%)" if d.relative is not None else ""
    return f"{sign}{format_number(d.change)}{rel}"
