"""Moving objects to and from an S3 remote with boto3's transfer manager: parallel multipart
uploads, downloads of whole objects in parallel (byte ranges only when a version has fewer
files than requests in flight), ``jobs`` requests at once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from llmgit.errors import OperationFailed
from llmgit.infra import progress
from llmgit.weights import s3
from llmgit.weights.cache import relative_path
from llmgit.weights.objects import CHUNK, READ_ONLY, S3_JOBS, Obj, jobs_for, total


class S3Mover:
    """An S3 remote through boto3's transfer manager."""

    def __init__(self, settings: dict[str, Any], jobs: int | None) -> None:
        self.settings = settings
        self.location = s3.parse_url(str(settings["url"]))
        self.jobs = jobs_for(settings, jobs) or S3_JOBS
        self.client = s3.client(settings, pool=self.jobs)

    def key(self, oid: str) -> str:
        return self.location.key(relative_path(oid))

    def _manager(self, *, ranged: bool) -> Any:
        from boto3.s3.transfer import TransferConfig, create_transfer_manager  # noqa: PLC0415 (heavy)

        threshold = CHUNK if ranged else 1 << 62
        config = TransferConfig(max_concurrency=self.jobs, multipart_threshold=threshold, multipart_chunksize=CHUNK)
        return create_transfer_manager(self.client, config)

    def _states(self, files: Sequence[Obj]) -> list[s3.ObjectState]:
        if not files:
            return []
        bucket = self.location.bucket
        with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(files)))) as pool:
            return list(pool.map(lambda f: s3.head(self.client, bucket, self.key(f.oid)), files))

    def _missing(self, files: Sequence[Obj]) -> list[Obj]:
        return [f for f, st in zip(files, self._states(files), strict=True) if not st.exists]

    def present(self, oids: Sequence[str]) -> set[str]:
        objs = [Obj(o, Path(), None) for o in oids]
        return {o.oid for o, st in zip(objs, self._states(objs), strict=True) if st.exists}

    def read(self, oid: str) -> bytes | None:
        return s3.get_bytes(self.client, self.location.bucket, self.key(oid))

    def push(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        todo = self._missing(files)
        with progress.task("Uploading", total(todo)) as bar, self._manager(ranged=True) as manager:
            subscribers = [_Bytes(bar)]
            futures = [
                (f, manager.upload(str(f.path), self.location.bucket, self.key(f.oid), subscribers=subscribers))
                for f in todo
            ]
            self._wait("upload", futures)
        if manifest is not None and self._missing([manifest]):
            with self._manager(ranged=False) as manager:
                self._wait(
                    "upload",
                    [(manifest, manager.upload(str(manifest.path), self.location.bucket, self.key(manifest.oid)))],
                )

    def fetch(self, files: Sequence[Obj], manifest: Obj | None) -> None:
        # the manifest first: it names the files (the caller passes them when it knows them)
        if manifest is not None and not manifest.path.exists() and not self._missing([manifest]):
            with self._manager(ranged=False) as manager:
                self._download(manager, [manifest])
        present = [Obj(f.oid, f.path, st.size) for f, st in zip(files, self._states(files), strict=True) if st.exists]
        if present:  # an object missing here too is left for the caller to report
            ranged = len(present) * 2 < self.jobs  # too few objects to keep the requests busy
            with progress.task("Downloading", total(present)) as bar, self._manager(ranged=ranged) as manager:
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
                futures.append(
                    (o, manager.download(self.location.bucket, self.key(o.oid), name, subscribers=subscribers))
                )
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

    def _wait(
        self, action: str, futures: list[tuple[Obj, Any]], *, raise_now: bool = True
    ) -> dict[str, OperationFailed]:
        """Wait for every transfer; the failed ones by oid (raised at once unless asked not to)."""
        failed: dict[str, OperationFailed] = {}
        for o, fut in futures:
            try:
                fut.result()
            except Exception as e:  # boto3/botocore raise many types; each is one failed object
                failed[o.oid] = s3.error(action, self.key(o.oid), e)
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
