"""Rendering a :class:`~llmgit.core.compare.VersionDiff`: Markdown (``diff --format
markdown``, to paste into a pull request) and plain text.

Pure and total: strings in, strings out. The values come from tags and cards anyone can push,
so every cell is one line (control characters escaped, long values cut short) and the
Markdown's values are inert (:mod:`llmgit.core.markdown`); a number that is not finite shows
as ``inf`` or ``nan``, never as an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmgit.core import markdown as md
from llmgit.core.bounded import escape_control
from llmgit.core.compare import FieldChange, FileChange, VersionDiff, WeightsDiff
from llmgit.core.inputs import MAX_NAME
from llmgit.core.metric_delta import MetricDelta, format_change, format_number, real
from llmgit.core.units import human_size

SHOWN_FILES = 50  # at most this many changed files are listed; the rest are counted
SHOWN_SAME = 12  # identical files named in the summary line
SHOWN_VALUE = 80  # characters of a value in a table cell
SHOWN_CARD_FIELDS = 20  # card changes listed; the rest are counted


def size_text(size: int | None) -> str:
    return human_size(size, missing="-")


def signed_size(change: int | None) -> str:
    if change is None:
        return "-"
    return ("+" if change > 0 else "-" if change < 0 else "+") + size_text(abs(change))


def value_text(value: Any) -> str:
    """A param or card value as text (``-`` for none); never raises."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format_number(value)
    try:
        return str(value)
    except ValueError:  # an int of 4,300+ digits, also inside a list
        return f"({type(value).__name__} too large to show)"


def cell(value: object, limit: int = SHOWN_VALUE) -> str:
    """One table cell of plain text: one line, control characters escaped, cut short."""
    text = value if isinstance(value, str) else value_text(value)
    return md.shorten(escape_control(text), limit)


def _md_value(value: object) -> str:
    """A value in Markdown: llmgit's own text for a number or none, anything else inert."""
    if value is None or real(value) is not None:
        return value_text(value)
    return md.text(md.shorten(value if isinstance(value, str) else value_text(value), SHOWN_VALUE))


