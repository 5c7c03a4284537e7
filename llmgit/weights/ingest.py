"""Putting one weights path under DVC: every file copied into the cache while it is hashed,
in one read, so the working tree never shares bytes with a registered version.

Each file is read once: the bytes are hashed on the way and the copy is made from the same
read (a clone where the file system has them). The object enters the cache under the md5 of
what was read; the ``.dir`` manifest and the ``.dvc`` pointer are written as ``dvc add``
writes them, and the working tree's ``.gitignore`` gets the data's line. Several files are
hashed at once (one per core). Files unchanged since llmgit last hashed them (same size,
mtime and inode) whose objects are intact are not read again. Repositories where DVC's own add must decide (pipelines,
``.dvcignore`` patterns, link cache types) go through :mod:`llmgit.weights.dvcadd`.

The weights must be ordinary files in ordinary directories (:func:`walk`).
"""

from __future__ import annotations

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.core import cachetype, dirmanifest
from llmgit.core import pointer as pointer_file
from llmgit.core.pointer import Pointer
from llmgit.errors import InputError
from llmgit.infra import progress
from llmgit.infra.files import write_atomic
from llmgit.weights import cache, dvcadd
from llmgit.weights.integrity import CacheCheck

HASH_JOBS = max(1, min(4, os.cpu_count() or 1))  # files hashed (and copied) at once
LINK_HINT = "copy the files in instead of linking them (cp -rL SRC DEST), then register DEST"


@dataclass(frozen=True)
class WeightsFile:
    relpath: str  # POSIX, inside the weights (the file's own name for a single file)
    path: Path
    size: int


def walk(target: Path, shown: str) -> list[WeightsFile]:
    """Every file of the weights at ``target`` (``shown``: how the user named it), sorted.

    Refused, each with one :class:`InputError`: a symlink anywhere (links are never
    followed, so nothing outside the weights is read or changed), a FIFO, socket or device,
    a nested ``.git`` or ``.dvc``, DVC pointer files, and a directory holding no file."""
    top = os.lstat(target)
    if stat.S_ISLNK(top.st_mode):
        raise InputError(f"weights path '{shown}' is a symbolic link", hint=LINK_HINT)
    if stat.S_ISREG(top.st_mode):
        return [WeightsFile(target.name, target, top.st_size)]
    if not stat.S_ISDIR(top.st_mode):
        raise InputError(f"weights path '{shown}' is not a regular file or a directory")
    found: list[WeightsFile] = []
    for dirpath, dirnames, filenames in os.walk(target):
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            path = here / name
            rel = path.relative_to(target).as_posix()
            where = f"'{shown}/{rel}'"
            if name in (".git", ".dvc"):
                raise InputError(
                    f"{where} is a repository's metadata inside the weights",
                    hint="register a directory that holds only weights files",
                )
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                raise InputError(f"{where} is a symbolic link inside the weights", hint=LINK_HINT)
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{where} is not a regular file (a FIFO, socket or device)")
            if name.endswith(".dvc"):
                raise InputError(
                    f"'{shown}' contains DVC pointer files: other data is tracked inside it",
                    hint="register a path that no other DVC pointer tracks or contains",
                )
            found.append(WeightsFile(rel, path, st.st_size))
    if not found:
        raise InputError(f"weights path '{shown}' holds no file", hint="register a directory with the weights in it")
    return sorted(found, key=lambda f: f.relpath)


def _own_add_applies(root: Path, data_path: str, where: Path | None) -> bool:
    """llmgit adds by itself unless DVC must: a pipeline or a tracked parent (see
    :func:`dvcadd.can_add_directly`), ``.dvcignore`` patterns, a link cache type, or a cache
    configuration llmgit does not read."""
    if where is None or not dvcadd.can_add_directly(root, data_path):
        return False
    kinds = cache.link_types(root)
    if kinds is None or not set(kinds) <= cachetype.COPY_TYPES:
        return False
    ignore = root / ".dvcignore"
    try:
        patterns = [
            ln for ln in ignore.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
        ]
    except FileNotFoundError:
        patterns = []
    return not patterns


def add(root: Path, data_path: str, shown: str | None = None) -> Pointer:
    """Track ``root/data_path``: objects in the cache, the ``.dvc`` file beside it, and its
    ``.gitignore`` line; returns what the ``.dvc`` file says."""
    target = root / data_path
    files = walk(target, shown or data_path)
    cache.share_worktree_cache(root)
    where = cache.cache_dir(root)
    if not _own_add_applies(root, data_path, where):
        cache.warn_if_linked(root)
        return dvcadd.add(root, data_path)
    check = CacheCheck.of(root, where)
    entries = _ingest(check, files)
    if target.is_dir():
        manifest = dirmanifest.dump(entries)
        md5 = _store_manifest(check, manifest)
        pointer = Pointer(data_path, md5, True, sum(f.size for f in files), len(files))
    else:
        pointer = Pointer(data_path, entries[0][1], False, files[0].size, 1)
    write_atomic(root / pointer.dvc_file, pointer_file.dump(pointer).encode())
    ensure_ignored(target)
    return pointer


def _ingest(check: CacheCheck, files: list[WeightsFile]) -> list[tuple[str, str]]:
    """``(relpath, md5)`` of each file, its object now in the cache (read once, or not at all
    when unchanged since llmgit hashed it and its object checks out)."""
    known = {f.relpath: check.sigs.file_md5(f.path) for f in files}
    done: dict[str, str] = {}
    for f in files:
        md5 = known[f.relpath]
        if md5 is not None and check.sigs.object_verified(check.path(md5), md5):
            done[f.relpath] = md5
    todo = sorted((f for f in files if f.relpath not in done), key=lambda f: -f.size)  # largest first
    with progress.task("Hashing", sum(f.size for f in todo)) as bar:

        def one(f: WeightsFile) -> str:
            md5 = check.copy_in(f.path, report=bar.advance)
            check.sigs.remember_file(f.path, md5)
            return md5

        workers = max(1, min(HASH_JOBS, len(todo)))
        if workers == 1:
            done.update((f.relpath, one(f)) for f in todo)
        else:  # md5 and the kernel's copies run outside the GIL: one file per core at a time
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmgit-hash") as pool:
                done.update(zip([f.relpath for f in todo], pool.map(one, todo), strict=True))
    return [(f.relpath, done[f.relpath]) for f in files]


def _store_manifest(check: CacheCheck, data: bytes) -> str:
    md5 = hashlib.md5(data).hexdigest()  # noqa: S324 (content addressing, as DVC does)
    oid = md5 + ".dir"
    if not check.verified(oid):
        tmp = check.temp_path()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            check.admit(tmp, oid)
        finally:
            tmp.unlink(missing_ok=True)
    return md5


def ensure_ignored(data: Path) -> None:
    """The data's line in the ``.gitignore`` beside it (as DVC writes it: ``/NAME``)."""
    ignore = data.parent / ".gitignore"
    entry = f"/{PurePosixPath(data.name)}"
    text = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
    if entry not in text.splitlines():
        if text and not text.endswith("\n"):
            text += "\n"
        write_atomic(ignore, f"{text}{entry}\n".encode())
