"""Who and when: a git identity with its time stamp, ISO 8601 times from it, and the dates and
times users type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from llmgit.core.bounded import KIB, escape_control
from llmgit.errors import UsageError

MAX_WHO = KIB  # what a stage entry's 'by' holds at most


@dataclass(frozen=True)
class Ident:
    """A git identity line: ``Name <email> 1790000000 +0200``."""

    name: str
    email: str
    timestamp: int
    tz: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> {self.timestamp} {self.tz}"

    @property
    def who(self) -> str:
        """``Name <email>`` as llmgit records it: control characters shown escaped, bounded
        (what a stage file reads back)."""
        return escape_control(f"{self.name} <{self.email}>")[:MAX_WHO]


def parse_ident(text: str) -> Ident:
    """``Name <email> 1790000000 +0200`` (what ``git var GIT_COMMITTER_IDENT`` prints)."""
    head, _, rest = text.strip().rpartition(">")
    name, _, email = head.partition("<")
    ts, tz = rest.split()
    return Ident(name.strip(), email.strip(), int(ts), tz)


def iso_time(ident: Ident) -> str:
    """ISO 8601 with offset from a git ident's timestamp and zone."""
    sign = -1 if ident.tz.startswith("-") else 1
    hours, minutes = int(ident.tz[1:3]), int(ident.tz[3:5])
    zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime.fromtimestamp(ident.timestamp, zone).isoformat()


def parse_when(text: str) -> dt.datetime:
    """An ISO date (meaning the end of that day, UTC) or date-time (naive means UTC)."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"'{text}' is not an ISO date or date-time", hint="write 2026-10-01 or 2026-10-01T12:00:00+02:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
