"""Weights that git already tracks: the error says which files, and the hint names exactly
what to untrack, never a registered version's DVC pointer (README: ``--weights out/``)."""

from __future__ import annotations

import shlex
from pathlib import Path

from conftest import git, make_weights, run_cli, snapshot
from stagekit import ok

M = "llama2-7b-alpaca"


def _lines(err: str) -> list[str]:
    return err.splitlines()


def test_the_folder_above_registered_weights_names_the_weights_folder(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    ok(repo, "register", M, "-w", f"out/{M}")
    make_weights(repo / "out" / M, seed=2)
    before = snapshot(repo)
    result = run_cli(repo, "register", M, "-w", "out/")
    assert result.code == 2
    assert _lines(result.err) == [
        f"error: weights path 'out' holds the DVC pointers of other weights (out/{M}), so it is not one model's weights",
        f"hint: give the weights folder itself, for example --weights out/{M}",
    ]
    assert snapshot(repo) == before
    ok(repo, "register", M, "-w", f"out/{M}")  # as the hint says


def test_the_hint_untracks_exactly_the_tracked_files(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    (repo / "w" / "it's odd.bin").write_bytes(b"x" * 64)
    git(repo, "add", "w/config.json", "w/it's odd.bin")
    git(repo, "commit", "-q", "-m", "weights in git")
    before = snapshot(repo)
    result = run_cli(repo, "register", "m", "-w", "w")
    assert result.code == 2
    error, hint = _lines(result.err)
    assert error == "error: weights path 'w' is tracked by git itself (w/config.json, w/it's odd.bin)"
    untrack = "git rm --cached -- w/config.json " + shlex.quote("w/it's odd.bin")
    assert hint == f"hint: stop tracking these 2 files first: {untrack} && git commit"
    assert snapshot(repo) == before
    # the hint, run as written, makes the registration work and untracks nothing else
    git(repo, "rm", "-q", "--cached", "--", "w/config.json", "w/it's odd.bin")
    git(repo, "commit", "-q", "-m", "untrack")
    ok(repo, "register", "m", "-w", "w")
    assert git(repo, "ls-files", "w").strip() == ""


def test_many_tracked_files_get_a_pathspec_that_keeps_pointers(registry_repo: Path) -> None:
    repo = registry_repo
    shards = repo / "big"
    shards.mkdir()
    for i in range(12):
        (shards / f"shard-{i:02d}.bin").write_bytes(bytes([i]) * 32)
    git(repo, "add", "big")
    git(repo, "commit", "-q", "-m", "shards in git")
    result = run_cli(repo, "register", "m", "-w", "big")
    assert result.code == 2
    error, hint = _lines(result.err)
    assert error.startswith(
        "error: weights path 'big' is tracked by git itself (big/shard-00.bin, "
    ) and error.endswith(" and 9 more)")
    assert hint == (
        "hint: stop tracking these 12 files first: git rm -r --cached -- big ':(exclude)*.dvc' "
        "':(exclude)*/.gitignore' && git commit"
    )
