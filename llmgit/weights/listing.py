"""The files of a version's weights, read from DVC's per-file manifest, never the weights.

A directory version's ``.dir`` object is read from the local cache; only when it is not
there is that one small object read from the storage remote. Small files (``config.json``,
tokenizer files) can be read the same way by their md5.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.core import dirmanifest
from llmgit.core.dirmanifest import ManifestEntry
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.core.paths import is_md5, show
from llmgit.core.pointer import Pointer
from llmgit.errors import BadRecord, CorruptObject, OperationFailed
from llmgit.weights import cache
from llmgit.weights.objects import VersionObject, version_objects
from llmgit.weights.remote import StorageRemote, find


@dataclass(frozen=True)
class WeightFile:
    relpath: str  # inside the weights directory (the file name for single-file weights)
    md5: str
    size: int | None = None


def matches(relpath: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether a relpath matches any glob, by its whole path or by its file name."""
    name = PurePosixPath(relpath).name
    return any(fnmatch.fnmatchcase(relpath, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def pointer_of(weights: WeightsInfo, label: str = "") -> Pointer:
    """The pointer a version's summary describes (``label``: the version, for the message);
    :class:`BadRecord` when its md5 is not one, so no other text becomes an object's path."""
    if not is_md5(weights.md5):
        raise BadRecord(
            f"{label or 'a version'} names weights by {show(weights.md5)}, which is not an md5 hash",
            hint="whoever pushed its tag must replace it; llmgit fsck lists malformed records",
        )
    return Pointer(weights.path, weights.md5, weights.is_dir, weights.size, weights.files)


def read_object(root: Path, oid: str, remote: StorageRemote | None = None) -> bytes:
    """A DVC object's bytes (``oid`` may end in ``.dir``): local cache first, then the remote.

    Meant for manifests and small files; nothing is written to the cache or the workspace.
    The bytes must hash to the object's name (a damaged cached copy is passed over for the
    remote's; a damaged remote copy is :class:`~llmgit.errors.CorruptObject`).
    """
    expected = oid.removesuffix(".dir")
    try:
        cached = cache.object_path(cache.local_dir(root), oid).read_bytes()
        if _md5(cached) == expected:
            return cached
    except FileNotFoundError:
        pass
    remote = remote or find(root)
    data = remote.read(oid) if remote is not None else None
    if data is None:
        raise OperationFailed(
            f"DVC object {oid} is neither in the local cache nor on the remote",
            hint="push it from the machine that registered the version ('llmgit push')",
        )
    if (actual := _md5(data)) != expected:
        raise CorruptObject(oid, actual, remote.url if remote is not None else "the remote")
    return data


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 (DVC's content address, not a security hash)


def entries(root: Path, weights: WeightsInfo, remote: StorageRemote | None = None) -> list[ManifestEntry]:
    """Every file of a version's weights, sorted by relpath (one entry for a single file)."""
    pointer_of(weights)
    if not weights.is_dir:
        return [ManifestEntry(PurePosixPath(weights.path).name, weights.md5, weights.size)]
    oid = weights.md5 + ".dir"
    return dirmanifest.parse(read_object(root, oid, remote), oid)


def objects_of(root: Path, v: ModelVersion, remote: StorageRemote | None = None) -> list[VersionObject]:
    """The version's objects: the ``.dir`` manifest (a directory's) and its files."""
    if v.weights is None:
        return []
    w = v.weights
    return version_objects(pointer_of(w, v.tag), entries(root, w, remote) if w.is_dir else None)


def manifest(root: Path, weights: WeightsInfo) -> list[WeightFile]:
    """Every file of a version's weights with its size (DVC's manifests may carry none: then
    from the local cache when the file is there)."""
    local = cache.local_dir(root)
    return [
        WeightFile(e.relpath, e.md5, e.size if e.size is not None else cache.object_size(local, e.md5))
        for e in entries(root, weights)
    ]


def workspace_files(path: Path, hash_patterns: tuple[str, ...] | list[str]) -> list[WeightFile]:
    """Files of weights in the working tree; only those matching ``hash_patterns`` are hashed
    (the rest get an empty md5), so big shards are never read."""
    if path.is_file():
        found = [(path.name, path)]
    else:
        found = sorted((p.relative_to(path).as_posix(), p) for p in path.rglob("*") if p.is_file())
    result = []
    for rel, p in found:
        digest = ""
        if matches(rel, hash_patterns):
            h = hashlib.md5()
            with p.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            digest = h.hexdigest()
        result.append(WeightFile(rel, digest, p.stat().st_size))
    return result
