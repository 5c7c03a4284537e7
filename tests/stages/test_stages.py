"""Stages as branches: promote, PR flow, sync, history, rollback, against a bare origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import Clock, git, run_cli, snapshot, tree_md5
from stagekit import clone, make_origin, merge_in_origin, ok, register_versions

M = "llama2-7b-alpaca"


@pytest.fixture
def team(registry_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Clone A (registered three versions) and a bare origin holding them."""
    register_versions(registry_repo, M, [0.71, 0.75, 0.78])
    origin = make_origin(tmp_path, registry_repo)
    return registry_repo, origin


def stage_file(repo: Path, rev: str) -> dict:
    return yaml.safe_load(git(repo, "show", f"{rev}:stage.yaml"))


def tag_target(repo: Path, tag: str) -> str:
    return git(repo, "rev-parse", f"{tag}^{{commit}}").strip()


def test_direct_promotions_never_touch_the_working_tree(team: tuple[Path, Path], clock: Clock) -> None:
    repo, _ = team
    (repo / "notes.txt").write_text("unsaved work\n")
    head, index, status = (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "ls-files", "-s"),
        git(repo, "status", "--porcelain"),
    )
    clock.tick()
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging", "--reason", "first candidate")
    # the branch holds only stage.yaml, on its own root history; one commit per transition
    assert git(repo, "ls-tree", "--name-only", "stage/staging").split() == ["stage.yaml"]
    assert git(repo, "rev-list", "--count", "stage/staging").strip() == "1"
    data = stage_file(repo, "stage/staging")
    entry = data["models"][M]
    assert (data["stage"], entry["version"], entry["tag"], entry["reason"]) == (
        "staging",
        "1.0.0",
        f"{M}@v1.0.0",
        "first candidate",
    )
    assert entry["commit"] == tag_target(repo, f"{M}@v1.0.0")
    assert entry["by"] == "Ada Lovelace <ada@example.com>"
    assert git(repo, "cat-file", "-t", f"{M}#staging").strip() == "tag"
    assert tag_target(repo, f"{M}#staging") == tag_target(repo, f"{M}@v1.0.0")
    assert git(repo, "log", "-1", "--format=%s", "stage/staging").strip() == f"promote {M} v1.0.0 to staging"
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "ls-files", "-s"), git(repo, "status", "--porcelain")) == (
        head,
        index,
        status,
    )


