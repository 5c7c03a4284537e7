"""scripts/lib/apt.sh: the test command's apt-get waits (bounded) for another package manager's
lock instead of failing with exit 100. Real apt-get on a private state directory (its own
package-list lock, no sources, no network) and a real fcntl lock held by another process."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "scripts" / "lib" / "apt.sh"

pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None, reason="no apt-get on this machine")

HOLD = """
import fcntl, sys, time
f = open(sys.argv[1], "a+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold(lock: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _update(state: Path, wait_s: int) -> tuple[subprocess.CompletedProcess[str], float]:
    """``apt_get update`` against a private list directory with no sources: it needs only the
    package-list lock, which apt-get's own DPkg::Lock::Timeout does not wait for."""
    argv = [
        "bash",
        "-c",
        f'. "{LIB}"; apt_get "$@"',
        "apt_get",
        "-o",
        f"Dir::State::Lists={state / 'lists'}",
        "-o",
        f"Dir::Cache::Archives={state / 'archives'}",
        "-o",
        f"Dir::Etc::SourceList={state / 'sources.list'}",
        "-o",
        f"Dir::Etc::SourceParts={state / 'sources.list.d'}",
        "update",
        "-qq",
    ]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LLMGIT_APT_LOCK_WAIT": str(wait_s), "LC_ALL": "C"}
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    return proc, time.monotonic() - start


@pytest.fixture
def state(tmp_path: Path) -> Path:
    for sub in ("lists/partial", "archives/partial", "sources.list.d"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "sources.list").write_text("")
    return tmp_path


def test_waits_for_a_lock_another_process_releases(state: Path) -> None:
    holder = _hold(state / "lists" / "lock", 4)
    try:
        proc, took = _update(state, wait_s=60)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 0, proc.stderr
    assert "another package manager holds a lock; waiting" in proc.stderr
    assert took >= 3  # it did wait for the holder


def test_gives_up_after_the_bounded_wait(state: Path) -> None:
    holder = _hold(state / "lists" / "lock", 60)
    try:
        proc, took = _update(state, wait_s=2)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 100
    assert "Could not get lock" in proc.stderr  # apt-get's own message is kept
    assert took < 30


def test_any_other_failure_returns_at_once(state: Path) -> None:
    (state / "lists").rename(state / "elsewhere")  # no list directory: not a lock problem
    (state / "lists").write_text("not a directory")
    proc, took = _update(state, wait_s=60)
    assert proc.returncode != 0
    assert "waiting" not in proc.stderr
    assert took < 30
