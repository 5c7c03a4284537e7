"""What ``llmgit report`` is asked to show (a cheap module: the CLI imports it at start-up)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from llmgit.core.ident import parse_when


@dataclass(frozen=True)
class ReportOptions:
    models: tuple[str, ...] = ()  # empty: every model
    since: dt.datetime | None = None  # stage history from this moment on
    manifests: bool = True  # list each version's files (DVC's manifests, never the weights)
    generated: dt.datetime | None = None  # the time stamped on the pages (default: now)


def parse_since(text: str) -> dt.datetime:
    """``--since``: an ISO date (from the start of that day, UTC) or a date-time."""
    moment = parse_when(text)  # validates; a bare date means the end of that day
    if len(text) == 10:
        return moment.replace(hour=0, minute=0, second=0)
    return moment
