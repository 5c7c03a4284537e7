"""Placing cache objects elsewhere: a reflink, a hard link (only when asked) or a copy, and
fast parallel copies in the kernel."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

_FICLONE = 0x40049409
# errors that mean "this kind of link cannot be made here", not "this file is broken"
_LINK_UNSUPPORTED = frozenset(
    {errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOTTY, errno.ENOSYS, errno.EINVAL}
)
# errors after which copy_file_range is never tried again for that pair of file systems
_RANGE_UNSUPPORTED = frozenset({errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.EPERM})
_MAX_COPY_THREADS = 8
_STEP = 1 << 30  # bytes per copy_file_range call
_STEP_REPORTED = 16 << 20  # ... when someone is told of each step's bytes

Pair = tuple[Path, Path]  # (cache object, target)
Progress = Callable[[int], None]  # told the bytes of each copied step (from copying threads)


def new_file_mode() -> int:
    """The mode a new file gets (0666 less the umask). Read it before starting threads: the
    umask is per process, and some libraries (DVC among them) set it to 0 for a moment."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def place(pairs: Sequence[Pair], *, hardlink: bool, mode: int | None = None) -> None:
    """Put each cache object at its target (parent directories made as needed): a reflink,
    else (with ``hardlink``) a hard link, else a copy; whatever was at a target is replaced.

    Reflinked and copied files are new files with ``mode`` (default: 0666 less the umask);
    hard links share the read-only cache object. A link kind that fails once between two
    file systems is not tried again for the other files, and the copies run in parallel."""
    mode = new_file_mode() if mode is None else mode
    no_reflink: set[tuple[int, int]] = set()
    no_hardlink: set[tuple[int, int]] = set()
    copies: list[Pair] = []
    _make_parents(pairs)
    for src, dst in pairs:
        _remove(dst)
        devices = (os.stat(src).st_dev, os.stat(dst.parent).st_dev)
        if devices not in no_reflink:
            if reflink(src, dst, mode):
                continue
            no_reflink.add(devices)
        if hardlink and devices not in no_hardlink:
            try:
                os.link(src, dst)
                continue
            except OSError as e:
                if e.errno not in _LINK_UNSUPPORTED and e.errno != errno.EMLINK:
                    raise
                if e.errno != errno.EMLINK:  # too many links concerns this one object only
                    no_hardlink.add(devices)
        copies.append((src, dst))
    copy_files(copies, mode)


def copy_files(
    pairs: Sequence[Pair], mode: int | None = None, *, threads: int | None = None, progress: Progress | None = None
) -> None:
    """Copy each source to its target, a new file with ``mode`` (default: 0666 less the
    umask), ``threads`` files at a time (default: by cores): the copies run in the kernel,
    outside the GIL. Each copy is written under a temporary name and renamed into place, so
    a target is either complete or absent. ``progress`` is told the bytes as they move."""
    mode = new_file_mode() if mode is None else mode
    _make_parents(pairs)
    if threads is None:
        threads = min(_MAX_COPY_THREADS, max(2, os.cpu_count() or 1))
    threads = max(1, min(threads, len(pairs)))
    if threads <= 1:
        for src, dst in pairs:
            _copy_into_place(src, dst, mode, progress)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="llmgit-copy") as pool:
        futures = [pool.submit(_copy_into_place, src, dst, mode, progress) for src, dst in pairs]
        for future in futures:
            future.result()


def _make_parents(pairs: Sequence[Pair]) -> None:
    for parent in sorted({dst.parent for _, dst in pairs}):
        parent.mkdir(parents=True, exist_ok=True)


def _copy_into_place(src: Path, dst: Path, mode: int, progress: Progress | None) -> None:
    tmp = dst.with_name(f".{dst.name}.llmgit-tmp")
    _remove(tmp)  # a leftover, or a link someone placed there: never written through
    try:
        copy_file(src, tmp, mode, progress)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def copy_file(src: Path, dst: Path, mode: int, progress: Progress | None = None) -> None:
    """Copy ``src`` to ``dst`` (with ``mode``) byte for byte: ``copy_file_range`` where the
    kernel offers it between the two file systems (a server-side copy on NFS, shared extents
    on some), else ``sendfile``, else read and write. A symbolic link at ``dst`` is never
    followed (the open fails instead)."""
    with open(src, "rb") as fsrc, _create(dst) as fdst:
        os.fchmod(fdst.fileno(), mode)
        size = os.fstat(fsrc.fileno()).st_size
        if _copy_range(fsrc.fileno(), fdst.fileno(), size, progress):
            return
        if not _sendfile(fsrc.fileno(), fdst.fileno()):
            fsrc.seek(0)
            fdst.seek(0)
            fdst.truncate()
            shutil.copyfileobj(fsrc, fdst, 1 << 20)
    if progress is not None:
        progress(size)


def _sendfile(fd_in: int, fd_out: int) -> bool:
    """Copy with ``sendfile`` from the start to the end of the file; False when the kernel
    does not offer it for these files (nothing was copied then)."""
    offset = 0
    while True:
        try:
            n = os.sendfile(fd_out, fd_in, offset, _STEP)
        except OSError as e:
            if offset == 0 and e.errno in _RANGE_UNSUPPORTED | {errno.ENOTSOCK}:
                return False
            raise
        if n == 0:
            return True
        offset += n


def _create(path: Path) -> BinaryIO:
    """``path`` opened for writing, created or truncated, never through a symbolic link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    return os.fdopen(fd, "wb")


def _copy_range(fd_in: int, fd_out: int, size: int, progress: Progress | None) -> bool:
    """Copy with ``copy_file_range`` up to the end of the file; False when the call is not
    supported between these file systems (nothing was copied then)."""
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return False
    step = _STEP if progress is None else _STEP_REPORTED
    done = 0
    while True:
        try:
            n = copy_range(fd_in, fd_out, min(max(size - done, 1 << 20), step))
        except OSError as e:
            if done == 0 and e.errno in _RANGE_UNSUPPORTED:
                return False
            raise
        if n == 0:
            return True
        done += n
        if progress is not None:
            progress(n)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()


def reflink(src: Path, dst: Path, mode: int | None = None) -> bool:
    """Clone ``src`` into a new ``dst`` (FICLONE; with ``mode`` when given); False, and no
    ``dst``, where unsupported."""
    try:
        import fcntl  # noqa: PLC0415 (POSIX only)
    except ImportError:
        return False
    with open(src, "rb") as s, _create(dst) as d:
        if mode is not None:
            os.fchmod(d.fileno(), mode)
        try:
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
            return True
        except OSError:
            pass
    dst.unlink()
    return False
