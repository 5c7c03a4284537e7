"""The objects of many versions at once, for ``cost`` and ``lifecycle``: the same answer as
:func:`llmgit.weights.listing.objects_of` per version, with the cache's place looked up once
(not once per version) and each ``.dir`` manifest read straight from the cache or the remote;
anything unusual (a missing or damaged object) goes through ``objects_of`` for its error.

A manifest's name is the md5 of its bytes, so what it lists never changes: the files of each
manifest parsed once are remembered in ``<git dir>/llmgit/cache/manifests.json`` (read back
within a size cap, every id and path checked again; an unreadable file is ignored), and a
later ``cost`` or ``lifecycle plan`` neither reads nor parses it again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from llmgit.core import dirmanifest, paths
from llmgit.core.model import ModelVersion
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.weights import cache, listing
from llmgit.weights.objects import VersionObject, version_objects
from llmgit.weights.remote import StorageRemote

Key = tuple[str, str]  # (model, version)
FORMAT = 1
MAX_BYTES = 256 * 1024 * 1024  # about two million files; a bigger cache is not read or written


def objects_by_version(
    root: Path, found: Iterable[ModelVersion], remote: StorageRemote
) -> dict[Key, list[VersionObject]]:
    """(model, version) -> its objects (the ``.dir`` manifest included), for every version of
    ``found``; :class:`~llmgit.errors.LlmgitError` as ``objects_of`` raises it."""
    local = cache.local_dir(root)
    remembered_at = git.common_dir(root) / "llmgit" / "cache" / "manifests.json"
    remembered = _load(remembered_at)
    learned = False
    result: dict[Key, list[VersionObject]] = {}
    for v in found:
        w = v.weights
        if w is None:
            result[(v.name, v.version)] = []
            continue
        oid = w.md5 + ".dir"
        if w.is_dir and oid in remembered:
            entries: list[dirmanifest.ManifestEntry] | None = [
                dirmanifest.ManifestEntry(relpath, md5) for relpath, md5 in remembered[oid]
            ]
        else:
            data = _manifest(local, oid, remote) if w.is_dir else None
            if w.is_dir and data is None:
                result[(v.name, v.version)] = listing.objects_of(root, v, remote)  # its error, as usual
                continue
            entries = dirmanifest.parse(data, oid) if data is not None else None
            if entries is not None:
                remembered[oid] = [(e.relpath, e.md5) for e in entries]
                learned = True
        result[(v.name, v.version)] = version_objects(listing.pointer_of(w, v.tag), entries)
    if learned:
        _save(remembered_at, remembered)
    return result


def _load(path: Path) -> dict[str, list[tuple[str, str]]]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    safe: dict[str, bool] = {}  # relpaths repeat across versions: each distinct one is checked once

    def is_safe(relpath: object) -> bool:
        if not isinstance(relpath, str):
            return False
        if relpath not in safe:
            safe[relpath] = paths.safe_relpath(relpath) == relpath and not paths.in_git_dir(relpath)
        return safe[relpath]

    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("manifests"), dict):
        return {}
    for oid, files in doc["manifests"].items():
        if not (isinstance(oid, str) and oid.endswith(".dir") and paths.is_md5(oid[:-4]) and isinstance(files, list)):
            continue
        pairs = [
            (f[0], f[1]) for f in files if isinstance(f, list) and len(f) == 2 and is_safe(f[0]) and paths.is_md5(f[1])
        ]
        if len(pairs) == len(files):  # a manifest is remembered whole or not at all
            found[oid] = pairs
    return found


def _save(path: Path, remembered: dict[str, list[tuple[str, str]]]) -> None:
    data = json.dumps({"format": FORMAT, "manifests": remembered}, separators=(",", ":")).encode()
    if len(data) > MAX_BYTES:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError:
        pass  # only a cache


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
