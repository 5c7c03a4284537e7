"""Damaged bytes are found where they are read: a corrupt object in the local cache (checkout
repairs it from the remote or refuses, push refuses it, ``fsck`` reports it by version and
``fsck --repair`` restores it) and a corrupt object on the remote (pull refuses it and places
nothing)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_weights, run_cli, snapshot, tree_md5

from llmgit.weights import cache
from llmgit.weights.integrity import QUARANTINE

REF = "m@v1.0.0"


@pytest.fixture
def pushed(registry_repo: Path) -> tuple[Path, dict[str, str]]:
    repo = registry_repo
    sums = make_weights(repo / "w", seed=4, size=100_000)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    assert run_cli(repo, "push", REF).code == 0
    return repo, sums


def _object(repo: Path, sums: dict[str, str], name: str) -> Path:
    return cache.object_path(cache.local_dir(repo), sums[name])


def _damage(path: Path, *, keep_signature: bool = False) -> None:
    """Overwrite an object in place with as many other bytes (optionally keeping its mtime)."""
    st = path.stat()
    path.chmod(0o644)
    with open(path, "r+b") as fh:
        fh.write(b"\0" * 64)
    path.chmod(0o444)
    if keep_signature:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


SHARD = "model-00000-of-00002.safetensors"


def test_fsck_finds_a_corrupt_object_by_version_and_repairs_it(pushed: tuple[Path, dict[str, str]]) -> None:
    repo, sums = pushed
    clean = run_cli(repo, "fsck")
    assert clean.code == 0 and f"{REF}: ok (4 file(s))" in clean.out, clean.err
    victim = _object(repo, sums, SHARD)
    _damage(victim)
    found = run_cli(repo, "fsck", "--json")
    assert found.code == 1
    report = json.loads(found.out)
    assert report["versions"] == [
        {
            "version": REF,
            "state": "damaged",
            "files": 4,
            "missing": [],
            "corrupt": [SHARD],
            "repaired": [],
            "error": None,
        }
    ]
    assert found.err.splitlines()[-2:] == [
        f"error: 1 version(s) have corrupt or missing objects in the local cache: {REF}",
        "hint: repair them from the storage remote: llmgit fsck --repair",
    ]
    fixed = run_cli(repo, "fsck", "--repair")
    assert fixed.code == 0, fixed.err
    assert f"{REF}: repaired" in fixed.out and f"corrupt: {SHARD} (moved aside, fetched again)" in fixed.out
    assert victim.read_bytes() != b"" and tree_md5(repo / "w")[SHARD] == sums[SHARD]
    import hashlib

    assert hashlib.md5(victim.read_bytes()).hexdigest() == sums[SHARD]
    quarantined = list((cache.local_dir(repo) / QUARANTINE).iterdir())
    assert len(quarantined) == 1 and quarantined[0].name.startswith(sums[SHARD])
    assert run_cli(repo, "fsck", "--deep").code == 0


def test_only_deep_sees_damage_that_kept_the_signature(pushed: tuple[Path, dict[str, str]]) -> None:
    repo, sums = pushed
    assert run_cli(repo, "fsck", "--deep").code == 0  # every signature recorded
    _damage(_object(repo, sums, SHARD), keep_signature=True)
    quick = run_cli(repo, "fsck", "--json")
    assert quick.code == 0 and json.loads(quick.out)["hashed"] == 0
    deep = run_cli(repo, "fsck", "--deep", "--json")
    assert deep.code == 1 and json.loads(deep.out)["versions"][0]["corrupt"] == [SHARD]


def test_checkout_repairs_a_corrupt_object_from_the_remote(pushed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, sums = pushed
    _damage(_object(repo, sums, SHARD))
    result = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert f"warning: the cached object {sums[SHARD]} of {REF} did not hash to its name: moved aside" in result.err
    assert tree_md5(tmp_path / "out") == sums


def test_without_a_good_copy_checkout_refuses_and_places_nothing(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    sums = make_weights(repo / "w", seed=4, size=100_000)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0  # never pushed
    _damage(_object(repo, sums, SHARD))
    before = snapshot(repo)
    pushed = run_cli(repo, "push", REF)
    assert pushed.code == 1 and "its bytes are not the registered ones" in pushed.err, pushed.err
    assert snapshot(repo) == before
    assert not list((tmp_path / "remote").rglob(sums[SHARD][2:]))  # nothing of it uploaded
    result = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "out"))
    assert result.code == 1
    assert (
        result.err.splitlines()[-2] == f"error: the weights of {REF} are neither in the local cache nor on the remote"
    )
    assert not (tmp_path / "out").exists()
    again = run_cli(repo, "push", REF)  # the damaged object was set aside: the cache lacks it now
    assert again.code == 1 and "(the local cache lacks 1)" in again.err, again.err


def test_pull_refuses_a_corrupt_remote_object_and_places_nothing(
    pushed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, sums = pushed
    remote_object = tmp_path / "remote" / "files" / "md5" / sums[SHARD][:2] / sums[SHARD][2:]
    remote_object.chmod(0o644)
    remote_object.write_bytes(b"tampered" * 100)
    local = _object(repo, sums, SHARD)
    local.chmod(0o644)
    local.unlink()
    result = run_cli(repo, "pull", REF)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[-2].startswith(f"error: object {sums[SHARD]} from {tmp_path / 'remote'} ({SHARD} of {REF}) has md5 ")
    assert lines[-1].startswith("hint: nothing was placed; the remote's copy is damaged")
    assert not local.exists()
    assert not [p for p in (cache.local_dir(repo) / "files").rglob("*") if "llmgit-tmp" in p.name]
    out = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "out"))
    assert out.code == 1 and not (tmp_path / "out").exists()
