"""Moving a version's cache objects to and from the storage remote, with byte progress, every
object checked against its name on the way.

S3 remotes go through llmgit's S3 path (:mod:`llmgit.weights.s3transfer`), local directories
through :mod:`llmgit.weights.localmover`; both hash what they move in the same read. Other
remotes and S3 remotes with settings those paths do not handle (server-side encryption,
ACLs, version awareness) go through DVC's own object transfer, with llmgit's check of the
cache objects before an upload and after a download. Either way the files go first and the
directory manifest last, so a reader never finds a manifest whose files are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmgit.errors import CorruptObject, OperationFailed
from llmgit.infra import progress
from llmgit.weights import dvc
from llmgit.weights.callbacks import files_callback
from llmgit.weights.integrity import CacheCheck
from llmgit.weights.localmover import LocalMover
from llmgit.weights.objects import Obj, total
from llmgit.weights.s3transfer import S3Mover

# Remote settings the boto3 path honours; any other key sends the transfer through DVC.
_S3_KEYS = frozenset(
    {
        "url",
        "endpointurl",
        "profile",
        "region",
        "access_key_id",
        "secret_access_key",
        "session_token",
        "jobs",
        "connect_timeout",
        "read_timeout",
    }
)


def boto3_path(settings: dict[str, Any] | None) -> bool:
    if not settings or not str(settings.get("url", "")).startswith("s3://"):
        return False
    return set(settings) <= _S3_KEYS


def local_path(settings: dict[str, Any] | None) -> bool:
    """A plain local-directory remote (DVC's ``url`` is a path, no other setting but jobs)."""
    if not settings or "://" in str(settings.get("url", "")):
        return False
    return set(settings) <= {"url", "jobs"} and Path(str(settings["url"])).is_absolute()


def mover(settings: dict[str, Any] | None, jobs: int | None = None) -> S3Mover | LocalMover | None:
    """The remote through llmgit's own paths (no DVC), or None when only DVC handles it."""
    if settings is not None and boto3_path(settings):
        return S3Mover(settings, jobs)
    if settings is not None and local_path(settings):
        return LocalMover(settings, jobs)
    return None


def push(
    root: Path,
    settings: dict[str, Any],
    files: Sequence[Obj],
    manifest: Obj | None,
    jobs: int | None,
    *,
    check: CacheCheck,
    overwrite: bool = False,
) -> None:
    """Upload the objects the remote lacks (every one given, with ``overwrite``): files,
    then the manifest. The bytes are hashed as they are read and an object whose bytes are
    not its name is refused (:class:`~llmgit.errors.CorruptObject`)."""
    r = mover(settings, jobs)
    if r is not None:
        r.push(files, manifest, overwrite=overwrite)
        return
    objs = [*files, *([manifest] if manifest is not None else [])]
    bad = check.verify_all([o.oid for o in objs])  # DVC uploads what it finds: check it first
    if bad:
        raise CorruptObject(bad[0], "other bytes", f"the local cache ({check.path(bad[0])})")
    _dvc_transfer(root, files, manifest, jobs, upload=True)


def fetch(
    root: Path,
    settings: dict[str, Any] | None,
    files: Sequence[Obj],
    manifest: Obj | None,
    jobs: int | None,
    *,
    check: CacheCheck,
) -> None:
    """Download the given objects (those the cache lacks) into the local cache, each checked
    against its name before it is used (:class:`~llmgit.errors.CorruptObject`: moved aside)."""
    r = mover(settings, jobs)
    if r is not None:
        r.fetch(files, manifest, check)
        return
    _dvc_transfer(root, files, manifest, jobs, upload=False)
    arrived = [o for o in [*([manifest] if manifest is not None else []), *files] if o.path.exists()]
    bad = check.verify_all([o.oid for o in arrived])
    for oid in bad:
        check.quarantine(oid)
    if bad:
        raise CorruptObject(bad[0], "other bytes", str(settings.get("url")) if settings else "the remote")


def _dvc_transfer(root: Path, files: Sequence[Obj], manifest: Obj | None, jobs: int | None, *, upload: bool) -> None:
    from dvc_data.hashfile.db import get_index  # noqa: PLC0415 (heavy third-party, with DVC)
    from dvc_data.hashfile.hash_info import HashInfo  # noqa: PLC0415 (heavy third-party, with DVC)

    with dvc.open_repo(root) as repo:
        try:
            odb = repo.cloud.get_remote_odb(None, "push" if upload else "fetch")
        except Exception as e:
            raise dvc.dvc_error("remote", e) from None
        cache = repo.cache.local
        ids = [HashInfo("md5", o.oid) for o in [*files, *([manifest] if manifest is not None else [])]]
        label = "Uploading" if upload else "Downloading"
        with progress.task(label, total(files)) as bar:
            callback = files_callback(bar, {f.oid: f.size or 0 for f in files})
            try:
                if upload:
                    result = repo.cloud.transfer(
                        cache, odb, ids, jobs=jobs, dest_index=get_index(odb), cache_odb=cache, callback=callback
                    )
                else:
                    result = repo.cloud.transfer(
                        odb,
                        cache,
                        ids,
                        jobs=jobs,
                        src_index=get_index(odb),
                        cache_odb=cache,
                        verify=odb.verify,
                        callback=callback,
                    )
            except Exception as e:
                raise dvc.dvc_error("push" if upload else "fetch", e) from None
    if result.failed:
        raise OperationFailed(f"{len(result.failed)} object(s) failed to {'upload' if upload else 'download'}")
