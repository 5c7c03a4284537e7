"""The registry calls under the names MLflow's ``MlflowClient`` uses, so MLflow code migrates
by changing imports (``docs/migration-mlflow.md``). :class:`~llmgit.api.registry.Registry`
offers them as methods; each is a thin layer over llmgit's own operations and raises the
same :class:`~llmgit.errors.LlmgitError` (same message) as the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from llmgit.api import staging
from llmgit.api.facade import Facade
from llmgit.core import refs
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UnknownReference, UsageError
from llmgit.inspect.query import Query, holding_stage
from llmgit.stages.requests import PromoteRequest
from llmgit.store.store import Store

# MLflow's sort keys, as llmgit filter fields
_MLFLOW_KEYS = {"version_number": "version", "creation_timestamp": "created", "last_updated_timestamp": "created"}


@dataclass(frozen=True)
class VersionDetails:
    """A registered version with its stages and (read on first use) its model card.

    ``stage`` is the most advanced stage the version holds (``"production"`` when it holds
    both staging and production), ``"archived"`` when it is archived, and ``None`` when it
    never held a stage or left them all; ``stages`` lists every stage it holds.
    """

    name: str
    version: str
    tag: str
    commit: str
    weights: WeightsInfo | None
    metrics: Mapping[str, float | int]
    params: Mapping[str, Any]
    author: str
    created: str
    message: str
    stages: tuple[str, ...]
    root: Path = field(repr=False, compare=False)

    @classmethod
    def of(cls, v: ModelVersion, held: Sequence[str], root: Path) -> VersionDetails:
        return cls(
            v.name,
            v.version,
            v.tag,
            v.commit,
            v.weights,
            dict(v.metrics),
            dict(v.params),
            v.author,
            v.created,
            v.message,
            tuple(held),
            root,
        )

    @property
    def stage(self) -> str | None:
        return holding_stage(self.stages)

    @property
    def current_stage(self) -> str | None:
        """MLflow's name for :attr:`stage`."""
        return self.stage

    @property
    def description(self) -> str:
        return self.message

    @cached_property
    def card(self) -> dict[str, Any]:
        """The model card at the version's tag (read from git, no checkout)."""
        return Store(self.root).card(self.tag)

    @property
    def model_version(self) -> ModelVersion:
        """The plain :class:`~llmgit.core.model.ModelVersion` (what ``Registry.get`` returns)."""
        return ModelVersion(
            self.name,
            self.version,
            self.tag,
            self.commit,
            self.weights,
            self.metrics,
            self.params,
            self.author,
            self.created,
            self.message,
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.model_version.to_json(), "stage": self.stage, "stages": list(self.stages)}


def _version_text(version: str | int) -> str:
    """``"1.0.0"``, ``"v1.0.0"``, ``3`` (the highest 3.x.y) or ``"3.1"`` as a reference suffix."""
    if isinstance(version, bool) or not isinstance(version, (str, int)):
        raise UsageError(f"a version is a string like '1.2.0' or a major number, not {version!r}")
    return str(version).strip()


def _order(order_by: str | Sequence[str] | None) -> tuple[tuple[str, bool], ...]:
    """MLflow's ``["version_number DESC", ...]`` as (llmgit field, descending) pairs."""
    if order_by is None:
        return ()
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    result = []
    for item in items:
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise UsageError(f"cannot order by '{item}'", hint="write a field, optionally followed by ASC or DESC")
        key = _MLFLOW_KEYS.get(words[0], words[0])
        result.append((key, len(words) == 2 and words[1].upper() == "DESC"))
    return tuple(result)


def _details(store: Store, found: Sequence[ModelVersion]) -> list[VersionDetails]:
    from llmgit.inspect.search import stage_map  # noqa: PLC0415 (start-up)

    held = stage_map(store) if found else {}
    return [VersionDetails.of(v, held.get((v.name, v.version), ()), store.root) for v in found]


def get_model_version(reg: Facade, name: str, version: str | int) -> VersionDetails:
    """One version: ``"1.0.0"``, ``"v1.0.0"``, ``3`` (the highest 3.x.y) or ``"3.1"``."""
    refs.validate_model_name(name)
    return _details(reg.store, [reg.store.get(f"{name}@{_version_text(version)}")])[0]


