"""What the report shows, read through the :class:`~llmgit.store.store.Store` into frozen
values: models, their versions, who holds each stage, the stage history, and per-version
cards, provenance, weights and the change from the previous version.

Canary shares come from the stage holders' ``canary`` entries; storage classes and monthly
cost per model are given by the caller (from the cost report); both show as unknown when absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmgit.core import history, refs, versions
from llmgit.core.compare import VersionDiff, version_diff, weights_diff
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import parse_when
from llmgit.core.metric_delta import MetricDelta, metric_deltas
from llmgit.core.model import ModelVersion
from llmgit.core.refs import ARCHIVED
from llmgit.errors import LlmgitError, UnknownReference
from llmgit.report.options import ReportOptions
from llmgit.store import cards
from llmgit.store.branches import StageBranch
from llmgit.store.store import Store
from llmgit.weights import listing
from llmgit.weights.listing import WeightFile

PROMOTING = history.HOLDER_ACTIONS


@dataclass(frozen=True)
class Canary:
    stage: str
    version: str
    percent: float | None


@dataclass(frozen=True)
class StorageInfo:
    storage_class: str | None
    monthly_cost: float | None
    currency: str = "USD"


@dataclass(frozen=True)
class VersionReport:
    version: ModelVersion
    stages: tuple[str, ...]  # stages it holds now (and 'archived')
    served: bool  # ever held the serving stage
    card: Mapping[str, Any]
    card_markdown: str
    diff: VersionDiff | None  # against the next lower version by SemVer; None for the first
    first_metrics: tuple[MetricDelta, ...]  # the first version's metrics, as "added"
    manifest: tuple[WeightFile, ...] | None  # None: not read (see manifest_note)
    manifest_note: str


@dataclass(frozen=True)
class ModelReport:
    name: str
    latest: str
    versions: tuple[VersionReport, ...]  # newest (highest SemVer) first
    holders: Mapping[str, str]  # holding stage -> version
    archived: tuple[str, ...]
    canary: Canary | None
    last_promotion: HistoryEvent | None
    storage: StorageInfo | None
    events: tuple[HistoryEvent, ...]  # oldest first, limited by --since
    metrics: tuple[str, ...]  # every metric any version recorded, first seen first
    description: str


@dataclass(frozen=True)
class RegistryReport:
    title: str
    generated: dt.datetime
    stages: tuple[str, ...]  # holding stages in promotion order
    serving_stage: str  # the last holding stage (production by default)
    models: tuple[ModelReport, ...]
    since: dt.datetime | None


def collect(reg: Store, options: ReportOptions, costs: Mapping[str, StorageInfo]) -> RegistryReport:
    settings = reg.require_initialized()
    known = {m.name: m for m in reg.models()}
    for name in options.models:
        if refs.validate_model_name(name) not in known:
            raise UnknownReference(
                f"model '{name}' has no registered versions", hint="'llmgit models' lists the registered models"
            )
    names = sorted(set(options.models)) if options.models else sorted(known)
    branches = reg.stage_branches()
    history = reg.history() if names else []
    serving = settings.stages[-1] if settings.stages else "production"
    models = tuple(
        _model(reg, name, branches, [e for e in history if e.model == name], serving, costs, options) for name in names
    )
    generated = options.generated or dt.datetime.now(dt.timezone.utc)
    return RegistryReport(reg.root.name, generated, tuple(settings.stages), serving, models, options.since)


def _model(
    reg: Store,
    name: str,
    branches: Mapping[str, StageBranch],
    events: list[HistoryEvent],
    serving: str,
    costs: Mapping[str, StorageInfo],
    options: ReportOptions,
) -> ModelReport:
    found = reg.versions(name)
    holders = {
        s: e.version for s, b in branches.items() if s != ARCHIVED and (e := b.file.holders.get(name)) is not None
    }
    archived = tuple(e.version for e in branches[ARCHIVED].file.archived.get(name, ())) if ARCHIVED in branches else ()
    served = {e.version for e in events if e.stage == serving and e.action in history.HOLDER_ACTIONS}
    if serving in holders:
        served.add(holders[serving])
    cards_by_version = {v.version: reg.card(v.tag) for v in found}
    manifests = {v.version: _manifest(reg, v) if options.manifests else (None, NO_MANIFEST) for v in found}
    rows = []
    for i, v in enumerate(found):
        previous = found[i + 1] if i + 1 < len(found) else None
        held = [s for s, version in holders.items() if version == v.version]
        if v.version in archived:
            held.append(ARCHIVED)
        card = cards_by_version[v.version]
        diff = None if previous is None else _diff(reg, previous, v, cards_by_version, manifests)
        files, note = manifests[v.version]
        rows.append(
            VersionReport(
                v,
                tuple(held),
                v.version in served,
                card,
                cards.render_markdown(card, reg.root),
                diff,
                tuple(metric_deltas({}, v.metrics, reg.settings)) if previous is None else (),
                files,
                note,
            )
        )
    promotions = [e for e in events if e.action in PROMOTING and e.stage != ARCHIVED]
    since = options.since
    shown = tuple(e for e in events if since is None or parse_when(e.when) >= since)
    metrics: dict[str, None] = {}  # first seen first (a dict: versions may hold thousands of names)
    for v in reversed(found):
        for m in v.metrics:
            metrics.setdefault(m)
    latest_card = cards_by_version[found[0].version] if found else {}
    return ModelReport(
        name=name,
        latest=found[0].version if found else "",
        versions=tuple(rows),
        holders=holders,
        archived=archived,
        canary=canary_of(branches, name),
        last_promotion=promotions[-1] if promotions else None,
        storage=costs.get(name),
        events=shown,
        metrics=tuple(metrics),
        description=str(latest_card.get("description") or ""),
    )


NO_MANIFEST = "not read (the report was written with --no-manifests)"
Manifest = tuple[tuple[WeightFile, ...] | None, str]


def _manifest(reg: Store, v: ModelVersion) -> Manifest:
    """The version's files from DVC's manifest (local cache, else that one object remotely)."""
    if v.weights is None:
        return None, "this version records no weights"
    try:
        return tuple(listing.manifest(reg.root, v.weights)), ""
    except LlmgitError as e:
        return None, f"not available: {e.message}"


def _diff(
    reg: Store,
    old: ModelVersion,
    new: ModelVersion,
    cards_by_version: Mapping[str, Mapping[str, Any]],
    manifests: Mapping[str, Manifest],
) -> VersionDiff:
    """What changed from ``old`` to ``new``, from what was already read (no more I/O)."""
    (a, note_a), (b, note_b) = manifests[old.version], manifests[new.version]
    weights = weights_diff(old, new, a, b, note_a or note_b)
    return version_diff(old, new, cards_by_version[old.version], cards_by_version[new.version], weights, reg.settings)


def canary_of(branches: Mapping[str, StageBranch], name: str) -> Canary | None:
    """A canary recorded on a holding stage's entry (``canary: {version, percent}``)."""
    for stage, b in branches.items():
        entry = b.file.holders.get(name)
        raw = entry.extra.get("canary") if entry is not None else None
        if isinstance(raw, Mapping) and raw.get("version"):
            percent = raw.get("percent")
            percent = float(percent) if isinstance(percent, (int, float)) else None
            return Canary(stage, str(raw["version"]).removeprefix("v"), percent)
    return None


def storage_by_model(models: list[tuple[str, dict[str, int], float]]) -> dict[str, StorageInfo]:
    """Storage classes and monthly cost per model from (model, bytes by class, $/month) rows."""
    return {
        name: StorageInfo(", ".join(c for c, size in by_class.items() if size) or "nothing stored", monthly)
        for name, by_class, monthly in models
    }


def semver_rank(report: ModelReport) -> dict[str, int]:
    """version -> its position in SemVer order (0 is the oldest); for sorting client-side."""
    ordered = sorted((r.version.version for r in report.versions), key=versions.sort_key)
    return {v: i for i, v in enumerate(ordered)}
