"""The canary part of the Python API (a :class:`~llmgit.store.store.Registry` mixin):
A/B tests recorded on the stage branch, their live verdicts, and deploy manifests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmgit.canary.status import AbStatus
    from llmgit.canary.ab import CanaryResult, CanaryState
    from llmgit.store.serving import Rendering
    from llmgit.infra.manifest_checks import Problem
    from llmgit.store.store import Registry


class CanaryApi:
    def _canary_registry(self) -> Registry:
        return self  # type: ignore[return-value]

    def ab_start(self, name: str, candidate: str, percent: int, *, stage: str = "production",
                 mode: str | None = None, reason: str = "", skip_previous_stage: bool = False,
                 push: bool = False) -> CanaryResult:
        """Send ``percent`` of the stage's traffic to ``candidate`` (recorded on the branch)."""
        from llmgit.canary import ab as canary

        return canary.start(self._canary_registry(), name, candidate, percent, stage=stage, mode=mode,
                            reason=reason, skip_previous_stage=skip_previous_stage, push=push)

    def ab_promote(self, name: str, *, stage: str = "production", reason: str = "",
                   push: bool = False) -> CanaryResult:
        """The candidate takes the stage; the old holder is archived."""
        from llmgit.canary import ab as canary

        return canary.promote(self._canary_registry(), name, stage=stage, reason=reason, push=push)

    def ab_abort(self, name: str, *, stage: str = "production", reason: str = "",
                 push: bool = False) -> CanaryResult:
        """Remove the canary; all traffic goes back to the holder."""
        from llmgit.canary import ab as canary

        return canary.abort(self._canary_registry(), name, stage=stage, reason=reason, push=push)

    def ab_state(self, name: str, *, stage: str = "production") -> CanaryState:
        from llmgit.canary import ab as canary

        return canary.state(self._canary_registry(), name, stage=stage)

    def ab_status(self, name: str, *, prometheus_url: str | None = None, window: str = "1h",
                  counts_file: Path | None = None, stage: str = "production",
                  alpha: float | None = None, mde: float | None = None) -> AbStatus:
        """Per-arm requests and accuracy, the difference with its interval, and a verdict."""
        from llmgit.canary import status as abtest

        counts = abtest.gather(name, prometheus_url=prometheus_url, window=window, counts_file=counts_file)
        return abtest.status(self._canary_registry(), name, counts, stage=stage, alpha=alpha, mde=mde)

    def deploy_render(self, name: str, *, stage: str = "production", mode: str | None = None) -> Rendering:
        """The InferenceService and PrometheusRule for what the stage serves now."""
        from llmgit.store import serving as deploy

        return deploy.for_stage(self._canary_registry(), name, stage=stage, mode=mode)

    def deploy_validate(self, path: Path, *, use_promtool: bool = True) -> list[Problem]:
        from llmgit.store import serving as deploy

        return deploy.validate(path, use_promtool=use_promtool)
