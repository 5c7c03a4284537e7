"""show, diff and report on versions GTO registered: their cards are synthesised from the
GTO tag and artifacts.yaml (the store's fallback for a version tag llmgit did not write)."""

from __future__ import annotations

import json
from pathlib import Path

import test_gto_import
from conftest import git, run_cli
from stagekit import ok
from test_gto_import import M

gto_repo = test_gto_import.gto_repo  # the fixture: a history written by the real gto


def test_show_diff_and_report_on_imported_versions(gto_repo: Path, tmp_path: Path) -> None:
    repo = gto_repo
    ok(repo, "import", "gto", "--apply", "--stage", "prod=production")
    shown = run_cli(repo, "show", f"{M}#production")
    assert shown.code == 0, shown.err
    assert "Gradient-boosted churn classifier" in shown.out
    data = json.loads(ok(repo, "show", f"{M}@v1.0.0", "--json"))
    assert data["card"]["provenance"]["imported_from"]["tag"] == f"{M}@v1.0.0"
    assert data["card"]["description"] == "Gradient-boosted churn classifier"
    legacy = json.loads(ok(repo, "show", "legacy@v0.1.0", "--json"))["card"]
    assert legacy["provenance"]["imported_from"]["tool"] == "gto" and legacy["description"] == ""
    assert run_cli(repo, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0").code == 0
    site = tmp_path / "site"
    report = run_cli(repo, "report", "--out", str(site))
    assert report.code == 0, report.err
    page = next(p for p in site.rglob("*.html") if "1.0.0" in p.name and M in str(p))
    assert "Gradient-boosted churn classifier" in page.read_text()


def test_a_card_is_still_required_of_an_llmgit_version(gto_repo: Path) -> None:
    """The fallback is for tags llmgit did not write: an llmgit version (weights in its summary)
    whose card is missing is still an error."""
    repo = gto_repo
    summary = '{"llmgit": 1, "weights": {"path": "w", "md5": "' + "0" * 32 + '", "size": 1, "files": 1}}'
    git(repo, "tag", "-a", "other@v1.0.0", "-m", f"other v1.0.0\n\n{summary}", "HEAD")
    result = run_cli(repo, "show", "other@v1.0.0")
    assert result.code == 2 and "has no model card" in result.err
