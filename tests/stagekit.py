"""Builders for stage tests: a bare origin, clones, and simulated pull-request merges."""

from __future__ import annotations

from pathlib import Path

from conftest import git, make_weights, run_cli


def register_versions(repo: Path, name: str, accuracies: list[float]) -> None:
    for i, acc in enumerate(accuracies):
        make_weights(repo / "out" / name, seed=100 + i)
        result = run_cli(
            repo,
            "register",
            name,
            "-w",
            f"out/{name}",
            "-M",
            f"accuracy={acc}",
            "-M",
            f"loss={1 - acc:.3f}",
            "-m",
            f"run {i}",
        )
        assert result.code == 0, result.err


def ok(repo: Path, *args: str) -> str:
    result = run_cli(repo, *args)
    assert result.code == 0, f"llmgit {' '.join(args)} -> {result.code}: {result.err}"
    return result.out + result.err


def push_all_weights(repo: Path) -> None:
    """Real DVC: upload every version's objects to the storage remote."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:
        dvc_repo.push(all_tags=True)


def make_origin(tmp_path: Path, repo: Path) -> Path:
    push_all_weights(repo)
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main", "--tags")
    return origin


def clone(tmp_path: Path, origin: Path, name: str) -> Path:
    target = tmp_path / name
    git(tmp_path, "clone", "-q", str(origin), str(target))
    return target


def merge_in_origin(tmp_path: Path, origin: Path, branch: str, base: str, how: str) -> None:
    """What a forge does when a pull request merges: merge commit, squash, or rebase."""
    work = tmp_path / f"merger-{how}"
    if not work.exists():
        git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "fetch", "-q", "origin")
    git(work, "checkout", "-q", "-B", base, f"origin/{base}")
    if how == "merge":
        git(work, "merge", "-q", "--no-ff", "-m", f"Merge pull request from {branch}", f"origin/{branch}")
    elif how == "squash":
        git(work, "merge", "-q", "--squash", f"origin/{branch}")
        git(work, "commit", "-q", "-m", f"Promote (squashed) from {branch}")
    elif how == "rebase":
        git(work, "cherry-pick", f"origin/{branch}")
    else:
        raise ValueError(how)
    git(work, "push", "-q", "origin", base)
    git(work, "push", "-q", "origin", "--delete", branch)
