"""Moving a version's cache objects to and from the storage remote, with byte progress.

S3 remotes go through boto3's transfer manager: parallel multipart uploads, downloads of
whole objects in parallel (byte ranges only when a version has fewer files than requests
in flight), ``jobs`` requests at once. Other remotes (a local directory, ...) and S3
remotes with settings this path does not handle (server-side encryption, ACLs, version
awareness) go through DVC's own object transfer. Either way the files go first and the
directory manifest last, so a reader never finds a manifest whose files are missing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from llmgit.weights import linking, s3
from llmgit.infra import progress
from llmgit.errors import OperationFailed

if TYPE_CHECKING:
    from dvc.repo import Repo

MiB = 1 << 20
CHUNK = 50 * MiB  # s3fs's multipart chunk, which DVC uses
S3_JOBS = 10  # the AWS CLI's max_concurrent_requests
LOCAL_JOBS = 4
READ_ONLY = 0o444  # cache objects are read-only, as DVC leaves them
# Remote settings the boto3 path honours; any other key sends the transfer through DVC.
_S3_KEYS = frozenset({"url", "endpointurl", "profile", "region", "access_key_id", "secret_access_key",
                      "session_token", "jobs", "connect_timeout", "read_timeout"})


@dataclass(frozen=True)
class Obj:
    oid: str  # md5, with '.dir' for a directory manifest
    path: Path  # in the local cache
    size: int | None  # None: not known yet (a file to download, before the manifest says)


def jobs_for(settings: dict[str, Any] | None, jobs: int | None) -> int | None:
    """The concurrency to use: ``--jobs``, else the remote's ``jobs`` setting, else None
    (each path's default)."""
    if jobs is not None:
        return jobs
    value = (settings or {}).get("jobs")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def boto3_path(settings: dict[str, Any] | None) -> bool:
    if not settings or not str(settings.get("url", "")).startswith("s3://"):
        return False
    return set(settings) <= _S3_KEYS


def local_path(settings: dict[str, Any] | None) -> bool:
    """A plain local-directory remote (DVC's ``url`` is a path, no other setting but jobs)."""
    if not settings or "://" in str(settings.get("url", "")):
        return False
    return set(settings) <= {"url", "jobs"} and Path(str(settings["url"])).is_absolute()


class Remote(Protocol):
    def present(self, oids: Sequence[str]) -> set[str]:
        """Which of the objects exist on the remote."""

    def read(self, oid: str) -> bytes:
        """A small object's bytes (a directory manifest)."""


def remote(settings: dict[str, Any] | None, jobs: int | None = None) -> _S3 | _Local | None:
    """The remote through llmgit's own paths (no DVC), or None when only DVC handles it."""
    if settings is not None and boto3_path(settings):
        return _S3(settings, jobs)
    if settings is not None and local_path(settings):
        return _Local(settings, jobs)
    return None


class DvcRemote:
    """Any other remote, through DVC's object database."""

    def __init__(self, odb: Any) -> None:
        self.odb = odb

    def present(self, oids: Sequence[str]) -> set[str]:
        return set(self.odb.oids_exist(list(oids)))

    def read(self, oid: str) -> bytes:
        with self.odb.fs.open(self.odb.oid_to_path(oid), "rb") as fh:
            return bytes(fh.read())


def push(repo: Repo, settings: dict[str, Any], files: Sequence[Obj], manifest: Obj | None,
         jobs: int | None) -> None:
    """Upload the objects the remote lacks: files, then the manifest."""
    r = remote(settings, jobs)
    if r is not None:
        r.push(files, manifest)
    else:
        _dvc_transfer(repo, files, manifest, jobs, upload=True)


def fetch(repo: Repo, settings: dict[str, Any] | None, files: Sequence[Obj], manifest: Obj | None,
          jobs: int | None) -> None:
    """Download the given objects (those the cache lacks) into the local cache."""
    r = remote(settings, jobs)
    if r is not None:
        r.fetch(files, manifest)
    else:
        _dvc_transfer(repo, files, manifest, jobs, upload=False)


def _total(files: Sequence[Obj]) -> int:
    return sum(f.size or 0 for f in files)


class _Local:
    """A local-directory remote: the kernel copies each object (no user-space buffer) under a
    temporary name, then renames it, ``jobs`` files at once."""

    def __init__(self, settings: dict[str, Any], jobs: int | None) -> None:
        self.url = str(settings["url"])
        self.base = Path(self.url) / "files" / "md5"
        self.jobs = jobs_for(settings, jobs) or LOCAL_JOBS

    def path(self, oid: str) -> Path:
        return self.base / oid[:2] / oid[2:]

    def present(self, oids: Sequence[str]) -> set[str]:
        return {o for o in oids if self.path(o).is_file()}

    def read(self, oid: str) -> bytes:
        return self.path(oid).read_bytes()

    def push(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        todo = [f for f in files if not self.path(f.oid).exists()]
        mode = linking.new_file_mode()
        self._copy("Uploading", [(f.path, self.path(f.oid)) for f in todo], _total(todo), mode)
        if manifest is not None and not self.path(manifest.oid).exists():
            self._copy("Uploading", [(manifest.path, self.path(manifest.oid))], 0, mode)

    def fetch(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        if manifest is not None and not manifest.path.exists() and self.path(manifest.oid).exists():
            self._copy("Downloading", [(self.path(manifest.oid), manifest.path)], 0, READ_ONLY)
        there = [Obj(f.oid, f.path, self.path(f.oid).stat().st_size)
                 for f in files if self.path(f.oid).is_file()]  # the rest: the caller says so
        self._copy("Downloading", [(self.path(f.oid), f.path) for f in there], _total(there), READ_ONLY)

    def _copy(self, label: str, pairs: list[linking.Pair], total: int, mode: int) -> None:
        if not pairs:
            return
        with progress.task(label, total) as bar:
            try:
                linking.copy_files(pairs, mode, threads=self.jobs, progress=bar.advance)
            except OSError as e:
                raise OperationFailed(f"copying '{e.filename}' ({self.url}) failed: {e.strerror or e}") from None


class _S3:
    def __init__(self, settings: dict[str, Any], jobs: int | None) -> None:
        self.settings = settings
        self.location = s3.parse_url(str(settings["url"]))
        self.jobs = jobs_for(settings, jobs) or S3_JOBS
        self.client = s3.client(settings, pool=self.jobs)

    def key(self, oid: str) -> str:
        return self.location.key("files", "md5", oid[:2], oid[2:])

    def _manager(self, *, ranged: bool) -> Any:
        from boto3.s3.transfer import TransferConfig, create_transfer_manager

        threshold = CHUNK if ranged else 1 << 62
        config = TransferConfig(max_concurrency=self.jobs, multipart_threshold=threshold,
                                multipart_chunksize=CHUNK)
        return create_transfer_manager(self.client, config)

    def _states(self, files: Sequence[Obj]) -> list[s3.ObjectState]:
        from concurrent.futures import ThreadPoolExecutor

        if not files:
            return []
        bucket = self.location.bucket
        with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(files)))) as pool:
            return list(pool.map(lambda f: s3.head(self.client, bucket, self.key(f.oid)), files))

    def _missing(self, files: Sequence[Obj]) -> list[Obj]:
        return [f for f, st in zip(files, self._states(files)) if not st.exists]

    def present(self, oids: Sequence[str]) -> set[str]:
        objs = [Obj(o, Path(), None) for o in oids]
        return {o.oid for o, st in zip(objs, self._states(objs)) if st.exists}

    def read(self, oid: str) -> bytes:
        data = s3.get_bytes(self.client, self.location.bucket, self.key(oid))
        if data is None:
            raise OperationFailed(f"'{self.key(oid)}' is missing from the remote")
        return data

    def push(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        todo = self._missing(files)
        with progress.task("Uploading", _total(todo)) as bar, self._manager(ranged=True) as manager:
            subscribers = [_Bytes(bar)]
            futures = [(f, manager.upload(str(f.path), self.location.bucket, self.key(f.oid),
                                          subscribers=subscribers)) for f in todo]
            self._wait("upload", futures)
        if manifest is not None and self._missing([manifest]):
            with self._manager(ranged=False) as manager:
                self._wait("upload", [(manifest, manager.upload(
                    str(manifest.path), self.location.bucket, self.key(manifest.oid)))])

    def fetch(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        # the manifest first: it names the files (the caller passes them when it knows them)
        if manifest is not None and not manifest.path.exists() and not self._missing([manifest]):
            with self._manager(ranged=False) as manager:
                self._download(manager, [manifest])
        present = [Obj(f.oid, f.path, st.size) for f, st in zip(files, self._states(files)) if st.exists]
        if present:  # an object missing here too is left for the caller to report
            ranged = len(present) * 2 < self.jobs  # too few objects to keep the requests busy
            with progress.task("Downloading", _total(present)) as bar, self._manager(ranged=ranged) as manager:
                self._download(manager, present, bar)

    def _download(self, manager: Any, objs: Sequence[Obj], bar: progress.Task | None = None) -> None:
        subscribers = [_Bytes(bar)] if bar is not None else []
        temps: list[tuple[Obj, Path]] = []
        futures = []
        try:
            for o in objs:
                o.path.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(prefix=f".{o.path.name}.", suffix=".part", dir=o.path.parent)
                os.close(fd)
                temps.append((o, Path(name)))
                futures.append((o, manager.download(self.location.bucket, self.key(o.oid), name,
                                                    subscribers=subscribers)))
            failed = self._wait("download", futures, raise_now=False)
            for o, tmp in temps:  # keep what arrived whole: a rerun fetches only the rest
                if o.oid not in failed:
                    os.chmod(tmp, READ_ONLY)
                    os.replace(tmp, o.path)
            if failed:
                raise next(iter(failed.values()))
        finally:
            for _, tmp in temps:
                tmp.unlink(missing_ok=True)

    def _wait(self, action: str, futures: list[tuple[Obj, Any]], *,
              raise_now: bool = True) -> dict[str, OperationFailed]:
        """Wait for every transfer; the failed ones by oid (raised at once unless asked not to)."""
        failed: dict[str, OperationFailed] = {}
        for o, fut in futures:
            try:
                fut.result()
            except Exception as e:  # boto3/botocore raise many types; each is one failed object
                failed[o.oid] = s3._error(action, self.key(o.oid), e)
        if failed and raise_now:
            raise next(iter(failed.values()))
        return failed


class _Bytes:
    """An s3transfer subscriber that advances a progress task by the bytes moved."""

    def __init__(self, bar: progress.Task | None) -> None:
        self.bar = bar

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        pass

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.advance(bytes_transferred)

    def on_done(self, future: Any, **kwargs: Any) -> None:
        pass


def _dvc_transfer(repo: Repo, files: Sequence[Obj], manifest: Obj | None, jobs: int | None,
                  *, upload: bool) -> None:
    from dvc_data.hashfile.db import get_index
    from dvc_data.hashfile.hash_info import HashInfo

    from llmgit.weights.dvc import dvc_error

    try:
        odb = repo.cloud.get_remote_odb(None, "push" if upload else "fetch")
    except Exception as e:
        raise dvc_error("remote", e) from None
    cache = repo.cache.local
    ids = [HashInfo("md5", o.oid) for o in [*files, *([manifest] if manifest is not None else [])]]
    label = "Uploading" if upload else "Downloading"
    with progress.task(label, _total(files)) as bar:
        callback = _callback(bar, files)
        try:
            if upload:
                result = repo.cloud.transfer(cache, odb, ids, jobs=jobs, dest_index=get_index(odb),
                                             cache_odb=cache, callback=callback)
            else:
                result = repo.cloud.transfer(odb, cache, ids, jobs=jobs, src_index=get_index(odb),
                                             cache_odb=cache, verify=odb.verify, callback=callback)
        except Exception as e:
            raise dvc_error("push" if upload else "fetch", e) from None
    if result.failed:
        raise OperationFailed(f"{len(result.failed)} object(s) failed to {'upload' if upload else 'download'}")


def bytes_callback(bar: progress.Task, expected: int = 0) -> Any:
    """An fsspec callback that reports bytes to ``bar``; closed short of ``expected`` bytes
    (DVC copies small files without reporting), it reports the rest."""
    from fsspec.callbacks import Callback

    class Bytes(Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.reported = 0

        def relative_update(self, inc: int | None = 1) -> None:
            self.reported += inc or 0
            bar.advance(inc or 0)

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.reported)

        def close(self) -> None:
            if self.reported < expected:
                self.relative_update(expected - self.reported)

    return Bytes()


def _callback(bar: progress.Task, files: Sequence[Obj]) -> Any:
    """An fsspec callback for DVC's transfer: it counts files; each file's child reports its
    bytes to ``bar``."""
    from fsspec.callbacks import Callback

    sizes = {f.oid: f.size or 0 for f in files}

    class Files(Callback):  # type: ignore[misc]
        def relative_update(self, inc: int | None = 1) -> None:
            pass

        def branched(self, path_1: Any, path_2: Any, **kwargs: Any) -> Any:
            parts = str(path_1).replace("\\", "/").rstrip("/").split("/")
            return bytes_callback(bar, sizes.get("".join(parts[-2:]), 0))

    return Files()
