"""The objects of many versions at once, for ``cost`` and ``lifecycle``: the same answer as
:func:`llmgit.weights.listing.objects_of` per version, with the cache's place looked up once
(not once per version) and each ``.dir`` manifest read straight from the cache or the remote;
anything unusual (a missing or damaged object) goes through ``objects_of`` for its error.

A manifest's name is the md5 of its bytes, so what it lists never changes: the files of each
manifest parsed once are remembered in ``<git dir>/llmgit/cache/manifests.json`` (read back
within a size cap, every id and path checked again; an unreadable file is ignored), and a
later ``cost`` or ``lifecycle plan`` neither reads nor parses it again.

Requests to the remote: none for a manifest that is remembered or in the local DVC cache.
The others (a fresh clone's first run, or versions registered since by another clone) are
read once each, concurrently (S3: up to :data:`~llmgit.weights.objects.S3_JOBS` GETs at a
time), and remembered from then on. Versions that share a file share one
:class:`~llmgit.weights.objects.VersionObject`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Container, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from llmgit.core import dirmanifest, paths
from llmgit.core.model import ModelVersion
from llmgit.errors import LlmgitError
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.weights import cache, listing
from llmgit.weights.objects import S3_JOBS, VersionObject, version_objects
from llmgit.weights.remote import StorageRemote

Key = tuple[str, str]  # (model, version)
Files = list[tuple[str, str]]  # a manifest's (relpath, md5) pairs, sorted by relpath
FORMAT = 1
MAX_BYTES = 256 * 1024 * 1024  # about two million files; a bigger cache is not read or written
_MD5 = re.compile(r"[0-9a-f]{32}")  # paths.is_md5, as one match (a cache holds many)


def objects_by_version(
    root: Path,
    found: Iterable[ModelVersion],
    remote: StorageRemote,
    *,
    lenient: Container[Key] = (),
    on_remote: Container[str] | None = None,
) -> dict[Key, list[VersionObject]]:
    """(model, version) -> its objects (the ``.dir`` manifest included), for every version of
    ``found``. A version whose manifest cannot be read or used: the
    :class:`~llmgit.errors.LlmgitError` ``objects_of`` raises, or, for a version in
    ``lenient``, the version left out. ``on_remote`` (the remote's listing, when the caller
    has it): a manifest neither remembered, nor in the local cache, nor listed there is that
    error at once, before any other manifest is read."""
    remembered_at = git.common_dir(root) / "llmgit" / "cache" / "manifests.json"
    remembered = _load(remembered_at)
    shared: dict[tuple[str, str], VersionObject] = {}
    result: dict[Key, list[VersionObject]] = {}
    unknown: list[tuple[ModelVersion, str]] = []  # directory versions and their manifest's md5
    for v in found:
        w = v.weights
        if w is None:
            result[(v.name, v.version)] = []
        elif not w.is_dir:
            result[(v.name, v.version)] = version_objects(listing.pointer_of(w, v.tag), None)
        elif (files := remembered.get(w.md5 + ".dir")) is not None:
            result[(v.name, v.version)] = _objects(w.md5, files, shared)
        else:
            unknown.append((v, w.md5))
    if not unknown:
        return result
    local = cache.local_dir(root)
    if on_remote is not None:
        for v, md5 in unknown:
            oid = md5 + ".dir"
            if (
                (v.name, v.version) not in lenient
                and oid not in on_remote
                and not cache.object_path(local, oid).is_file()
            ):
                listing.objects_of(root, v, remote)  # raises its usual error
    read = _manifests(local, {md5 + ".dir" for _, md5 in unknown}, remote)
    for v, md5 in unknown:
        oid = md5 + ".dir"
        data = read.get(oid)
        strict = (v.name, v.version) not in lenient
        try:
            if data is None:  # missing or damaged wherever it was looked for
                if strict:
                    result[(v.name, v.version)] = listing.objects_of(root, v, remote)  # its error, as usual
                continue
            if oid not in remembered:
                remembered[oid] = [(e.relpath, e.md5) for e in dirmanifest.parse(data, oid)]
        except LlmgitError:
            if strict:
                raise
            continue
        result[(v.name, v.version)] = _objects(md5, remembered[oid], shared)
    if any(oid in remembered for oid in read):
        _save(remembered_at, remembered)
    return result


def _objects(md5: str, files: Files, shared: dict[tuple[str, str], VersionObject]) -> list[VersionObject]:
    """A directory version's objects (its manifest first), as :func:`version_objects` makes them."""
    objs = [VersionObject("", md5, manifest=True)]
    for pair in files:
        o = shared.get(pair)
        if o is None:
            o = shared[pair] = VersionObject(pair[0], pair[1])
        objs.append(o)
    return objs


def _load(path: Path) -> dict[str, Files]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    found: dict[str, Files] = {}
    safe: dict[str, bool] = {}  # relpaths repeat across versions: each distinct one is checked once
    md5s: set[object] = set()  # and so do the md5s of shared files

    def is_safe(relpath: object) -> bool:
        if not isinstance(relpath, str):
            return False
        if relpath not in safe:
            safe[relpath] = paths.safe_relpath(relpath) == relpath and not paths.in_git_dir(relpath)
        return safe[relpath]

    def is_md5(md5: object) -> bool:
        if md5 in md5s:
            return True
        if isinstance(md5, str) and _MD5.fullmatch(md5):
            md5s.add(md5)
            return True
        return False

    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("manifests"), dict):
        return {}
    for oid, files in doc["manifests"].items():
        if not (isinstance(oid, str) and oid.endswith(".dir") and _MD5.fullmatch(oid[:-4]) and isinstance(files, list)):
            continue
        pairs = [(f[0], f[1]) for f in files if isinstance(f, list) and len(f) == 2 and is_safe(f[0]) and is_md5(f[1])]
        if len(pairs) == len(files):  # a manifest is remembered whole or not at all
            found[oid] = pairs
    return found


def _save(path: Path, remembered: Mapping[str, Files]) -> None:
    data = json.dumps({"format": FORMAT, "manifests": remembered}, separators=(",", ":")).encode()
    if len(data) > MAX_BYTES:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError:
        pass  # only a cache


def _manifests(local: Path, oids: set[str], remote: StorageRemote) -> dict[str, bytes]:
    """The bytes of each ``.dir`` object that hash to its name: from the local cache, else from
    the remote (concurrently); an object found in neither is left out."""
    found: dict[str, bytes] = {}
    todo = []
    for oid in sorted(oids):
        data = _checked(oid, _cached(local, oid))
        if data is None:
            todo.append(oid)
        else:
            found[oid] = data
    if not todo:
        return found
    first = remote.read(todo[0])  # makes the remote's client, before any thread shares it
    with ThreadPoolExecutor(S3_JOBS if remote.is_s3 else 1) as pool:
        for oid, data in zip(todo, [first, *pool.map(remote.read, todo[1:])], strict=True):
            if (good := _checked(oid, data)) is not None:
                found[oid] = good
    return found


def _cached(local: Path, oid: str) -> bytes | None:
    try:
        return cache.object_path(local, oid).read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _checked(oid: str, data: bytes | None) -> bytes | None:
    expected = oid.removesuffix(".dir")
    if data is None or not dirmanifest.is_md5(expected):
        return None
    return data if hashlib.md5(data).hexdigest() == expected else None  # noqa: S324 (DVC's content address)
