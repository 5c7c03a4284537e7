"""A version's data outside the cache: written from cache objects as files of their own (a
clone where the file system has them, else a copy; links only when asked), swapped into the
working tree whole; whether the working tree still holds a pointer's bytes; and turning the
links a link cache type left in the working tree into copies.

The objects are checked before they are copied (:mod:`llmgit.weights.fetch`), so a copy is
the registered bytes; a file written here is never a way back into the cache.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path, PurePosixPath

from llmgit.core import dirmanifest, paths
from llmgit.core.pointer import Pointer
from llmgit.errors import BadRecord, LlmgitError, UsageError
from llmgit.weights import linking
from llmgit.weights.cache import CachedFile
from llmgit.weights.hashing import md5_file
from llmgit.weights.signatures import Signatures


def target_in(base: Path, relpath: str, label: str, *, replace_folder: bool = False) -> Path:
    """``base/relpath``, checked before the file ``relpath`` of ``label`` (a version) is
    written there: ``relpath`` is a relpath inside ``base`` and outside any ``.git`` folder
    (:class:`BadRecord` otherwise), and no folder on the way below ``base`` is a file or a
    symbolic link leading out of ``base`` (:class:`UsageError`; a link that stays inside is
    fine). Whatever is at the target itself is replaced by the writers, never written
    through; a folder there is refused unless the writer swaps it whole (``replace_folder``)."""
    rel = paths.safe_relpath(relpath)
    if rel is None or paths.in_git_dir(rel):
        raise BadRecord(f"{label} names the file {paths.show(relpath)}, which is not a path llmgit writes in '{base}'")
    here = base
    for part in PurePosixPath(rel).parts[:-1]:
        here = here / part
        if here.is_symlink() and not leads_into(here, base):
            raise UsageError(
                f"'{here}' is a symbolic link out of '{base}': llmgit writes {rel} of {label} only inside it",
                hint="remove the link, or choose another place",
            )
        if os.path.lexists(here) and not here.is_dir():
            raise UsageError(f"'{here}' is a file where {rel} of {label} needs a folder")
    target = base / rel
    if not leads_into(target.parent, base):  # a chain of links, resolved whole
        raise UsageError(f"'{target.parent}' leads out of '{base}': llmgit writes {rel} of {label} only inside it")
    if not replace_folder and target.is_dir() and not target.is_symlink():
        raise UsageError(f"'{target}' is a folder where {label} has the file {rel}")
    return target


def leads_into(path: Path, base: Path) -> bool:
    """Whether ``path``, its links followed, is inside ``base`` (a loop of links is not)."""
    try:
        return path.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links (Python < 3.13)
        return False


def export(files: list[CachedFile], dest: Path, label: str, *, link: bool = False) -> list[Path]:
    """Write each file's object to ``dest/relpath`` (whatever is there is replaced, never
    written through): a reflink or a copy, each a file of its own; with ``link``, a hard
    link to the read-only object where the file systems allow (for serving directories).
    Every target is checked (:func:`target_in`) before anything is written."""
    pairs = [(f.source, target_in(dest, f.relpath, label)) for f in files]
    linking.place(pairs, hardlink=link)
    _set_executable([(f, target) for f, (_, target) in zip(files, pairs, strict=True)], linked=link)
    return [target for _, target in pairs]


def _set_executable(placed: list[tuple[CachedFile, Path]], *, linked: bool) -> None:
    """The manifest's ``isexec`` bit on the files written (not through a link: the object is shared)."""
    for f, target in placed:
        if f.executable and not (linked and os.stat(target).st_nlink > 1):
            mode = os.stat(target).st_mode
            os.chmod(target, mode | ((mode & 0o444) >> 2))


def checkout(root: Path, pointer: Pointer, files: list[CachedFile], label: str) -> list[Path]:
    """Replace the working-tree data of ``pointer`` with copies of ``files``: written beside
    it first, then swapped in, so the data is either the old or the new, whole. The data's
    path must stay inside ``root`` (:func:`target_in`)."""
    data = target_in(root, pointer.path, label, replace_folder=True)
    staging = data.with_name(f".{data.name}.llmgit-new")  # the new data (a directory: in it)
    old = data.with_name(f".{data.name}.llmgit-old")
    new = staging if pointer.is_dir else staging / data.name
    for leftover in (staging, old):
        _remove_tree(leftover)
    data.parent.mkdir(parents=True, exist_ok=True)
    try:
        export(files, staging, label)
        if os.path.lexists(data):
            os.rename(data, old)
        os.rename(new, data)
    except BaseException:
        if os.path.lexists(old) and not os.path.lexists(data):
            os.rename(old, data)
        _remove_tree(staging)
        raise
    _remove_tree(staging)
    _remove_tree(old)
    return [data / f.relpath for f in files] if pointer.is_dir else [data]


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def data_files(data: Path) -> dict[str, Path] | None:
    """The files of the data at ``data`` by POSIX relpath (a single file: its own name);
    symlinks to files are followed, as a link cache type leaves them. None when absent."""
    if data.is_file():
        return {data.name: data}
    if not data.is_dir():
        return None
    found: dict[str, Path] = {}
    for dirpath, _dirs, names in os.walk(data):
        for name in names:
            path = Path(dirpath) / name
            if path.is_file():
                found[path.relative_to(data).as_posix()] = path
    return found


def matches(root: Path, pointer: Pointer, sigs: Signatures) -> bool:
    """Whether the working-tree data of ``pointer`` holds exactly its bytes (files unchanged
    since llmgit hashed them are not read again)."""
    files = data_files(root / pointer.path)
    if files is None or (not pointer.is_dir and len(files) != 1):
        return False
    md5s: list[tuple[str, str]] = []
    for rel, path in sorted(files.items()):
        md5 = sigs.file_md5(path)
        if md5 is None:
            try:
                md5 = md5_file(path)
            except OSError:
                return False
            sigs.remember_file(path, md5)
        md5s.append((rel, md5))
    if not pointer.is_dir:
        return md5s[0][1] == pointer.md5
    import hashlib  # noqa: PLC0415 (start-up: only directories need the manifest's hash)

    return hashlib.md5(dirmanifest.dump(md5s)).hexdigest() == pointer.md5  # noqa: S324 (DVC's content address)


def unlink(root: Path, pointer: Pointer, files: list[CachedFile]) -> int:
    """Turn working-tree files of ``pointer`` that are links to their cache objects (hard or
    symbolic) into copies of their own; returns how many were."""
    data = PurePosixPath(pointer.path)
    mode = linking.new_file_mode()
    count = 0
    for f in files:
        try:
            target = target_in(root, (data / f.relpath if pointer.is_dir else data).as_posix(), pointer.path)
        except LlmgitError:  # not a path inside the repository: never written
            continue
        try:
            here, obj = os.lstat(target), os.stat(f.source)
        except OSError:
            continue
        linked = (here.st_dev, here.st_ino) == (obj.st_dev, obj.st_ino)
        if stat.S_ISLNK(here.st_mode):
            linked = target.resolve() == f.source.resolve()
        if linked:
            tmp = target.with_name(f".{target.name}.llmgit-tmp")
            tmp.unlink(missing_ok=True)
            linking.copy_file(f.source, tmp, mode | ((mode & 0o444) >> 2) if f.executable else mode)
            os.replace(tmp, target)
            count += 1
    return count
