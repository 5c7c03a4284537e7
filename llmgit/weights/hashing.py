"""Hashing bytes where they enter or leave: a copy that hashes what it reads, reading each
byte from the source once, and a plain hash of a file.

The copy clones the file where the file system can (FICLONE: no bytes move) and hashes the
source; elsewhere it reads the source in chunks into one reused buffer (no fresh memory to
fault in for every chunk, so hashing costs what ``md5sum`` costs), hashes each chunk in this thread,
and has a second thread copy the same range in the kernel (``copy_file_range``) right after
it was read, from the page cache. Where the kernel cannot copy between the two file systems,
that thread reads the range and writes it. md5 releases the GIL, so the two threads overlap.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from llmgit.errors import OperationFailed

CHUNK = 8 << 20  # md5_file's reads
_STEP = 8 << 20  # copy_hashed's reads, into one reused buffer (few thread switches per GiB)
_IN_FLIGHT = 8  # ranges read and not yet copied (the copy follows the reads closely)
_FICLONE = 0x40049409
# errors that mean "the kernel cannot copy between these file systems", not "this file is broken"
_NO_RANGE_COPY = frozenset({errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.EPERM})
Progress = Callable[[int], None]  # told the bytes of each chunk hashed


def md5_file(path: Path, progress: Progress | None = None) -> str:
    """The md5 of a file's bytes (read in chunks)."""
    digest = hashlib.md5()  # noqa: S324 (content addressing, as DVC does; not a security hash)
    fd = os.open(path, os.O_RDONLY)
    try:
        while block := os.read(fd, CHUNK):
            digest.update(block)
            if progress is not None:
                progress(len(block))
    finally:
        os.close(fd)
    return digest.hexdigest()


def _clone(fd_in: int, fd_out: int) -> bool:
    try:
        import fcntl  # noqa: PLC0415 (POSIX only)
    except ImportError:
        return False
    try:
        fcntl.ioctl(fd_out, _FICLONE, fd_in)
    except OSError:
        return False
    return True


class _Copier:
    """A thread that copies ranges of ``fd_in`` into ``fd_out`` as they are handed over."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in, self.fd_out = fd_in, fd_out
        self.ranges: queue.Queue[tuple[int, int] | None] = queue.Queue(_IN_FLIGHT)
        self.kernel = hasattr(os, "copy_file_range")
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="llmgit-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.ranges.get()) is not None:
            if self.error is not None:
                continue  # drain: the reader learns of the error when it finishes
            try:
                self._copy(*item)
            except BaseException as e:  # noqa: BLE001 (handed to the reading thread, which raises it)
                self.error = e

    def _copy(self, offset: int, size: int) -> None:
        done = 0
        while self.kernel and done < size:
            try:
                n = os.copy_file_range(self.fd_in, self.fd_out, size - done, offset + done, offset + done)
            except OSError as e:
                if done == 0 and e.errno in _NO_RANGE_COPY:
                    self.kernel = False
                    break
                raise
            if n == 0:
                raise OSError(errno.EIO, "the source ended early while it was copied")
            done += n
        while done < size:  # no kernel copy between these file systems: read the range and write it
            data = os.pread(self.fd_in, size - done, offset + done)
            if not data:
                raise OSError(errno.EIO, "the source ended early while it was copied")
            written = 0
            while written < len(data):
                written += os.pwrite(self.fd_out, memoryview(data)[written:], offset + done + written)
            done += len(data)

    def finish(self) -> None:
        self.ranges.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def copy_hashed(src: Path, dst: Path, mode: int, progress: Progress | None = None) -> str:
    """Copy ``src`` to the new file ``dst`` (created with ``mode``; it must not exist) and
    return the md5 of the bytes read from ``src``. ``dst`` is left behind on error: the
    caller writes it under a temporary name and removes it.

    The kernel copies each range right after it was hashed; a writer changing ``src`` in
    between would make the copy differ from the hash, so ``src`` must be unchanged (size,
    mtime, ctime, inode) from start to end, else :class:`~llmgit.errors.OperationFailed`."""
    digest = hashlib.md5()  # noqa: S324 (content addressing, as DVC does; not a security hash)
    fd_in = os.open(src, os.O_RDONLY)
    try:
        before = _signature(os.fstat(fd_in))
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            if _clone(fd_in, fd_out):
                copier = None
            else:
                copier = _Copier(fd_in, fd_out)
            offset = 0
            buffer = bytearray(_STEP)
            view = memoryview(buffer)
            try:
                while n := os.preadv(fd_in, [buffer], offset):
                    if copier is not None:
                        if copier.error is not None:
                            break
                        copier.ranges.put((offset, n))
                    digest.update(view[:n])
                    offset += n
                    if progress is not None:
                        progress(n)
            finally:
                if copier is not None:
                    copier.finish()
            os.fchmod(fd_out, mode)  # the umask narrowed the mode os.open set
        finally:
            os.close(fd_out)
        if _signature(os.fstat(fd_in)) != before or _signature(os.stat(src)) != before:
            raise OperationFailed(
                f"'{src}' changed while llmgit read it",
                hint="run the command again once whatever writes it has finished",
            )
    finally:
        os.close(fd_in)
    return digest.hexdigest()


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino
