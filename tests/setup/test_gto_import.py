"""import gto: on a repository whose tags were written by the real ``gto`` tool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import Clock, git, run_cli, snapshot
from stagekit import ok

M = "churn"
ARTIFACTS = """\
churn:
  type: model
  path: models/churn.pkl
  description: Gradient-boosted churn classifier
  labels: [tabular, churn]
"""


GTO = str(Path(sys.executable).with_name("gto"))  # its own process where a test reads what it prints


def gto(repo: Path, clock: Clock, *args: str) -> None:
    """Run the real ``gto`` command line, in this process (its start-up took most of the time),
    a second after the last (GTO stamps its tags to the second, as ``git tag`` does)."""
    from gto.cli import app

    clock.tick(1)
    old = os.getcwd()
    os.chdir(repo)
    try:
        app(args=list(args), prog_name="gto", standalone_mode=False)
    finally:
        os.chdir(old)


def commit(repo: Path, text: str) -> None:
    (repo / "model.txt").write_text(text)
    git(repo, "add", "model.txt")
    git(repo, "commit", "-q", "-m", text)


_BUILT: list[Path] = []  # gto is slow to start: build the history once, copy it per test


@pytest.fixture
def gto_repo(registry_repo: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's history with GTO: versions, promotions, a rollback by unassigning, a
    deregistered version, a deprecated model, an unmapped stage and a name llmgit refuses."""
    if _BUILT:
        shutil.rmtree(registry_repo)
        shutil.copytree(_BUILT[0], registry_repo, symlinks=True)
        return registry_repo
    repo = registry_repo
    # GTO writes its tags through dulwich, which dates them by the system clock to the second;
    # in one process they would share seconds, so they follow the test's ticking clock instead
    import dulwich.porcelain.tag

    monkeypatch.setattr(dulwich.porcelain.tag, "time", SimpleNamespace(time=lambda: clock.now))
    (repo / "artifacts.yaml").write_text(ARTIFACTS)  # GTO's index of artifacts, written by hand since GTO 1.0
    git(repo, "add", "artifacts.yaml")
    commit(repo, "v1")
    gto(repo, clock, "register", M, "--version", "v1.0.0")
    gto(repo, clock, "assign", M, "--version", "v1.0.0", "--stage", "staging")  # churn#staging#1
    gto(repo, clock, "assign", M, "--version", "v1.0.0", "--stage", "prod")  # churn#prod#2
    commit(repo, "v1.1")
    gto(repo, clock, "register", M, "--version", "v1.1.0")
    gto(repo, clock, "assign", M, "--version", "v1.1.0", "--stage", "staging")  # #3
    gto(repo, clock, "assign", M, "--version", "v1.1.0", "--stage", "prod")  # #4
    gto(repo, clock, "assign", M, "--version", "v1.1.0", "--stage", "dev")  # #5: no such llmgit stage
    gto(repo, clock, "deprecate", M, "v1.1.0", "prod")  # churn#prod!#6: production goes back to v1.0.0
    commit(repo, "v1.2")
    gto(repo, clock, "register", M, "--version", "v1.2.0")
    gto(repo, clock, "assign", M, "--version", "v1.2.0", "--stage", "staging")  # #7
    gto(repo, clock, "deprecate", M, "v1.2.0")  # churn@v1.2.0!: staging goes back to v1.1.0
    gto(repo, clock, "register", "legacy", "--version", "v0.1.0")
    gto(repo, clock, "assign", "legacy", "--version", "v0.1.0", "--stage", "prod")
    gto(repo, clock, "deprecate", "legacy")  # legacy@deprecated
    gto(repo, clock, "register", "Classifier", "--version", "v1.0.0")
    template = repo.parent.parent / f"gto-history-{os.getpid()}"
    shutil.copytree(repo, template, symlinks=True)
    _BUILT.append(template)
    return repo


