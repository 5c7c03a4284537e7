"""Fault injection for writing commands: a ``git`` shim first on PATH that counts its calls
and, at call k, SIGKILLs the llmgit process (before or after running the real git), or
pauses it there until told to go on (``start`` with ``when="pause"``).

``run_llmgit`` starts llmgit in a child process that writes its pid where the shim reads it;
``count_calls`` runs a command with no kill and says how many git calls it makes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import git

SHIM = """#!/bin/sh
n=$(( $(cat "$LLMGIT_FAULT_COUNT" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$LLMGIT_FAULT_COUNT"
if [ -n "$LLMGIT_FAULT_LOG" ]; then echo "$*" >> "$LLMGIT_FAULT_LOG"; fi
if [ "$n" = "$LLMGIT_FAULT_AT" ] && [ "$LLMGIT_FAULT_WHEN" = before ]; then
    kill -9 "$(cat "$LLMGIT_FAULT_PIDFILE")"; exit 137
fi
if [ "$n" = "$LLMGIT_FAULT_AT" ] && [ "$LLMGIT_FAULT_WHEN" = pause ]; then
    : > "$LLMGIT_FAULT_PAUSED"
    while [ ! -e "$LLMGIT_FAULT_GO" ]; do sleep 0.02; done
fi
"$LLMGIT_REAL_GIT" "$@"
rc=$?
if [ "$n" = "$LLMGIT_FAULT_AT" ] && [ "$LLMGIT_FAULT_WHEN" = after ]; then
    kill -9 "$(cat "$LLMGIT_FAULT_PIDFILE")"; exit "$rc"
fi
exit "$rc"
"""

LAUNCH = (
    "import os, sys\n"
    "open(os.environ['LLMGIT_FAULT_PIDFILE'], 'w').write(str(os.getpid()))\n"
    "from llmgit.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)

KILLED = -9


def full_sweep() -> bool:
    """``LLMGIT_FAULT_SWEEP=full``: every k, both variants (else a sample)."""
    return os.environ.get("LLMGIT_FAULT_SWEEP", "") == "full"


@dataclass(frozen=True)
class Run:
    code: int
    err: str
    calls: int


class Shim:
    def __init__(self, where: Path) -> None:
        self.dir = where / "shim"
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "git"
        path.write_text(SHIM)
        path.chmod(0o755)
        self.count = where / "git-calls"
        self.pidfile = where / "llmgit.pid"
        self.paused, self.go = where / "paused", where / "go"
        real = shutil.which("git")
        assert real is not None
        self.real = real

    def env(self, at: int, when: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            **(extra or {}),
            "PATH": f"{self.dir}{os.pathsep}{os.environ['PATH']}",
            "LLMGIT_REAL_GIT": self.real,
            "LLMGIT_FAULT_COUNT": str(self.count),
            "LLMGIT_FAULT_AT": str(at),
            "LLMGIT_FAULT_WHEN": when,
            "LLMGIT_FAULT_PIDFILE": str(self.pidfile),
            "LLMGIT_FAULT_PAUSED": str(self.paused),
            "LLMGIT_FAULT_GO": str(self.go),
            "LLMGIT_PROGRESS_DELAY": "1000",
        }

    def run(
        self, cwd: Path, args: list[str], at: int = 0, when: str = "before", env: dict[str, str] | None = None
    ) -> Run:
        """``llmgit -C cwd ARGS``, killed at git call ``at`` (0: never)."""
        self.count.write_text("0")
        proc = subprocess.run(
            [sys.executable, "-c", LAUNCH, "-C", str(cwd), *args],
            env=self.env(at, when, env),
            capture_output=True,
            text=True,
            check=False,
        )
        return Run(proc.returncode, proc.stderr, int(self.count.read_text().strip() or 0))

    def start_paused(self, cwd: Path, args: list[str], at: int) -> subprocess.Popen[str]:
        """Start ``llmgit -C cwd ARGS`` and return once it waits at git call ``at``."""
        self.count.write_text("0")
        self.go.unlink(missing_ok=True)
        self.paused.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "-C", str(cwd), *args],
            env=self.env(at, "pause"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while not self.paused.exists():
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.02)
        return proc

    def resume(self) -> None:
        self.go.touch()

    def calls_of(self, cwd: Path, args: list[str]) -> list[str]:
        """The git commands (their arguments, one string each) that ``llmgit ARGS`` runs, in order."""
        log = self.dir.parent / "git-log"
        log.write_text("")
        result = self.run(cwd, args, env={"LLMGIT_FAULT_LOG": str(log)})
        assert result.code == 0, result.err
        return log.read_text().splitlines()

    def count_calls(self, cwd: Path, args: list[str]) -> int:
        result = self.run(cwd, args)
        assert result.code == 0, result.err
        return result.calls


def refs_of(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


def index_of(repo: Path) -> dict[str, str]:
    """path -> blob id in the real index."""
    found = {}
    for line in git(repo, "ls-files", "-s", "-z").split("\0"):
        if line:
            meta, _, path = line.partition("\t")
            found[path] = meta.split()[1]
    return found


def head_blobs(repo: Path) -> dict[str, str]:
    found = {}
    for line in git(repo, "ls-tree", "-r", "-z", "HEAD").split("\0"):
        if line:
            meta, _, path = line.partition("\t")
            found[path] = meta.split()[2]
    return found


def copy_repo(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    git(dst, "update-index", "-q", "--refresh", check=False)
    return dst
