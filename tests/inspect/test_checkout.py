"""checkout: byte-exact exports, working-tree restores, and never destroying unsaved work."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli, snapshot, tree_md5

from llmgit import Registry
from llmgit.errors import WouldLoseWork


@pytest.fixture
def three_versions(registry_repo: Path) -> tuple[Path, list[dict[str, str]]]:
    repo = registry_repo
    sums = []
    for seed in (1, 2, 3):
        sums.append(make_weights(repo / "out" / "m", seed=seed))
        result = run_cli(repo, "register", "m", "-w", "out/m", "-M", f"acc=0.{seed}")
        assert result.code == 0, result.err
    return repo, sums


def test_export_is_byte_exact(three_versions: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> None:
    repo, sums = three_versions
    before = snapshot(repo)
    result = run_cli(repo, "checkout", "m@v1.0.0", "--to", str(tmp_path / "v1-export"))
    assert result.code == 0, result.err
    assert tree_md5(tmp_path / "v1-export") == sums[0]
    assert snapshot(repo) == before  # the working tree is left alone
    # a non-empty target is refused unless --force
    again = run_cli(repo, "checkout", "m@v1.0.1", "--to", str(tmp_path / "v1-export"))
    assert again.code == 4 and "is not empty" in again.err
    assert tree_md5(tmp_path / "v1-export") == sums[0]
    forced = run_cli(repo, "checkout", "m@v1.0.1", "--to", str(tmp_path / "v1-export"), "--force")
    assert forced.code == 0 and tree_md5(tmp_path / "v1-export") == sums[1]


def test_export_falls_back_to_the_remote(three_versions: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> None:
    from dvc.repo import Repo

    repo, sums = three_versions
    with Repo(str(repo)) as dvc_repo:  # real DVC: upload every version's objects
        dvc_repo.push(all_tags=True)
    shutil.rmtree(repo / ".dvc" / "cache")
    result = run_cli(repo, "checkout", "m@v1.0.1", "--to", str(tmp_path / "exp"))
    assert result.code == 0, result.err
    assert tree_md5(tmp_path / "exp") == sums[1]


def test_missing_everywhere_is_a_clear_error(three_versions: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> None:
    repo, _ = three_versions
    shutil.rmtree(repo / ".dvc" / "cache")
    result = run_cli(repo, "checkout", "m@v1.0.0", "--to", str(tmp_path / "exp"))
    assert result.code == 1
    assert "neither in the local cache nor on the remote" in result.err


def test_in_place_checkout_restores_card_and_weights(three_versions: tuple[Path, list[dict[str, str]]]) -> None:
    repo, sums = three_versions
    head = git(repo, "rev-parse", "HEAD")
    index = git(repo, "ls-files", "-s")
    result = run_cli(repo, "checkout", "m@v1.0.0")
    assert result.code == 0, result.err
    assert tree_md5(repo / "out" / "m") == sums[0]
    assert (repo / "out" / "m.dvc").read_bytes() == git(repo, "show", "m@v1.0.0:out/m.dvc").encode()
    assert (repo / "models/m/model_card.yaml").read_text() == git(repo, "show", "m@v1.0.0:models/m/model_card.yaml")
    # HEAD and the index are untouched: the restore shows up as working-tree changes
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "ls-files", "-s") == index
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [" M models/m/model_card.yaml", " M out/m.dvc"]
    # moving between registered versions is always safe
    assert run_cli(repo, "checkout", "m@v1.0.2").code == 0
    assert tree_md5(repo / "out" / "m") == sums[2]
    assert git(repo, "status", "--porcelain") == ""


def test_unsaved_weights_are_protected(three_versions: tuple[Path, list[dict[str, str]]]) -> None:
    repo, sums = three_versions
    make_weights(repo / "out" / "m", seed=99)  # new, unregistered training output
    before = snapshot(repo)
    result = run_cli(repo, "checkout", "m@v1.0.0")
    assert result.code == 4
    assert "differ from every registered version" in result.err and "--force" in result.err
    assert snapshot(repo) == before
    forced = run_cli(repo, "checkout", "m@v1.0.0", "--force")
    assert forced.code == 0 and tree_md5(repo / "out" / "m") == sums[0]


def test_unsaved_card_edits_are_protected(three_versions: tuple[Path, list[dict[str, str]]]) -> None:
    repo, _ = three_versions
    card = repo / "models" / "m" / "model_card.yaml"
    card.write_text(card.read_text() + "limitations: [hand-written]\n")
    before = snapshot(repo)
    with pytest.raises(WouldLoseWork, match="has edits that no version holds"):
        Registry(repo).checkout("m@v1.0.0")
    assert snapshot(repo) == before


def test_checkout_by_latest_and_partial(three_versions: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> None:
    repo, sums = three_versions
    assert Registry(repo).checkout("m@1", to=tmp_path / "a").version.version == "1.0.2"
    assert Registry(repo).checkout("m@latest", to=tmp_path / "b").version.version == "1.0.2"
    assert tree_md5(tmp_path / "a") == sums[2]
