"""What MLflow sees of a model: llmgit's version tags and stages, with the notes of branch
``llmgit/mlflow`` (:mod:`llmgit.core.mlflownotes`) for numbers, descriptions, tags, aliases and
deletions. Read in a few git calls per listing, never one per version."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from llmgit.core import mlflownotes, refs
from llmgit.core.mlflownotes import ModelNotes, VersionNote
from llmgit.core.model import ModelVersion
from llmgit.core.refs import ARCHIVED
from llmgit.infra import gitrefs
from llmgit.store import branches
from llmgit.store import mlflownotes as notes_branch
from llmgit.store.store import Store

NONE, STAGING, PRODUCTION, ARCHIVED_STAGE = "None", "Staging", "Production", "Archived"
LLMGIT_STAGE = {STAGING: "staging", PRODUCTION: "production"}  # MLflow's active stages in llmgit
SEMVER_TAG = "llmgit.version"  # the version tag MLflow shows for llmgit's SemVer version
TAG_TAG = "llmgit.tag"


@dataclass(frozen=True)
class Row:
    """One version as MLflow sees it."""

    note: VersionNote
    version: ModelVersion
    stage: str  # MLflow's name: None, Staging, Production, Archived
    held: tuple[str, ...]  # llmgit's stages it holds

    @property
    def number(self) -> int:
        return self.note.number


@dataclass(frozen=True)
class ModelView:
    name: str
    notes: ModelNotes
    rows: tuple[Row, ...]  # every numbered version, deleted ones too, by number

    @property
    def visible(self) -> bool:
        """MLflow lists it: recorded as created, or holding a version, and not deleted."""
        if self.notes.deleted:
            return False
        return self.notes.created is not None or any(not r.note.deleted for r in self.rows)

    @property
    def live(self) -> list[Row]:
        return [r for r in self.rows if not r.note.deleted]

    def row(self, number: int) -> Row | None:
        for r in self.rows:
            if r.number == number and not r.note.deleted:
                return r
        return None

    @property
    def created(self) -> int:
        times = [created(r) for r in self.rows]
        if self.notes.created is not None:
            return self.notes.created
        return min(times) if times else 0

    @property
    def updated(self) -> int:
        """As MLflow counts it: creating the model or a version, describing the model, a
        stage transition, a deletion (not tags, aliases or a version's description)."""
        times = [self.created, *(created(r) for r in self.rows)]
        if self.notes.updated is not None:
            times.append(self.notes.updated)
        return max(times)


def millis(iso: str) -> int:
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def created(row: Row) -> int:
    """When the version was registered: to the millisecond when registered through MLflow."""
    return row.note.created if row.note.created is not None else millis(row.version.created)


def last_updated(row: Row) -> int:
    return max(created(row), row.note.updated or 0)


def mlflow_stage(held: Sequence[str], note: VersionNote) -> str:
    if "production" in held:
        return PRODUCTION
    if "staging" in held:
        return STAGING
    if ARCHIVED in held and not note.unstaged:
        return ARCHIVED_STAGE
    return NONE


RefKey = tuple[tuple[str, str], ...]


class Cache:
    """What the last reads found, keyed by the refs they were read from (a version tag's
    object, a branch tip): a call whose refs did not move reuses them, so a warm read costs
    one ``git for-each-ref``. Safe across threads (MLflow's server)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[str, tuple[RefKey, list[ModelVersion]]] = {}
        self.stages: tuple[RefKey, dict[tuple[str, str], tuple[str, ...]]] | None = None
        self.notes_key: RefKey | None = None
        self.notes: dict[str, ModelNotes] = {}
        self.notes_all: bool = False


def load(store: Store, names: Sequence[str] | None = None, cache: Cache | None = None) -> dict[str, ModelView]:
    """Every model's view (``names``: only those models), numbering versions the notes do not
    number yet (not recorded until the next write)."""
    settings = store.require_initialized()
    cache = cache or Cache()
    remote = settings.git_remote
    stage_refs = [
        ref
        for s in settings.all_stages
        for ref in (
            refs.HEADS + refs.stage_branch(settings.stage_branch_prefix, s),
            refs.remote_ref(remote, refs.stage_branch(settings.stage_branch_prefix, s)),
        )
    ]
    notes_refs = [refs.HEADS + refs.MLFLOW_BRANCH, refs.remote_ref(remote, refs.MLFLOW_BRANCH)]
    tag_patterns = [refs.TAGS + f"{n}@v*" for n in names] if names is not None else [refs.TAGS]
    found = gitrefs.list_ref_targets(store.root, [*tag_patterns, *stage_refs, *notes_refs])
    tags: dict[str, list[tuple[str, str]]] = {}
    stage_key: list[tuple[str, str]] = []
    notes_key: list[tuple[str, str]] = []
    for t in found:
        if t.ref in stage_refs:
            stage_key.append((t.ref, t.oid))
        elif t.ref in notes_refs:
            notes_key.append((t.ref, t.oid))
        elif (parsed := refs.parse_version_tag(t.ref)) is not None:
            tags.setdefault(parsed.name, []).append((t.ref, t.oid))
    with cache.lock:
        by_name = _versions(store, cache, names, {n: tuple(sorted(k)) for n, k in tags.items()})
        held = _stages(store, cache, tuple(stage_key))
        notes = _notes(store, cache, names, tuple(notes_key))
    wanted = list(names) if names is not None else sorted(set(by_name) | set(notes))
    views = {}
    for name in wanted:
        vs = {v.version: v for v in by_name.get(name, [])}
        model = notes.get(name) or mlflownotes.empty(name)
        model = mlflownotes.number(model, [(v.version, v.created) for v in vs.values()])
        rows = []
        for n in sorted(model.versions.values(), key=lambda n: n.number):
            found_v = vs.get(n.semver)
            if found_v is None:  # a number whose tag is not here (not fetched): not shown
                continue
            h = held.get((name, n.semver), ())
            rows.append(Row(n, found_v, mlflow_stage(h, n), h))
        views[name] = ModelView(name, model, tuple(rows))
    return views


def _versions(
    store: Store, cache: Cache, names: Sequence[str] | None, keys: dict[str, RefKey]
) -> dict[str, list[ModelVersion]]:
    wanted = list(names) if names is not None else list(keys)
    stale = [n for n in wanted if n not in cache.versions or cache.versions[n][0] != keys.get(n, ())]
    if names is None and (stale or set(cache.versions) - set(keys)):
        fresh: dict[str, list[ModelVersion]] = {}
        for v in store.versions_all():
            fresh.setdefault(v.name, []).append(v)
        cache.versions = {n: (keys.get(n, ()), vs) for n, vs in fresh.items()}
    else:
        for n in stale:
            cache.versions[n] = (keys.get(n, ()), store.versions(n) if keys.get(n) else [])
    return {n: cache.versions[n][1] for n in wanted if n in cache.versions}


def _stages(store: Store, cache: Cache, key: RefKey) -> dict[tuple[str, str], tuple[str, ...]]:
    if cache.stages is None or cache.stages[0] != key:
        held: dict[tuple[str, str], list[str]] = {}
        for stage, sb in branches.read_all(store.root, store.settings).items():
            for name in [*sb.file.holders, *sb.file.archived]:
                for v in sb.file.versions_of(name):
                    held.setdefault((name, v), []).append(stage)
        cache.stages = (key, {k: tuple(v) for k, v in held.items()})
    return cache.stages[1]


def _notes(store: Store, cache: Cache, names: Sequence[str] | None, key: RefKey) -> dict[str, ModelNotes]:
    if cache.notes_key != key:
        cache.notes_key, cache.notes, cache.notes_all = key, {}, False
    remote = store.settings.git_remote
    if names is None:
        if not cache.notes_all:
            cache.notes = dict(notes_branch.read_all(store.root, remote).models)
            cache.notes_all = True
        return cache.notes
    missing = [n for n in names if n not in cache.notes]
    if missing and not cache.notes_all:
        cache.notes.update(notes_branch.read(store.root, remote, missing).models)
    return {n: cache.notes.get(n) or mlflownotes.empty(n) for n in names}