def test_production_needs_staging_and_noop_is_not_a_commit(team: tuple[Path, Path]) -> None:
    repo, _ = team
    before = snapshot(repo)
    refused = run_cli(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct")
    assert refused.code == 2 and f"{M}@v1.0.0 has never been in staging" in refused.err
    assert "--skip-staging" in refused.err and snapshot(repo) == before
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    tip = git(repo, "rev-parse", "stage/production")
    again = ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct")
    assert "already holds production; nothing to do" in again
    assert git(repo, "rev-parse", "stage/production") == tip


def test_replaced_holder_is_archived_with_the_reason(team: tuple[Path, Path]) -> None:
    repo, _ = team
    for v in ("1.0.0", "1.0.1"):
        ok(repo, "promote", f"{M}@{v}", "--to", "staging")
        ok(repo, "promote", f"{M}@{v}", "--to", "production", "--direct", "--reason", f"ship {v}")
    archived = stage_file(repo, "stage/archived")["models"][M]
    assert [a["version"] for a in archived] == ["1.0.0"]
    assert archived[0]["reason"] == "replaced by v1.0.1 in production: ship 1.0.1"
    stages = json.loads(ok_json(repo, "stages"))
    assert stages[M] == {"staging": ["1.0.1"], "production": ["1.0.1"], "archived": ["1.0.0"]}


def ok_json(repo: Path, *args: str) -> str:
    result = run_cli(repo, *args, "--json")
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("how", ["merge", "squash", "rebase"])
def test_pull_request_flow_then_sync(team: tuple[Path, Path], tmp_path: Path, how: str, clock: Clock) -> None:
    repo, origin = team
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging", "--push")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--push")
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "staging", "--push")
    clock.tick()
    out = ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--pr", "--push", "--reason", "better accuracy")
    branch = f"llmgit/promote/{M}-v1.0.1-to-production"
    assert f"on branch {branch}" in out
    # the proposal lives on its branch; production and its tag have not moved yet
    assert git(origin, "rev-parse", f"refs/heads/{branch}")
    assert stage_file(repo, "stage/production")["models"][M]["version"] == "1.0.0"
    assert tag_target(repo, f"{M}#production") == tag_target(repo, f"{M}@v1.0.0")
    body = (repo / ".git" / "llmgit" / "pr" / f"{branch.replace('/', '-')}.md").read_text()
    assert "| llama2-7b-alpaca | v1.0.0 | v1.0.1 |" in body and "accuracy (higher is better)" in body
    clock.tick(3600)
    merge_in_origin(tmp_path, origin, branch, "stage/production", how)
    # a reviewer's clone: fetch, then sync points the tag at the merged version
    other = clone(tmp_path, origin, f"ops-{how}")
    git(other, "fetch", "-q", "--tags")
    assert run_cli(other, "sync", "--push").code == 0
    assert tag_target(other, f"{M}#production") == tag_target(other, f"{M}@v1.0.1")
    assert tag_target(origin, f"refs/tags/{M}#production") == tag_target(origin, f"refs/tags/{M}@v1.0.1")
    archived = yaml.safe_load(git(origin, "show", "stage/archived:stage.yaml"))["models"][M]
    assert archived[0]["version"] == "1.0.0" and "replaced by v1.0.1 in production" in archived[0]["reason"]
    # idempotent: a second sync changes nothing, here or there
    refs_before = git(origin, "for-each-ref")
    again = run_cli(other, "sync", "--push")
    assert again.code == 0 and "already match" in again.err
    assert git(origin, "for-each-ref") == refs_before
    # the original clone catches up with fetch
    ok(repo, "fetch")
    assert tag_target(repo, f"{M}#production") == tag_target(repo, f"{M}@v1.0.1")
    assert git(repo, "rev-parse", "stage/production") == git(origin, "rev-parse", "stage/production")
    events = json.loads(ok_json(repo, "history", M, "--stage", "production"))
    assert [(e["action"], e["version"], e["previous"]) for e in events] == [
        ("promote", "1.0.0", None),
        ("promote", "1.0.1", "1.0.0"),
    ]
    assert events[1]["reason"] == "better accuracy"


def test_race_between_two_clones(team: tuple[Path, Path], tmp_path: Path) -> None:
    a, origin = team
    ok(a, "promote", f"{M}@v1.0.0", "--to", "staging", "--push")
    b = clone(tmp_path, origin, "clone-b")
    git(b, "fetch", "-q", "--tags")
    ok(b, "fetch")
    ok(a, "promote", f"{M}@v1.0.1", "--to", "staging", "--push", "--reason", "a was first")
    before_b, before_origin = snapshot(b), git(origin, "for-each-ref")
    lost = run_cli(b, "promote", f"{M}@v1.0.2", "--to", "staging", "--push")
    assert lost.code == 1
    assert "rejected" in lost.err and "another clone changed it first" in lost.err
    assert "hint: run 'llmgit fetch'" in lost.err
    assert snapshot(b) == before_b and git(origin, "for-each-ref") == before_origin
    # fetch and retry works
    ok(b, "fetch")
    ok(b, "promote", f"{M}@v1.0.2", "--to", "staging", "--push")
    assert yaml.safe_load(git(origin, "show", "stage/staging:stage.yaml"))["models"][M]["version"] == "1.0.2"


def test_history_answers_what_was_in_production_on_a_date(team: tuple[Path, Path], clock: Clock) -> None:
    repo, _ = team
    clock.set(1_790_000_000)  # 2026-09-21
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--reason", "launch")
    clock.set(1_790_000_000 + 10 * 86400)  # 2026-10-01
    git(repo, "config", "user.name", "Grace Hopper")
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging", "--reason", "hotfix")
    on = ok(repo, "history", M, "--at", "2026-09-25")
    assert "production: v1.0.0 since 2026-09-21" in on and "launch" in on
    on = json.loads(ok_json(repo, "history", M, "--at", "2026-10-02"))
    assert on["production"]["version"] == "1.0.1" and on["production"]["reason"] == "hotfix"


