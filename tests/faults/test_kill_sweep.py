"""I7: a writing command SIGKILLed at its k-th git call (before or after git runs) leaves refs,
index and working tree consistent, and running it again completes it or says it is done,
ending where an uninterrupted run ends. Default: a sample of k per command; with
``LLMGIT_FAULT_SWEEP=full``: every k, both variants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Clock, git, make_weights, run_cli
from faultkit import KILLED, Shim, copy_repo, full_sweep, head_blobs, index_of, refs_of

DAY = 86_400


def ok(repo: Path, *args: str) -> None:
    result = run_cli(repo, *args)
    assert result.code == 0, result.err


def _two_versions(repo: Path) -> None:
    make_weights(repo / "out" / "m", seed=1)
    ok(repo, "register", "m", "-w", "out/m", "--version", "1.0.0", "-M", "acc=0.8")
    make_weights(repo / "out" / "m", seed=2)
    ok(repo, "register", "m", "-w", "out/m", "--version", "1.0.1", "-M", "acc=0.9")


def setup_register(repo: Path, clock: Clock) -> None:
    _two_versions(repo)
    make_weights(repo / "out" / "m", seed=3)


def setup_promote(repo: Path, clock: Clock) -> None:
    _two_versions(repo)
    ok(repo, "promote", "m@v1.0.0", "--to", "staging")
    clock.tick()


def setup_rollback(repo: Path, clock: Clock) -> None:
    _two_versions(repo)
    for v in ("1.0.0", "1.0.1"):
        ok(repo, "promote", f"m@v{v}", "--to", "production", "--direct", "--skip-staging")
        clock.tick()


def setup_canary(repo: Path, clock: Clock) -> None:
    _two_versions(repo)
    ok(repo, "promote", "m@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    clock.tick()


def setup_abort(repo: Path, clock: Clock) -> None:
    setup_canary(repo, clock)
    ok(repo, "ab", "start", "m", "-c", "1.0.1", "--percent", "10", "--skip-staging")
    clock.tick()


def setup_lifecycle(repo: Path, clock: Clock) -> None:
    _two_versions(repo)
    ok(repo, "promote", "m@v1.0.0", "--to", "staging")
    clock.tick()
    ok(repo, "promote", "m@v1.0.1", "--to", "staging")
    clock.tick(40 * DAY)


def setup_checkout(repo: Path, clock: Clock) -> None:
    _two_versions(repo)


@dataclass(frozen=True)
class Case:
    setup: Callable[[Path, Clock], None]
    args: tuple[str, ...]


CASES = {
    "register": Case(setup_register, ("register", "m", "-w", "out/m", "--version", "1.0.2", "-M", "acc=0.95")),
    "promote": Case(setup_promote, ("promote", "m@v1.0.1", "--to", "staging")),
    "rollback": Case(setup_rollback, ("rollback", "m", "--reason", "worse")),
    "ab-start": Case(setup_canary, ("ab", "start", "m", "-c", "1.0.1", "--percent", "10", "--skip-staging")),
    "ab-abort": Case(setup_abort, ("ab", "abort", "m", "--reason", "worse")),
    "lifecycle-apply": Case(setup_lifecycle, ("lifecycle", "apply")),
    "checkout": Case(setup_checkout, ("checkout", "m@v1.0.0")),
}


def fault_points(calls: int) -> list[tuple[int, str]]:
    """Every k in both variants with ``LLMGIT_FAULT_SWEEP=full``; else the last git calls
    (where the index and the refs move) killed after git ran, and the last one before."""
    if full_sweep():
        return [(k, w) for k in range(1, calls + 1) for w in ("before", "after")]
    return [(k, "after") for k in range(max(1, calls - 4), calls + 1)] + [(calls, "before")]


def state(repo: Path) -> tuple[dict[str, str], dict[str, str], str]:
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    return refs_of(repo), index_of(repo), status


def check_consistent(repo: Path, before: dict[str, str], after: dict[str, str], final_head: dict[str, str]) -> None:
    fsck = git(repo, "fsck", "--connectivity-only", "--no-dangling", check=False)
    assert "error" not in fsck.lower() and "missing" not in fsck.lower(), fsck
    now = refs_of(repo)
    moving = {r for r in set(before) | set(after) if before.get(r) != after.get(r)}
    moved = {r for r in moving if now.get(r) == after.get(r)}
    assert moved in (set(), moving), f"refs moved in part: {sorted(moved)} of {sorted(moving)}"
    for r in set(now) - moving:
        if not r.startswith("refs/heads/llmgit-promote/"):
            assert now[r] == before.get(r), f"{r} changed, though the command does not move it"
    head, index = head_blobs(repo), index_of(repo)
    for path in set(head) | set(index):
        if head.get(path) != index.get(path):  # staged: only ever the change the command makes
            assert index.get(path) == final_head.get(path), f"the index stages a revert of {path}"


@pytest.mark.parametrize("name", list(CASES))
def test_kill_at_every_git_call(name: str, registry_repo: Path, tmp_path: Path, clock: Clock) -> None:
    case = CASES[name]
    case.setup(registry_repo, clock)
    base = registry_repo
    shim = Shim(tmp_path / "kit")
    reference = copy_repo(base, tmp_path / "reference")
    before = refs_of(reference)
    calls = shim.count_calls(reference, list(case.args))
    after = state(reference)
    final_head = head_blobs(reference)
    points = fault_points(calls)
    for i, (k, when) in enumerate(points):
        work = copy_repo(base, tmp_path / f"k{i}")
        killed = shim.run(work, list(case.args), at=k, when=when)
        assert killed.code in (KILLED, 0), f"k={k} {when}: {killed.err}"
        check_consistent(work, before, after[0], final_head)
        rerun = shim.run(work, list(case.args))
        assert rerun.code == 0, f"k={k} {when}: the rerun failed: {rerun.err}"
        assert state(work) == after, f"k={k} {when}: the rerun does not end where an uninterrupted run does"
    print(f"{name}: {calls} git calls, {len(points)} fault points")
