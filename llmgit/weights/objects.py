"""The objects a version's weights consist of, and where they live on the storage remote.

DVC stores content-addressed objects at ``<remote>/files/md5/ab/cdef...``; a directory is a
``.dir`` manifest object (JSON list of relpath and md5) plus one object per file. Versions
that share a file share its object, so every action on objects counts references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmgit.weights import cache, s3, dvc as storage
from llmgit.errors import OperationFailed, UsageError
from llmgit.core.model import ModelVersion


@dataclass(frozen=True)
class VersionObject:
    relpath: str  # the file inside the weights ('' for the .dir manifest)
    md5: str
    manifest: bool = False  # the directory's .dir object

    @property
    def oid(self) -> str:
        return self.md5 + (".dir" if self.manifest else "")

    @property
    def label(self) -> str:
        return self.relpath or "(directory manifest)"


@dataclass(frozen=True)
class Remote:
    url: str
    settings: dict[str, Any]

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def location(self) -> s3.Location:
        return s3.parse_url(self.url)

    def key(self, oid: str) -> str:
        return self.location.key("files", "md5", oid[:2], oid[2:])

    def path(self, oid: str) -> Path:
        return Path(self.url) / "files" / "md5" / oid[:2] / oid[2:]

    def client(self) -> Any:
        return s3.client(self.settings)

    def state(self, oid: str, c: Any = None) -> s3.ObjectState:
        if self.is_s3:
            return s3.head(c or self.client(), self.location.bucket, self.key(oid))
        p = self.path(oid)
        return s3.ObjectState(str(p), p.is_file(), p.stat().st_size if p.is_file() else 0)


def remote(root: Path) -> Remote:
    settings = storage.remote_settings(root)
    if settings is None:
        raise UsageError("this registry has no storage remote", hint="set one: llmgit init --remote PATH|s3://...")
    return Remote(str(settings["url"]), settings)


def require_s3(r: Remote, what: str) -> None:
    if not r.is_s3:
        raise UsageError(f"{what} needs an S3 remote; this registry stores weights in '{r.url}'",
                         hint="storage classes exist only on S3: llmgit init --remote s3://bucket/prefix")


def of_version(root: Path, v: ModelVersion, r: Remote | None = None, c: Any = None) -> list[VersionObject]:
    """The version's objects: the .dir manifest (read from the cache or the remote) and files."""
    if v.weights is None:
        return []
    w = v.weights
    if not w.is_dir:
        return [VersionObject(Path(w.path).name, w.md5)]
    local = cache.object_path(cache.local_dir(root), w.md5, is_dir=True)
    text: str | None = local.read_text(encoding="utf-8") if local.is_file() else None
    if text is None:
        r = r or remote(root)
        oid = f"{w.md5}.dir"
        if r.is_s3:
            data = s3.get_bytes(c or r.client(), r.location.bucket, r.key(oid))
            text = data.decode() if data is not None else None
        elif r.path(oid).is_file():
            text = r.path(oid).read_text(encoding="utf-8")
        if text is None:
            raise OperationFailed(
                f"the directory manifest of {v.tag} is neither in the local cache nor on the remote",
                hint="it was never pushed: run 'llmgit push' on the machine that registered it",
            )
    entries = json.loads(text)
    return [VersionObject("", w.md5, manifest=True)] + [
        VersionObject(e["relpath"], e["md5"]) for e in entries
    ]
