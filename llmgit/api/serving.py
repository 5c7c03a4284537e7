"""Serving: canary A/B tests on a stage, and the KServe and Prometheus manifests for what a
stage serves. (Methods of :class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.api.facade import Facade

if TYPE_CHECKING:
    from llmgit.canary.status import AbStatus
    from llmgit.infra.manifest_checks import Report
    from llmgit.store.canaries import CanaryResult, CanaryState
    from llmgit.store.serving import Rendering


def ab_start(
    reg: Facade,
    name: str,
    candidate: str,
    percent: int,
    *,
    stage: str = "production",
    mode: str | None = None,
    reason: str = "",
    skip_previous_stage: bool = False,
    push: bool = False,
) -> CanaryResult:
    """Send ``percent`` of the stage's traffic to ``candidate`` (recorded on the branch)."""
    from llmgit.canary.ab import start  # noqa: PLC0415 (start-up)

    return start(
        reg.store,
        name,
        candidate,
        percent,
        stage=stage,
        mode=mode,
        reason=reason,
        skip_previous_stage=skip_previous_stage,
        push=push,
    )


def ab_promote(
    reg: Facade, name: str, *, stage: str = "production", reason: str = "", push: bool = False
) -> CanaryResult:
    """The candidate takes the stage; the old holder is archived."""
    from llmgit.canary.ab import promote  # noqa: PLC0415 (start-up)

    return promote(reg.store, name, stage=stage, reason=reason, push=push)


def ab_abort(
    reg: Facade, name: str, *, stage: str = "production", reason: str = "", push: bool = False
) -> CanaryResult:
    """Remove the canary; all traffic goes back to the holder."""
    from llmgit.store.canaries import abort  # noqa: PLC0415 (start-up)

    return abort(reg.store, name, stage=stage, reason=reason, push=push)


def ab_state(reg: Facade, name: str, *, stage: str = "production") -> CanaryState:
    """The stage's holder of ``name`` and its running canary, if any."""
    from llmgit.store.canaries import state  # noqa: PLC0415 (start-up)

    return state(reg.store, name, stage=stage)


def ab_status(
    reg: Facade,
    name: str,
    *,
    prometheus_url: str | None = None,
    window: str = "1h",
    counts_file: Path | None = None,
    stage: str = "production",
    alpha: float | None = None,
    mde: float | None = None,
) -> AbStatus:
    """Per-arm requests and accuracy, the difference with its interval, and a verdict."""
    from llmgit.canary.status import status  # noqa: PLC0415 (start-up)
    from llmgit.infra.counts import gather  # noqa: PLC0415 (start-up)

    limit = reg.store.settings.limits.metrics_bytes if counts_file is not None else 0  # a file's cap only
    found = gather(name, prometheus_url=prometheus_url, window=window, counts_file=counts_file, max_bytes=limit)
    return status(reg.store, name, found, stage=stage, alpha=alpha, mde=mde)


def deploy_render(reg: Facade, name: str, *, stage: str = "production", mode: str | None = None) -> Rendering:
    """The InferenceService and PrometheusRule for what the stage serves now."""
    from llmgit.deploy.render import for_stage  # noqa: PLC0415 (start-up)

    return for_stage(reg.store, name, stage=stage, mode=mode)


def deploy_write(rendering: Rendering, out: Path) -> list[Path]:
    """Write rendered manifests into the directory ``out``."""
    from llmgit.deploy.render import write  # noqa: PLC0415 (start-up)

    return write(rendering, out)


def deploy_validate(path: Path, *, use_promtool: bool = True) -> Report:
    """Offline checks of manifests (no repository needed)."""
    from llmgit.deploy.render import validate  # noqa: PLC0415 (start-up)

    return validate(path, use_promtool=use_promtool)
