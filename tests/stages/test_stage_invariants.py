"""Regression tests for the stage invariants I1-I5 and I9 (docs/stages.md, "Invariants"): each
case found by using llmgit as a team would, checked on the stage branch with raw git."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from conftest import git, make_weights, run_cli
from stagekit import ok, push_all_weights, register_versions

from llmgit.core import history

M = "chat-7b"


def stage_file(repo: Path, rev: str = "stage/production") -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(git(repo, "show", f"{rev}:stage.yaml"))["models"]


def subjects(repo: Path, branch: str = "stage/production") -> list[str]:
    return git(repo, "log", "--format=%s", branch).splitlines()


def holder_commit(repo: Path, stage: str = "production") -> str:
    return git(repo, "rev-parse", f"{M}#{stage}^{{commit}}")


def version_commit(repo: Path, version: str) -> str:
    return git(repo, "rev-parse", f"{M}@v{version}^{{commit}}")


@pytest.fixture
def rolled_back(registry_repo: Path) -> Path:
    """Production held 1.0.0 (acc 0.70), then 1.0.1 (acc 0.75), then 1.0.2 (acc 0.90), which a
    person rolled back to 1.0.1 ("hallucinations up"); 1.0.3 (acc 0.60) never served."""
    register_versions(registry_repo, M, [0.70, 0.75, 0.90, 0.60])
    for v in ("1.0.0", "1.0.1", "1.0.2"):
        ok(registry_repo, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "rollback", M, "--to", "1.0.1", "--reason", "hallucinations up")
    return registry_repo


# --- I2, I5: the guard never undoes a human rollback --------------------------------------


def test_guard_apply_does_not_undo_a_human_rollback(rolled_back: Path) -> None:
    tip = git(rolled_back, "rev-parse", "stage/production")
    r = run_cli(rolled_back, "guard", M, "--metric", "accuracy", "--threshold", "0.01", "--apply", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    # compared with the I3 target 1.0.0 (1.0.2 is excluded): 0.75 is not worse than 0.70
    assert (data["current"], data["previous"], data["degraded"], data["rolled_back"]) == (
        "1.0.1",
        "1.0.0",
        False,
        False,
    )
    assert git(rolled_back, "rev-parse", "stage/production") == tip
    assert stage_file(rolled_back)[M]["version"] == "1.0.1"
    assert holder_commit(rolled_back) == version_commit(rolled_back, "1.0.1")


def test_guard_with_nothing_to_restore_says_so(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.75, 0.90])
    for v in ("1.0.0", "1.0.1"):
        ok(registry_repo, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "rollback", M, "--reason", "hallucinations up")
    tip = git(registry_repo, "rev-parse", "stage/production")
    r = run_cli(registry_repo, "guard", M, "--metric", "accuracy", "--threshold", "0.01", "--apply")
    assert r.code == 0, r.err
    assert "v1.0.0: nothing to restore: no earlier version of 'chat-7b' held production" in r.out
    assert git(registry_repo, "rev-parse", "stage/production") == tip
    assert subjects(registry_repo)[0] == f"roll back {M} to v1.0.0 in production"


def test_api_auto_rollback_does_not_undo_a_human_rollback(registry_repo: Path) -> None:
    import llmgit

    register_versions(registry_repo, M, [0.75, 0.90])
    reg = llmgit.Registry(registry_repo)
    for v in ("1.0.0", "1.0.1"):
        reg.transition(M, v, "production")
    reg.rollback_to_version(M, "1.0.0", reason="hallucinations up")
    tip = git(registry_repo, "rev-parse", "stage/production")
    assert reg.auto_rollback_if_degraded(M, metric="accuracy", threshold=0.01) is False
    assert git(registry_repo, "rev-parse", "stage/production") == tip
    entry = stage_file(registry_repo)[M]
    assert (entry["version"], entry["action"], entry["reason"]) == ("1.0.0", "rollback", "hallucinations up")


def test_guard_restores_the_i3_target_and_records_kind_guard(rolled_back: Path) -> None:
    # 1.0.1 is now judged worse than 1.0.0 by an observed metric: the guard goes to 1.0.0, never 1.0.2
    observed = rolled_back / "observed.json"
    observed.write_text(json.dumps({"1.0.0": {"accuracy": 0.80}, "1.0.1": {"accuracy": 0.70}}))
    r = run_cli(
        rolled_back,
        "guard",
        M,
        "--metric",
        "accuracy",
        "--threshold",
        "0.02",
        "--metrics-file",
        str(observed),
        "--apply",
    )
    assert r.code == 5, r.err
    assert "Rolled back chat-7b in production: v1.0.1 -> v1.0.0" in r.err
    entry = stage_file(rolled_back)[M]
    assert (entry["version"], entry["action"]) == ("1.0.0", "guard")
    assert subjects(rolled_back)[0] == f"guard: roll back {M} to v1.0.0 in production"
    assert holder_commit(rolled_back) == version_commit(rolled_back, "1.0.0")


# --- I2, I3: rollback is idempotent and never restores an excluded version -------------------


def test_rollback_repeated_changes_nothing(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.75, 0.90])
    for v in ("1.0.0", "1.0.1"):
        ok(registry_repo, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "rollback", M, "--reason", "bad answers")
    tip = git(registry_repo, "rev-parse", "stage/production")
    log = subjects(registry_repo)
    again = run_cli(registry_repo, "rollback", M, "--reason", "CI retry")
    assert again.code == 0, again.err
    assert f"{M}@v1.0.0 already holds production after a rollback from v1.0.1 on " in again.err
    assert "; nothing changed" in again.err
    assert f"hint: to roll back further, name the version: llmgit rollback {M} --to X.Y.Z" in again.err
    same = run_cli(registry_repo, "rollback", M, "--to", "1.0.0")
    assert same.code == 0 and f"{M}@v1.0.0 already holds production; nothing changed" in same.err
    assert git(registry_repo, "rev-parse", "stage/production") == tip and subjects(registry_repo) == log
    assert stage_file(registry_repo)[M]["version"] == "1.0.0"
    assert holder_commit(registry_repo) == version_commit(registry_repo, "1.0.0")


def test_rollback_to_an_excluded_version_is_refused_until_promoted(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.75, 0.90])
    for v in ("1.0.0", "1.0.1"):
        ok(registry_repo, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "rollback", M, "--reason", "bad answers")
    tip = git(registry_repo, "rev-parse", "stage/production")
    refused = run_cli(registry_repo, "rollback", M, "--to", "1.0.1")
    assert refused.code == 2
    assert f"{M}@v1.0.1 was rolled back from in production, so a rollback does not restore it" in refused.err
    assert f"llmgit promote {M}@v1.0.1 --to production" in refused.err
    assert git(registry_repo, "rev-parse", "stage/production") == tip
    # an explicit promotion by a person clears the exclusion, recorded as a promote
    ok(
        registry_repo,
        "promote",
        f"{M}@v1.0.1",
        "--to",
        "production",
        "--direct",
        "--skip-staging",
        "-r",
        "fixed upstream",
    )
    entry = stage_file(registry_repo)[M]
    assert (entry["version"], entry["action"], entry["reason"]) == ("1.0.1", "promote", "fixed upstream")
    assert subjects(registry_repo)[0] == f"promote {M} v1.0.1 to production"
    ok(registry_repo, "rollback", M)
    assert stage_file(registry_repo)[M]["version"] == "1.0.0"


def test_rollback_with_no_target_fails_clearly(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.75])
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    r = run_cli(registry_repo, "rollback", M)
    assert r.code == 2 and "no earlier version of 'chat-7b' held production that was not rolled back from" in r.err


# --- I4: rollback, guard and promote end a running canary, recorded -----------------------


@pytest.fixture
def canary(registry_repo: Path) -> Path:
    """Production 1.0.0 then 1.0.1 (acc 0.70), canary 1.0.2 at 10%."""
    register_versions(registry_repo, M, [0.75, 0.70, 0.80, 0.85])
    for v in ("1.0.0", "1.0.1"):
        ok(registry_repo, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "ab", "start", M, "--candidate", "1.0.2", "--percent", "10", "--skip-staging")
    assert stage_file(registry_repo)[M]["canary"]["version"] == "1.0.2"
    return registry_repo


def _ended_by(repo: Path, tip_before: str, cause: str, reason: str) -> None:
    """The canary ended in a canary-abort commit just below the holder change; one ref update."""
    aborted = stage_file(repo, "stage/production~1")[M]
    assert "canary" not in aborted and aborted["action"] == "canary-abort"
    assert aborted["reason"] == f"ended by {cause}: {reason}"
    assert subjects(repo)[1] == f"abort canary {M} v1.0.2 in production"
    assert git(repo, "rev-parse", "stage/production~2") == tip_before
    assert git(repo, "rev-parse", "stage/production@{1}") == tip_before  # one update, both commits
    assert "canary" not in stage_file(repo)[M]
    events = json.loads(ok_out(repo, "history", M, "--stage", "production", "--json"))
    abort = [e for e in events if e["action"] == "canary-abort"]
    assert len(abort) == 1 and abort[0]["reason"] == f"ended by {cause}: {reason}"


def ok_out(repo: Path, *args: str) -> str:
    r = run_cli(repo, *args)
    assert r.code == 0, r.err
    return r.out


def test_rollback_ends_a_running_canary(canary: Path) -> None:
    tip = git(canary, "rev-parse", "stage/production")
    r = run_cli(canary, "rollback", M, "--to", "1.0.0", "--reason", "bad answers")
    assert r.code == 0, r.err
    assert "ended the canary chat-7b v1.0.2 first (recorded as canary-abort)" in r.err
    _ended_by(canary, tip, "rollback", "bad answers")
    entry = stage_file(canary)[M]
    assert (entry["version"], entry["action"]) == ("1.0.0", "rollback")
    assert subjects(canary)[0] == f"roll back {M} to v1.0.0 in production"


def test_guard_ends_a_running_canary(canary: Path) -> None:
    tip = git(canary, "rev-parse", "stage/production")
    r = run_cli(canary, "guard", M, "--metric", "accuracy", "--threshold", "0.01", "--apply")
    assert r.code == 5, r.err
    reason = "guard: accuracy 0.7 of v1.0.1 is below 0.74 (v1.0.0's 0.75 - 0.01)"
    _ended_by(canary, tip, "guard", reason)
    entry = stage_file(canary)[M]
    assert (entry["version"], entry["action"], entry["reason"]) == ("1.0.0", "guard", reason)


def test_promote_ends_a_running_canary(canary: Path) -> None:
    tip = git(canary, "rev-parse", "stage/production")
    r = run_cli(canary, "promote", f"{M}@v1.0.3", "--to", "production", "--direct", "--skip-staging", "-r", "hotfix")
    assert r.code == 0, r.err
    _ended_by(canary, tip, "promote", "hotfix")
    entry = stage_file(canary)[M]
    assert (entry["version"], entry["action"]) == ("1.0.3", "promote")
    assert holder_commit(canary) == version_commit(canary, "1.0.3")


# --- I1: history shows the reason given to ab abort -------------------------------------


def test_history_shows_the_ab_abort_reason(canary: Path) -> None:
    ok(canary, "ab", "abort", M, "--reason", "p99 latency doubled")
    entry = stage_file(canary)[M]
    assert "canary" not in entry and (entry["action"], entry["reason"]) == ("canary-abort", "p99 latency doubled")
    assert entry["version"] == "1.0.1"
    assert subjects(canary)[0] == f"abort canary {M} v1.0.2 in production"
    events = json.loads(ok_out(canary, "history", M, "--stage", "production", "--json"))
    assert events[-1]["action"] == "canary-abort" and events[-1]["reason"] == "p99 latency doubled"
    table = ok_out(canary, "history", M)
    assert [line for line in table.splitlines() if "canary-abort" in line][0].endswith("p99 latency doubled")
    # the holder did not change: history --at still names 1.0.1, promoted (not the canary)
    held = json.loads(ok_out(canary, "history", M, "--at", "2100-01-01", "--json"))
    assert (held["production"]["version"], held["production"]["action"]) == ("1.0.1", "promote")


# --- review counts what is really missing ---------------------------------------------------


def test_review_counts_the_missing_files(registry_repo: Path) -> None:
    sums = make_weights(registry_repo / "out" / M, seed=7, shards=3)
    assert len(sums) == 5
    ok(registry_repo, "register", M, "-w", f"out/{M}", "-M", "accuracy=0.8", "-m", "run")
    push_all_weights(registry_repo)
    remote = registry_repo.parent / "remote"
    tag = git(registry_repo, "tag", "-l", "--format=%(contents)", f"{M}@v1.0.0")
    summary = yaml.safe_load(tag.split("\n\n", 1)[1])
    manifest = summary["weights"]["md5"]
    shards = [m for n, m in sums.items() if n.startswith("model-")]
    for oid in [manifest, *shards]:
        found = list(remote.rglob(oid[2:] + "*"))
        assert len(found) == 1, oid
        found[0].unlink()
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--pr", "--skip-staging")
    r = run_cli(registry_repo, "review", "--stage", "production", "--json")
    assert r.code == 0, r.err
    checks = {c["name"]: c for m in json.loads(r.out)["changes"] for c in m["checks"]}
    detail = checks["weights are on the DVC remote"]["detail"]
    assert detail.startswith("the directory manifest and 3 of 5 file(s) missing: "), detail
    assert all(f"model-{i:05d}-of-00003.safetensors" in detail for i in range(3))


# --- I9: stage names in any case, in the CLI and in the API --------------------------------


def test_promote_to_Production_in_cli_and_api(registry_repo: Path) -> None:
    import llmgit

    register_versions(registry_repo, M, [0.75, 0.80, 0.85])
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "Production", "--direct", "--skip-staging")
    assert stage_file(registry_repo)[M]["version"] == "1.0.0"
    reg = llmgit.Registry(registry_repo)
    assert reg.transition(M, "1.0.1", "PRODUCTION").stage == "production"
    assert stage_file(registry_repo)[M]["version"] == "1.0.1"
    ok(registry_repo, "rollback", M, "--stage", "Production")
    assert stage_file(registry_repo)[M]["version"] == "1.0.0"
    ok(registry_repo, "promote", f"{M}@v1.0.2", "--to", "STAGING", "--direct")
    assert stage_file(registry_repo, "stage/staging")[M]["version"] == "1.0.2"
    assert subjects(registry_repo, "stage/staging")[0] == f"promote {M} v1.0.2 to staging"
    assert git(registry_repo, "branch", "--list", "stage/Production") == ""


def test_api_transition_archives_or_leaves_every_stage(registry_repo: Path) -> None:
    import llmgit

    register_versions(registry_repo, M, [0.75, 0.80, 0.85])
    reg = llmgit.Registry(registry_repo)
    reg.transition(M, "1.0.0", "Production")
    reg.transition(M, "1.0.1", "Staging")
    done = reg.transition(M, "1.0.0", "Archived", reason="retired")
    assert done.stage == "archived"
    assert M not in stage_file(registry_repo)
    assert git(registry_repo, "tag", "-l", f"{M}#production") == ""
    assert subjects(registry_repo)[0] == f"archive {M} v1.0.0 from production"
    archived = {e["version"]: e for e in stage_file(registry_repo, "stage/archived")[M]}
    assert archived["1.0.0"]["action"] == "archive" and "retired" in archived["1.0.0"]["reason"]
    assert reg.transition(M, "1.0.1", None).stage == "archived"
    assert M not in stage_file(registry_repo, "stage/staging")
    assert git(registry_repo, "tag", "-l", f"{M}#staging") == ""
    # never in a stage: archived archives it, None leaves it where it is
    tip = git(registry_repo, "rev-parse", "stage/archived")
    assert reg.transition(M, "1.0.2", None).stage is None
    assert git(registry_repo, "rev-parse", "stage/archived") == tip
    assert reg.transition(M, "1.0.2", "ARCHIVED").stage == "archived"
    versions = [e["version"] for e in stage_file(registry_repo, "stage/archived")[M]]
    assert sorted(versions) == ["1.0.0", "1.0.1", "1.0.2"]


# --- the pure reconstruction the state-machine test uses --------------------------------------


def _event(action: str, version: str, previous: str | None, minute: int) -> history.HistoryEvent:
    when = f"2026-01-01T00:{minute:02d}:00+00:00"
    return history.HistoryEvent("production", M, action, version, previous, when, "a", "a", "", "c")


def test_holder_at_and_excluded_from_events() -> None:
    events = [
        _event("promote", "1.0.0", None, 1),
        _event("promote", "1.0.1", "1.0.0", 2),
        _event("canary-start", "1.0.2", "1.0.1", 3),
        _event("canary-abort", "1.0.2", "1.0.1", 4),
        _event("guard", "1.0.0", "1.0.1", 5),
        _event("promote", "1.0.1", "1.0.0", 6),
        _event("rollback", "1.0.0", "1.0.1", 7),
    ]
    at = lambda m: dt.datetime(2026, 1, 1, 0, m, 30, tzinfo=dt.UTC)  # noqa: E731
    assert [history.holder_at(events, "production", at(m)) for m in range(8)] == [
        None,
        "1.0.0",
        "1.0.1",
        "1.0.1",
        "1.0.1",
        "1.0.0",
        "1.0.1",
        "1.0.0",
    ]
    assert history.excluded(events[:5], "production", M) == {"1.0.1"}
    assert history.excluded(events[:6], "production", M) == frozenset()
    assert history.excluded(events, "production", M) == {"1.0.1"}
    assert history.rollback_target(events, "production", "1.0.0", M) is None
    assert history.rollback_target(events[:6], "production", "1.0.1", M) == "1.0.0"
