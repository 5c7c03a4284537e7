"""What the report shows, read in one pass over git into frozen values.

:func:`scan` reads the registry's light state: every version tag with one ``for-each-ref``,
the stage branches and their history, and the blob id and size of every version's model card
with one ``cat-file --batch-check``. That is enough to say what each page is built from (its
key, :mod:`llmgit.report.keys`) before any card is read. :func:`details` then reads what the
pages to write need: their cards with one ``cat-file --batch`` and their DVC directory
manifests straight from the local cache (else that one object from the storage remote), never
through DVC itself.

Canary shares come from the stage holders' ``canary`` entries; storage classes and monthly
cost per model are given by the caller (:mod:`llmgit.report.tiles`); both show as unknown when absent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from llmgit.core import dirmanifest, history, refs, versions
from llmgit.core.compare import VersionDiff, version_diff, weights_diff
from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import parse_when
from llmgit.core.metric_delta import MetricDelta, metric_deltas
from llmgit.core.model import ModelVersion
from llmgit.core.refs import ARCHIVED
from llmgit.errors import CorruptObject, InputError, LlmgitError, OperationFailed, UnknownReference
from llmgit.infra import forked, git
from llmgit.report.cardmd import CardMarkdown
from llmgit.report.options import ReportOptions
from llmgit.report.remembered import CardBlobs, Descriptions
from llmgit.store import cards, historycache
from llmgit.store.branches import StageBranch
from llmgit.store.store import Store
from llmgit.weights import cache, listing
from llmgit.weights.listing import WeightFile
from llmgit.weights.remote import StorageRemote, find

PROMOTING = history.HOLDER_ACTIONS
CARD_SHARE = 500  # cards parsed per worker at least (:mod:`llmgit.infra.forked`)
NO_MANIFEST = "not read (the report was written with --no-manifests)"
Manifest = tuple[tuple[WeightFile, ...] | None, str]


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
class CardBlob:
    """Where a version's model card is: its blob id and size (None: the version has none)."""

    blob: str | None
    size: int = 0


@dataclass(frozen=True)
class VersionRow:
    """A version as the model page lists it (no card needed)."""

    version: ModelVersion
    stages: tuple[str, ...]  # stages it holds now (and 'archived')
    served: bool  # ever held the serving stage
    card: CardBlob = field(default=CardBlob(None), compare=False)


@dataclass(frozen=True)
class VersionReport:
    """A version with everything its own page shows."""

    version: ModelVersion
    stages: tuple[str, ...]
    served: bool
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
    versions: tuple[VersionRow, ...]  # newest (highest SemVer) first
    holders: Mapping[str, str]  # holding stage -> version
    archived: tuple[str, ...]
    canary: Canary | None
    last_promotion: HistoryEvent | None
    storage: StorageInfo | None
    events: tuple[HistoryEvent, ...]  # oldest first, limited by --since
    metrics: tuple[str, ...]  # every metric any version recorded, first seen first
    params: tuple[str, ...]  # every parameter any version recorded, first seen first
    description: str = ""  # from the latest version's card (filled in by :func:`describe`)


@dataclass(frozen=True)
class RegistryReport:
    title: str
    generated: dt.datetime
    stages: tuple[str, ...]  # holding stages in promotion order
    serving_stage: str  # the last holding stage (production by default)
    models: tuple[ModelReport, ...]
    since: dt.datetime | None


# the storage tiles by model, or what computes them from the versions shown
Costs = Mapping[str, StorageInfo] | Callable[[list[ModelVersion]], Mapping[str, StorageInfo]]


def scan(reg: Store, options: ReportOptions, costs: Costs) -> RegistryReport:
    """The registry's light state: refs, stages, history and where each card is (no card read)."""
    settings = reg.require_initialized()
    by_name: dict[str, list[ModelVersion]] = {}
    for v in reg.versions_all():  # one for-each-ref for every version tag
        by_name.setdefault(v.name, []).append(v)
    for name in options.models:
        if refs.validate_model_name(name) not in by_name:
            raise UnknownReference(
                f"model '{name}' has no registered versions", hint="'llmgit models' lists the registered models"
            )
    names = sorted(set(options.models)) if options.models else sorted(by_name)
    wanted = [v for name in names for v in by_name[name]]
    specs = [f"{v.commit}:{refs.card_path(v.name)}" for v in wanted]
    remembered = CardBlobs(reg.root)
    with ThreadPoolExecutor(1) as pool:
        # one cat-file --batch-check for the cards not remembered: git walks the commits' trees
        # while this thread reads the stage history
        sizing = pool.submit(remembered.sizes, reg.root, specs)
        branches = reg.stage_branches()
        events_by_model: dict[str, list[HistoryEvent]] = {}
        if names:
            reg.require_history()
        for e in historycache.read(reg.root, settings) if names else []:
            events_by_model.setdefault(e.model, []).append(e)
        found = sizing.result()
    if callable(costs):
        costs = costs(wanted)
    serving = settings.stages[-1] if settings.stages else "production"
    if not options.models:  # a report of some models keeps what the next full one needs
        remembered.save()
    blobs = {v.tag: CardBlob(*hit) if (hit := found[s]) else CardBlob(None) for v, s in zip(wanted, specs, strict=True)}
    models = tuple(
        _model(name, by_name[name], blobs, branches, events_by_model.get(name, []), serving, costs, options)
        for name in names
    )
    generated = options.generated or dt.datetime.now(dt.timezone.utc)
    return RegistryReport(reg.root.name, generated, tuple(settings.stages), serving, models, options.since)


