"""ci init github: rendered workflows validate against the GitHub-workflow JSON schema
(the copy check-jsonschema ships) and get the details right."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

from llmgit.setup.ci import render_github


@pytest.fixture
def rendered() -> dict[str, dict]:
    texts = render_github("stage/", "llmgit==0.1.0", 'echo deploy "$stage"')
    return {name: yaml.safe_load(text) for name, text in texts.items()}


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workflows_validate_against_the_schema(tmp_path: Path) -> None:
    files = []
    for name, text in render_github("stage/", "llmgit==0.1.0", 'echo deploy "$stage"').items():
        (tmp_path / name).write_text(text)
        files.append(tmp_path / name)
    proc = check_jsonschema(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and the same check does fail on a broken workflow
    broken = tmp_path / "broken.yml"
    broken.write_text(files[1].read_text().replace("runs-on:", "runs_on:"))
    bad = check_jsonschema(broken)
    assert bad.returncode == 1 and "runs_on" in bad.stdout + bad.stderr


def test_details(rendered: dict[str, dict]) -> None:
    review, sync = rendered["llmgit-review.yml"], rendered["llmgit-sync.yml"]
    on_review, on_sync = review[True], sync[True]  # YAML 1.1 reads the key 'on' as True
    assert on_review == {"pull_request": {"branches": ["stage/**"]}}
    assert on_sync == {"push": {"branches": ["stage/**"]}}
    for doc in (review, sync):
        assert doc["permissions"] == {}  # least privilege: nothing at the top level
        job = next(iter(doc["jobs"].values()))
        checkout = job["steps"][0]
        assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
        runs = "\n".join(s.get("run", "") for s in job["steps"])
        assert "git fetch --force --tags origin" in runs
        # no untrusted pull-request fields interpolated into shell code
        assert "${{" not in runs
    assert review["jobs"]["review"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert sync["jobs"]["sync"]["permissions"] == {"contents": "write"}
    assert "github.event.pull_request.number" in review["concurrency"]["group"]
    assert sync["concurrency"] == {"group": "llmgit-sync-${{ github.ref_name }}", "cancel-in-progress": False}
    assert "llmgit sync --push" in sync["jobs"]["sync"]["steps"][4]["run"]
    assert 'echo deploy "$stage"' in sync["jobs"]["sync"]["steps"][5]["run"]


def test_no_pull_request_text_reaches_a_shell(rendered: dict[str, dict]) -> None:
    text = yaml.safe_dump(rendered)
    for field in ("title", "body", "head.ref", "head.label"):
        assert not re.search(rf"pull_request\.{re.escape(field)}", text)


SPEC = "'llmgit @ git+https://github.com/acme/llmgit.git@3f786850e387550fdab836ed7e6dc881de23001b'"


def test_ci_init_writes_files_once(registry_repo: Path) -> None:
    first = run_cli(registry_repo, "ci", "init", "github", "--install-spec", SPEC)
    assert first.code == 0, first.err
    target = registry_repo / ".github" / "workflows"
    assert sorted(p.name for p in target.iterdir()) == ["llmgit-review.yml", "llmgit-sync.yml"]
    again = run_cli(registry_repo, "ci", "init", "github", "--install-spec", SPEC)
    assert again.code == 4 and "--force" in again.err
    assert run_cli(registry_repo, "ci", "init", "github", "--force", "--install-spec", SPEC).code == 0
    assert run_cli(registry_repo, "ci", "init", "gitlab").code == 2
