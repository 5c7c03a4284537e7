"""Changing stages: promote, roll back, sync after a merged pull request, guard, review; and
fetching what others changed. (Methods of :class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.api.facade import Facade

if TYPE_CHECKING:
    from llmgit.infra.gitremote import FetchResult
    from llmgit.stages.guard import GuardResult, LiveGuardResult
    from llmgit.stages.requests import GuardRequest, PromoteRequest
    from llmgit.stages.review import Review
    from llmgit.stages.sync import SyncResult
    from llmgit.store.transitions import TransitionResult


def promote(reg: Facade, request: PromoteRequest) -> TransitionResult:
    """A version into a stage, directly or proposed on a branch for a pull request."""
    from llmgit.stages.promote import promote  # noqa: PLC0415 (start-up)

    return promote(reg.store, request)


def rollback(
    reg: Facade, name: str, *, stage: str = "production", to: str | None = None, reason: str = "", push: bool = False
) -> TransitionResult:
    """A stage back to an earlier version (default: the previous holder)."""
    from llmgit.stages.rollback import rollback  # noqa: PLC0415 (start-up)

    return rollback(reg.store, name, stage=stage, to=to, reason=reason, push=push)


def sync(reg: Facade, push: bool = False) -> SyncResult:
    """Stage tags and the archive from the stage branches (after a promotion merged)."""
    from llmgit.stages.sync import sync  # noqa: PLC0415 (start-up)

    return sync(reg.store, push=push)


def guard(
    reg: Facade,
    name: str,
    *,
    metric: str,
    threshold: float,
    relative: bool = False,
    stage: str = "production",
    metrics_file: Path | None = None,
    apply: bool = False,
    push: bool = False,
) -> GuardResult:
    """The holder's metric (model card, or ``metrics_file``) against the previous holder's."""
    from llmgit.stages import guard  # noqa: PLC0415 (start-up)

    observed = guard.load_observed(metrics_file, reg.store.settings.limits) if metrics_file is not None else None
    return guard.guard(
        reg.store,
        name,
        metric=metric,
        threshold=threshold,
        relative=relative,
        stage=stage,
        observed=observed,
        apply=apply,
        push=push,
    )


def guard_on(reg: Facade, request: GuardRequest) -> GuardResult | LiveGuardResult:
    """``llmgit guard``: on the evidence the request names (cards, a file, or live counts)."""
    from llmgit.stages.guard import run  # noqa: PLC0415 (start-up)

    return run(reg.store, request)


def review(reg: Facade, stage: str, head: str | None = None) -> Review:
    """What a proposed change to a stage branch does, as Markdown for the pull request."""
    from llmgit.stages.review import review  # noqa: PLC0415 (start-up)

    return review(reg.store, stage, head)


def fetch(reg: Facade) -> FetchResult:
    """Stage branches, new version tags and moved stage tags from the git remote."""
    from llmgit.infra.gitremote import fetch  # noqa: PLC0415 (start-up)

    settings = reg.store.require_initialized()
    return fetch(reg.store.root, settings.git_remote, settings.stage_branch_prefix)