def test_rollback_to_previous_and_explicit(team: tuple[Path, Path]) -> None:
    repo, _ = team
    for v in ("1.0.0", "1.0.1", "1.0.2"):
        ok(repo, "promote", f"{M}@{v}", "--to", "production", "--direct", "--skip-staging")
    out = ok(repo, "rollback", M, "--reason", "hallucinations up")
    assert "v1.0.2 -> v1.0.1" in out
    assert tag_target(repo, f"{M}#production") == tag_target(repo, f"{M}@v1.0.1")
    archived = {a["version"]: a for a in stage_file(repo, "stage/archived")["models"][M]}
    assert set(archived) == {"1.0.0", "1.0.2"}  # 1.0.1 came out of the archive
    assert archived["1.0.2"]["reason"] == "rolled back from production: hallucinations up"
    ok(repo, "rollback", M, "--to", "1.0.0", "--reason", "back to launch")
    assert stage_file(repo, "stage/production")["models"][M]["action"] == "rollback"
    assert tag_target(repo, f"{M}#production") == tag_target(repo, f"{M}@v1.0.0")
    actions = [(e["action"], e["version"]) for e in json.loads(ok_json(repo, "history", M))]
    assert ("rollback", "1.0.1") in actions and ("unarchive", "1.0.1") in actions


def test_checkout_what_production_serves(team: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _ = team
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "checkout", f"{M}#production", "--to", str(tmp_path / "serve"))
    ok(repo, "checkout", f"{M}@v1.0.1", "--to", str(tmp_path / "v101"))
    ok(repo, "checkout", f"{M}@v1.0.0", "--to", str(tmp_path / "v100"))
    assert tree_md5(tmp_path / "serve") == tree_md5(tmp_path / "v101") != tree_md5(tmp_path / "v100")


BAD = [
    (["promote", f"{M}@v1.0.0", "--to", "qa"], 2, "unknown stage 'qa'"),
    (["promote", f"{M}@v9.0.0", "--to", "staging"], 2, "names no registered version"),
    (["promote", f"{M}@v1.0.0", "--to", "archived"], 2, "'archived' is terminal"),
    (["rollback", M], 2, "nothing to roll back"),
    (["rollback", M, "--stage", "staging"], 2, "no earlier version"),
    (["guard", M, "--metric", "accuracy", "--threshold", "abc"], 2, "Invalid value for '--threshold'"),
    (["history", M, "--at", "yesterday"], 2, "not an ISO date"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD, ids=[" ".join(a[:2] + a[3:4]) for a, _, _ in BAD])
def test_bad_stage_input_changes_nothing(team: tuple[Path, Path], args: list[str], code: int, message: str) -> None:
    repo, _ = team
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging")
    before = snapshot(repo)
    result = run_cli(repo, *args)
    assert result.code == code and message in result.err, result.err
    assert result.err.startswith("error: ") and "Traceback" not in result.err
    assert snapshot(repo) == before


def test_garbage_stage_file_is_a_clear_error(team: tuple[Path, Path]) -> None:
    repo, _ = team
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging")
    work = repo.parent / "stage-edit"
    git(repo, "worktree", "add", "-q", str(work), "stage/staging")
    (work / "stage.yaml").write_text("models: [this is not\n")
    git(work, "commit", "-q", "-am", "hand edit")
    git(repo, "worktree", "remove", "--force", str(work))
    before = snapshot(repo)
    for args in (["promote", f"{M}@v1.0.1", "--to", "staging"], ["stages"], ["sync"]):
        result = run_cli(repo, *args)
        assert result.code == 2, args
        assert "stage/staging:stage.yaml is not valid YAML" in result.err
        assert "hint: repair it with a commit on 'stage/staging'" in result.err
    assert snapshot(repo) == before


def test_shallow_and_tagless_clones_get_a_clear_error(team: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = team
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging", "--push")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    result = run_cli(shallow, "stages")
    assert result.code == 2 and "shallow clone" in result.err and "git fetch --unshallow --tags" in result.err
    tagless = tmp_path / "tagless"
    git(tmp_path, "clone", "-q", "--no-tags", str(origin), str(tagless))
    result = run_cli(tagless, "stages")
    assert result.code == 2 and "this clone has no such tag" in result.err
    assert "git fetch --force --tags origin" in result.err
