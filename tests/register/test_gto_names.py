"""register warns when a name with a dot would be invisible to GTO in a repository GTO also
reads; GTO itself (the real package) confirms what the warning says."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli

WARNING = "has a dot, which GTO's name grammar does not allow"


def _gto_tag(repo: Path) -> None:
    git(repo, "tag", "-a", "churn#prod#1", "-m", "Assigned to prod", "HEAD")


def _register(repo: Path, name: str) -> str:
    make_weights(repo / "w", seed=len(name))
    result = run_cli(repo, "register", name, "-w", "w")
    assert result.code == 0, result.err
    return result.err


@pytest.mark.parametrize(
    ("setup", "name", "warned", "why"),
    [
        ("gto-tags", "qwen2.5-0.5b", True, "this repository also holds GTO tags"),
        ("gto-tags", "qwen2-5-0-5b", False, ""),
        ("none", "qwen2.5-0.5b", False, ""),
        ("setting", "qwen2.5-0.5b", True, "the settings ask for GTO compatibility (gto_compatible: true)"),
        ("gto-config", "qwen2.5-0.5b", True, "this repository has a GTO config (.gto)"),
    ],
    ids=["gto-tags-dot", "gto-tags-no-dot", "no-gto", "setting", "gto-config"],
)
def test_a_dotted_name_warns_where_gto_reads(
    registry_repo: Path, setup: str, name: str, warned: bool, why: str
) -> None:
    repo = registry_repo
    if setup == "gto-tags":
        _gto_tag(repo)
    elif setup == "setting":
        with (repo / "llmgit.yaml").open("a") as f:
            f.write("gto_compatible: true\n")
    elif setup == "gto-config":
        (repo / ".gto").write_text("type_allowed: [model]\n")
    err = _register(repo, name)
    assert (WARNING in err) is warned, err
    if warned:
        assert f"and {why}: GTO will not see this model's version or stage tags" in err
        assert f"hint: register under a name without a dot (for example '{name.replace('.', '-')}')" in err
    assert git(repo, "tag", "-l", f"{name}@v1.0.0").strip() == f"{name}@v1.0.0"  # registered all the same


def test_gto_does_not_see_a_dotted_name(registry_repo: Path) -> None:
    """What the warning says, checked against GTO itself."""
    import gto.api as gto_api  # noqa: PLC0415 (a test dependency, heavy)

    repo = registry_repo
    _gto_tag(repo)
    _register(repo, "qwen2.5-0.5b")
    _register(repo, "qwen2-5")
    shown = gto_api.show(str(repo))
    assert "qwen2-5" in shown and "qwen2.5-0.5b" not in shown
