"""The storage remote: where the weights' objects live (a local directory, S3, or any remote
DVC reaches), which of them exist, their sizes and storage classes, and small reads."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from llmgit.core import paths
from llmgit.errors import SkippedRecord, UsageError
from llmgit.weights import dvc, s3
from llmgit.weights.cache import oid_at, relative_path
from llmgit.weights.localmover import LocalMover
from llmgit.weights.s3transfer import S3Mover
from llmgit.weights.transfer import mover

_TAIL = re.compile(r"[0-9a-f]{30}(?:\.dir)?")  # an object's file name below its two-digit folder


class StorageRemote:
    """The default DVC remote of a repository."""

    def __init__(self, root: Path, settings: dict[str, Any]) -> None:
        self.root = root
        self.settings = settings
        self.url = str(settings["url"])

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def location(self) -> s3.Location:
        return s3.parse_url(self.url)

    def key(self, oid: str) -> str:
        return self.location.key(relative_path(oid))

    def path(self, oid: str) -> Path:
        return Path(self.url) / relative_path(oid)

    @cached_property
    def _mover(self) -> S3Mover | LocalMover | None:
        return mover(self.settings)

    def client(self) -> Any:
        """The boto3 client (S3 remotes), made once."""
        m = self._mover
        return m.client if isinstance(m, S3Mover) else s3.client(self.settings)

    def state(self, oid: str) -> s3.ObjectState:
        if self.is_s3:
            return s3.head(self.client(), self.location.bucket, self.key(oid))
        p = self.path(oid)
        return s3.ObjectState(str(p), p.is_file(), p.stat().st_size if p.is_file() else 0)

    def present(self, oids: Sequence[str]) -> set[str]:
        """Which of the objects exist on the remote."""
        if self._mover is not None:
            return self._mover.present(oids)
        with dvc.open_repo(self.root) as repo:
            try:
                return set(repo.cloud.get_remote_odb(None, "status").oids_exist(list(oids)))
            except Exception as e:  # DVC raises many types: a missing remote, credentials, ...
                raise dvc.dvc_error("remote", e) from None

    def read(self, oid: str) -> bytes | None:
        """A small object's bytes (a manifest, a config file), or None when it is missing."""
        if self._mover is not None:
            return self._mover.read(oid)
        with dvc.open_repo(self.root) as repo:
            try:
                odb = repo.cloud.get_remote_odb(None, "fetch")
                with odb.fs.open(odb.oid_to_path(oid), "rb") as fh:
                    return bytes(fh.read())
            except FileNotFoundError:
                return None
            except Exception as e:  # DVC raises many types: a missing remote, credentials, ...
                raise dvc.dvc_error("remote", e) from None

    def inventory(self) -> dict[str, tuple[int, str]]:
        """oid -> (bytes, storage class) of every object on the remote, from one listing. A key
        or file that is not one of DVC's objects (``files/md5/<2 hex>/<30 hex>[.dir]``) is left
        out with a warning naming it, and never used as an object id, a key or a path."""
        found: dict[str, tuple[int, str]] = {}
        if self.is_s3:
            base = self.location.key(paths.STORE) + "/"
            for st in s3.list_objects(self.client(), self.location, paths.STORE):
                oid = oid_at(st.key, base)
                if oid is None:
                    s3.skip_key(st.key, "it is not an object of DVC's layout (files/md5/<2 hex>/<30 hex>)")
                    continue
                found[oid] = (st.size, st.storage_class)
            return found
        store = Path(self.url) / paths.STORE
        for folder in _entries(store):  # os.scandir: the file types come with the listing
            if not folder.is_dir(follow_symlinks=True):
                continue
            head = folder.name if paths.oid_at(f"{folder.name}/{'0' * 30}") else None  # checked once per folder
            for entry in _entries(Path(folder.path)):
                # a regular file (never a symlink) named as paths.oid_at takes it, in one match
                if head is None or not _TAIL.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                    if not _upload_under_way(entry.name):
                        _skip_file(Path(entry.path))
                    continue
                found[head + entry.name] = (entry.stat(follow_symlinks=False).st_size, "LOCAL")
        return found


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` sorted by name ([] when it is not a readable directory)."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _upload_under_way(name: str) -> bool:
    """A temporary file of an upload (llmgit's or DVC's), which is renamed into place."""
    return ".llmgit-tmp" in name or name.endswith(".tmp")


def _skip_file(path: Path) -> None:
    warnings.warn(
        SkippedRecord(
            f"skipped {paths.show(str(path), 300)} on the storage remote: it is not an object of DVC's layout",
            hint="it is not an object llmgit stores; whoever wrote it to the remote can remove it",
        ),
        stacklevel=3,
    )


def find(root: Path) -> StorageRemote | None:
    settings = dvc.remote_settings(root)
    return StorageRemote(root, settings) if settings is not None else None


def storage_remote(root: Path) -> StorageRemote:
    found = find(root)
    if found is None:
        raise UsageError("this registry has no storage remote", hint="set one: llmgit init --remote PATH|s3://...")
    return found


def require_s3(r: StorageRemote, what: str) -> None:
    if not r.is_s3:
        raise UsageError(
            f"{what} needs an S3 remote; this registry stores weights in '{r.url}'",
            hint="storage classes exist only on S3: llmgit init --remote s3://bucket/prefix",
        )
