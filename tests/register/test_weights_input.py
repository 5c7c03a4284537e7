"""What ``register`` accepts as weights: ordinary files in ordinary directories. Each other
input is refused with one ``error:`` line, exit 2 and nothing changed; nothing outside the
weights is read, linked or has its mode changed. Bytes identical to an existing version are
registered and named."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_weights, run_cli, snapshot

from llmgit.weights import cache


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("not weights\n")
    secret.chmod(0o640)
    return secret


def _symlink_to_outside_file(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    (repo / "w" / "extra.bin").symlink_to(_outside(tmp_path))
    return "w"


def _symlinked_subdirectory(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    other = tmp_path / "outside" / "shards"
    make_weights(other, seed=2)
    (repo / "w" / "shards").symlink_to(other, target_is_directory=True)
    return "w"


def _weights_path_is_a_symlink(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "real", seed=1)
    (repo / "w").symlink_to(repo / "real", target_is_directory=True)
    return "w"


def _fifo(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    os.mkfifo(repo / "w" / "pipe")
    return "w"


def _socket(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    sock = socket.socket(socket.AF_UNIX)
    short = Path("/tmp") / f"llmgit-sock-{os.getpid()}"  # AF_UNIX paths are short
    short.mkdir(exist_ok=True)
    sock.bind(str(short / "s"))
    sock.close()
    os.replace(short / "s", repo / "w" / "sock")
    short.rmdir()
    return "w"


def _device(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    try:
        os.mknod(repo / "w" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs privileges")
    return "w"


def _nested_git(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    (repo / "w" / ".git").mkdir()
    (repo / "w" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return "w"


def _nested_dvc(repo: Path, tmp_path: Path) -> str:
    make_weights(repo / "w", seed=1)
    (repo / "w" / "sub" / ".dvc").mkdir(parents=True)
    (repo / "w" / "sub" / ".dvc" / "config").write_text("")
    return "w"


def _empty_directory(repo: Path, tmp_path: Path) -> str:
    (repo / "w" / "nothing" / "here").mkdir(parents=True)
    return "w"


def _repository_root(repo: Path, tmp_path: Path) -> str:
    return "."


def _inside_git(repo: Path, tmp_path: Path) -> str:
    return ".git/objects"


def _inside_dvc(repo: Path, tmp_path: Path) -> str:
    return ".dvc"


CASES: list[tuple[str, Callable[[Path, Path], str], str]] = [
    ("symlink-to-outside-file", _symlink_to_outside_file, "'w/extra.bin' is a symbolic link inside the weights"),
    ("symlinked-subdirectory", _symlinked_subdirectory, "'w/shards' is a symbolic link inside the weights"),
    ("weights-path-is-a-symlink", _weights_path_is_a_symlink, "weights path 'w' is a symbolic link"),
    ("fifo", _fifo, "'w/pipe' is not a regular file (a FIFO, socket or device)"),
    ("socket", _socket, "'w/sock' is not a regular file (a FIFO, socket or device)"),
    ("device", _device, "'w/null' is not a regular file (a FIFO, socket or device)"),
    ("nested-git", _nested_git, "'w/.git' is a repository's metadata inside the weights"),
    ("nested-dvc", _nested_dvc, "'w/sub/.dvc' is a repository's metadata inside the weights"),
    ("empty-directory", _empty_directory, "weights path 'w' holds no file"),
    ("repository-root", _repository_root, "weights path '.' cannot be the repository or its metadata"),
    ("inside-git", _inside_git, "weights path '.git/objects' cannot be the repository or its metadata"),
    ("dvc-directory", _inside_dvc, "weights path '.dvc' cannot be the repository or its metadata"),
]


@pytest.mark.parametrize(("make", "message"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_weights_are_refused_and_nothing_changes(
    registry_repo: Path, tmp_path: Path, make: Callable[[Path, Path], str], message: str
) -> None:
    repo = registry_repo
    path = make(repo, tmp_path)
    outside = sorted((tmp_path / "outside").rglob("*")) if (tmp_path / "outside").exists() else []
    modes = {p: (p.lstat().st_mode, p.lstat().st_nlink) for p in outside}
    cache_before = (
        sorted(p.name for p in (repo / ".dvc" / "cache").rglob("*")) if (repo / ".dvc" / "cache").exists() else []
    )
    before = snapshot(repo)
    result = run_cli(repo, "register", "m", "-w", path)
    assert result.code == 2, result.err
    lines = result.err.splitlines()
    assert lines[0] == f"error: {message}", result.err
    assert all(line.startswith("hint: ") for line in lines[1:]) and len(lines) <= 2
    assert snapshot(repo) == before
    after_cache = (
        sorted(p.name for p in (repo / ".dvc" / "cache").rglob("*")) if (repo / ".dvc" / "cache").exists() else []
    )
    assert after_cache == cache_before
    assert {p: (p.lstat().st_mode, p.lstat().st_nlink) for p in outside} == modes


def test_copy_from_outside_applies_the_same_rules(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    source = tmp_path / "trained"
    make_weights(source, seed=3)
    (source / "link").symlink_to(_outside(tmp_path))
    before = snapshot(repo)
    result = run_cli(repo, "register", "m", "-w", str(source), "--copy")
    assert result.code == 2 and "is a symbolic link inside the weights" in result.err
    assert snapshot(repo) == before


def test_identical_weights_register_and_say_so(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=5)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    again = run_cli(repo, "register", "m", "-w", "w", "-m", "same bytes, new metrics", "-M", "acc=0.9")
    assert again.code == 0, again.err
    assert "hint: its weights are byte for byte those of m@v1.0.0" in again.err
    other = run_cli(repo, "register", "m", "-w", "w", "--json")
    assert other.code == 0
    assert json.loads(other.out)["same_weights_as"] == "m@v1.0.1"
    make_weights(repo / "w", seed=6)
    fresh = run_cli(repo, "register", "m", "-w", "w", "--json")
    assert json.loads(fresh.out)["same_weights_as"] is None and "byte for byte" not in fresh.err


def test_unchanged_files_are_not_read_again(registry_repo: Path) -> None:
    """A second register of untouched files takes their hashes from the signatures, and the
    objects stay as they are."""
    repo = registry_repo
    make_weights(repo / "w", seed=9, size=200_000)
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    objects = {p: p.stat().st_mtime_ns for p in (cache.local_dir(repo) / "files").rglob("*") if p.is_file()}
    assert run_cli(repo, "register", "m", "-w", "w").code == 0
    assert {p: p.stat().st_mtime_ns for p in (cache.local_dir(repo) / "files").rglob("*") if p.is_file()} == objects
