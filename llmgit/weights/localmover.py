"""A local-directory storage remote: each object is copied under a temporary name while the
bytes read are hashed (one read; the kernel copies), and renamed into place only when they
hash to the object's name, ``jobs`` objects at once. Downloads enter the cache through
:meth:`~llmgit.weights.integrity.CacheCheck.admit`, uploads are refused when the cache's
bytes are not the object's."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from llmgit.errors import CorruptObject, OperationFailed
from llmgit.infra import progress
from llmgit.weights import linking
from llmgit.weights.cache import relative_path
from llmgit.weights.hashing import Progress, copy_hashed
from llmgit.weights.integrity import OBJECT_MODE, CacheCheck, md5_of
from llmgit.weights.objects import LOCAL_JOBS, Obj, jobs_for, total


class LocalMover:
    """A plain local-directory remote."""

    def __init__(self, settings: dict[str, Any], jobs: int | None) -> None:
        self.url = str(settings["url"])
        self.base = Path(self.url)
        self.jobs = jobs_for(settings, jobs) or LOCAL_JOBS

    def path(self, oid: str) -> Path:
        return self.base / relative_path(oid)

    def present(self, oids: Sequence[str]) -> set[str]:
        return {o for o in oids if self.path(o).is_file()}

    def read(self, oid: str) -> bytes | None:
        path = self.path(oid)
        if not path.is_file():  # missing, or a FIFO or device that is never opened
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def push(self, files: Sequence[Obj], manifest: Obj | None, *, overwrite: bool = False) -> None:
        """Upload the files the remote lacks (all of them with ``overwrite``), then the manifest."""
        todo = [f for f in files if overwrite or not self.path(f.oid).exists()]
        mode = linking.new_file_mode()
        with progress.task("Uploading", total(todo)) as bar:
            self._run(todo, lambda o: self._upload(o, mode, bar.advance))
        if manifest is not None and (overwrite or not self.path(manifest.oid).exists()):
            self._upload(manifest, mode, None)

    def _upload(self, o: Obj, mode: int, report: Progress | None) -> None:
        final = self.path(o.oid)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.llmgit-tmp-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}")
        try:
            md5 = copy_hashed(o.path, tmp, mode, report)
            if md5 != md5_of(o.oid):
                raise CorruptObject(o.oid, md5, f"the local cache ({o.path})")
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    def fetch(self, files: Sequence[Obj], manifest: Obj | None, check: CacheCheck) -> None:
        """Download the objects that are on the remote (the caller reports the rest), each
        checked against its name before it enters the cache; the manifest first."""
        if manifest is not None and not manifest.path.exists() and self.path(manifest.oid).is_file():
            self._download(manifest, check, None)
        there = [Obj(f.oid, f.path, self.path(f.oid).stat().st_size) for f in files if self.path(f.oid).is_file()]
        with progress.task("Downloading", total(there)) as bar:
            self._run(there, lambda o: self._download(o, check, bar.advance))

    def _download(self, o: Obj, check: CacheCheck, report: Progress | None) -> None:
        tmp = check.temp_path()
        try:
            md5 = copy_hashed(self.path(o.oid), tmp, OBJECT_MODE, report)
            if md5 != md5_of(o.oid):
                raise CorruptObject(o.oid, md5, self.url)
            check.admit(tmp, o.oid)
        finally:
            tmp.unlink(missing_ok=True)

    def _run(self, objs: Sequence[Obj], step: Callable[[Obj], None]) -> None:
        """``step`` on every object, ``jobs`` at once; every object is tried, then the first
        failure is raised (objects that moved whole stay: a rerun moves only the rest)."""
        if not objs:
            return
        errors: list[BaseException] = []
        with ThreadPoolExecutor(
            max_workers=max(1, min(self.jobs, len(objs))), thread_name_prefix="llmgit-copy"
        ) as pool:
            for future in [pool.submit(step, o) for o in objs]:
                try:
                    future.result()
                except OSError as e:
                    errors.append(OperationFailed(f"copying '{e.filename}' ({self.url}) failed: {e.strerror or e}"))
                except Exception as e:  # a CorruptObject, reported after the others finished
                    errors.append(e)
        if errors:
            raise errors[0]
