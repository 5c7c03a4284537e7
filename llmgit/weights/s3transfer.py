"""Moving objects to and from an S3 remote, every byte checked against the object's name.

Downloads go through boto3's transfer manager (whole objects in parallel, byte ranges only
when a version has fewer files than requests in flight) into a temporary file, which is
hashed (from the page cache) before it takes the object's name in the cache.

Uploads are llmgit's own, so that what is sent is what was hashed: each file is read once,
in parts; every part feeds the object's md5 and goes out with its own Content-MD5, so the
server refuses bytes altered on the way, and llmgit refuses an object whose bytes are not
its name (a single-part object before sending it; a multipart upload is aborted instead of
completed). ``jobs`` requests are in flight across files and parts; the bytes read ahead of
them are bounded, and so is memory.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from llmgit.errors import CorruptObject, OperationFailed
from llmgit.infra import progress
from llmgit.weights import s3, s3parts
from llmgit.weights.cache import relative_path
from llmgit.weights.hashing import md5_file
from llmgit.weights.integrity import CacheCheck, md5_of
from llmgit.weights.objects import CHUNK, READ_ONLY, S3_JOBS, Obj, jobs_for, total
from llmgit.weights.s3parts import Body, Run, settled

T = TypeVar("T")

HASHERS = 4  # downloaded files hashed at once


class S3Mover:
    """An S3 remote: downloads through boto3's transfer manager, uploads of llmgit's own."""

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

    # -- uploads --

    def push(self, files: Sequence[Obj], manifest: Obj | None, *, overwrite: bool = False) -> None:
        """Upload the files the remote lacks (``overwrite``: every one given), then the
        manifest, once all files are there."""
        todo = list(files) if overwrite else self._missing(files)
        with progress.task("Uploading", total(todo)) as bar:
            self._upload(todo, bar)
        if manifest is not None and (overwrite or self._missing([manifest])):
            self._upload([manifest], None)

    def _upload(self, objs: Sequence[Obj], bar: progress.Task | None) -> None:
        """Upload ``objs``, a reader thread per object being read (up to ``jobs``) handing
        parts to ``jobs`` request threads; raises the first failure, after which no new
        part is read or sent."""
        if not objs:
            return
        run = Run(self.jobs, bar)
        readers = ThreadPoolExecutor(max_workers=min(self.jobs, len(objs)), thread_name_prefix="llmgit-s3-read")
        try:
            wait([readers.submit(self._upload_one, run, o) for o in objs])
        except BaseException:
            run.halt()  # interrupted: the readers stop and abort what they started
            raise
        finally:
            readers.shutdown(wait=True)
            run.requests.shutdown(wait=True)
        if run.error is not None:
            raise run.error

    def _upload_one(self, run: Run, o: Obj) -> None:
        if run.stop.is_set():
            return
        try:
            with open(o.path, "rb", buffering=0) as fh:
                size = os.fstat(fh.fileno()).st_size
                if size <= s3parts.PART_SIZE:
                    self._upload_whole(run, o, fh, size)
                else:
                    self._upload_parts(run, o, fh, size)
        except OSError as e:
            run.fail(OperationFailed(f"reading '{o.path}' for upload failed: {e.strerror or e}"))
        except BaseException as e:  # noqa: BLE001 (recorded; the calling thread raises the first one)
            run.fail(e)

    def _upload_whole(self, run: Run, o: Obj, fh: io.FileIO, size: int) -> None:
        """One request; the bytes are checked against the object's name before they are sent."""
        part = run.read(fh, size)
        try:
            _refuse_corrupt(o, hashlib.md5(part.view).hexdigest())  # noqa: S324 (content address, as DVC's)
        except BaseException:
            run.buffers.give(part.buffer)
            raise
        bucket, key, md5 = self.location.bucket, self.key(o.oid), md5_of(o.oid)
        run.send(part, lambda: s3.put_checked(self.client, bucket, key, Body(part.view), md5)).result()

    def _upload_parts(self, run: Run, o: Obj, fh: io.FileIO, size: int) -> None:
        """A multipart upload, completed only when the bytes read hash to the object's name;
        aborted (after its parts in flight have ended) on any failure."""
        bucket, key = self.location.bucket, self.key(o.oid)
        upload_id = run.send(None, lambda: s3.start_multipart(self.client, bucket, key)).result()
        sent: list[Future[str]] = []
        try:
            digest = hashlib.md5()  # noqa: S324 (content address, as DVC's)
            step = s3parts.part_size(size)
            for number, offset in enumerate(range(0, size, step), start=1):
                part = run.read(fh, min(step, size - offset))
                digest.update(part.view)
                if not part.view:  # the file shrank while it was read: the check below refuses it
                    run.buffers.give(part.buffer)
                    break
                sent.append(run.send(part, self._part_call(key, upload_id, number, part.view)))
            etags = [f.result() for f in settled(sent)]
            _refuse_corrupt(o, digest.hexdigest())
            run.send(None, lambda: s3.complete_multipart(self.client, bucket, key, upload_id, etags)).result()
        except BaseException:
            settled(sent)  # no part may land after the abort
            s3.abort_multipart(self.client, bucket, key, upload_id)
            raise

    def _part_call(self, key: str, upload_id: str, number: int, view: memoryview) -> Callable[[], str]:
        """The request that sends one part (its md5 computed on the request thread)."""

        def call() -> str:
            md5 = hashlib.md5(view).hexdigest()  # noqa: S324 (Content-MD5 is md5)
            return s3.upload_part(self.client, self.location.bucket, key, upload_id, number, Body(view), md5)

        return call

    # -- downloads --

    def fetch(self, files: Sequence[Obj], manifest: Obj | None, check: CacheCheck) -> None:
        """Download the objects that are on the remote (the caller reports the rest) into the
        cache ``check`` guards, each checked against its name before it enters; the manifest
        first, as it names the files (the caller passes them when it knows them)."""
        if manifest is not None and not manifest.path.exists() and not self._missing([manifest]):
            with self._manager(ranged=False) as manager:
                self._download(manager, [manifest], check)
        present = [Obj(f.oid, f.path, st.size) for f, st in zip(files, self._states(files), strict=True) if st.exists]
        if present:
            ranged = len(present) * 2 < self.jobs  # too few objects to keep the requests busy
            with progress.task("Downloading", total(present)) as bar, self._manager(ranged=ranged) as manager:
                self._download(manager, present, check, bar)

    def _download(self, manager: Any, objs: Sequence[Obj], check: CacheCheck, bar: progress.Task | None = None) -> None:
        """Download into temporary files, hash each as soon as it has arrived, and give the
        object's name only to bytes that hash to it; what arrived whole and checked stays
        (a rerun fetches only the rest), the first failure is raised."""
        subscribers = [_Bytes(bar)] if bar is not None else []
        temps: list[tuple[Obj, Path]] = []
        futures = []
        try:
            for i, o in enumerate(objs):
                tmp = check.temp_path()
                tmp = tmp.with_name(f"{tmp.name}-{i}")  # distinct even where the clock is coarse
                temps.append((o, tmp))
                futures.append(
                    manager.download(self.location.bucket, self.key(o.oid), str(tmp), subscribers=subscribers)
                )
            failed: dict[str, OperationFailed] = {}
            with ThreadPoolExecutor(max_workers=min(HASHERS, len(objs)), thread_name_prefix="llmgit-md5") as hashers:
                hashing: list[tuple[Obj, Path, Future[str]]] = []
                for (o, tmp), fut in zip(temps, futures, strict=True):
                    try:
                        fut.result()
                    except Exception as e:  # boto3/botocore raise many types; each is one failed object
                        failed[o.oid] = s3.error("download", self.key(o.oid), e)
                        continue
                    hashing.append((o, tmp, hashers.submit(md5_file, tmp)))
                for o, tmp, md5 in hashing:
                    try:
                        actual = md5.result()
                    except OSError as e:
                        failed[o.oid] = OperationFailed(f"reading the download of '{o.oid}' failed: {e.strerror or e}")
                        continue
                    if actual != md5_of(o.oid):
                        failed[o.oid] = CorruptObject(o.oid, actual, self.location.url, hint=_REMOTE_HINT)
                    else:
                        os.chmod(tmp, READ_ONLY)
                        check.admit(tmp, o.oid)
            if failed:
                raise next(failed[o.oid] for o in objs if o.oid in failed)
        finally:
            for _, tmp in temps:
                tmp.unlink(missing_ok=True)


_REMOTE_HINT = "the remote's copy is damaged; push the version again from a clone whose cache holds it"
_LOCAL_HINT = "nothing was uploaded for it; bring back a good copy (another clone's cache), then push again"


def _refuse_corrupt(o: Obj, actual: str) -> None:
    if actual != md5_of(o.oid):
        raise CorruptObject(o.oid, actual, f"the local cache ({o.path})", hint=_LOCAL_HINT)


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
