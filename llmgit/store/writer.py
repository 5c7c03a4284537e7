"""The one writer: commits built with plumbing (the user's index and working tree are never
touched unless said so) and plans of ref changes applied all at once.

With ``push``, :func:`apply` uploads the versions' weights first, then pushes every ref in
one atomic ``git push``, and only then moves the local refs in one ``update-ref``
transaction: a failure at any step leaves the local refs as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from llmgit.core.model import ModelVersion
from llmgit.core.plan import ZERO, Plan, PushSpec, RefUpdate
from llmgit.errors import UsageError
from llmgit.infra import git, gitremote
from llmgit.weights.push import push_version


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


def apply(root: Path, git_remote: str, plan: Plan, versions: Iterable[ModelVersion] = (), *, push: bool) -> None:
    """Apply ``plan``. With ``push``: the weights of ``versions`` first, then one atomic git
    push of the plan's refs; then the local refs."""
    if push:
        for v in versions:
            push_version(root, v)
        seen: dict[str, PushSpec] = {}
        for s in plan.pushes:
            seen.setdefault(s.ref, s)
        gitremote.push(root, git_remote, list(seen.values()))
    git.update_refs(root, list(plan.updates))
