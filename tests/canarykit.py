"""A registry serving a model in production, built once per session and copied per test.

``served_repo`` registers four versions of ``chat-7b`` (real git, real DVC), promotes 1.0.0
and then 1.0.1 to production, and 1.0.2 to staging. Building takes about a second; a copy
of the finished repository (with its DVC cache) takes a few milliseconds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import git, run_cli
from stagekit import ok, register_versions

M = "chat-7b"
ACCURACIES = [0.70, 0.75, 0.80, 0.60]
_built: dict[str, Path] = {}


def _build(base: Path) -> Path:
    root = base / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# experiments\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    assert run_cli(root, "init", "--remote", str(base / "remote")).code == 0
    register_versions(root, M, ACCURACIES)
    ok(root, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(root, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    ok(root, "promote", f"{M}@v1.0.2", "--to", "staging", "--direct")
    return root


def served_repo(tmp_path: Path, factory: pytest.TempPathFactory) -> Path:
    """A private copy of the served registry at ``tmp_path/repo``."""
    if "repo" not in _built:
        _built["repo"] = _build(factory.mktemp("served-template"))
    target = tmp_path / "repo"
    shutil.copytree(_built["repo"], target, symlinks=True)
    return target


def dvc_remote(root: Path) -> Path:
    """The DVC remote directory that ``.dvc/config`` names."""
    found = re.search(r"^\s*url = (.+)$", (root / ".dvc" / "config").read_text(), re.MULTILINE)
    assert found, "no DVC remote in .dvc/config"
    return Path(found.group(1).strip())
