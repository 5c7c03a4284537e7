"""A generated registry whose weights are on its directory remote: real DVC ``.dir``
manifests (so each version's file list reads and hashes as DVC's would) and the shard
objects as sparse files of their full size, for ``cost`` and ``lifecycle plan``.

Each model's versions share ``SHARED`` base shards and own the rest (adapters), so the
lifecycle's shared-object rules have something to skip. The registry itself is
:func:`genregistry.generate`'s, with the version's weights md5 being its manifest's.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import genregistry
from genregistry import SHARD_SIZE, SHARDS, Generated

SHARED = SHARDS - 2  # base shards every version of a model holds


def _oid_path(remote: Path, oid: str) -> Path:
    return remote / "files" / "md5" / oid[:2] / oid[2:]


def _put(remote: Path, oid: str, data: bytes | None = None, size: int = 0) -> None:
    p = _oid_path(remote, oid)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("wb") as fh:
        if data is not None:
            fh.write(data)
        else:
            fh.truncate(size)  # sparse: the remote lists its full size, the disk holds nothing


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (DVC's content address)


def generate(dest: Path, models: int, versions: int, **kw: object) -> Generated:
    """:func:`genregistry.generate` with every version's weights on ``dest/remote``."""
    remote = dest / "remote"

    def stored_md5(name: str, version: str) -> str:
        files = [
            {
                "md5": _md5(f"{name}/shard-{k}" if k < SHARED else f"{name}@{version}/shard-{k}"),
                "relpath": f"model-{k + 1:05d}-of-{SHARDS:05d}.safetensors",
                "size": SHARD_SIZE,
            }
            for k in range(SHARDS)
        ]
        for f in files:
            _put(remote, str(f["md5"]), size=SHARD_SIZE)
        data = json.dumps(files, separators=(", ", ": ")).encode()
        oid = hashlib.md5(data).hexdigest()  # noqa: S324
        _put(remote, oid + ".dir", data)
        return oid

    plain = genregistry._md5
    genregistry._md5 = stored_md5  # the one seam: the generator names each version's weights here
    try:
        return genregistry.generate(dest, models, versions, **kw)  # type: ignore[arg-type]
    finally:
        genregistry._md5 = plain


if __name__ == "__main__":
    import sys

    out = generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), with_gto=False)
    print(out.repo, sum(1 for _ in os.scandir(out.remote / "files" / "md5")))
