"""``fsck``: the local cache's objects of every version, checked against their names.

Each object is checked by its stat signature (recorded when llmgit wrote or last hashed it)
and hashed again when that changed; ``deep`` hashes every one. A version is ``ok`` (every
object cached and intact), ``not cached`` (none of it here: never pulled, which is fine), or
``damaged``: objects corrupt, or missing while others are here. ``repair`` moves corrupt
objects aside into the cache's quarantine (``<cache>/llmgit-quarantine/``, nothing is
deleted) and fetches good copies of everything a damaged version lacks from the storage
remote, each download checked before it enters the cache.

Without references it also lists the malformed version tags (summaries llmgit will not use,
which listings skip with a warning): they are damage too, in the registry rather than the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.core import dirmanifest
from llmgit.core.model import Malformed, ModelVersion
from llmgit.core.pointer import Pointer
from llmgit.errors import LlmgitError
from llmgit.store import branches, ledger, mlflownotes
from llmgit.store.store import Store
from llmgit.weights import fetch, listing
from llmgit.weights.integrity import QUARANTINE, CacheCheck

OK, NOT_CACHED, DAMAGED, REPAIRED = "ok", "not cached", "damaged", "repaired"


@dataclass(frozen=True)
class VersionFsck:
    version: str  # the tag
    state: str  # ok | not cached | damaged | repaired
    files: int
    missing: tuple[str, ...] = ()  # relpaths (or "(directory manifest)") absent while others are cached
    corrupt: tuple[str, ...] = ()  # relpaths whose object does not hash to its name
    repaired: tuple[str, ...] = ()  # corrupt or missing objects fetched again, checked
    error: str = ""  # why a repair did not finish

    @property
    def ok(self) -> bool:
        return self.state in (OK, NOT_CACHED, REPAIRED)


@dataclass(frozen=True)
class FsckReport:
    versions: tuple[VersionFsck, ...]
    objects: int  # distinct objects checked
    hashed: int  # of which were hashed (signature changed, unknown, or deep)
    quarantine: Path  # where corrupt objects were moved (with repair)
    deep: bool
    malformed: tuple[Malformed, ...] = ()  # version tags llmgit will not use (every listing skips them)
    records: tuple[str, ...] = ()  # malformed stage files, stage entries and ledger records

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.versions) and not self.malformed and not self.records


@dataclass
class _Objects:
    """One version's objects: (label, oid), the manifest first for a directory."""

    pointer: Pointer
    objects: list[tuple[str, str]]
    manifest_bad: bool = False  # the manifest is corrupt: its files are unknown


MANIFEST_LABEL = "(directory manifest)"


def fsck(store: Store, references: list[str], *, deep: bool = False, repair: bool = False) -> FsckReport:
    store.require_initialized()
    scan = store.scan() if not references else None
    versions = scan.versions if scan is not None else [store.get(r) for r in references]
    root = store.root
    check = CacheCheck.of(root, fetch.cache_location(root))
    found = {v.tag: _objects(check, v, deep) for v in versions if v.weights is not None}
    present = [oid for o in found.values() for _, oid in o.objects if check.path(oid).exists()]
    bad = set(check.verify_all(present, deep=deep))
    checked = len(set(present))
    reports = []
    for v in versions:
        if v.tag in found:
            reports.append(_judge(check, v, found[v.tag], bad, repair))
    malformed = tuple(scan.malformed) if scan is not None else ()
    records = (
        ()
        if references
        else (
            *branches.problems(root, store.settings),
            *ledger.problems(root, store.settings.git_remote),
            *mlflownotes.problems(root, store.settings.git_remote),
        )
    )
    return FsckReport(
        tuple(reports), checked, len(set(check.rehashed)), check.cache / QUARANTINE, deep, malformed, tuple(records)
    )


def _objects(check: CacheCheck, v: ModelVersion, deep: bool) -> _Objects:
    if v.weights is None:
        raise ValueError(f"{v.tag} records no weights")
    pointer = listing.pointer_of(v.weights)
    if not pointer.is_dir:
        return _Objects(pointer, [(PurePosixPath(pointer.path).name, pointer.md5)])
    found = _Objects(pointer, [(MANIFEST_LABEL, pointer.oid)])
    path = check.path(pointer.oid)
    if not path.exists():
        return found
    if not check.verified(pointer.oid, deep=deep):
        found.manifest_bad = True
        return found
    try:
        entries = dirmanifest.parse(path.read_bytes(), pointer.oid)
    except (OSError, LlmgitError):
        found.manifest_bad = True
        return found
    found.objects += [(e.relpath, e.md5) for e in entries]
    return found


def _judge(check: CacheCheck, v: ModelVersion, objs: _Objects, bad: set[str], repair: bool) -> VersionFsck:
    files = v.weights.files if v.weights is not None else 0
    corrupt = [label for label, oid in objs.objects if oid in bad or (objs.manifest_bad and label == MANIFEST_LABEL)]
    cached = [label for label, oid in objs.objects if check.path(oid).exists()]
    if not cached:
        return VersionFsck(v.tag, NOT_CACHED, files)
    missing = [label for label, oid in objs.objects if not check.path(oid).exists()]
    if not corrupt and not missing:
        return VersionFsck(v.tag, OK, files)
    if not repair:
        return VersionFsck(v.tag, DAMAGED, files, tuple(missing), tuple(corrupt))
    for label, oid in objs.objects:
        if label in corrupt:
            check.quarantine(oid)
    try:
        fetch.ensure_cached(check.root, check, objs.pointer, v.tag)
        again = _objects(check, v, deep=False)
        left = check.verify_all([oid for _, oid in again.objects])
    except LlmgitError as e:
        return VersionFsck(v.tag, DAMAGED, files, tuple(missing), tuple(corrupt), error=e.message)
    if left or again.manifest_bad:
        return VersionFsck(
            v.tag, DAMAGED, files, tuple(missing), tuple(corrupt), error="objects still fail their check"
        )
    return VersionFsck(v.tag, REPAIRED, files, tuple(missing), tuple(corrupt), repaired=(*corrupt, *missing))