def search_model_versions(
    reg: Facade,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: str | Sequence[str] | None = None,
) -> list[VersionDetails]:
    """Versions matching a filter (``docs/filter-grammar.md``), e.g.
    ``"name='chat-7b' and metrics.accuracy > 0.8 and stage = 'production'"``.

    ``order_by`` takes MLflow's form, ``["version_number DESC"]``, or llmgit fields
    (``"metrics.accuracy DESC"``); without it, by name, newest version first.
    """
    from llmgit.inspect.search import search  # noqa: PLC0415 (start-up)

    query = Query(filter=filter_string, limit=max_results, order=_order(order_by), with_stages=True)
    return [VersionDetails.of(h.version, h.stages, reg.store.root) for h in search(reg.store, query)]


def transition_model_version_stage(
    reg: Facade,
    name: str,
    version: str | int,
    stage: str,
    *,
    reason: str = "",
    archive_existing_versions: bool = True,
    push: bool = False,
) -> VersionDetails:
    """Put a version into a stage now (a direct promotion, like MLflow's; the previous-stage
    rule is not applied). The version it replaces is archived unless it holds another
    stage. Stage names mean what they mean in MLflow, in any case (I9): ``"Staging"``,
    ``"Production"`` (or any configured stage); ``"Archived"`` archives the version (it
    leaves every stage it holds); ``"None"`` takes it out of every stage it holds (the
    version is archived, as when it leaves its last stage)."""
    if not archive_existing_versions:
        raise UsageError(
            "a stage holds one version: the version it replaces is always archived",
            hint="drop archive_existing_versions=False",
        )
    if not isinstance(stage, str):
        raise UsageError(f"a stage is a name like 'Production', not {stage!r}")
    v = get_model_version(reg, name, version)
    wanted = stage.strip().casefold()
    if wanted in (ARCHIVED, "none"):
        from llmgit.stages.retire import retire  # noqa: PLC0415 (start-up)

        reg.store.require_initialized()
        retire(reg.store, v.tag, reason=reason, archive_idle=wanted == ARCHIVED, push=push)
        return get_model_version(reg, name, v.version)
    from llmgit.stages.promote import promote  # noqa: PLC0415 (start-up)

    request = PromoteRequest(v.tag, stage, reason=reason, mode="direct", skip_previous_stage=True, push=push)
    promote(reg.store, request)
    return get_model_version(reg, name, v.version)


def get_latest_versions(reg: Facade, name: str, stages: Sequence[str] | None = None) -> list[VersionDetails]:
    """The version holding each of ``stages`` (in that order; stages nobody holds are left
    out; for ``archived``, the highest archived version). Without ``stages``: the holder of
    every configured stage, then the highest version if it holds none."""
    settings = reg.store.require_initialized()
    refs.validate_model_name(name)
    wanted = [s.lower() for s in stages] if stages is not None else list(settings.stages)
    for s in wanted:
        if s not in settings.all_stages:
            raise UnknownReference(
                f"unknown stage '{s}'", hint=f"stages in llmgit.yaml: {', '.join(settings.all_stages)}"
            )
    all_versions = reg.store.versions(name)
    if not all_versions:
        raise UnknownReference(
            f"model '{name}' has no registered versions", hint="see 'llmgit models' for registered models"
        )
    details = {d.version: d for d in _details(reg.store, all_versions)}
    found: list[VersionDetails] = []
    for s in wanted:
        holders = [d for d in details.values() if s in d.stages]  # newest first
        if holders:
            found.append(holders[0])
    if stages is None:
        newest = details[all_versions[0].version]
        if not [s for s in newest.stages if s != ARCHIVED]:
            found.append(newest)
    return found


def rollback_to_version(
    reg: Facade, name: str, version: str | int, *, reason: str = "", stage: str = "production", push: bool = False
) -> VersionDetails:
    """Move ``stage`` back to ``version`` (``llmgit rollback NAME --to VERSION``)."""
    from llmgit.stages import rollback  # noqa: PLC0415 (start-up)

    target = get_model_version(reg, name, version)
    rollback.rollback(reg.store, name, stage=stage, to=target.version, reason=reason, push=push)
    return get_model_version(reg, name, target.version)


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
    holder's by more than ``threshold``. Returns whether it rolled back; ``Registry.guard``
    gives the whole comparison."""
    result = staging.guard(
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
