"""The objects of many versions at once, for ``cost`` and ``lifecycle``: the same answer as
:func:`llmgit.weights.listing.objects_of` per version, with the cache's place looked up once
(not once per version) and each ``.dir`` manifest read straight from the cache or the remote;
anything unusual (a missing or damaged object) goes through ``objects_of`` for its error."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from llmgit.core import dirmanifest
from llmgit.core.model import ModelVersion
from llmgit.weights import cache, listing
from llmgit.weights.objects import VersionObject, version_objects
from llmgit.weights.remote import StorageRemote

Key = tuple[str, str]  # (model, version)


def objects_by_version(
    root: Path, found: Iterable[ModelVersion], remote: StorageRemote
) -> dict[Key, list[VersionObject]]:
    """(model, version) -> its objects (the ``.dir`` manifest included), for every version of
    ``found``; :class:`~llmgit.errors.LlmgitError` as ``objects_of`` raises it."""
    local = cache.local_dir(root)
    result: dict[Key, list[VersionObject]] = {}
    for v in found:
        w = v.weights
        data = _manifest(local, w.md5 + ".dir", remote) if w is not None and w.is_dir else None
        if w is None:
            result[(v.name, v.version)] = []
        elif w.is_dir and data is None:
            result[(v.name, v.version)] = listing.objects_of(root, v, remote)  # its error, as usual
        else:
            entries = dirmanifest.parse(data, w.md5 + ".dir") if data is not None else None
            result[(v.name, v.version)] = version_objects(listing.pointer_of(w, v.tag), entries)
    return result


def _manifest(local: Path, oid: str, remote: StorageRemote) -> bytes | None:
    """A ``.dir`` object's bytes when they hash to its name (cache first), else None."""
    expected = oid.removesuffix(".dir")
    if not dirmanifest.is_md5(expected):
        return None
    try:
        data: bytes | None = cache.object_path(local, oid).read_bytes()
    except FileNotFoundError:
        data = None
    if data is None or _md5(data) != expected:
        data = remote.read(oid)
    return data if data is not None and _md5(data) == expected else None


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 (DVC's content address, not a security hash)
