"""Moving a version's cache objects to and from the storage remote, with byte progress.

S3 remotes go through boto3's transfer manager: parallel multipart uploads, downloads of
whole objects in parallel (byte ranges only when a version has fewer files than requests
in flight), ``jobs`` requests at once. Other remotes (a local directory, ...) and S3
remotes with settings this path does not handle (server-side encryption, ACLs, version
awareness) go through DVC's own object transfer. Either way the files go first and the
directory manifest last, so a reader never finds a manifest whose files are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.errors import OperationFailed
from llmgit.infra import progress
from llmgit.weights import linking
from llmgit.weights.cache import relative_path
from llmgit.weights.callbacks import files_callback
from llmgit.weights.dvc import dvc_error
from llmgit.weights.objects import LOCAL_JOBS, READ_ONLY, Obj, jobs_for, total
from llmgit.weights.s3transfer import S3Mover

if TYPE_CHECKING:
    from dvc.repo import Repo

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


def push(repo: Repo, settings: dict[str, Any], files: Sequence[Obj], manifest: Obj | None, jobs: int | None) -> None:
    """Upload the objects the remote lacks: files, then the manifest."""
    r = mover(settings, jobs)
    if r is not None:
        r.push(files, manifest)
    else:
        _dvc_transfer(repo, files, manifest, jobs, upload=True)


def fetch(
    repo: Repo, settings: dict[str, Any] | None, files: Sequence[Obj], manifest: Obj | None, jobs: int | None
) -> None:
    """Download the given objects (those the cache lacks) into the local cache."""
    r = mover(settings, jobs)
    if r is not None:
        r.fetch(files, manifest)
    else:
        _dvc_transfer(repo, files, manifest, jobs, upload=False)


class LocalMover:
    """A local-directory remote: the kernel copies each object (no user-space buffer) under a
    temporary name, then renames it, ``jobs`` files at once."""

    def __init__(self, settings: dict[str, Any], jobs: int | None) -> None:
        self.url = str(settings["url"])
        self.base = Path(self.url)
        self.jobs = jobs_for(settings, jobs) or LOCAL_JOBS

    def path(self, oid: str) -> Path:
        return self.base / relative_path(oid)

    def present(self, oids: Sequence[str]) -> set[str]:
        return {o for o in oids if self.path(o).is_file()}

    def read(self, oid: str) -> bytes | None:
        try:
            return self.path(oid).read_bytes()
        except FileNotFoundError:
            return None

    def push(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        todo = [f for f in files if not self.path(f.oid).exists()]
        mode = linking.new_file_mode()
        self._copy("Uploading", [(f.path, self.path(f.oid)) for f in todo], total(todo), mode)
        if manifest is not None and not self.path(manifest.oid).exists():
            self._copy("Uploading", [(manifest.path, self.path(manifest.oid))], 0, mode)

    def fetch(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        if manifest is not None and not manifest.path.exists() and self.path(manifest.oid).exists():
            self._copy("Downloading", [(self.path(manifest.oid), manifest.path)], 0, READ_ONLY)
        there = [
            Obj(f.oid, f.path, self.path(f.oid).stat().st_size) for f in files if self.path(f.oid).is_file()
        ]  # the rest: the caller says so
        self._copy("Downloading", [(self.path(f.oid), f.path) for f in there], total(there), READ_ONLY)

    def _copy(self, label: str, pairs: list[linking.Pair], total: int, mode: int) -> None:
        if not pairs:
            return
        with progress.task(label, total) as bar:
            try:
                linking.copy_files(pairs, mode, threads=self.jobs, progress=bar.advance)
            except OSError as e:
                raise OperationFailed(f"copying '{e.filename}' ({self.url}) failed: {e.strerror or e}") from None


def _dvc_transfer(repo: Repo, files: Sequence[Obj], manifest: Obj | None, jobs: int | None, *, upload: bool) -> None:
    from dvc_data.hashfile.db import get_index  # noqa: PLC0415 (heavy third-party, with DVC)
    from dvc_data.hashfile.hash_info import HashInfo  # noqa: PLC0415 (heavy third-party, with DVC)

    try:
        odb = repo.cloud.get_remote_odb(None, "push" if upload else "fetch")
    except Exception as e:
        raise dvc_error("remote", e) from None
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
            raise dvc_error("push" if upload else "fetch", e) from None
    if result.failed:
        raise OperationFailed(f"{len(result.failed)} object(s) failed to {'upload' if upload else 'download'}")
