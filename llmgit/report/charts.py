"""Inline SVG line charts for the static report: one metric across versions. Pure.

Every piece of text that reaches the SVG (labels, titles, tooltips) is escaped here, so the
caller may embed the result in HTML as it is. Versions sit on the x axis in the order given
(the caller passes SemVer order); a version with no value leaves a gap in the line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
HEIGHT = 260
MARGIN_LEFT = 64
MARGIN_RIGHT = 18
MARGIN_TOP = 34
MARGIN_BOTTOM = 58
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Point:
    label: str  # shown on the x axis, e.g. "v1.1.0"
    value: float | None
    highlight: bool = False  # drawn distinctly (the report: served in production)
    href: str | None = None  # a click on the marker opens this page
    note: str = ""  # extra tooltip text


@dataclass(frozen=True)
class LineChart:
    ident: str  # unique within the page; used for element ids
    title: str
    y_label: str
    points: tuple[Point, ...]
    x_label: str = "version"
    highlight_label: str = "served in production"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] with a 1, 2 or 5 x 10^k step."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) * 0.05 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.5:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def format_tick(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (0.25 steps need two)."""
    if abs(value) >= 1e6 or (value != 0 and abs(value) < 1e-4):
        return f"{value:.3g}"
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > step * 1e-9:
        decimals += 1
    return f"{value:.{decimals}f}"


def format_value(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _segments(coords: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points (a missing value breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for c in coords:
        if c is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(c)
    return [r for r in runs if r]


def render(chart: LineChart, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The chart as an ``<svg>`` element (a string of escaped, self-contained markup)."""
    ident = escape(chart.ident, quote=True)
    values = [p.value for p in chart.points if p.value is not None]
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    out = [
        (
            f'<svg class="chart" id="{ident}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{ident}-title">'
        ),
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<text class="chart-title" x="{MARGIN_LEFT}" y="18">{escape(chart.title)}</text>',
    ]
    if not values:
        out.append(
            f'<text class="chart-empty" x="{width / 2:.0f}" y="{height / 2:.0f}" '
            'text-anchor="middle">no values recorded</text></svg>'
        )
        return "".join(out)
    ticks = nice_ticks(min(values), max(values))
    lo, hi = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

    def y_of(v: float) -> float:
        return MARGIN_TOP + plot_h - (v - lo) / (hi - lo) * plot_h

    n = len(chart.points)

    def x_of(i: int) -> float:
        return MARGIN_LEFT + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    out.append('<g class="grid">')
    for t in ticks:
        y = y_of(t)
        out.append(f'<line x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="tick" x="{MARGIN_LEFT - 8}" y="{y + 4:.1f}" '
            f'text-anchor="end">{escape(format_tick(t, step))}</text>'
        )
    out.append("</g>")
    every = max(1, math.ceil(n / MAX_X_LABELS))
    base = MARGIN_TOP + plot_h
    out.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" y1="{base:.1f}" y2="{base:.1f}"/>')
    for i, p in enumerate(chart.points):
        if i % every and i != n - 1:
            continue
        x = x_of(i)
        out.append(
            f'<text class="tick x-tick" x="{x:.1f}" y="{base + 16:.1f}" text-anchor="end" '
            f'transform="rotate(-30 {x:.1f} {base + 16:.1f})">{escape(p.label)}</text>'
        )
    out.append(
        f'<text class="axis-label" x="{MARGIN_LEFT + plot_w / 2:.1f}" y="{height - 6}" '
        f'text-anchor="middle">{escape(chart.x_label)}</text>'
    )
    out.append(
        f'<text class="axis-label" transform="rotate(-90)" x="{-(MARGIN_TOP + plot_h / 2):.1f}" '
        f'y="14" text-anchor="middle">{escape(chart.y_label)}</text>'
    )
    coords = [None if p.value is None else (x_of(i), y_of(p.value)) for i, p in enumerate(chart.points)]
    for run in _segments(coords):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        out.append(f'<polyline class="line" points="{pts}"/>')
    for p, c in zip(chart.points, coords, strict=True):
        if c is None or p.value is None:
            continue
        kind = "point served" if p.highlight else "point"
        tip = f"{p.label}: {format_value(p.value)}" + (f" ({chart.highlight_label})" if p.highlight else "")
        if p.note:
            tip += f"; {p.note}"
        radius = 6 if p.highlight else 4.5
        marker = (
            f'<circle class="{kind}" cx="{c[0]:.1f}" cy="{c[1]:.1f}" r="{radius}"><title>{escape(tip)}</title></circle>'
        )
        if p.href:
            marker = f'<a href="{escape(p.href, quote=True)}">{marker}</a>'
        out.append(marker)
    legend_x = width - MARGIN_RIGHT - 190
    out.append(
        f'<g class="legend"><circle class="point served" cx="{legend_x}" cy="14" r="5"/>'
        f'<text x="{legend_x + 10}" y="18">{escape(chart.highlight_label)}</text>'
        f'<circle class="point" cx="{legend_x + 150}" cy="14" r="4"/>'
        f'<text x="{legend_x + 159}" y="18">other</text></g>'
    )
    out.append("</svg>")
    return "".join(out)
