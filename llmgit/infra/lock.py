"""One writer at a time per repository: an exclusive ``fcntl.flock`` on
``<git common dir>/llmgit/lock``, which holds the pid of the process that has it.

The kernel drops the lock when its holder exits, killed or not, so a stale lock file never
blocks anyone. The wait is bounded (default 30 s; ``LLMGIT_LOCK_TIMEOUT`` seconds), and then
the command fails with the holder's pid. Within one thread the lock is reentrant: a writing
API method that calls another takes it once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from llmgit.errors import OperationFailed, UsageError

TIMEOUT_ENV = "LLMGIT_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
_POLL = 0.05

_held: dict[tuple[str, int], int] = {}  # (lock file, thread) -> depth


def timeout() -> float:
    """Seconds to wait for the lock: ``LLMGIT_LOCK_TIMEOUT``, else 30."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{TIMEOUT_ENV} must be a number of seconds, not '{raw}'")
    return value


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


def _acquire(path: Path, wait: float) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise OperationFailed(f"cannot lock '{path}': {e.strerror or e}") from None
            if time.monotonic() >= deadline:
                pid = _holder(fd)
                os.close(fd)
                raise OperationFailed(
                    f"another llmgit command is running (pid {pid})",
                    hint=f"wait for it to finish and run this again (it waited {wait:g} s; "
                    f"{TIMEOUT_ENV} sets how long)",
                ) from None
            time.sleep(_POLL)
            continue
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd


@contextlib.contextmanager
def held(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock ``path`` for the block (reentrant within one thread; another
    thread of this process waits like another process)."""
    key = (str(path), threading.get_ident())
    depth = _held.get(key, 0)
    fd = _acquire(path, timeout() if wait is None else wait) if depth == 0 else -1
    _held[key] = depth + 1
    try:
        yield
    finally:
        _held[key] -= 1
        if _held[key] == 0:
            del _held[key]
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                os.close(fd)
