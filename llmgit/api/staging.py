"""Changing stages: promote, roll back, sync after a merged pull request, guard, review; the
short forms ``transition``, ``rollback_to_version`` and ``auto_rollback_if_degraded``; and
fetching what others changed. (Methods of :class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.api.facade import Facade
from llmgit.api.reading import VersionDetails, details
from llmgit.core import refs
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UsageError
from llmgit.stages.requests import PromoteRequest

if TYPE_CHECKING:
    from llmgit.infra.gitremote import FetchResult
    from llmgit.stages.guard import GuardResult, LiveGuardResult
    from llmgit.stages.requests import GuardRequest
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


def _reference(name: str, version: str) -> str:
    """``NAME@1.2.0`` from a name and a version (``"1.2.0"``, ``"v1.2.0"``, ``"1.2"``: the highest 1.2.z)."""
    refs.validate_model_name(name)
    if not isinstance(version, str):
        raise UsageError(
            f"a version is a SemVer string like '1.2.0', not {version!r}",
            hint="MLflow's integer versions exist through the MLflow plugin (docs/migration-mlflow.md)",
        )
    return f"{name}@{version.strip()}"


def transition(
    reg: Facade, name: str, version: str, stage: str | None, *, reason: str = "", push: bool = False
) -> VersionDetails:
    """Put a version into ``stage`` now: a direct promotion (``llmgit promote NAME@VERSION --to
    STAGE --direct --skip-staging``: neither the previous-stage rule nor the stage's ``pr``
    mode applies). The version it replaces is archived unless it holds another stage.
    ``"archived"`` archives the version: it leaves every stage it holds. ``None`` takes it out
    of every stage it holds (archived when it held one; a version holding none stays as it
    is). Stage names in any case (I9). Returns the version after the move."""
    if stage is not None and not isinstance(stage, str):
        raise UsageError(f"a stage is a name like 'production', not {stage!r}")
    v = details(reg, _reference(name, version))
    if stage is None or stage.strip().casefold() == ARCHIVED:
        from llmgit.stages.retire import retire  # noqa: PLC0415 (start-up)

        reg.store.require_initialized()
        retire(reg.store, v.tag, reason=reason, archive_idle=stage is not None, push=push)
        return details(reg, v.tag)
    promote(reg, PromoteRequest(v.tag, stage, reason=reason, mode="direct", skip_previous_stage=True, push=push))
    return details(reg, v.tag)


def rollback_to_version(
    reg: Facade, name: str, version: str, *, reason: str = "", stage: str = "production", push: bool = False
) -> VersionDetails:
    """Move ``stage`` back to ``version`` (``llmgit rollback NAME --to VERSION``); returns it."""
    target = details(reg, _reference(name, version))
    rollback(reg, name, stage=stage, to=target.version, reason=reason, push=push)
    return details(reg, target.tag)


def auto_rollback_if_degraded(
    reg: Facade,
    name: str,
    *,
    metric: str,
    threshold: float,
    relative: bool = False,
    stage: str = "production",
    metrics_file: Path | None = None,
    push: bool = False,
) -> bool:
    """``llmgit guard --apply``: roll back when the holder's metric is worse than the previous
    holder's by more than ``threshold``. Returns whether it rolled back; ``guard`` gives the
    whole comparison."""
    result = guard(
        reg,
        name,
        metric=metric,
        threshold=threshold,
        relative=relative,
        stage=stage,
        metrics_file=metrics_file,
        apply=True,
        push=push,
    )
    return result.rollback is not None
