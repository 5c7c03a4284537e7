"""Rendering helpers: data and results to stdout (tables, JSON, one identifier a line),
messages to stderr."""

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from llmgit.core.bounded import escape_control
from llmgit.core.units import human_size

__all__ = ["emit_json", "human_size", "number", "result", "say", "table"]


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def result(*lines: object) -> None:
    """A command's result for scripts (stdout): one identifier a line -- the tag, path, URI
    or ref it made or moved -- so that ``$(llmgit ...)`` captures exactly that."""
    for line in lines:
        sys.stdout.write(f"{line}\n")


def say(message: str) -> None:
    """A message for the person at the terminal (stderr, so stdout stays data)."""
    sys.stderr.write(message + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], stream: TextIO | None = None) -> None:
    """A plain aligned text table on stdout (or ``stream``: stderr where it narrates); a cell is
    one line (control characters, line breaks included, shown escaped: values come from tags
    anyone can push)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else escape_control(str(c)) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    (stream or sys.stdout).write("\n".join(lines) + "\n")


def number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
