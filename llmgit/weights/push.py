"""Uploading a version's objects to the storage remote (verified on the remote afterwards),
and the check of which of them the remote lacks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmgit.core.model import ModelVersion
from llmgit.errors import CorruptObject, OperationFailed
from llmgit.weights import cache, dvc, fetch, listing, transfer
from llmgit.weights.integrity import CacheCheck
from llmgit.weights.objects import cached
from llmgit.weights.remote import find


def push_version(root: Path, v: ModelVersion, jobs: int | None = None, *, overwrite: bool = False) -> None:
    """Upload a version's weights (as committed at its tag) to the default DVC remote, each
    object's bytes checked against its name as they are read; with ``overwrite``, objects
    the remote has are uploaded again (replacing a damaged copy)."""
    if v.weights is None:
        return
    pointer = listing.pointer_of(v.weights, v.tag)
    settings = dvc.remote_settings(root)
    if settings is None:
        raise OperationFailed("no storage remote is configured", hint="set one: llmgit init --remote PATH|s3://...")
    cache.warn_if_linked(root)
    check = CacheCheck.of(root, fetch.cache_location(root))
    files, manifest = cached(check.cache, pointer)
    present = [f for f in files if f.path.exists()]
    lacking = len(files) - len(present)
    if lacking or (manifest is not None and not manifest.path.exists()):
        manifest = None  # never a manifest on the remote whose files are not all there
    try:
        transfer.push(root, settings, present, manifest, jobs, check=check, overwrite=overwrite)
    except CorruptObject as e:
        raise CorruptObject(
            e.oid,
            e.actual,
            f"{e.where}, of {v.tag}",
            hint="nothing of it was uploaded; restore it from the remote (llmgit fsck --repair), or register "
            "the weights again from a good copy",
        ) from None
    after = remote_check(root, v)
    if after.missing:
        raise OperationFailed(
            f"after pushing {v.tag}, {len(after.missing)} of {after.files} file(s) are still missing "
            f"from the DVC remote{f' (the local cache lacks {lacking})' if lacking else ''}: "
            f"{', '.join(after.missing[:3])}",
            hint="check that this clone's DVC cache has the weights ('llmgit fsck' shows what it lacks)",
        )


@dataclass(frozen=True)
class RemoteCheck:
    files: int
    missing: tuple[str, ...]  # relpaths (or the .dir manifest) absent from the remote


def remote_check(root: Path, v: ModelVersion) -> RemoteCheck:
    """Which objects of a version's weights are missing from the default DVC remote."""
    if v.weights is None:
        return RemoteCheck(0, ())
    w = v.weights
    remote = find(root)
    if remote is None:
        raise OperationFailed("no storage remote is configured", hint="set one: llmgit init --remote PATH|s3://...")
    if not w.is_dir:
        return RemoteCheck(1, () if remote.present([w.md5]) else (Path(w.path).name,))
    if not remote.present([w.md5 + ".dir"]):
        return RemoteCheck(w.files, (f"{w.path} (directory manifest)",))
    files = listing.entries(root, w, remote)
    present = remote.present([e.md5 for e in files])
    return RemoteCheck(len(files), tuple(e.relpath for e in files if e.md5 not in present))
