"""The files inside a version's weights, read from DVC's per-file manifest, never the weights.

A directory version's ``.dir`` object (a JSON list of ``{md5, relpath, size}``) is read from
the local DVC cache; only when it is not there is that one small object read from the DVC
remote. Small files (``config.json``, tokenizer files) can be read the same way by their md5.
DVC is imported only on that slow path, inside functions.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.errors import OperationFailed
from llmgit.core.model import WeightsInfo

CACHE = (".dvc", "cache", "files", "md5")


@dataclass(frozen=True)
class WeightFile:
    relpath: str  # inside the weights directory (the file name for single-file weights)
    md5: str
    size: int | None = None


def matches(relpath: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether a relpath matches any glob, by its whole path or by its file name."""
    name = PurePosixPath(relpath).name
    return any(fnmatch.fnmatchcase(relpath, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _local_object(root: Path, oid: str) -> Path:
    return root.joinpath(*CACHE, oid[:2], oid[2:])


def _parse_dir(data: bytes | str, where: str) -> list[WeightFile]:
    try:
        entries = json.loads(data)
        return [WeightFile(str(e["relpath"]), str(e["md5"]), e.get("size")) for e in entries]
    except (ValueError, KeyError, TypeError):
        raise OperationFailed(f"the DVC manifest {where} is not valid JSON") from None


def read_object(root: Path, oid: str) -> bytes:
    """A DVC object's bytes (``oid`` may end in ``.dir``): local cache first, then the remote.

    Meant for manifests and small files; nothing is written to the cache or the workspace.
    """
    local = _local_object(root, oid)
    if local.is_file():
        return local.read_bytes()
    from llmgit.weights import dvc as storage

    with storage.open_repo(root) as repo:
        path = Path(repo.cache.local.oid_to_path(oid))
        if path.is_file():
            return path.read_bytes()
        try:
            odb = repo.cloud.get_remote_odb(None, "fetch")
            with odb.fs.open(odb.oid_to_path(oid), "rb") as fh:
                return bytes(fh.read())
        except FileNotFoundError:
            pass
        except Exception as e:  # DVC raises many types: a missing remote, credentials, ...
            text = str(e).strip().splitlines()
            raise OperationFailed(
                f"cannot read DVC object {oid}: {text[0] if text else type(e).__name__}",
                hint="configure the DVC remote, or fetch the version once ('llmgit checkout')",
            ) from None
    raise OperationFailed(
        f"DVC object {oid} is neither in the local cache nor on the remote",
        hint="push it from the machine that registered the version ('dvc push')",
    )


def manifest(root: Path, weights: WeightsInfo) -> list[WeightFile]:
    """Every file of a version's weights, sorted by relpath (one entry for a single file)."""
    if not weights.is_dir:
        return [WeightFile(PurePosixPath(weights.path).name, weights.md5, weights.size)]
    oid = weights.md5 + ".dir"
    files = [f if f.size is not None else WeightFile(f.relpath, f.md5, _cached_size(root, f.md5))
             for f in _parse_dir(read_object(root, oid), oid)]
    return sorted(files, key=lambda f: f.relpath)


def _cached_size(root: Path, md5: str) -> int | None:
    """DVC's manifests carry no sizes: take them from the local cache when the file is there."""
    try:
        return _local_object(root, md5).stat().st_size
    except OSError:
        return None


def workspace_files(path: Path, hash_patterns: tuple[str, ...] | list[str]) -> list[WeightFile]:
    """Files of weights in the working tree; only those matching ``hash_patterns`` are hashed
    (the rest get an empty md5), so big shards are never read."""
    import hashlib

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
