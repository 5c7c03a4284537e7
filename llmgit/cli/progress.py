"""Progress bars on a terminal: bytes, percentage, rate and ETA on one redrawn stderr line.

Drawn only when stderr is a terminal and ``--quiet`` is not given; a step that ends within
``LLMGIT_PROGRESS_DELAY`` seconds (default 0.25) draws nothing, so small weights stay quiet.
"""

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

import typer

from llmgit.core.bounded import escape_control
from llmgit.core.units import human_size
from llmgit.infra import progress

REDRAW = 0.1  # seconds between redraws


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("LLMGIT_PROGRESS_DELAY", "0.25")))
    except ValueError:
        return 0.25


class TerminalBar:
    """A :class:`llmgit.infra.progress.Reporter` that redraws one line on a terminal."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.lock = threading.Lock()
        self.delay = _delay()
        self._reset("", 0)

    def _reset(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = self.clock()
        self.drawn_at = 0.0
        self.drawn = False

    def start(self, label: str, total: int) -> None:
        with self.lock:
            self._reset(label, total)

    def advance(self, nbytes: int) -> None:
        with self.lock:
            self.done += nbytes
            now = self.clock()
            if now - self.started >= self.delay and now - self.drawn_at >= REDRAW:
                self._draw(now, final=False)

    def finish(self) -> None:
        with self.lock:
            if self.drawn:
                self._draw(self.clock(), final=True)

    def _draw(self, now: float, *, final: bool) -> None:
        elapsed = max(now - self.started, 1e-6)
        done = min(self.done, self.total) if self.total else self.done
        rate = done / elapsed
        if final:
            line = f"{self.label} {human_size(done)} in {elapsed:.1f} s ({human_size(int(rate))}/s)"
        else:
            pct = 100.0 * done / self.total if self.total else 0.0
            eta = (self.total - done) / rate if rate > 0 else 0.0
            line = (
                f"{self.label} {human_size(done)} / {human_size(self.total)} {pct:3.0f}%"
                f"  {human_size(int(rate))}/s  ETA {_clock(eta)}"
            )
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r" + escape_control(line[:width]) + "\x1b[K" + ("\n" if final else ""))
        self.stream.flush()
        self.drawn, self.drawn_at = not final, now


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def install(ctx: typer.Context, quiet: bool) -> None:
    """Show progress for the rest of this command when stderr is a terminal and not quiet."""
    stream = getattr(sys.stderr, "raw", sys.stderr)  # llmgit's own drawing: not escaped
    wanted = not quiet and hasattr(stream, "isatty") and stream.isatty()
    ctx.with_resource(progress.reporting(TerminalBar(stream) if wanted else None))


QUIET_HELP = "No progress bars (they show only on a terminal anyway)."


def quiet(ctx: typer.Context, value: bool) -> bool:
    """A command's own ``--quiet``: it takes effect while the command's options are parsed
    (``llmgit --quiet`` silences any command)."""
    if value:
        install(ctx, True)
    return value