def _names(files: list[FileChange], limit: int, show: Callable[[str], str]) -> str:
    shown = ", ".join(show(f.relpath) for f in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


def weights_summary(w: WeightsDiff, show: Callable[[str], str] = escape_control) -> str:
    """One sentence: same or different, total size change, and which files changed; file names
    and notes (outside text) go through ``show``."""
    old, new = w.old, w.new
    if old is None or new is None:
        return f"weights: not compared ({show(w.note)})"
    if w.same:
        return f"weights: identical ({size_text(new.size)}, {new.files} file(s))"
    head = f"weights: different, {size_text(old.size)} -> {size_text(new.size)} ({signed_size(w.size_change)})"
    if not w.files:
        return f"{head}; {show(w.note)}" if w.note else head
    changed, added, removed = (w.with_status(s) for s in ("changed", "added", "removed"))
    same = w.with_status("same")
    parts = []
    if changed:
        parts.append(f"{len(changed)} of {len(w.files) - len(added)} file(s) changed")
    if added:
        parts.append(f"{len(added)} added")
    if removed:
        parts.append(f"{len(removed)} removed")
    tail = f"; identical: {_names(same, SHOWN_SAME, show)}" if same else "; no file is identical"
    return f"{head}; {', '.join(parts)}{tail}"


def _metric_mark(d: MetricDelta) -> str:
    return {"better": "better", "worse": "**worse**"}.get(d.verdict, d.verdict)


def markdown(d: VersionDiff, heading: str = "###") -> str:
    """The diff as Markdown: a heading, then metrics, params, card and weights sections."""
    a, b = f"v{d.old.version}", f"v{d.new.version}"
    if d.old.name != d.new.name:
        a, b = d.old.tag, d.new.tag
    lines = [f"{heading} {_md_title(d)}", ""]
    lines += metric_lines(a, b, d.metrics)
    if d.params:
        lines += [f"| Param | {a} | {b} |", "|---|---|---|"]
        lines += [f"| {md.text(cell(p.field, MAX_NAME))} | {_md_value(p.old)} | {_md_value(p.new)} |" for p in d.params]
        lines.append("")
    lines += card_lines(d.card)
    lines += weights_lines(d.weights)
    return "\n".join(lines)


def _md_title(d: VersionDiff) -> str:
    """The title with each name inert (a tag such as ``m@v1.0.0`` would be an e-mail link)."""
    if d.old.name == d.new.name:
        return f"{md.text(d.new.name)}: {md.text('v' + d.old.version)} -> {md.text('v' + d.new.version)}"
    return f"{md.text(d.old.tag)} -> {md.text(d.new.tag)}"


def metric_lines(a: str, b: str, deltas: tuple[MetricDelta, ...]) -> list[str]:
    """The Markdown table of metric changes between columns ``a`` and ``b`` (none: no lines)."""
    if not deltas:
        return []
    lines = [f"| Metric | {a} | {b} | Change | |", "|---|---|---|---|---|"]  # versions, tags: the ref grammar
    for m in deltas:
        lines.append(
            f"| {md.text(cell(m.metric, MAX_NAME))} ({m.direction} is better) | {_md_value(m.old)} | "
            f"{_md_value(m.new)} | {format_change(m)} | {_metric_mark(m)} |"
        )
    return [*lines, ""]


def card_lines(fields: tuple[FieldChange, ...]) -> list[str]:
    """Model card changes as a Markdown list of code spans (at most 20, then a count)."""
    if not fields:
        return []
    lines = ["Model card changes:", ""]
    lines += [
        f"- {md.code(cell(c.field, MAX_NAME))}: {md.code(cell(repr(c.old)))} -> {md.code(cell(repr(c.new)))}"
        for c in fields[:SHOWN_CARD_FIELDS]
    ]
    if len(fields) > SHOWN_CARD_FIELDS:
        lines.append(f"- ... and {len(fields) - SHOWN_CARD_FIELDS} more")
    return [*lines, ""]


def weights_lines(w: WeightsDiff) -> list[str]:
    """The weights sentence and a table of the files that changed, in Markdown."""
    lines = ["**Weights**: " + weights_summary(w, lambda t: md.text(cell(t))).removeprefix("weights: "), ""]
    listed = [f for f in w.files if f.status != "same"]
    if not listed:
        return lines
    lines += ["| File | Change | Size |", "|---|---|---|"]
    for f in listed[:SHOWN_FILES]:
        size = size_text(f.new_size if f.status != "removed" else f.old_size)
        if f.status == "changed" and f.old_size != f.new_size:
            size = f"{size_text(f.old_size)} -> {size_text(f.new_size)}"
        lines.append(f"| {md.code_cell(f.relpath)} | {md.text(f.status)} | {size} |")
    if len(listed) > SHOWN_FILES:
        lines.append(f"| ... | {len(listed) - SHOWN_FILES} more | |")
    return [*lines, ""]


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    cells = [headers, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return [out[0], "  ".join("-" * w for w in widths), *out[1:]]


def text(d: VersionDiff) -> str:
    """The diff as plain aligned tables for a terminal."""
    a, b = f"v{d.old.version}", f"v{d.new.version}"
    if d.old.name != d.new.name:
        a, b = d.old.tag, d.new.tag
    lines = [f"{d.old.tag} -> {d.new.tag}", ""]
    if d.metrics:
        lines += _table(
            ["METRIC", a.upper(), b.upper(), "CHANGE", ""],
            [
                [
                    f"{cell(m.metric, MAX_NAME)} ({m.direction})",
                    cell(format_number(m.old)),
                    cell(format_number(m.new)),
                    format_change(m),
                    m.verdict.upper() if m.verdict == "worse" else m.verdict,
                ]
                for m in d.metrics
            ],
        )
        lines.append("")
    if d.params:
        lines += _table(
            ["PARAM", a.upper(), b.upper()], [[cell(p.field, MAX_NAME), cell(p.old), cell(p.new)] for p in d.params]
        )
        lines.append("")
    if d.card:
        lines += _table(
            ["CARD FIELD", a.upper(), b.upper()], [[cell(c.field, MAX_NAME), cell(c.old), cell(c.new)] for c in d.card]
        )
        lines.append("")
    lines.append(weights_summary(d.weights))
    listed = [f for f in d.weights.files if f.status != "same"]
    for f in listed[:SHOWN_FILES]:
        lines.append(f"  {f.status:<8} {escape_control(f.relpath)}  {size_text(f.old_size)} -> {size_text(f.new_size)}")
    if len(listed) > SHOWN_FILES:
        lines.append(f"  ... and {len(listed) - SHOWN_FILES} more")
    return "\n".join(lines) + "\n"
