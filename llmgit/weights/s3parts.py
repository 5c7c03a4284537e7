"""The parts of a checked S3 upload: part sizes, a bounded pool of reusable part buffers,
a part's bytes as the file botocore sends (and rewinds to send again), and one upload run's
shared state (request threads, the first failure, which stops every reader and request)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from llmgit.infra import progress
from llmgit.weights.objects import MiB

T = TypeVar("T")

PART_SIZE = 8 * MiB  # the AWS CLI's multipart_chunksize; an object larger than one part goes in parts
MAX_PARTS = 10_000  # S3's limit per object (parts are >= 5 MiB but the last)
READ_AHEAD = 2  # parts read and hashed ahead of those being sent (buffers: jobs + 2 of PART_SIZE)


def part_size(size: int) -> int:
    """The part size for an object of ``size`` bytes: PART_SIZE, or more (whole MiB) where
    PART_SIZE would take more than MAX_PARTS parts."""
    least = -(-size // MAX_PARTS)
    return max(PART_SIZE, -(-least // MiB) * MiB)


def settled(futures: Sequence[Future[T]]) -> Sequence[Future[T]]:
    """``futures``, once every one of them has ended."""
    wait(futures)
    return futures


class Stopped(Exception):
    """Another object's upload failed (or the push was interrupted): this one stops too."""


class Buffers:
    """The buffers parts are read into, reused: at most ``count``, so readers wait for one and
    memory stays bounded. Reusing them matters: large blocks allocated and freed by many
    threads leave the allocator holding far more memory than is in use."""

    def __init__(self, count: int, size: int) -> None:
        self.size = size
        self.unmade = count
        self.free: list[bytearray] = []
        self.cond = threading.Condition()

    def take(self, n: int, stop: threading.Event) -> bytearray:
        """A buffer of at least ``n`` bytes (a part larger than PART_SIZE grows one)."""
        with self.cond:
            self.cond.wait_for(lambda: self.free or self.unmade or stop.is_set())
            if stop.is_set():
                raise Stopped
            if self.free:
                buffer = self.free.pop()
            else:
                self.unmade -= 1
                buffer = bytearray()
        return buffer if len(buffer) >= n else bytearray(max(n, self.size))

    def give(self, buffer: bytearray) -> None:
        with self.cond:
            self.free.append(buffer)
            self.cond.notify()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()


@dataclass(frozen=True)
class Part:
    buffer: bytearray  # goes back to the pool once the part was sent
    view: memoryview  # the part's bytes in it


class Body(io.RawIOBase):
    """A part's bytes as the file botocore reads (and rewinds to send again), not copied."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self.view = view
        self.pos = 0

    def __len__(self) -> int:
        return len(self.view)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        end = len(self.view) if size < 0 else min(self.pos + size, len(self.view))
        data = self.view[self.pos : end].tobytes()
        self.pos = end
        return data

    def readinto(self, b: Any) -> int:
        n = min(len(b), len(self.view) - self.pos)
        b[:n] = self.view[self.pos : self.pos + n]
        self.pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: len(self.view)}[whence]
        self.pos = max(0, min(base + offset, len(self.view)))
        return self.pos

    def tell(self) -> int:
        return self.pos


class Run:
    """One upload's shared state: ``jobs`` request threads, the part buffers, progress, and
    the first failure (which stops every reader and every request not yet sent)."""

    def __init__(self, jobs: int, bar: progress.Task | None) -> None:
        self.requests = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="llmgit-s3-put")
        self.buffers = Buffers(jobs + READ_AHEAD, PART_SIZE)
        self.bar = bar
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def fail(self, e: BaseException) -> None:
        with self.lock:
            if self.error is None and not isinstance(e, Stopped):
                self.error = e
        self.halt()

    def halt(self) -> None:
        self.stop.set()
        self.buffers.wake()

    def read(self, fh: io.FileIO, n: int) -> Part:
        """The next ``n`` bytes of ``fh`` (fewer only at its end) in a buffer of the pool."""
        buffer = self.buffers.take(n, self.stop)
        view = memoryview(buffer)[:n]
        done = 0
        try:
            while done < n and (got := fh.readinto(view[done:])):
                done += got
        except BaseException:
            self.buffers.give(buffer)
            raise
        return Part(buffer, view[:done])

    def send(self, part: Part | None, call: Callable[[], T]) -> Future[T]:
        """Run one request on a request thread (not at all once the run has stopped); the
        part's buffer goes back to the pool and its bytes count as done when it ends."""

        def run() -> T:
            try:
                if self.stop.is_set():
                    raise Stopped
                result = call()
            except BaseException as e:
                self.fail(e)
                raise
            finally:
                if part is not None:
                    self.buffers.give(part.buffer)
            if self.bar is not None and part is not None:
                self.bar.advance(len(part.view))
            return result

        return self.requests.submit(run)