def _model(
    name: str,
    found: list[ModelVersion],
    blobs: Mapping[str, CardBlob],
    branches: Mapping[str, StageBranch],
    events: list[HistoryEvent],
    serving: str,
    costs: Mapping[str, StorageInfo],
    options: ReportOptions,
) -> ModelReport:
    found = sorted(found, key=lambda v: versions.parse(v.version), reverse=True)
    holders = {
        s: e.version for s, b in branches.items() if s != ARCHIVED and (e := b.file.holders.get(name)) is not None
    }
    archived = tuple(e.version for e in branches[ARCHIVED].file.archived.get(name, ())) if ARCHIVED in branches else ()
    served = {e.version for e in events if e.stage == serving and e.action in history.HOLDER_ACTIONS}
    if serving in holders:
        served.add(holders[serving])
    rows = []
    for v in found:
        held = [s for s, version in holders.items() if version == v.version]
        if v.version in archived:
            held.append(ARCHIVED)
        rows.append(VersionRow(v, tuple(held), v.version in served, blobs.get(v.tag, CardBlob(None))))
    promotions = [e for e in events if e.action in PROMOTING and e.stage != ARCHIVED]
    since = options.since
    shown = tuple(e for e in events if since is None or parse_when(e.when) >= since)
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
        metrics=_first_seen(v.metrics for v in reversed(found)),
        params=_first_seen(v.params for v in reversed(found)),
    )


def _first_seen(keys: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}  # a dict: versions may hold thousands of names
    for mapping in keys:
        for k in mapping:
            seen.setdefault(k)
    return tuple(seen)


