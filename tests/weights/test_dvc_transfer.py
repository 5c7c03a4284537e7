"""Remotes only DVC's own transfer handles (here: a local directory with a setting llmgit's
mover does not take) get the same checks: the cache's objects before an upload, every
download before it is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_weights, run_cli, snapshot, tree_md5

from llmgit.weights import cache, dvc, transfer

REF = "m@v1.0.0"
SHARD = "model-00000-of-00002.safetensors"


@pytest.fixture
def dvc_path_repo(registry_repo: Path) -> tuple[Path, dict[str, str]]:
    repo = registry_repo
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", "remote", "modify", "storage", "shared", "group"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    settings = dvc.remote_settings(repo)
    assert settings is not None and transfer.mover(settings) is None  # DVC's own transfer
    sums = make_weights(repo / "w", seed=11, size=50_000)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    return repo, sums


def _remote_object(tmp_path: Path, md5: str) -> Path:
    return tmp_path / "remote" / "files" / "md5" / md5[:2] / md5[2:]


def test_push_and_pull_through_dvc(dvc_path_repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, sums = dvc_path_repo
    assert run_cli(repo, "push", REF).code == 0
    assert _remote_object(tmp_path, sums[SHARD]).is_file()
    local = cache.object_path(cache.local_dir(repo), sums[SHARD])
    local.chmod(0o644)
    local.unlink()
    assert run_cli(repo, "pull", REF).code == 0 and local.is_file()
    out = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "out"))
    assert out.code == 0 and tree_md5(tmp_path / "out") == sums


def test_a_damaged_download_through_dvc_is_refused(dvc_path_repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, sums = dvc_path_repo
    assert run_cli(repo, "push", REF).code == 0
    remote_object = _remote_object(tmp_path, sums[SHARD])
    remote_object.chmod(0o644)
    remote_object.write_bytes(b"tampered")
    local = cache.object_path(cache.local_dir(repo), sums[SHARD])
    local.chmod(0o644)
    local.unlink()
    result = run_cli(repo, "pull", REF)
    assert result.code == 1 and "its bytes are not the registered ones" in result.err, result.err
    assert f"({SHARD} of {REF})" in result.err
    assert not local.exists()  # moved aside, never used


def test_a_damaged_cache_object_is_not_uploaded_through_dvc(
    dvc_path_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, sums = dvc_path_repo
    local = cache.object_path(cache.local_dir(repo), sums[SHARD])
    local.chmod(0o644)
    local.write_bytes(b"x" * 50_000)
    before = snapshot(repo)
    result = run_cli(repo, "push", REF)
    assert result.code == 1 and "its bytes are not the registered ones" in result.err, result.err
    assert not _remote_object(tmp_path, sums[SHARD]).exists()
    assert snapshot(repo) == before
