"""Rendering a :class:`~llmgit.core.compare.VersionDiff`: Markdown (for pull requests) and plain text.

Pure: strings in, strings out. ``review`` puts :func:`markdown` into the PR body.
"""

from __future__ import annotations

from typing import Any

from llmgit.core.compare import FileChange, MetricDelta, VersionDiff, WeightsDiff, format_change, format_number
from llmgit.core.units import human_size

SHOWN_FILES = 50  # at most this many changed files are listed; the rest are counted
SHOWN_SAME = 12  # identical files named in the summary line


def size_text(size: int | None) -> str:
    return human_size(size, missing="-")


def signed_size(change: int | None) -> str:
    if change is None:
        return "-"
    return ("+" if change > 0 else "-" if change < 0 else "+") + size_text(abs(change))


def value_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _names(files: list[FileChange], limit: int) -> str:
    shown = ", ".join(f.relpath for f in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


def weights_summary(w: WeightsDiff) -> str:
    """One sentence: same or different, total size change, and which files changed."""
    old, new = w.old, w.new
    if old is None or new is None:
        return f"weights: not compared ({w.note})"
    if w.same:
        return f"weights: identical ({size_text(new.size)}, {new.files} file(s))"
    head = f"weights: different, {size_text(old.size)} -> {size_text(new.size)} ({signed_size(w.size_change)})"
    if not w.files:
        return f"{head}; {w.note}" if w.note else head
    changed, added, removed = (w.with_status(s) for s in ("changed", "added", "removed"))
    same = w.with_status("same")
    parts = []
    if changed:
        parts.append(f"{len(changed)} of {len(w.files) - len(added)} file(s) changed")
    if added:
        parts.append(f"{len(added)} added")
    if removed:
        parts.append(f"{len(removed)} removed")
    tail = f"; identical: {_names(same, SHOWN_SAME)}" if same else "; no file is identical"
    return f"{head}; {', '.join(parts)}{tail}"


def _metric_mark(d: MetricDelta) -> str:
    return {"better": "better", "worse": "**worse**"}.get(d.verdict, d.verdict)


def markdown(d: VersionDiff, heading: str = "###") -> str:
    """The diff as Markdown: a heading, then metrics, params, card and weights sections."""
    a, b = f"v{d.old.version}", f"v{d.new.version}"
    if d.old.name != d.new.name:
        a, b = d.old.tag, d.new.tag
    lines = [f"{heading} {d.title}", ""]
    if d.metrics:
        lines += [f"| Metric | {a} | {b} | Change | |", "|---|---|---|---|---|"]
        for m in d.metrics:
            lines.append(
                f"| {m.metric} ({m.direction} is better) | {format_number(m.old)} | "
                f"{format_number(m.new)} | {format_change(m)} | {_metric_mark(m)} |"
            )
        lines.append("")
    if d.params:
        lines += [f"| Param | {a} | {b} |", "|---|---|---|"]
        lines += [f"| {p.field} | {value_text(p.old)} | {value_text(p.new)} |" for p in d.params]
        lines.append("")
    if d.card:
        lines += ["Model card changes:", ""]
        lines += [f"- `{c.field}`: {c.old!r} -> {c.new!r}" for c in d.card[:20]]
        if len(d.card) > 20:
            lines.append(f"- ... and {len(d.card) - 20} more")
        lines.append("")
    w = d.weights
    text = weights_summary(w)
    lines += ["**Weights**: " + text.removeprefix("weights: "), ""]
    listed = [f for f in w.files if f.status != "same"]
    if listed:
        lines += ["| File | Change | Size |", "|---|---|---|"]
        for f in listed[:SHOWN_FILES]:
            size = size_text(f.new_size if f.status != "removed" else f.old_size)
            if f.status == "changed" and f.old_size != f.new_size:
                size = f"{size_text(f.old_size)} -> {size_text(f.new_size)}"
            lines.append(f"| `{f.relpath}` | {f.status} | {size} |")
        if len(listed) > SHOWN_FILES:
            lines.append(f"| ... | {len(listed) - SHOWN_FILES} more | |")
        lines.append("")
    return "\n".join(lines)


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
                    f"{m.metric} ({m.direction})",
                    format_number(m.old),
                    format_number(m.new),
                    format_change(m),
                    m.verdict.upper() if m.verdict == "worse" else m.verdict,
                ]
                for m in d.metrics
            ],
        )
        lines.append("")
    if d.params:
        lines += _table(
            ["PARAM", a.upper(), b.upper()], [[p.field, value_text(p.old), value_text(p.new)] for p in d.params]
        )
        lines.append("")
    if d.card:
        lines += _table(
            ["CARD FIELD", a.upper(), b.upper()], [[c.field, value_text(c.old), value_text(c.new)] for c in d.card]
        )
        lines.append("")
    lines.append(weights_summary(d.weights))
    listed = [f for f in d.weights.files if f.status != "same"]
    for f in listed[:SHOWN_FILES]:
        lines.append(f"  {f.status:<8} {f.relpath}  {size_text(f.old_size)} -> {size_text(f.new_size)}")
    if len(listed) > SHOWN_FILES:
        lines.append(f"  ... and {len(listed) - SHOWN_FILES} more")
    return "\n".join(lines) + "\n"
