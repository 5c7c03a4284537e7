"""Progress of long byte-moving steps (hashing, uploads, downloads), reported to whoever asked.

Core code never prints: it opens a :func:`task` and advances it; the bytes go to the
:class:`Reporter` installed with :func:`reporting` (the CLI installs one that draws a bar on
a terminal), or nowhere. A Python API user may install their own::

    with llmgit.infra.progress.reporting(my_reporter):
        registry.push("llama2-7b-alpaca@v1.1.0")

``advance`` may be called from worker threads: a reporter must be thread-safe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol


class Reporter(Protocol):
    def start(self, label: str, total: int) -> None:
        """A step moving ``total`` bytes begins."""

    def advance(self, nbytes: int) -> None:
        """``nbytes`` more bytes are done (any thread)."""

    def finish(self) -> None:
        """The step ended (done or failed)."""


class Task:
    """One step's handle (a no-op when nobody listens); callable from any thread, as the
    reporter is."""

    def __init__(self, reporter: Reporter | None) -> None:
        self._reporter = reporter

    @property
    def active(self) -> bool:
        return self._reporter is not None

    def advance(self, nbytes: int) -> None:
        if nbytes > 0 and self._reporter is not None:
            self._reporter.advance(nbytes)


_current: ContextVar[Reporter | None] = ContextVar("llmgit_progress", default=None)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Send the progress of everything inside the block to ``reporter`` (None: silence)."""
    token = _current.set(reporter)
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def task(label: str, total: int) -> Iterator[Task]:
    """A step of ``total`` bytes; capture the handle before handing work to threads."""
    reporter = _current.get()
    if reporter is None or total <= 0:
        yield Task(None)
        return
    reporter.start(label, total)
    try:
        yield Task(reporter)
    finally:
        reporter.finish()
