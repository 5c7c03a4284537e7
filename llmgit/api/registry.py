"""The Python API: one :class:`Registry`. Its methods are the functions of the API's modules
(the way DVC's ``Repo`` takes its methods from ``dvc/repo/*.py``), each composing llmgit's
features over a :class:`~llmgit.store.store.Store`; the CLI calls exactly these methods.

Each API function imports the feature it runs when it runs (start-up: importing every
feature costs a command about 0.1 s more than the one it needs); these imports carry
``noqa: PLC0415`` and import-linter counts them like any other.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from llmgit.api import reading, registering, serving, staging, storing
from llmgit.api.facade import Facade
from llmgit.core.config import Settings
from llmgit.store.store import Store

if TYPE_CHECKING:
    from llmgit.store.serving import Rendering

P = ParamSpec("P")
R = TypeVar("R")


def _writing(
    fn: Callable[Concatenate[Facade, P], R], when: Callable[[Mapping[str, Any]], bool] | None = None
) -> Callable[Concatenate[Registry, P], R]:
    """``fn`` as a method that holds the repository's writer lock (I6) while it runs; with
    ``when``, only for the calls whose arguments (by name, defaults filled in) it accepts."""
    signature = inspect.signature(fn)

    def method(self: Registry, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if when is not None:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            if not when(bound.arguments):
                return fn(self, *args, **kwargs)
        with self.store.lock():
            return fn(self, *args, **kwargs)

    functools.update_wrapper(method, fn)
    return method


def _flag(name: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda arguments: bool(arguments.get(name))


def _write_manifests(reg: Facade, rendering: Rendering, out: Path) -> list[Path]:
    return serving.deploy_write(rendering, out)


class Registry:
    """A model registry in the git repository containing ``path``.

    Methods that write (register, promote, rollback, ...) run one at a time per repository:
    each holds the writer lock (:meth:`Store.lock`); the reading ones take no lock.

    Versions are SemVer strings and results are llmgit's dataclasses; MLflow's client runs on
    the same repository through the MLflow plugin (``docs/migration-mlflow.md``).

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
    details = reading.details
    card = reading.card
    card_markdown = reading.card_markdown
    validate_card = reading.validate_card
    diff = reading.diff
    search = reading.search
    search_details = reading.search_details
    checkout = _writing(reading.checkout, lambda arguments: arguments["to"] is None)  # in place
    same_weights = reading.same_weights
    stage_branches = reading.stage_branches
    stages = reading.stages
    holders = reading.holders
    history = reading.history
    holders_at = reading.holders_at

    # setting up and registering (llmgit.api.registering)
    init = _writing(registering.init)
    plan_register = registering.plan_register
    register = _writing(registering.register)
    import_gto = _writing(registering.import_gto, _flag("apply"))
    ci_init = _writing(registering.ci_init)

    # stages (llmgit.api.staging)
    promote = _writing(staging.promote)
    rollback = _writing(staging.rollback)
    transition = _writing(staging.transition)
    rollback_to_version = _writing(staging.rollback_to_version)
    auto_rollback_if_degraded = _writing(staging.auto_rollback_if_degraded)
    sync = _writing(staging.sync)
    guard = _writing(staging.guard, _flag("apply"))
    guard_on = _writing(staging.guard_on, lambda arguments: bool(arguments["request"].apply))
    review = staging.review
    fetch = staging.fetch

    # weights on the storage remote, and the report (llmgit.api.storing)
    push = _writing(storing.push)
    pull = _writing(storing.pull)
    verify = storing.verify
    fsck = _writing(storing.fsck, _flag("repair"))
    publish = _writing(storing.publish)
    pin = _writing(storing.pin)
    unpin = _writing(storing.unpin)
    tier = _writing(storing.tier)
    restore = _writing(storing.restore)
    lifecycle_plan = storing.lifecycle_plan
    lifecycle_apply = _writing(storing.lifecycle_apply)
    cost_report = storing.cost_report
    report = storing.report

    # canaries and manifests (llmgit.api.serving)
    ab_start = _writing(serving.ab_start)
    ab_promote = _writing(serving.ab_promote)
    ab_abort = _writing(serving.ab_abort)
    ab_state = serving.ab_state
    ab_status = serving.ab_status
    deploy_render = serving.deploy_render
    deploy_write = _writing(_write_manifests)
    deploy_validate = staticmethod(serving.deploy_validate)
