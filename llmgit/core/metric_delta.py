"""One metric of two versions: its values, change, relative change and verdict (better or
worse by the metric's direction), and how they read in a table. Pure and total.

The values come from tags anyone can push, so nothing here raises on a value that is not a
number or a change that overflows. :mod:`llmgit.core.compare` puts the deltas of every metric
into a version diff; review and the report use them on their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmgit.core.bounded import MAX_INT

if TYPE_CHECKING:
    from llmgit.core.config import Settings


def real(value: object) -> float | int | None:
    """``value`` if it is an int or a float (not a bool): what a metric delta can subtract."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def finite(value: object) -> bool:
    """A real number that is finite (an int of any size is)."""
    number = real(value)
    return number is not None and (not isinstance(number, float) or math.isfinite(number))


@dataclass(frozen=True)
class MetricDelta:
    """One metric of two versions. Total: the values come from tags anyone can push, so a
    value that is not a number, or a change that overflows (1e300 - -1e300 is inf), gives a
    verdict and a text, never an exception."""

    metric: str
    old: float | int | None
    new: float | int | None
    direction: str  # higher | lower

    @property
    def change(self) -> float | int | None:
        """``new - old`` (maybe inf or nan); None unless both are numbers."""
        old, new = real(self.old), real(self.new)
        if old is None or new is None:
            return None
        try:
            return new - old
        except OverflowError:  # an int too large for a float, against a float
            return math.inf if new > old else -math.inf

    @property
    def relative(self) -> float | None:
        """The change as a fraction of ``|old|``; None when it has no finite value."""
        change, old = self.change, real(self.old)
        if change is None or old is None or not old or not finite(change) or not finite(old):
            return None
        try:
            rel = change / abs(old)
        except (OverflowError, ZeroDivisionError):
            return None
        return rel if math.isfinite(rel) else None

    @property
    def verdict(self) -> str:
        """better, worse, same, changed (not both numbers, or no ordered change), added or removed."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        change = self.change
        if change is None or (isinstance(change, float) and math.isnan(change)):
            return "same" if _same(self.old, self.new) else "changed"
        if change == 0:
            return "same"
        improved = change > 0 if self.direction == "higher" else change < 0
        return "better" if improved else "worse"

    def to_json(self) -> dict[str, Any]:
        """JSON has no inf or nan: a value or change that is not finite is null (the verdict stays)."""
        return {
            "metric": self.metric,
            "old": _json_value(self.old),
            "new": _json_value(self.new),
            "change": _json_value(self.change),
            "relative": self.relative,
            "direction": self.direction,
            "verdict": self.verdict,
        }


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 (a value from outside must not end the diff)
        return False


def _json_value(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def metric_deltas(
    old: Mapping[str, float | int], new: Mapping[str, float | int], settings: Settings
) -> list[MetricDelta]:
    names = list(dict.fromkeys([*old, *new]))
    return [MetricDelta(n, old.get(n), new.get(n), settings.metric_direction(n)) for n in names]


def format_number(value: object) -> str:
    """A metric value for a table: ``-`` for none, 4 significant digits, ``inf``/``nan`` as
    such, and anything that is not a number as its text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"  # inf, -inf and nan print as such
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) <= MAX_INT:
            return str(value)
        return f"{value:.4g}" if value.bit_length() < 1000 else f"{'-' if value < 0 else ''}2^{value.bit_length() - 1}+"
    try:
        return str(value)
    except ValueError:  # an int of 4,300+ digits inside a container
        return f"({type(value).__name__} too large to show)"


def format_change(d: MetricDelta) -> str:
    """``+0.02 (+2.5%)``; ``+inf`` for a change that overflows; the verdict when there is none."""
    change = d.change
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return d.verdict
    sign = "+" if change > 0 else ""
    rel = d.relative
    shown = f" ({sign}{rel * 100:.1f}%)" if rel is not None else ""
    return f"{sign}{format_number(change)}{shown}"
