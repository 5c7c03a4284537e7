"""The cache type: ``reflink,copy`` by default; a link type only as an explicit choice, warned
about by every command that writes weights; one command switches back and turns the working
tree's links into copies. And work trees share the main work tree's cache."""

from __future__ import annotations

import configparser
import os
import shutil
from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli, snapshot, tree_md5

from llmgit.weights import cache


def _configured(repo: Path) -> str:
    parser = configparser.ConfigParser()
    parser.read(repo / ".dvc" / "config")
    return parser.get("cache", "type").strip('"')


def test_init_defaults_to_copies(repo: Path, tmp_path: Path) -> None:
    result = run_cli(repo, "init", "--remote", str(tmp_path / "remote"))
    assert result.code == 0 and "Cache type: reflink,copy" in result.err and "warning" not in result.err
    assert _configured(repo) == "reflink,copy"
    assert "reflink,copy" in git(repo, "show", "HEAD:.dvc/config")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "error: cache type '' is empty or has an empty entry"),
        ("copy,,reflink", "error: cache type 'copy,,reflink' is empty or has an empty entry"),
        ("hardlnk", "error: unknown cache type 'hardlnk'"),
        ("copy,copy", "error: cache type 'copy,copy' names a type twice"),
    ],
    ids=["empty", "empty-entry", "typo", "twice"],
)
def test_bad_cache_types_are_refused(registry_repo: Path, value: str, message: str) -> None:
    before = snapshot(registry_repo)
    result = run_cli(registry_repo, "init", "--cache-type", value)
    assert result.code == 2 and result.err.splitlines()[0] == message
    assert snapshot(registry_repo) == before


def test_a_link_type_warns_every_writing_command_once(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    chosen = run_cli(repo, "init", "--cache-type", "hardlink,copy")
    assert chosen.code == 0 and chosen.err.count("warning: the DVC cache type is 'hardlink,copy'") == 1
    assert "hint: switch to copies (the working tree's links become copies): llmgit init --cache-type" in chosen.err
    make_weights(repo / "w", seed=1)
    for args in (
        ("register", "m", "-w", "w"),
        ("push", "m@v1.0.0"),
        ("checkout", "m@v1.0.0", "--to", str(tmp_path / "x")),
        ("checkout", "m@v1.0.0", "--force"),
    ):
        result = run_cli(repo, *args)
        assert result.code == 0, result.err
        assert result.err.count("warning: the DVC cache type is 'hardlink,copy'") == 1, (args, result.err)
    assert run_cli(repo, "versions", "m").err.count("warning:") == 0  # reading commands stay quiet


def test_switching_back_turns_links_into_copies(registry_repo: Path) -> None:
    repo = registry_repo
    assert run_cli(repo, "init", "--cache-type", "hardlink").code == 0
    sums = make_weights(repo / "w", seed=2)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    files = sorted(p for p in (repo / "w").iterdir())
    assert all(p.stat().st_nlink > 1 for p in files)  # DVC linked them to the cache
    switched = run_cli(repo, "init", "--cache-type", "reflink,copy")
    assert switched.code == 0, switched.err
    assert f"Turned {len(files)} working-tree file(s) linked to the cache into copies" in switched.err
    assert _configured(repo) == "reflink,copy"
    assert all(p.stat().st_nlink == 1 and p.stat().st_mode & 0o200 for p in files)
    assert tree_md5(repo / "w") == sums
    for p in files:  # now a rewrite in place is the working tree's own business
        with open(p, "wb") as fh:
            fh.write(b"retrained")
    assert run_cli(repo, "fsck", "--deep").code == 0


def test_init_again_replaces_the_link_default_older_llmgit_wrote(registry_repo: Path) -> None:
    """A registry set up before copies were the default holds 'hardlink,symlink,copy': that was
    llmgit's choice, not the user's, so a plain 'llmgit init' turns it into copies."""
    repo = registry_repo
    config = repo / ".dvc" / "config"  # what older llmgit wrote
    config.write_text(config.read_text().replace('type = "reflink,copy"', 'type = "hardlink,symlink,copy"'))
    assert _configured(repo) == "hardlink,symlink,copy"
    sums = make_weights(repo / "w", seed=3)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    files = sorted(p for p in (repo / "w").iterdir())
    assert all(p.stat().st_nlink > 1 for p in files)
    again = run_cli(repo, "init")
    assert again.code == 0 and "Cache type: reflink,copy" in again.err, again.err
    assert _configured(repo) == "reflink,copy"
    assert all(p.stat().st_nlink == 1 for p in files) and tree_md5(repo / "w") == sums


def test_init_again_keeps_the_chosen_type(registry_repo: Path) -> None:
    repo = registry_repo
    assert run_cli(repo, "init", "--cache-type", "symlink").code == 0
    again = run_cli(repo, "init")
    assert again.code == 0 and "Cache type: symlink" in again.err
    assert _configured(repo) == "symlink"


def test_a_worktree_registers_into_the_main_cache(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    tree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "experiment", str(tree))
    sums = make_weights(tree / "w", seed=3, size=50_000)
    result = run_cli(tree, "register", "m", "-w", "w")
    assert result.code == 0, result.err
    main_cache = repo / ".dvc" / "cache"
    assert cache.cache_dir(tree) == main_cache
    assert not (tree / ".dvc" / "cache").exists()
    for md5 in sums.values():
        assert cache.object_path(main_cache, md5).is_file()
    assert "cache" not in git(tree, "status", "--porcelain")
    git(repo, "worktree", "remove", "--force", str(tree))
    assert not tree.exists()
    out = run_cli(repo, "checkout", "m@v1.0.0", "--to", str(tmp_path / "out"))  # nothing was lost
    assert out.code == 0, out.err
    assert tree_md5(tmp_path / "out") == sums
    assert run_cli(repo, "fsck").code == 0


def test_dvc_in_a_worktree_uses_the_main_cache(registry_repo: Path, tmp_path: Path) -> None:
    tree = tmp_path / "wt"
    git(registry_repo, "worktree", "add", "-q", "-b", "experiment", str(tree))
    from llmgit.weights import dvc

    with dvc.open_repo(tree) as repo:
        assert Path(repo.cache.local.path) == registry_repo / ".dvc" / "cache" / "files" / "md5"
    assert (tree / ".dvc" / "config.local").is_file()
    assert "config.local" not in git(tree, "status", "--porcelain")
    shutil.rmtree(tree)
    git(registry_repo, "worktree", "prune")
    assert os.path.isdir(registry_repo / ".dvc")
