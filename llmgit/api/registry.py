"""The Python API: one :class:`Registry`. Its methods are the functions of the API's modules
(the way DVC's ``Repo`` takes its methods from ``dvc/repo/*.py``), each composing llmgit's
features over a :class:`~llmgit.store.store.Store`; the CLI calls exactly these methods.

Each API function imports the feature it runs when it runs (start-up: importing every
feature costs a command about 0.1 s more than the one it needs); these imports carry
``noqa: PLC0415`` and import-linter counts them like any other.
"""

from __future__ import annotations

from pathlib import Path

from llmgit.api import mlflow_style, reading, registering, serving, staging, storing
from llmgit.core.config import Settings
from llmgit.store.store import Store


class Registry:
    """A model registry in the git repository containing ``path``.

    A malformed version tag (a summary llmgit will not use) is left out of every listing with
    a :class:`~llmgit.errors.SkippedRecord` warning; ``strict=True`` makes it a
    :class:`~llmgit.errors.BadRecord` error instead. :meth:`malformed` lists them."""

    def __init__(self, path: str | Path = ".", *, strict: bool = False) -> None:
        self._store = Store(path, strict=strict)

    @property
    def store(self) -> Store:
        """The read side every feature takes."""
        return self._store

    @property
    def root(self) -> Path:
        return self._store.root

    @property
    def settings(self) -> Settings:
        return self._store.settings

    # reading (llmgit.api.reading)
    models = reading.models
    malformed = reading.malformed
    versions = reading.versions
    versions_all = reading.versions_all
    get = reading.get
    card = reading.card
    card_markdown = reading.card_markdown
    validate_card = reading.validate_card
    diff = reading.diff
    search = reading.search
    checkout = reading.checkout
    same_weights = reading.same_weights
    stage_branches = reading.stage_branches
    stages = reading.stages
    history = reading.history
    holders_at = reading.holders_at

    # setting up and registering (llmgit.api.registering)
    init = registering.init
    plan_register = registering.plan_register
    register = registering.register
    import_gto = registering.import_gto
    ci_init = registering.ci_init

    # stages (llmgit.api.staging)
    promote = staging.promote
    rollback = staging.rollback
    sync = staging.sync
    guard = staging.guard
    guard_on = staging.guard_on
    review = staging.review
    fetch = staging.fetch

    # weights on the storage remote, and the report (llmgit.api.storing)
    push = storing.push
    pull = storing.pull
    verify = storing.verify
    fsck = storing.fsck
    publish = storing.publish
    pin = storing.pin
    unpin = storing.unpin
    tier = storing.tier
    restore = storing.restore
    lifecycle_plan = storing.lifecycle_plan
    lifecycle_apply = storing.lifecycle_apply
    cost_report = storing.cost_report
    report = storing.report

    # canaries and manifests (llmgit.api.serving)
    ab_start = serving.ab_start
    ab_promote = serving.ab_promote
    ab_abort = serving.ab_abort
    ab_state = serving.ab_state
    ab_status = serving.ab_status
    deploy_render = serving.deploy_render
    deploy_write = staticmethod(serving.deploy_write)
    deploy_validate = staticmethod(serving.deploy_validate)

    # MLflow-style names (llmgit.api.mlflow_style)
    get_model_version = mlflow_style.get_model_version
    search_model_versions = mlflow_style.search_model_versions
    transition_model_version_stage = mlflow_style.transition_model_version_stage
    get_latest_versions = mlflow_style.get_latest_versions
    rollback_to_version = mlflow_style.rollback_to_version
    auto_rollback_if_degraded = mlflow_style.auto_rollback_if_degraded
