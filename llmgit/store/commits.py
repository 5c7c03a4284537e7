"""Commits built with plumbing: on a branch tip with some files written (the user's index and
working tree are never touched), and on the checked-out branch for llmgit's own files (the
index follows for those paths only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from llmgit.core.plan import ZERO, RefUpdate
from llmgit.errors import UsageError
from llmgit.infra import git


def require_branch(root: Path) -> str:
    branch = git.current_branch(root)
    if branch is None:
        raise UsageError(
            "HEAD is detached: llmgit commits on a branch",
            hint="switch to a branch first, for example 'git switch main'",
        )
    return branch


def commit_on(root: Path, tip: str | None, files: Mapping[str, str], message: str) -> str:
    """A commit on top of ``tip`` (None: a root commit) whose tree is ``tip``'s with
    ``files`` (path -> blob id) written; no ref moves."""
    tree = git.tree_with(root, tip, files)
    return git.commit_tree(root, tree, [tip] if tip else [], message)


def blobs(root: Path, files: Mapping[str, bytes]) -> dict[str, str]:
    """Write each file's content as a blob: path -> blob id."""
    return {path: git.hash_object(root, data) for path, data in files.items()}


def prepare_commit(root: Path, branch: str, files: Mapping[str, str], message: str) -> tuple[str | None, str | None]:
    """(old head, new commit) recording ``files`` (path -> blob) on ``branch``; the new
    commit is None when nothing would change. No ref moves here."""
    head = git.rev_parse(root, branch)
    if head is not None:
        current = git.blob_ids(root, [f"{head}:{p}" for p in files])
        if all(current[f"{head}:{p}"] == oid for p, oid in files.items()):
            return head, None
    return head, commit_on(root, head, files, message)


def commit_files(root: Path, branch: str, paths: Sequence[str], message: str) -> str | None:
    """Commit the working-tree contents of ``paths`` on ``branch`` (checked out), nothing else;
    the index follows for those paths only."""
    files = {p: git.hash_object(root, (root / p).read_bytes()) for p in paths}
    head, commit = prepare_commit(root, branch, files, message)
    if commit is None:
        return None
    git.update_refs(root, [RefUpdate(branch, commit, head or ZERO)])
    git.set_index_entries(root, files)
    return commit
