"""infra.forked: shares on every core, the same results as in one process, and any failure in
a worker surfaces as the exception the parent itself raises."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from llmgit.infra import forked


def _square_pids(share: Sequence[int]) -> tuple[list[int], int]:
    return [i * i for i in share], os.getpid()


def test_shares_run_in_workers_and_come_back_in_order() -> None:
    items = list(range(40))
    results = forked.map_shares(_square_pids, items, min_share=10, workers=2)
    assert [r[0] for r in results] == [[i * i for i in items[0::2]], [i * i for i in items[1::2]]]
    assert all(pid != os.getpid() for _, pid in results)  # forked workers did the work


def test_too_little_work_stays_in_this_process() -> None:
    results = forked.map_shares(_square_pids, list(range(15)), min_share=10, workers=2)
    assert results == [([i * i for i in range(15)], os.getpid())]


class Refused(Exception):
    def __init__(self, what: str, hint: str) -> None:  # not picklable as raised: two arguments
        super().__init__(what)
        self.hint = hint


def test_an_exception_in_a_worker_is_raised_here_as_itself() -> None:
    calls: list[int] = []

    def task(share: Sequence[int]) -> int:
        calls.append(os.getpid())
        if 7 in share:
            raise Refused("seven", hint="no sevens")
        return sum(share)

    with pytest.raises(Refused, match="seven") as caught:
        forked.map_shares(task, list(range(20)), min_share=5, workers=2)
    assert caught.value.hint == "no sevens"
    assert os.getpid() in calls  # the failed share ran again in this process


def test_a_worker_that_dies_is_replaced_by_this_process() -> None:
    parent = os.getpid()

    def task(share: Sequence[int]) -> list[int]:
        if os.getpid() != parent and 3 in share:
            os._exit(9)  # a crash: no exception, no result
        return list(share)

    assert forked.map_shares(task, list(range(12)), min_share=3, workers=3) == [
        list(range(0, 12, 3)),
        list(range(1, 12, 3)),
        list(range(2, 12, 3)),
    ]


def test_a_result_that_does_not_pickle_is_computed_here() -> None:
    parent = os.getpid()

    def task(share: Sequence[int]) -> object:
        if os.getpid() != parent:
            return lambda: share  # cannot travel back
        return sorted(share)

    assert forked.map_shares(task, list(range(8)), min_share=2, workers=2) == [[0, 2, 4, 6], [1, 3, 5, 7]]
