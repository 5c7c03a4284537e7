"""A version's objects between the local cache and the storage remote: upload (verified
on the remote afterwards), fetch, and the check of what the remote lacks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from llmgit.weights import remote as transport
from llmgit.errors import OperationFailed
from llmgit.core.model import ModelVersion
from llmgit.weights.dvc import (
    ManifestEntry,
    Pointer,
    cache_path,
    dvc_error,
    ensure_cached,
    open_repo,
    read_manifest,
    remote_settings,
    version_objects,
)


def fetch_version(root: Path, v: ModelVersion, jobs: int | None = None) -> None:
    """Bring a version's objects into the local cache (no working-tree change)."""
    if v.weights is None:
        return
    pointer = Pointer(v.weights.path, v.weights.md5, v.weights.is_dir, v.weights.size, v.weights.files)
    with open_repo(root) as repo:
        ensure_cached(repo, pointer, v.commit, jobs=jobs)


def push_version(root: Path, v: ModelVersion, jobs: int | None = None) -> None:
    """Upload a version's weights (as committed at its tag) to the default DVC remote."""
    if v.weights is None:
        return
    pointer = Pointer(v.weights.path, v.weights.md5, v.weights.is_dir, v.weights.size, v.weights.files)
    settings = remote_settings(root)
    if settings is None:
        raise OperationFailed("no storage remote is configured",
                              hint="set one: llmgit init --remote PATH|s3://...")
    with open_repo(root) as repo:
        files, manifest = version_objects(repo, pointer)
        present = [f for f in files if f.path.exists()]
        if len(present) < len(files) or (manifest is not None and not manifest.path.exists()):
            manifest = None  # never a manifest on the remote whose files are not all there
        transport.push(repo, settings, present, manifest, jobs)
    check = remote_check(root, v)
    if check.missing:
        raise OperationFailed(
            f"after pushing {v.tag}, {len(check.missing)} of {check.files} file(s) are still missing "
            f"from the DVC remote: {', '.join(check.missing[:3])}",
            hint="check that this clone's DVC cache has the weights ('llmgit checkout' fetches them)",
        )


@dataclass(frozen=True)
class RemoteCheck:
    files: int
    missing: tuple[str, ...]  # relpaths (or the .dir manifest) absent from the remote


def remote_check(root: Path, v: ModelVersion) -> RemoteCheck:
    """Which objects of a version's weights are missing from the default DVC remote."""
    if v.weights is None:
        return RemoteCheck(0, ())
    pointer = Pointer(v.weights.path, v.weights.md5, v.weights.is_dir, v.weights.size, v.weights.files)
    settings = remote_settings(root)
    with open_repo(root) as repo:
        remote: transport.Remote | None = transport.remote(settings)
        if remote is None:  # a remote only DVC knows how to reach
            try:
                remote = transport.DvcRemote(repo.cloud.get_remote_odb(None, "status"))
            except Exception as e:
                raise dvc_error("remote", e) from None
        if not pointer.is_dir:
            missing = () if remote.present([pointer.md5]) else (Path(pointer.path).name,)
            return RemoteCheck(1, missing)
        dir_oid = pointer.md5 + ".dir"
        if not remote.present([dir_oid]):
            return RemoteCheck(pointer.nfiles, (f"{pointer.path} (directory manifest)",))
        local = cache_path(repo, pointer.md5, True)
        if local.exists():
            entries = read_manifest(local)
        else:
            entries = [ManifestEntry(e["relpath"], e["md5"]) for e in json.loads(remote.read(dir_oid))]
        present = remote.present([e.md5 for e in entries])
        return RemoteCheck(len(entries), tuple(e.relpath for e in entries if e.md5 not in present))
