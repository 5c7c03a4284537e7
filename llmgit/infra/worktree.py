"""Whether the working tree has uncommitted changes to tracked files, and a hash of them.

``git diff HEAD`` (staged and unstaged changes of tracked files, binary, no external diff
or text conversion) is streamed through SHA-256, never held in memory. Untracked files are
not changes to the tree a version was trained from.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.errors import OperationFailed
from llmgit.infra import git

MAX_LISTED = 50  # changed paths a card names; the rest are counted
CHUNK = 1 << 20


@dataclass(frozen=True)
class TreeState:
    dirty: bool
    diff_sha256: str | None  # of the binary diff against HEAD (None when clean)
    changed: tuple[str, ...]  # the changed tracked paths (at most MAX_LISTED)
    changed_count: int

    def to_card(self) -> dict[str, object]:
        out: dict[str, object] = {"dirty": self.dirty}
        if self.dirty:
            out["diff_sha256"] = self.diff_sha256
            out["changed_files"] = list(self.changed)
            if self.changed_count > len(self.changed):
                out["changed_files_omitted"] = self.changed_count - len(self.changed)
        return out


def _base(root: Path, head: str | None) -> str:
    """HEAD, or the empty tree before the first commit."""
    if head is not None:
        return head
    return git.out(root, ["hash-object", "-t", "tree", "--stdin"], input=b"").strip()


def _pathspecs(exclude: Sequence[str]) -> list[str]:
    return ["--", ".", *(f":(exclude,top,literal){p}" for p in exclude)]


_DIFF = ["-c", "core.quotePath=false", "diff", "--no-ext-diff", "--no-textconv", "--no-color", "--ignore-submodules"]


def state(root: Path, head: str | None, exclude: Sequence[str] = ()) -> TreeState:
    """The uncommitted changes of tracked files, but for the repository-relative ``exclude``
    paths (the files register writes itself)."""
    base = _base(root, head)
    names = git.out(root, [*_DIFF, "--name-only", "-z", base, *_pathspecs(exclude)]).split("\0")
    changed = sorted(n for n in names if n)
    if not changed:
        return TreeState(False, None, (), 0)
    digest = hashlib.sha256()
    argv = ["git", *_DIFF, "--binary", "--full-index", base, *_pathspecs(exclude)]
    env = {**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"}
    with subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env) as proc:
        for chunk in iter(lambda: proc.stdout.read(CHUNK) if proc.stdout else b"", b""):
            digest.update(chunk)
    if proc.returncode != 0:
        raise OperationFailed(f"git diff failed (exit {proc.returncode}) while checking the working tree")
    return TreeState(True, digest.hexdigest(), tuple(changed[:MAX_LISTED]), len(changed))