def tag_lines(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags").splitlines()


def stage_file(repo: Path, branch: str) -> dict:
    return yaml.safe_load(git(repo, "show", f"{branch}:stage.yaml"))


def test_dry_run_reports_and_changes_nothing(gto_repo: Path) -> None:
    before = snapshot(gto_repo)
    result = run_cli(gto_repo, "import", "gto")
    assert result.code == 0, result.err
    assert "Read 15 GTO tag(s)" in result.err
    assert (
        "skipped: churn#prod#2: GTO stage 'prod' is not a stage in llmgit.yaml (map it with --stage prod=STAGE"
    ) in result.err
    assert "skipped: churn#dev#5: GTO stage 'dev'" in result.err
    assert "skipped: Classifier@v1.0.0: 'Classifier' is not a valid llmgit model name" in result.err
    assert "Dry run: nothing was changed" in result.err
    data = json.loads(run_cli(gto_repo, "import", "gto", "--stage", "prod=production", "--json").out)
    assert data["applied"] is False
    assert data["holders"] == {"staging": {M: "1.1.0"}, "production": {M: "1.0.0"}}
    assert data["archived"] == {M: ["1.2.0"], "legacy": ["0.1.0"]}
    assert data["pointers"] == [f"{M}#staging", f"{M}#production"]
    # oldest first; GTO stamps its tags to the second, so two models' events within one
    # second have no order between them: compare each model's own sequence
    seen = [(e["stage"], e["model"], e["version"], e["previous"]) for e in data["transitions"]]
    assert [t for t in seen if t[1] == M] == [
        ("staging", M, "1.0.0", None),
        ("production", M, "1.0.0", None),
        ("staging", M, "1.1.0", "1.0.0"),
        ("production", M, "1.1.0", "1.0.0"),
        ("production", M, "1.0.0", "1.1.0"),
        ("staging", M, "1.2.0", "1.1.0"),
        ("staging", M, "1.1.0", "1.2.0"),
    ]
    assert [t for t in seen if t[1] == "legacy"] == [
        ("production", "legacy", "0.1.0", None),
        ("production", "legacy", "0.1.0", "0.1.0"),
    ]
    assert len(seen) == 9
    assert data["transitions"][-1]["action"] == "remove"
    assert snapshot(gto_repo) == before


def test_apply_rebuilds_branches_history_and_pointers(gto_repo: Path) -> None:
    repo = gto_repo
    tags_before = tag_lines(repo)
    out = ok(repo, "import", "gto", "--apply", "--stage", "prod=production")
    assert "Imported: stage/staging, stage/production, stage/archived" in out
    tags_after = tag_lines(repo)
    assert all(line in tags_after for line in tags_before)  # every GTO tag untouched
    new = sorted(line.split()[0] for line in tags_after if line not in tags_before)
    assert new == [f"refs/tags/{M}#production", f"refs/tags/{M}#staging"]
    # production: one commit per change, in time order, dated and authored as its GTO tag
    log = git(repo, "log", "--reverse", "--format=%s%x00%cI%x00%an <%ae>", "stage/production").splitlines()
    subjects = [line.split("\0")[0] for line in log]
    assert subjects == [
        f"import {M} v1.0.0 to production (GTO tag {M}#prod#2)",
        f"import {M} v1.1.0 to production (GTO tag {M}#prod#4)",
        f"import {M} v1.0.0 to production (GTO tag {M}#prod!#6)",
        "import legacy v0.1.0 to production (GTO tag legacy#prod#1)",
        "import: remove legacy v0.1.0 from production (GTO tag legacy@deprecated)",
    ]
    # each commit names the change in llmgit's trailers, the removal included
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)", "stage/production").split()
    assert trailers == [
        *("Llmgit-Model:", "legacy", "Llmgit-Version:", "0.1.0", "Llmgit-Stage:", "production"),
        *("Llmgit-Previous:", "0.1.0", "Llmgit-Gto-Tag:", "legacy@deprecated"),
    ]
    tag_date = git(repo, "for-each-ref", "--format=%(taggerdate:iso-strict)", f"refs/tags/{M}#prod#4").strip()
    assert log[1].split("\0")[1] == tag_date and log[1].split("\0")[2] == "Ada Lovelace <ada@example.com>"
    prod = stage_file(repo, "stage/production")["models"]
    assert list(prod) == [M]
    assert (prod[M]["version"], prod[M]["action"], prod[M]["gto_tag"]) == ("1.0.0", "import", f"{M}#prod!#6")
    assert prod[M]["commit"] == git(repo, "rev-parse", f"{M}@v1.0.0^{{commit}}").strip()
    assert stage_file(repo, "stage/staging")["models"][M]["version"] == "1.1.0"
    archived = stage_file(repo, "stage/archived")["models"]
    assert archived[M][0]["version"] == "1.2.0" and archived[M][0]["reason"] == f"deregistered in GTO ({M}@v1.2.0!)"
    assert archived["legacy"][0]["reason"] == "model deprecated in GTO (legacy@deprecated)"
    # the pointers, where GTO's own reading of the tags puts them
    for stage, version in (("production", "1.0.0"), ("staging", "1.1.0")):
        assert git(repo, "cat-file", "-t", f"{M}#{stage}").strip() == "tag"
        assert git(repo, "rev-parse", f"{M}#{stage}^{{commit}}") == git(repo, "rev-parse", f"{M}@v{version}^{{commit}}")
    shown = json.loads(
        subprocess.run([GTO, "show", "--json"], cwd=repo, capture_output=True, text=True, check=True).stdout
    )
    assert shown[M]["stage"]["prod"] == "v1.0.0" and shown[M]["stage"]["staging"] == "v1.1.0"
    # llmgit reads the imported history like its own
    events = json.loads(ok(repo, "history", M, "--stage", "production", "--json"))
    assert [(e["action"], e["version"], e["previous"]) for e in events] == [
        ("import", "1.0.0", None),
        ("import", "1.1.0", "1.0.0"),
        ("import", "1.0.0", "1.1.0"),
    ]
    removal = json.loads(ok(repo, "history", "legacy", "--stage", "production", "--json"))[-1]
    assert (removal["action"], removal["version"]) == ("remove", "0.1.0")
    assert removal["reason"] == "import: remove legacy v0.1.0 from production (GTO tag legacy@deprecated)"
    assert "legacy#prod#1" not in removal["reason"]  # not the entry it removed
    assert json.loads(ok(repo, "stages", "--json"))[M] == {
        "staging": ["1.1.0"],
        "production": ["1.0.0"],
        "archived": ["1.2.0"],
    }
    ok(repo, "promote", f"{M}@v1.1.0", "--to", "production", "--direct")  # it was in staging
    assert git(repo, "rev-parse", f"{M}#production^{{commit}}") == git(repo, "rev-parse", f"{M}@v1.1.0^{{commit}}")
    again = run_cli(repo, "import", "gto", "--apply")
    assert again.code == 2 and "stage branches already exist" in again.err


def test_bad_stage_map_is_refused(gto_repo: Path) -> None:
    before = snapshot(gto_repo)
    for args, message in (
        (["--stage", "prod"], "is not of the form GTO_STAGE=STAGE"),
        (["--stage", "prod=qa"], "unknown stage 'qa'"),
        (["--stage", "prod=archived"], "'archived' is terminal"),
    ):
        result = run_cli(gto_repo, "import", "gto", "--apply", *args)
        assert result.code == 2 and message in result.err, result.err
    assert snapshot(gto_repo) == before
