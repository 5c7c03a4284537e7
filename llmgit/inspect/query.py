"""What ``versions --filter`` and ``search`` ask for (a cheap module: the CLI imports it at
start-up); :mod:`llmgit.inspect.search` answers it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llmgit.core.refs import ARCHIVED


@dataclass(frozen=True)
class Query:
    """What to search: a filter, an ordering and a limit; ``name`` narrows it to one model."""

    filter: str | None = None
    name: str | None = None
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None
    with_stages: bool = False  # read the stages even when neither filter nor ordering needs them
    order: tuple[tuple[str, bool], ...] = ()  # several (field, descending) keys, first wins

    def keys(self) -> tuple[tuple[str, bool], ...]:
        return self.order or (((self.order_by, self.descending),) if self.order_by else ())


def holding_stage(stages: Sequence[str]) -> str | None:
    """The most advanced stage held (the last in promotion order), else archived, else None."""
    holding = [s for s in stages if s != ARCHIVED]
    if holding:
        return holding[-1]
    return ARCHIVED if ARCHIVED in stages else None
