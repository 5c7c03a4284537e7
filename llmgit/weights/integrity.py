"""The local cache's objects are what their names say: an object is trusted when its stat
signature is the one recorded when llmgit last hashed it, and hashed again otherwise;
objects enter the cache only under the md5 of the bytes llmgit read while writing them.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from llmgit.infra import git, progress
from llmgit.weights import cache
from llmgit.weights.hashing import Progress, copy_hashed, md5_file
from llmgit.weights.signatures import Signatures, settle

_TEMP_NAMES = itertools.count()  # unique in this process, across threads
QUARANTINE = "llmgit-quarantine"  # inside the cache directory: objects found corrupt, moved aside
OBJECT_MODE = 0o444  # cache objects are read-only, as DVC leaves them


def signatures(root: Path) -> Signatures:
    """The signatures database of the repository at ``root`` (shared by its work trees)."""
    return Signatures(git.common_dir(root) / "llmgit" / "signatures.db")


def md5_of(oid: str) -> str:
    """The md5 an object's bytes hash to (a directory manifest's oid ends in ``.dir``)."""
    return oid.removesuffix(".dir")


@dataclass
class CacheCheck:
    """Checks and admissions for one cache directory."""

    root: Path
    cache: Path
    sigs: Signatures
    rehashed: list[str] = field(default_factory=list)  # objects that had to be hashed again

    @classmethod
    def of(cls, root: Path, where: Path | None = None) -> CacheCheck:
        return cls(root, where or cache.local_dir(root), signatures(root))

    def path(self, oid: str) -> Path:
        return cache.object_path(self.cache, oid)

    def verified(self, oid: str, report: Progress | None = None, *, deep: bool = False) -> bool:
        """Whether the cached object ``oid`` exists and holds its bytes: by its signature,
        else (and always with ``deep``) by hashing it (a match is remembered). False for a
        missing or corrupt object."""
        path = self.path(oid)
        if not deep and self.sigs.object_verified(path, oid):
            return True
        try:
            actual = md5_file(path, report)
        except OSError:
            return False
        self.rehashed.append(oid)
        if actual != md5_of(oid):
            self.sigs.forget_object(path)
            return False
        self.sigs.remember_object(path, oid)
        return True

    def verify_all(self, oids: list[str], label: str = "Checking", *, deep: bool = False) -> list[str]:
        """The objects among ``oids`` that are missing or corrupt (each hashed at most once;
        with ``deep``, every one is hashed)."""
        oids = list(dict.fromkeys(oids))
        todo = [o for o in oids if deep or not self.sigs.object_verified(self.path(o), o)]
        with progress.task(label, sum(cache.object_size(self.cache, o) or 0 for o in todo)) as bar:
            return [o for o in oids if not self.verified(o, bar.advance, deep=deep)]

    def admit(self, tmp: Path, oid: str) -> Path:
        """Put ``tmp`` (just written, its bytes hashed to ``oid`` on the way) in the cache as
        ``oid``. An object already there stays when it checks out; a corrupt one is replaced."""
        final = self.path(oid)
        if final.exists() and self.verified(oid):
            tmp.unlink()
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        settle(final)
        self.sigs.remember_object(final, oid)
        return final

    def copy_in(self, source: Path, mode: int = OBJECT_MODE, report: Progress | None = None) -> str:
        """Copy ``source`` into the cache, hashing it in the same read; returns its md5."""
        tmp = self.temp_path()
        try:
            md5 = copy_hashed(source, tmp, mode, report)
            self.admit(tmp, md5)
        finally:
            tmp.unlink(missing_ok=True)
        return md5

    def temp_path(self) -> Path:
        """A fresh name for an object being written (in the cache, so it renames into place)."""
        base = self.cache / "files" / "md5"
        base.mkdir(parents=True, exist_ok=True)
        return base / f".llmgit-tmp-{os.getpid()}-{next(_TEMP_NAMES)}-{time.monotonic_ns()}"

    def quarantine(self, oid: str) -> Path | None:
        """Move a corrupt object aside (``<cache>/llmgit-quarantine/``); returns where it went."""
        path = self.path(oid)
        if not path.exists():
            return None
        target = self.cache / QUARANTINE / f"{oid}.{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        self.sigs.forget_object(path)
        return target
