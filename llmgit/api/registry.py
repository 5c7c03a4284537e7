"""The Python API: one :class:`Registry` whose methods compose llmgit's features over a
:class:`~llmgit.store.store.Store`. The CLI calls exactly these methods.

Each method imports the feature it runs when it runs (start-up: importing every feature
costs a command about 0.1 s more than the one it needs); these imports carry
``noqa: PLC0415`` and import-linter counts them like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import history
from llmgit.core.config import Settings
from llmgit.core.ident import parse_when
from llmgit.core.history import HistoryEvent
from llmgit.core.model import ModelSummary, ModelVersion
from llmgit.errors import LlmgitError, OperationFailed
from llmgit.inspect.query import Query
from llmgit.report.options import ReportOptions
from llmgit.register.request import RegisterRequest
from llmgit.stages.requests import GuardRequest, PromoteRequest
from llmgit.store.branches import StageBranch, check_stage
from llmgit.store.store import Store

if TYPE_CHECKING:
    from llmgit.api.mlflow_style import VersionDetails
    from llmgit.canary.status import AbStatus
    from llmgit.core.compare import VersionDiff
    from llmgit.infra.gitremote import FetchResult
    from llmgit.infra.manifest_checks import Report
    from llmgit.inspect.checkout import CheckoutResult
    from llmgit.inspect.search import Hit
    from llmgit.register.plan import RegisterPlan
    from llmgit.report.build import SiteResult
    from llmgit.setup.ci import CiFiles
    from llmgit.setup.gto_import import GtoImport
    from llmgit.setup.init import InitResult
    from llmgit.stages.guard import GuardResult, LiveGuardResult
    from llmgit.stages.review import Review
    from llmgit.stages.sync import SyncResult
    from llmgit.storage.cost import CostReport
    from llmgit.storage.lifecycle import ApplyResult, LifecyclePlan
    from llmgit.storage.publish import PublishResult
    from llmgit.storage.pushpull import PushResult
    from llmgit.storage.tiering import RestoreResult, TierResult
    from llmgit.storage.verify import VerifyReport
    from llmgit.store.canaries import CanaryResult, CanaryState
    from llmgit.store.serving import Rendering
    from llmgit.store.transitions import TransitionResult


class Registry:
    """A model registry in the git repository containing ``path``."""

    def __init__(self, path: str | Path = ".") -> None:
        self.store = Store(path)

    @property
    def root(self) -> Path:
        return self.store.root

    @property
    def settings(self) -> Settings:
        return self.store.settings

    # -- reading --------------------------------------------------------------------------
    def models(self) -> list[ModelSummary]:
        return self.store.models()

    def versions(self, name: str) -> list[ModelVersion]:
        """All versions of ``name``, newest (highest SemVer) first."""
        return self.store.versions(name)

    def versions_all(self) -> list[ModelVersion]:
        return self.store.versions_all()

    def get(self, reference: str) -> ModelVersion:
        """Resolve ``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ``NAME#STAGE``, ..."""
        return self.store.get(reference)

    def card(self, reference: str) -> dict[str, Any]:
        return self.store.card(reference)

    def card_markdown(self, reference: str) -> str:
        from llmgit.inspect import cards  # noqa: PLC0415 (start-up)
        return cards.markdown(self.store, reference)

    def validate_card(self, reference: str | None = None, file: Path | None = None) -> list[str]:
        from llmgit.inspect import cards  # noqa: PLC0415 (start-up)
        return cards.validate(self.store, reference, file)

    def diff(self, old: str, new: str) -> VersionDiff:
        """Metrics, params, card and weights (file by file) of two references."""
        from llmgit.store.diffs import diff  # noqa: PLC0415 (start-up)
        return diff(self.store, old, new)

    def search(self, query: Query) -> list[Hit]:
        """Versions matching a filter expression (``docs/filter-grammar.md``), ordered and limited."""
        from llmgit.inspect.search import search  # noqa: PLC0415 (start-up)
        return search(self.store, query)

    def checkout(self, reference: str, to: Path | str | None = None, force: bool = False) -> CheckoutResult:
        from llmgit.inspect.checkout import checkout  # noqa: PLC0415 (start-up)
        return checkout(self.store, reference, Path(to) if to is not None else None, force=force)

    def stage_branches(self) -> dict[str, StageBranch]:
        return self.store.stage_branches()

    def stages(self) -> dict[str, dict[str, list[str]]]:
        """model -> stage -> versions holding it (archived may hold several)."""
        return self.store.stages()

    def history(self, name: str | None = None, *, stage: str | None = None) -> list[HistoryEvent]:
        """Stage changes, oldest first (of one model; of one stage)."""
        events = self.store.history(name)
        if stage is not None:
            check_stage(self.settings, stage, holding=False)
            events = [e for e in events if e.stage == stage]
        return events

    def holders_at(self, name: str, when: str, *, stage: str | None = None) -> dict[str, HistoryEvent]:
        """stage -> the event that made its holder current at ``when`` (an ISO date or date-time)."""
        held = history.holders_at(self.history(name, stage=stage), parse_when(when))
        return {s: e for (_, s), e in sorted(held.items())}

    # -- registering ----------------------------------------------------------------------
    def init(self, remote: str | None = None, endpoint_url: str | None = None) -> InitResult:
        from llmgit.setup.init import init  # noqa: PLC0415 (start-up)
        return init(self.store, remote=remote, endpoint_url=endpoint_url)

    def plan_register(self, request: RegisterRequest) -> RegisterPlan:
        """What ``register`` would do (the version, and with ``bump="auto"`` why); changes nothing."""
        from llmgit.register.plan import plan  # noqa: PLC0415 (start-up)
        return plan(self.store, request)

    def register(self, request: RegisterRequest, plan: RegisterPlan | None = None) -> ModelVersion:
        """Register a version (``bump="auto"``: the advised version, from ``plan`` when given);
        with ``request.push``, publish it: weights first, then its tag."""
        from llmgit.register.register import register  # noqa: PLC0415 (start-up)
        if request.version is None and request.bump == "auto":
            request = dataclasses.replace(request, version=(plan or self.plan_register(request)).version)
        v = register(self.store, request)
        if request.push:
            try:
                self.push(v.tag)
            except OperationFailed as e:
                raise OperationFailed(f"{v.tag} is registered here but not published: {e.message}",
                                      hint=f"finish it with: llmgit push {v.tag}") from None
        return v

    def import_gto(self, *, apply: bool = False, stage_map: dict[str, str] | None = None) -> GtoImport:
        """Stage branches and pointers from GTO's tags; a report only unless ``apply``."""
        from llmgit.setup.gto_import import import_gto  # noqa: PLC0415 (start-up)
        return import_gto(self.store, apply=apply, stage_map=stage_map)

    def ci_init(self, *, install: str | None = None, deploy_command: str | None = None,
                force: bool = False) -> CiFiles:
        from llmgit.setup.ci import init_github  # noqa: PLC0415 (start-up)
        return init_github(self.store, install=install, deploy_command=deploy_command, force=force)

    # -- stages ---------------------------------------------------------------------------
    def promote(self, request: PromoteRequest) -> TransitionResult:
        from llmgit.stages.promote import promote  # noqa: PLC0415 (start-up)
        return promote(self.store, request)

    def rollback(self, name: str, *, stage: str = "production", to: str | None = None,
                 reason: str = "", push: bool = False) -> TransitionResult:
        from llmgit.stages.rollback import rollback  # noqa: PLC0415 (start-up)
        return rollback(self.store, name, stage=stage, to=to, reason=reason, push=push)

    def sync(self, push: bool = False) -> SyncResult:
        from llmgit.stages.sync import sync  # noqa: PLC0415 (start-up)
        return sync(self.store, push=push)

    def guard(self, name: str, *, metric: str, threshold: float, relative: bool = False,
              stage: str = "production", metrics_file: Path | None = None, apply: bool = False,
              push: bool = False) -> GuardResult:
        """The holder's metric (model card, or ``metrics_file``) against the previous holder's."""
        from llmgit.stages import guard  # noqa: PLC0415 (start-up)
        observed = guard.load_observed(metrics_file) if metrics_file is not None else None
        return guard.guard(self.store, name, metric=metric, threshold=threshold, relative=relative,
                           stage=stage, observed=observed, apply=apply, push=push)

    def guard_on(self, request: GuardRequest) -> GuardResult | LiveGuardResult:
        """``llmgit guard``: on the evidence the request names (cards, a file, or live counts)."""
        from llmgit.stages.guard import run  # noqa: PLC0415 (start-up)
        return run(self.store, request)

    def review(self, stage: str, head: str | None = None) -> Review:
        from llmgit.stages.review import review  # noqa: PLC0415 (start-up)
        return review(self.store, stage, head)

    def fetch(self) -> FetchResult:
        from llmgit.infra.gitremote import fetch  # noqa: PLC0415 (start-up)
        settings = self.store.require_initialized()
        return fetch(self.root, settings.git_remote, settings.stage_branch_prefix)

    # -- storage --------------------------------------------------------------------------
    def push(self, *references: str, jobs: int | None = None) -> PushResult:
        """Upload weights (verified), then push their tags; none given: everything."""
        from llmgit.storage.pushpull import push  # noqa: PLC0415 (start-up)
        return push(self.store, list(references), jobs=jobs)

    def pull(self, reference: str, jobs: int | None = None) -> ModelVersion:
        """Bring a version's weights into the local cache (fails fast on archived weights)."""
        from llmgit.storage.pushpull import pull  # noqa: PLC0415 (start-up)
        return pull(self.store, reference, jobs=jobs)

    def verify(self, *references: str, deep: bool = False) -> list[VerifyReport]:
        """Check each object of the versions (all when none given) on the remote."""
        from llmgit.storage.verify import verify  # noqa: PLC0415 (start-up)
        return verify(self.store, list(references), deep=deep)

    def publish(self, reference: str, to: str, *, push: bool = False) -> PublishResult:
        """A readable copy at ``to/NAME/vX.Y.Z/`` with a manifest, recorded in the ledger."""
        from llmgit.storage.publish import publish  # noqa: PLC0415 (start-up)
        return publish(self.store, reference, to, push=push)

    def pin(self, reference: str, reason: str = "", *, push: bool = False) -> bool:
        """Exempt a version from lifecycle rules; False when it already was."""
        from llmgit.storage.tiering import set_pin  # noqa: PLC0415 (start-up)
        return set_pin(self.store, reference, True, reason, push=push)

    def unpin(self, reference: str, *, push: bool = False) -> bool:
        from llmgit.storage.tiering import set_pin  # noqa: PLC0415 (start-up)
        return set_pin(self.store, reference, False, push=push)

    def tier(self, reference: str, storage_class: str) -> TierResult:
        """Move a version's own objects to another S3 storage class."""
        from llmgit.storage.tiering import tier  # noqa: PLC0415 (start-up)
        return tier(self.store, reference, storage_class)

    def restore(self, reference: str, days: int = 7) -> RestoreResult:
        """Start restoring a version's archived objects; reports each one's state."""
        from llmgit.storage.tiering import restore  # noqa: PLC0415 (start-up)
        return restore(self.store, reference, days)

    def lifecycle_plan(self) -> LifecyclePlan:
        """What the retention rules would do now; changes nothing."""
        from llmgit.storage.lifecycle import plan  # noqa: PLC0415 (start-up)
        return plan(self.store)

    def lifecycle_apply(self, *, push: bool = False) -> ApplyResult:
        from llmgit.storage.lifecycle import apply  # noqa: PLC0415 (start-up)
        return apply(self.store, push=push)

    def cost_report(self) -> CostReport:
        """Bytes and $/month by storage class and by model, and the plan's saving."""
        from llmgit.storage.cost import report  # noqa: PLC0415 (start-up)
        return report(self.store)

    def report(self, out: Path, options: ReportOptions) -> SiteResult:
        """The static HTML report, with storage classes and cost per model when they can be read."""
        from llmgit.report.build import publish  # noqa: PLC0415 (start-up)
        from llmgit.report.collect import storage_by_model  # noqa: PLC0415 (start-up)
        try:
            rows = [(m.model, m.bytes_by_class, m.monthly) for m in self.cost_report().models]
        except LlmgitError:
            rows = []
        return publish(self.store, out, options, storage_by_model(rows))

    # -- canaries and deployment ----------------------------------------------------------
    def ab_start(self, name: str, candidate: str, percent: int, *, stage: str = "production",
                 mode: str | None = None, reason: str = "", skip_previous_stage: bool = False,
                 push: bool = False) -> CanaryResult:
        """Send ``percent`` of the stage's traffic to ``candidate`` (recorded on the branch)."""
        from llmgit.canary.ab import start  # noqa: PLC0415 (start-up)
        return start(self.store, name, candidate, percent, stage=stage, mode=mode, reason=reason,
                     skip_previous_stage=skip_previous_stage, push=push)

    def ab_promote(self, name: str, *, stage: str = "production", reason: str = "",
                   push: bool = False) -> CanaryResult:
        """The candidate takes the stage; the old holder is archived."""
        from llmgit.canary.ab import promote  # noqa: PLC0415 (start-up)
        return promote(self.store, name, stage=stage, reason=reason, push=push)

    def ab_abort(self, name: str, *, stage: str = "production", reason: str = "",
                 push: bool = False) -> CanaryResult:
        """Remove the canary; all traffic goes back to the holder."""
        from llmgit.store.canaries import abort  # noqa: PLC0415 (start-up)
        return abort(self.store, name, stage=stage, reason=reason, push=push)

    def ab_state(self, name: str, *, stage: str = "production") -> CanaryState:
        from llmgit.store.canaries import state  # noqa: PLC0415 (start-up)
        return state(self.store, name, stage=stage)

    def ab_status(self, name: str, *, prometheus_url: str | None = None, window: str = "1h",
                  counts_file: Path | None = None, stage: str = "production",
                  alpha: float | None = None, mde: float | None = None) -> AbStatus:
        """Per-arm requests and accuracy, the difference with its interval, and a verdict."""
        from llmgit.canary.status import status  # noqa: PLC0415 (start-up)
        from llmgit.infra.counts import gather  # noqa: PLC0415 (start-up)
        found = gather(name, prometheus_url=prometheus_url, window=window, counts_file=counts_file)
        return status(self.store, name, found, stage=stage, alpha=alpha, mde=mde)

    def deploy_render(self, name: str, *, stage: str = "production", mode: str | None = None) -> Rendering:
        """The InferenceService and PrometheusRule for what the stage serves now."""
        from llmgit.deploy.render import for_stage  # noqa: PLC0415 (start-up)
        return for_stage(self.store, name, stage=stage, mode=mode)

    @staticmethod
    def deploy_write(rendering: Rendering, out: Path) -> list[Path]:
        """Write rendered manifests into the directory ``out``."""
        from llmgit.deploy.render import write  # noqa: PLC0415 (start-up)
        return write(rendering, out)

    @staticmethod
    def deploy_validate(path: Path, *, use_promtool: bool = True) -> Report:
        """Offline checks of manifests (no repository needed)."""
        from llmgit.deploy.render import validate  # noqa: PLC0415 (start-up)
        return validate(path, use_promtool=use_promtool)

    # -- MLflow-style names (llmgit.api.mlflow_style) -----------------------------------
    def get_model_version(self, name: str, version: str | int) -> VersionDetails:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.get_model_version(self.store, name, version)

    def search_model_versions(self, filter_string: str | None = None, max_results: int | None = None,
                              order_by: str | Sequence[str] | None = None) -> list[VersionDetails]:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.search_model_versions(self.store, filter_string, max_results, order_by)

    def transition_model_version_stage(self, name: str, version: str | int, stage: str, *, reason: str = "",
                                       archive_existing_versions: bool = True, push: bool = False) -> VersionDetails:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.transition_model_version_stage(
            self.store, name, version, stage, reason=reason, archive_existing_versions=archive_existing_versions,
            push=push)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[VersionDetails]:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.get_latest_versions(self.store, name, stages)

    def rollback_to_version(self, name: str, version: str | int, *, reason: str = "",
                            stage: str = "production", push: bool = False) -> VersionDetails:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.rollback_to_version(self.store, name, version, reason=reason, stage=stage, push=push)

    def auto_rollback_if_degraded(self, name: str, *, metric: str, threshold: float, relative: bool = False,
                                  stage: str = "production", metrics_file: Path | None = None,
                                  push: bool = False) -> bool:
        from llmgit.api import mlflow_style  # noqa: PLC0415 (start-up)
        return mlflow_style.auto_rollback_if_degraded(
            self.store, name, metric=metric, threshold=threshold, relative=relative, stage=stage,
            metrics_file=metrics_file, push=push)
