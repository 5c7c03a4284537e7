"""The objects a version's weights consist of, as values: DVC stores content-addressed objects
at ``files/md5/ab/cdef...`` (in the cache and on the remote); a directory is a ``.dir``
manifest object plus one object per file. Versions that share a file share its object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from llmgit.core import dirmanifest
from llmgit.core.dirmanifest import ManifestEntry
from llmgit.core.pointer import Pointer
from llmgit.weights.cache import object_path

MiB = 1 << 20
CHUNK = 50 * MiB  # s3fs's multipart chunk, which DVC uses
S3_JOBS = 10  # the AWS CLI's max_concurrent_requests
LOCAL_JOBS = 4
READ_ONLY = 0o444  # cache objects are read-only, as DVC leaves them


@dataclass(frozen=True)
class Obj:
    """An object to move between the local cache and the remote."""

    oid: str  # md5, with '.dir' for a directory manifest
    path: Path  # in the local cache
    size: int | None  # None: not known yet (a file to download, before the manifest says)


@dataclass(frozen=True)
class VersionObject:
    """One object of a version, as the remote holds it."""

    relpath: str  # the file inside the weights ('' for the .dir manifest)
    md5: str
    manifest: bool = False  # the directory's .dir object

    @property
    def oid(self) -> str:
        return self.md5 + (".dir" if self.manifest else "")

    @property
    def label(self) -> str:
        return self.relpath or "(directory manifest)"


def total(objs: Sequence[Obj]) -> int:
    return sum(o.size or 0 for o in objs)


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


def version_objects(pointer: Pointer, entries: Sequence[ManifestEntry] | None) -> list[VersionObject]:
    """A version's objects: its files (and the ``.dir`` manifest first, for a directory)."""
    if not pointer.is_dir:
        return [VersionObject(PurePosixPath(pointer.path).name, pointer.md5)]
    return [VersionObject("", pointer.md5, manifest=True)] + [VersionObject(e.relpath, e.md5) for e in entries or ()]


def cached(cache: Path, pointer: Pointer) -> tuple[list[Obj], Obj | None]:
    """The file objects of ``pointer`` in the cache at ``cache`` (from the cached manifest, when
    it is cached) and the manifest object (None for a single file)."""
    if not pointer.is_dir:
        return [Obj(pointer.md5, object_path(cache, pointer.md5), pointer.size)], None
    top = object_path(cache, pointer.md5, is_dir=True)
    manifest = Obj(pointer.oid, top, None)
    try:
        data = top.read_bytes()
    except FileNotFoundError:
        return [], manifest
    files = []
    for e in dirmanifest.parse(data, pointer.oid):
        path = object_path(cache, e.md5)
        size = e.size
        if size is None:
            try:
                size = path.stat().st_size
            except OSError:
                size = None
        files.append(Obj(e.md5, path, size))
    return files, manifest