class Reader:
    """Reads cards and manifests for the pages being written, each at most once."""

    def __init__(self, reg: Store, options: ReportOptions) -> None:
        self.root = reg.root
        self.settings: Settings = reg.settings
        self.options = options
        self._cards: dict[str, dict[str, Any]] = {}
        self._manifests_here: frozenset[str] | None = None
        self._manifests: dict[str, Manifest] = {}
        self._local: Path | None = None
        self._remote: tuple[StorageRemote | None] | None = None
        self._markdown = CardMarkdown(reg.root)
        self.descriptions = Descriptions(reg.root)

    # -- cards ----------------------------------------------------------------------------
    def load_cards(self, rows: Iterable[VersionRow]) -> None:
        """Read the cards of ``rows`` not read yet, in one ``cat-file --batch``."""
        limit = self.settings.limits.card_bytes
        todo = {r.card.blob: r for r in rows if r.card.blob is not None and r.card.blob not in self._cards}
        for r in todo.values():
            if r.card.size > limit:  # refused before it is read
                raise InputError(
                    f"{r.version.tag}:{refs.card_path(r.version.name)} is {r.card.size} bytes, above the limit of {limit}",
                    hint="the cap is a setting: limits.card_bytes in llmgit.yaml",
                )
        bounds = replace(cards.LIMITS, max_bytes=limit)
        read = git.read_blobs(self.root, sorted(b for b in todo if b is not None))
        texts = [
            (blob, data or b"{}", f"{todo[blob].version.tag}:{refs.card_path(todo[blob].version.name)}")
            for blob, data in read.items()
        ]

        def parse(share: Sequence[tuple[str, bytes, str]]) -> dict[str, dict[str, Any]]:
            return {blob: cards.parse(data, where, bounds) for blob, data, where in share}

        for parsed in forked.map_shares(parse, texts, min_share=CARD_SHARE):  # YAML is slow: on every core
            self._cards.update(parsed)

    def card(self, row: VersionRow) -> Mapping[str, Any]:
        if row.card.blob is None:  # a tag llmgit did not write (GTO's) gets the store's synthesised card
            return cards.synthesised(self.root, row.version) if row.version.weights is None else {}
        if row.card.blob not in self._cards:
            self.load_cards([row])
        return self._cards[row.card.blob]

    # -- manifests ------------------------------------------------------------------------
    def manifest(self, v: ModelVersion) -> Manifest:
        """The version's files from DVC's manifest (local cache, else that one object remotely)."""
        if not self.options.manifests:
            return None, NO_MANIFEST
        if v.weights is None:
            return None, "this version records no weights"
        key = f"{v.weights.md5}:{v.weights.is_dir}:{v.weights.path}"
        if key not in self._manifests:
            self._manifests[key] = self._read_manifest(v)
        return self._manifests[key]

    def _read_manifest(self, v: ModelVersion) -> Manifest:
        w = v.weights
        assert w is not None
        local = self._local_dir()
        try:
            listing.pointer_of(w, v.tag)
            if w.is_dir:
                oid = w.md5 + ".dir"
                found = [e for e in dirmanifest.parse(self._object(oid), oid)]
            else:
                found = [dirmanifest.ManifestEntry(PurePosixPath(w.path).name, w.md5, w.size)]
        except LlmgitError as e:
            return None, f"not available: {e.message}"
        return tuple(
            WeightFile(e.relpath, e.md5, e.size if e.size is not None else cache.object_size(local, e.md5))
            for e in found
        ), ""

    def _local_dir(self) -> Path:
        if self._local is None:
            self._local = cache.local_dir(self.root)
        return self._local

    def _object(self, oid: str) -> bytes:
        """A ``.dir`` object from the local cache when it is there and whole, else from the
        storage remote (found once per report)."""
        try:
            data = cache.object_path(self._local_dir(), oid).read_bytes()
            if hashlib.md5(data).hexdigest() == oid.removesuffix(".dir"):  # noqa: S324 (DVC's content address)
                return data
        except OSError:
            pass
        if self._remote is None:
            self._remote = (find(self.root),)
        remote = self._remote[0]
        fetched = remote.read(oid) if remote is not None else None
        if fetched is None:
            raise OperationFailed(
                f"DVC object {oid} is neither in the local cache nor on the remote",
                hint="push it from the machine that registered the version ('llmgit push')",
            )
        if (actual := hashlib.md5(fetched).hexdigest()) != oid.removesuffix(".dir"):  # noqa: S324
            raise CorruptObject(oid, actual, remote.url if remote is not None else "the remote")
        return fetched

    def cached_manifest(self, row: VersionRow) -> str:
        """What a version's file list depends on besides its tag: whether its manifest is in
        the local cache (a page built without it is built again once it is there)."""
        v = row.version
        if not self.options.manifests or v.weights is None or not v.weights.is_dir:
            return "-"
        return "cached" if v.weights.md5 + ".dir" in self._cached_manifests() else "absent"

    def _cached_manifests(self) -> frozenset[str]:
        """The ``.dir`` objects in the local cache (``MD5.dir``), from one pass over its folders
        rather than a ``stat`` per version."""
        if self._manifests_here is None:
            top = cache.object_path(self._local_dir(), "0" * 32 + ".dir").parent.parent
            found: set[str] = set()
            try:
                with os.scandir(top) as folders:
                    for folder in folders:
                        if len(folder.name) == 2 and folder.is_dir(follow_symlinks=False):
                            with os.scandir(folder.path) as entries:
                                found.update(
                                    folder.name + e.name
                                    for e in entries
                                    if e.name.endswith(".dir") and e.is_file(follow_symlinks=False)
                                )
            except OSError:  # no cache yet: nothing is cached
                pass
            self._manifests_here = frozenset(found)
        return self._manifests_here

    # -- pages' values --------------------------------------------------------------------
    def describe(self, model: ModelReport) -> ModelReport:
        """``model`` with its description, from the latest version's card."""
        if not model.versions:
            return model
        return replace(model, description=self.description(model.versions[0]))

    def description(self, row: VersionRow) -> str:
        """The card's description (remembered by blob id: :mod:`llmgit.report.remembered`)."""
        blob = row.card.blob
        if blob is None:
            return ""
        found = self.descriptions.get(blob)
        if found is None:
            found = str(self.card(row).get("description") or "")
            self.descriptions.put(blob, found)
        return found

    def knows_description(self, row: VersionRow) -> bool:
        return row.card.blob is None or self.descriptions.get(row.card.blob) is not None

    def version(self, model: ModelReport, index: int) -> VersionReport:
        """Everything the page of ``model.versions[index]`` shows."""
        row = model.versions[index]
        previous = model.versions[index + 1] if index + 1 < len(model.versions) else None
        v = row.version
        card = self.card(row)
        diff = None
        if previous is not None:
            (a, note_a), (b, note_b) = self.manifest(previous.version), self.manifest(v)
            weights = weights_diff(previous.version, v, a, b, note_a or note_b)
            diff = version_diff(previous.version, v, self.card(previous), card, weights, self.settings)
        files, note = self.manifest(v)
        return VersionReport(
            v,
            row.stages,
            row.served,
            card,
            self._markdown.render(card),
            diff,
            tuple(metric_deltas({}, v.metrics, self.settings)) if previous is None else (),
            files,
            note,
        )


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


def semver_rank(report: ModelReport) -> dict[str, int]:
    """version -> its position in SemVer order (0 is the oldest); for sorting client-side."""
    ordered = sorted((r.version.version for r in report.versions), key=versions.sort_key)
    return {v: i for i, v in enumerate(ordered)}
