"""Building hostile registries the way an attacker with push access would: objects, trees and
tags written with git plumbing (``git mktree`` accepts entries such as ``..`` that porcelain
never writes), and a check that nothing was written outside the allowed roots.

Bombs run in a child process under an address-space limit and a time limit (:func:`run_bounded`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import git

MEMORY_LIMIT = 512 << 20  # RLIMIT_AS for a child running one command against a bomb
TIME_LIMIT = 60  # seconds


def blob(repo: Path, data: bytes | str) -> str:
    """Write a blob; returns its object id."""
    raw = data.encode() if isinstance(data, str) else data
    proc = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=raw, capture_output=True, check=True)
    return proc.stdout.decode().strip()


def mktree(repo: Path, entries: Iterable[tuple[str, str, str]]) -> str:
    """A tree from ``(mode, oid, name)`` entries, names unchecked (``..`` and ``/`` pass)."""
    lines = []
    for mode, oid, name in entries:
        kind = "tree" if mode == "040000" else "blob"
        lines.append(f"{mode} {kind} {oid}\t{name}")
    proc = subprocess.run(
        ["git", "mktree", "--missing"],
        cwd=repo,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def tree_of(repo: Path, files: Mapping[str, bytes | str]) -> str:
    """A tree holding ``files`` (slash-separated paths; a part may be ``..``)."""
    top: dict[str, Any] = {}
    for path, data in files.items():
        node = top
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = data

    def build(node: dict[str, Any]) -> str:
        entries = []
        for name, value in sorted(node.items()):
            if isinstance(value, dict):
                entries.append(("040000", build(value), name))
            else:
                entries.append(("100644", blob(repo, value), name))
        return mktree(repo, entries)

    return build(top)


def commit(repo: Path, tree: str, message: str = "forged", parent: str | None = None) -> str:
    args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    return git(repo, *args).strip()


def forge_tag(repo: Path, tag: str, target: str, message: str) -> None:
    """An annotated tag with any message (the tag name still passes git's ref rules)."""
    proc = subprocess.run(
        ["git", "tag", "-a", "-f", "-F", "-", tag, target],
        cwd=repo,
        input=message,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"git tag {tag} failed: {proc.stderr}")


def summary_message(name: str, version: str, summary: Mapping[str, Any] | str) -> str:
    """A version tag message as llmgit writes it, with ``summary`` as its body."""
    body = summary if isinstance(summary, str) else json.dumps({"llmgit": 1, **summary}, indent=2)
    return f"{name} v{version}\n\n{body}\n"


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    mode: int


def sandbox_state(root: Path) -> dict[str, FileState]:
    """Every path under ``root`` (not following links) with its size, mtime and mode."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            state[p.relative_to(root).as_posix()] = FileState(st.st_size, st.st_mtime_ns, st.st_mode)
    return state


def changed_outside(
    before: Mapping[str, FileState], after: Mapping[str, FileState], allowed: Iterable[str]
) -> list[str]:
    """Paths (relative to the sandbox) added, removed or changed outside the ``allowed``
    prefixes (each a relative path: a file or a directory)."""
    prefixes = tuple(a.rstrip("/") for a in allowed)

    def inside(p: str) -> bool:
        return any(p == a or p.startswith(a + "/") for a in prefixes)

    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) and not inside(k))


@dataclass(frozen=True)
class Bounded:
    code: int
    out: str
    err: str
    timed_out: bool


_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from llmgit.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_bounded(cwd: Path, *args: str, limit: int = MEMORY_LIMIT, timeout: float = TIME_LIMIT) -> Bounded:
    """``llmgit ARGS`` in a child process limited to ``limit`` bytes of address space and
    ``timeout`` seconds (killed after it: ``timed_out``)."""
    code = _CHILD.format(limit=limit)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Bounded(-9, out, err, True)
    return Bounded(proc.returncode, proc.stdout, proc.stderr, False)
