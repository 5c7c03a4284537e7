"""A CPU-bound step on every core: the items are split into interleaved shares, each share is
handled in a forked worker (which inherits the parent's memory, so the inputs are never
pickled), and the workers' small results come back in order.

Only an optimisation: with one usable core, few items, no ``fork`` (Windows), another thread
running, or inside a worker already, everything runs in this process; and a share whose
worker failed in any way (an exception, a result that does not pickle, a crash) is run again
here, so a failure surfaces as the same exception, with the same message, as without workers.
The task must therefore be safe to repeat for a share (writing the same files again is).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_shared: tuple[Callable[[Sequence[Any]], Any], list[Sequence[Any]]] | None = None  # set before forking
_FAILED = "llmgit-forked-share-failed"
_in_worker = False


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_share(index: int) -> Any:
    assert _shared is not None
    global _in_worker
    _in_worker = True  # a share that maps shares of its own runs them here: the cores are taken
    task, shares = _shared
    try:
        return task(shares[index])
    except BaseException:  # noqa: BLE001 (rerun in the parent, which raises it properly)
        return _FAILED


def map_shares(
    task: Callable[[Sequence[T]], R], items: Sequence[T], *, min_share: int = 200, workers: int | None = None
) -> list[R]:
    """``task`` over ``items`` split into shares (``items[i::n]``), one per worker; returns each
    share's result, in share order. Runs in this process when there is too little to split."""
    n = min(workers or usable_cores(), len(items) // max(min_share, 1))
    if n < 2 or _in_worker or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return [task(items)]  # (a fork while another thread runs could copy a lock it holds)
    shares: list[Sequence[T]] = [items[i::n] for i in range(n)]
    global _shared
    _shared = (task, shares)
    gc.freeze()  # the parent's objects, inherited by the workers, stay out of their collections (no copies)
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_run_share, range(n)))
    except Exception:  # noqa: BLE001 (a worker died, or the pool could not start: do it all here)
        results = [_FAILED] * n
    finally:
        _shared = None
        gc.unfreeze()
    return [task(shares[i]) if r == _FAILED else r for i, r in enumerate(results)]
