"""ci init github writes hardened workflows: zizmor (offline) finds nothing, every action is
pinned to a commit with its version beside it, no checkout keeps a token where nothing pushes,
and the sticky review comment is looked up among the workflow's own comments only."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli

from llmgit.setup.ci import render_github

PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
TOKEN = "${{ github.token }}"
MARKER = "<!-- llmgit-review -->"


@pytest.fixture
def workflows(registry_repo: Path) -> Path:
    """The .github/workflows directory a fresh ``llmgit ci init github`` writes."""
    spec = "'llmgit @ git+https://github.com/acme/llmgit.git@3f786850e387550fdab836ed7e6dc881de23001b'"
    result = run_cli(
        registry_repo, "ci", "init", "github", "--install-spec", spec, "--deploy-command", 'echo deploy "$stage"'
    )
    assert result.code == 0, result.err
    return registry_repo / ".github" / "workflows"


def texts(workflows: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(workflows.glob("*.yml"))}


def jobs(workflows: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name, text in texts(workflows).items():
        for job_name, job in yaml.safe_load(text)["jobs"].items():
            out[f"{name}:{job_name}"] = job
    return out


def pushes(job: dict[str, Any]) -> bool:
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    return "--push" in runs or "git push" in runs


def zizmor(path: Path, *options: str) -> list[dict[str, Any]]:
    exe = Path(sys.executable).parent / "zizmor"
    assert exe.exists(), "zizmor is missing: reinstall the test extra (scripts/bootstrap.sh)"
    proc = subprocess.run(
        [str(exe), "--offline", "--no-config", "--no-progress", "--format", "json", *options, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, *range(10, 20)), proc.stderr  # 1x: findings; anything else: zizmor failed
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def summary(findings: list[dict[str, Any]]) -> list[str]:
    return [f"{f['ident']} ({f['determinations']['severity']})" for f in findings]


def test_zizmor_finds_nothing_at_medium_or_above(workflows: Path) -> None:
    assert summary(zizmor(workflows, "--min-severity", "medium")) == []


def test_zizmor_finds_nothing_even_as_a_pedantic_auditor(workflows: Path) -> None:
    assert summary(zizmor(workflows, "--persona", "pedantic")) == []


def test_zizmor_does_flag_a_workflow_pinned_by_tag(workflows: Path, tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    review = (workflows / "llmgit-review.yml").read_text()
    loose = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v4", review)
    (bad / "llmgit-review.yml").write_text(loose.replace("          persist-credentials: false\n", ""))
    found = {f["ident"] for f in zizmor(bad, "--min-severity", "medium")}
    assert {"unpinned-uses", "artipacked"} <= found


def test_every_action_is_pinned_to_a_commit_with_its_version(workflows: Path) -> None:
    for name, text in texts(workflows).items():
        uses = [line for line in text.splitlines() if re.match(r"^\s*(- )?uses:", line)]
        assert uses, name
        for line in uses:
            assert PINNED.match(line), f"{name}: {line.strip()}"


def test_no_checkout_keeps_credentials_in_a_job_that_does_not_push(workflows: Path) -> None:
    found = jobs(workflows)
    assert {pushes(j) for j in found.values()} == {True, False}  # both kinds are covered
    for name, job in found.items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@") and not pushes(job):
                assert step["with"]["persist-credentials"] is False, name


def test_the_pushing_job_gives_its_token_to_no_step_but_those_that_reach_the_remote(workflows: Path) -> None:
    sync = jobs(workflows)["llmgit-sync.yml:sync"]
    checkout = sync["steps"][0]
    assert checkout["with"]["persist-credentials"] is False  # no token left in .git/config
    with_token = [s["name"] for s in sync["steps"] if TOKEN in json.dumps(s.get("env", {}))]
    assert with_token == ["Fetch tags (stage tags move, so force)", "Sync stage tags and archive"]
    assert "pushes" in sync["steps"][4]["run"]  # the step says why it holds the token
    assert sync["permissions"] == {"contents": "write"}
    text = (workflows / "llmgit-sync.yml").read_text()
    assert "contents: write # this job pushes the stage tags" in text


def sticky_step(workflows: Path) -> dict[str, Any]:
    review = jobs(workflows)["llmgit-review.yml:review"]
    return next(s for s in review["steps"] if "comments" in s.get("run", ""))


def test_the_sticky_comment_is_looked_up_among_the_bots_own_comments(workflows: Path) -> None:
    run = sticky_step(workflows)["run"]
    assert '.user.login == "github-actions[bot]"' in run and '.user.type == "Bot"' in run


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_a_comment_by_someone_else_with_the_marker_is_ignored(workflows: Path) -> None:
    run = sticky_step(workflows)["run"]
    match = re.search(r"--jq '(.*?)'", run, re.DOTALL)
    assert match is not None
    comments = [
        {"id": 1, "user": {"login": "mallory", "type": "User"}, "body": f"{MARKER}\nall green"},
        {"id": 2, "user": {"login": "github-actions[bot]", "type": "User"}, "body": f"{MARKER}\nspoofed type"},
        {"id": 3, "user": {"login": "some-app[bot]", "type": "Bot"}, "body": f"{MARKER}\nanother bot"},
        {"id": 4, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "an unrelated bot comment"},
        {"id": 5, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": f"{MARKER}\nthe review"},
    ]
    proc = subprocess.run(
        ["jq", "-r", match.group(1)], input=json.dumps(comments), capture_output=True, text=True, check=True
    )
    assert proc.stdout.split() == ["5"]


def test_github_expressions_in_commands_are_refused(registry_repo: Path) -> None:
    for option in ("--install-spec", "--deploy-command"):
        result = run_cli(registry_repo, "ci", "init", "github", option, "echo ${{ github.event.head_commit.message }}")
        assert result.code == 2, result.err
        assert f"error: {option} must not hold a GitHub expression" in result.err
    assert not (registry_repo / ".github").exists()


def test_an_install_spec_with_yaml_punctuation_stays_one_shell_line() -> None:
    texts = render_github("stage/", "llmgit[s3]==0.1.0 --index-url https://pypi.example/simple # pinned", None)
    for text in texts.values():
        steps = next(iter(yaml.safe_load(text)["jobs"].values()))["steps"]
        install = next(s for s in steps if s.get("name") == "Install llmgit")
        assert install["run"].strip().endswith("https://pypi.example/simple # pinned")
