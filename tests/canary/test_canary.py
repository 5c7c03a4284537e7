"""ab start / promote / abort on stage/production, ab status and guard on offline counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from canarykit import M, dvc_remote, served_repo
from conftest import git, run_cli, snapshot
from stagekit import ok, register_versions

ISVC = f"deploy/{M}/inferenceservice.yaml"
RULE = f"deploy/{M}/prometheusrule.yaml"


@pytest.fixture
def served(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Production went 1.0.0 -> 1.0.1; 1.0.2 passed staging; 1.0.3 is only registered."""
    return served_repo(tmp_path, tmp_path_factory)


def show(repo: Path, rev: str, path: str) -> dict:
    return yaml.safe_load(git(repo, "show", f"{rev}:{path}"))


def prod_entry(repo: Path) -> dict:
    return show(repo, "stage/production", "stage.yaml")["models"][M]


def tag_commit(repo: Path, tag: str) -> str:
    return git(repo, "rev-parse", f"{tag}^{{commit}}").strip()


def changed_files(repo: Path, rev: str) -> list[str]:
    return git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", f"{rev}~1", rev).split()


def counts(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "counts.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_start_records_the_canary_and_its_manifests_in_one_commit(served: Path) -> None:
    before = snapshot(served)
    tip = git(served, "rev-parse", "stage/production").strip()
    out = ok(served, "ab", "start", M, "--candidate", "1.0.2", "--percent", "20", "--reason", "LoRA r=16")
    assert f"Started canary {M} v1.0.2 at 20% in production (stable v1.0.1, knative)" in out
    assert git(served, "rev-parse", "stage/production~1").strip() == tip
    assert git(served, "log", "-1", "--format=%s", "stage/production").strip() == (
        f"start canary {M} v1.0.2 at 20% in production"
    )
    assert changed_files(served, "stage/production") == [ISVC, RULE, "stage.yaml"]
    entry = prod_entry(served)
    assert entry["version"] == "1.0.1" and entry["action"] == "promote"
    canary = entry["canary"]
    assert (canary["version"], canary["tag"], canary["percent"], canary["mode"], canary["reason"]) == (
        "1.0.2",
        f"{M}@v1.0.2",
        20,
        "knative",
        "LoRA r=16",
    )
    assert canary["commit"] == tag_commit(served, f"{M}@v1.0.2")
    predictor = show(served, "stage/production", ISVC)["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 20
    assert predictor["model"]["storageUri"] == f"s3://models/{M}/v1.0.2"
    rule = show(served, "stage/production", RULE)
    assert [r.get("alert") for r in rule["spec"]["groups"][0]["rules"]][-1] == "LlmgitCanaryAccuracyDegraded"
    # the stage tag still names the holder; nothing else moved
    assert tag_commit(served, f"{M}#production") == tag_commit(served, f"{M}@v1.0.1")
    after = snapshot(served)
    assert (after.head, after.index, after.status, after.files) == (
        before.head,
        before.index,
        before.status,
        before.files,
    )


def test_same_candidate_changes_its_share_another_is_refused(served: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    tip = git(served, "rev-parse", "stage/production").strip()
    same = run_cli(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    assert same.code == 0 and "already runs at 20%" in same.err
    assert git(served, "rev-parse", "stage/production").strip() == tip
    ok(served, "ab", "start", M, "-c", "v1.0.2", "-p", "50")
    assert git(served, "log", "-1", "--format=%s", "stage/production").strip() == (
        f"set canary {M} v1.0.2 to 50% in production"
    )
    assert prod_entry(served)["canary"]["percent"] == 50
    assert show(served, "stage/production", ISVC)["spec"]["predictor"]["canaryTrafficPercent"] == 50
    other = run_cli(served, "ab", "start", M, "-c", "1.0.3", "-p", "10", "--skip-staging")
    assert other.code == 2
    assert f"error: a canary of '{M}' already runs in production: v1.0.2 at 50%" in other.err
    assert f"hint: end it first: llmgit ab abort {M} --reason ..., or llmgit ab promote {M}" in other.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "1.0.2", "-p", "0"], "a canary's traffic percent must be a whole number from 1 to 99, not 0"),
        (["-c", "1.0.2", "-p", "100"], "a canary's traffic percent must be a whole number from 1 to 99, not 100"),
        (["-c", "1.0.2", "-p", "120"], "a canary's traffic percent must be a whole number from 1 to 99, not 120"),
        (["-c", "1.0.1", "-p", "10"], f"{M}@v1.0.1 already holds production; a canary needs another version"),
        (["-c", "9.9.9", "-p", "10"], f"'{M}@9.9.9' names no registered version"),
        (["-c", "1.0.3", "-p", "10"], f"{M}@v1.0.3 has never been in staging"),
        (["-c", "1.0.0", "-p", "10"], f"{M}@v1.0.0 is archived"),
        (["-c", "1.0.2", "-p", "10", "--stage", "archived"], "'archived' is terminal"),
        (["-c", "1.0.2", "-p", "10", "--serving-mode", "raw"], "unknown serving mode 'raw'"),
    ],
    ids=["zero", "hundred", "above-100", "the-holder", "unknown", "not-staged", "archived", "stage", "mode"],
)
def test_bad_starts_change_nothing(served: Path, args: list[str], message: str) -> None:
    before = snapshot(served)
    r = run_cli(served, "ab", "start", M, *args)
    assert r.code == 2 and f"error: {message}" in r.err
    assert snapshot(served) == before


def test_no_holder_no_canary(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.7, 0.8])
    r = run_cli(registry_repo, "ab", "start", M, "-c", "1.0.1", "-p", "10")
    assert r.code == 2 and f"error: no version of '{M}' holds production" in r.err
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    for command in ("abort", "promote"):
        r = run_cli(registry_repo, "ab", command, M)
        assert r.code == 2 and f"error: no canary of '{M}' runs in production" in r.err
        assert f"hint: start one: llmgit ab start {M} --candidate X.Y.Z --percent 10" in r.err


def test_abort_sends_all_traffic_back(served: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    out = ok(served, "ab", "abort", M, "--reason", "worse on long prompts")
    assert f"Aborted canary {M} v1.0.2 in production; v1.0.1 serves all traffic" in out
    assert git(served, "log", "-1", "--format=%s%n%n%b", "stage/production").startswith(
        f"abort canary {M} v1.0.2 in production\n\nworse on long prompts\n"
    )
    entry = prod_entry(served)
    assert entry["version"] == "1.0.1" and "canary" not in entry
    predictor = show(served, "stage/production", ISVC)["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 0  # Knative: the last rolled-out revision takes all
    rules = show(served, "stage/production", RULE)["spec"]["groups"][0]["rules"]
    assert all("alert" not in r for r in rules) or rules[-1]["alert"]
    assert tag_commit(served, f"{M}#production") == tag_commit(served, f"{M}@v1.0.1")
    assert "1.0.2" not in git(served, "show", "stage/archived:stage.yaml")


def test_promote_moves_the_stage_and_archives_the_old_holder(served: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20", "--reason", "LoRA r=16")
    r = run_cli(served, "ab", "promote", M, "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["action"], data["stable"], data["candidate"], data["archived"], data["tags"]) == (
        "promote",
        "1.0.1",
        "1.0.2",
        ["1.0.1"],
        [f"{M}#production"],
    )
    assert git(served, "log", "-1", "--format=%s", "stage/production").strip() == (
        f"promote canary {M} v1.0.2 to production"
    )
    entry = prod_entry(served)
    assert (entry["version"], entry["action"], entry["reason"]) == ("1.0.2", "canary-promote", "LoRA r=16")
    assert "canary" not in entry
    assert tag_commit(served, f"{M}#production") == tag_commit(served, f"{M}@v1.0.2")
    archived = show(served, "stage/archived", "stage.yaml")["models"][M]
    assert [(e["version"], e["reason"]) for e in archived] == [
        ("1.0.0", "replaced by v1.0.1 in production"),
        ("1.0.1", "replaced by v1.0.2 in production: LoRA r=16"),
    ]
    predictor = show(served, "stage/production", ISVC)["spec"]["predictor"]
    assert "canaryTrafficPercent" not in predictor
    assert predictor["model"]["storageUri"].endswith("/v1.0.2")
    history = json.loads(ok(served, "history", M, "--json", "--stage", "production").split("\n]")[0] + "\n]")
    assert history[-1]["action"] == "canary-promote" and history[-1]["previous"] == "1.0.1"


def test_standard_mode_uses_the_canary_list(served: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "10", "--serving-mode", "standard")
    doc = show(served, "stage/production", ISVC)
    assert doc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    assert doc["spec"]["predictor"]["model"]["storageUri"].endswith("/v1.0.1")
    assert [e["trafficPercent"] for e in doc["spec"]["canary"]] == [10]
    assert prod_entry(served)["canary"]["mode"] == "standard"
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "30")  # the share changes, the mode stays
    assert show(served, "stage/production", ISVC)["spec"]["canary"][0]["trafficPercent"] == 30
    ok(served, "ab", "abort", M)
    doc = show(served, "stage/production", ISVC)
    assert "canary" not in doc["spec"] and doc["spec"]["predictor"]["name"] == "v1-0-1"


def test_push_sends_weights_first_then_the_branch(served: Path, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(served, "remote", "add", "origin", str(origin))
    git(served, "push", "-q", "origin", "main", "--tags", "stage/production", "stage/staging", "stage/archived")
    md5 = yaml.safe_load(git(served, "show", f"{M}@v1.0.2:out/{M}.dvc"))["outs"][0]["md5"]
    manifest = dvc_remote(served) / "files" / "md5" / md5[:2] / md5[2:]
    assert md5.endswith(".dir") and not manifest.exists()
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20", "--push")
    assert git(origin, "rev-parse", "stage/production") == git(served, "rev-parse", "stage/production")
    assert manifest.is_file()
    assert prod_entry(served)["canary"]["weights_md5"] == md5.removesuffix(".dir")


def test_status_from_a_counts_file(served: Path, tmp_path: Path) -> None:
    no_canary = run_cli(served, "ab", "status", M, "--counts-file", counts(tmp_path, {}))
    assert no_canary.code == 2 and f"no canary of '{M}' runs in production" in no_canary.err
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    cases = {
        "promote": {"1.0.1": {"correct": 7500, "total": 10000}, "1.0.2": {"correct": 2000, "total": 2500}},
        "rollback": {"1.0.1": {"correct": 7500, "total": 10000}, "v1.0.2": {"correct": 1500, "total": 2500}},
        "keep-collecting": {"1.0.1": {"correct": 75, "total": 100}, "1.0.2": {"correct": 18, "total": 25}},
    }
    for verdict, data in cases.items():
        r = run_cli(served, "ab", "status", M, "--counts-file", counts(tmp_path, data), "--json")
        assert r.code == 0, r.err
        got = json.loads(r.out)
        assert got["verdict"] == verdict
        assert [(a["role"], a["version"]) for a in got["arms"]] == [("stable", "1.0.1"), ("candidate", "1.0.2")]
    assert got["remaining"]["candidate"] > 0 and got["required_per_arm"] > 100
    text = run_cli(served, "ab", "status", M, "--counts-file", counts(tmp_path, cases["rollback"]))
    assert "verdict: ROLL BACK: the 95% interval of the difference" in text.out
    assert "candidate  1.0.2    2500      1500     0.6000" in text.out
    assert f'next: llmgit ab abort {M} --reason "..."' in text.err


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (
            {"1.0.1": {"correct": 5, "total": 10}},
            2,
            f"counts file '{{f}}' has no evaluations of {M} v1.0.2 (the candidate)",
        ),
        (
            {"1.0.1": {"correct": 5, "total": 10}, "1.0.2": {"correct": 0, "total": 0}},
            2,
            f"counts file '{{f}}' has no evaluations of {M} v1.0.2 (the candidate)",
        ),
        (
            {"1.0.1": {"correct": 5, "total": 10}, "1.0.2": {"correct": 6, "total": 5}},
            2,
            "the candidate (v1.0.2) arm has more correct (6) than total (5)",
        ),
        (
            {"1.0.1": {"correct": 5}, "1.0.2": {"correct": 1, "total": 2}},
            2,
            "counts file '{f}': version 1.0.1 must have numeric 'correct' and 'total'",
        ),
        ({"one": {"correct": 5, "total": 10}}, 2, "counts file '{f}': 'one' is not a semantic version"),
        ([1, 2], 2, 'counts file \'{f}\' must map versions to {{"correct": N, "total": N}}'),
    ],
    ids=["missing-arm", "zero-total", "more-correct", "no-total", "bad-version", "not-a-mapping"],
)
def test_bad_counts(served: Path, tmp_path: Path, data: object, code: int, message: str) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    path = counts(tmp_path, data)  # type: ignore[arg-type]
    r = run_cli(served, "ab", "status", M, "--counts-file", path)
    assert r.code == code and f"error: {message.format(f=path)}" in r.err


def test_status_needs_a_source_and_reports_prometheus_failures(served: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    r = run_cli(served, "ab", "status", M)
    assert r.code == 2 and "give --prometheus URL or --counts-file FILE" in r.err
    r = run_cli(served, "ab", "status", M, "--prometheus", "http://127.0.0.1:9", "--window", "1h")
    assert r.code == 1 and "error: cannot reach Prometheus at http://127.0.0.1:9: " in r.err
    assert "Traceback" not in r.err
    r = run_cli(served, "ab", "status", M, "--prometheus", "http://127.0.0.1:9", "--window", "1 hour")
    assert r.code == 2 and "'1 hour' is not a Prometheus duration" in r.err


def test_guard_live_aborts_a_degraded_canary(served: Path, tmp_path: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    fine = counts(tmp_path, {"1.0.1": {"correct": 75, "total": 100}, "1.0.2": {"correct": 19, "total": 25}})
    r = run_cli(served, "guard", M, "--source", "prometheus", "--counts-file", fine)
    assert r.code == 0 and r.out.startswith(f"{M} production canary v1.0.2: healthy")
    bad = counts(tmp_path, {"1.0.1": {"correct": 750, "total": 1000}, "1.0.2": {"correct": 120, "total": 250}})
    before = snapshot(served)
    r = run_cli(served, "guard", M, "--source", "prometheus", "--counts-file", bad)
    assert r.code == 5 and "DEGRADED: accuracy 0.4800 of canary v1.0.2 against 0.7500 of v1.0.1" in r.out
    assert "Run with --apply to abort the canary" in r.err and snapshot(served) == before
    r = run_cli(served, "guard", M, "--source", "prometheus", "--counts-file", bad, "--apply", "--json")
    assert r.code == 5 and json.loads(r.out)["aborted"] is True
    assert "canary" not in prod_entry(served)
    body = git(served, "log", "-1", "--format=%s%n%b", "stage/production")
    assert body.startswith(f"abort canary {M} v1.0.2 in production\n")
    assert "guard: accuracy 0.4800 of canary v1.0.2 against 0.7500 of v1.0.1" in body


def test_guard_live_rolls_back_a_degraded_holder_and_its_manifests(served: Path, tmp_path: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    ok(served, "ab", "abort", M)  # stage/production now carries the manifests
    only_holder = counts(tmp_path, {"1.0.1": {"correct": 60, "total": 100}})
    r = run_cli(served, "guard", M, "--source", "prometheus", "--counts-file", only_holder)
    assert r.code == 0 and "has no evaluations of v1.0.0 (previous production holder): nothing to compare with" in r.out
    both = counts(tmp_path, {"1.0.0": {"correct": 800, "total": 1000}, "1.0.1": {"correct": 600, "total": 1000}})
    r = run_cli(served, "guard", M, "--source", "prometheus", "--counts-file", both, "--apply")
    assert r.code == 5 and f"Rolled back {M} in production: v1.0.1 -> v1.0.0" in r.err
    entry = prod_entry(served)
    assert entry["version"] == "1.0.0" and entry["action"] == "guard"  # I1
    assert entry["reason"].startswith("guard: accuracy 0.6000 of v1.0.1 against 0.8000 of v1.0.0")
    assert changed_files(served, "stage/production") == [ISVC, RULE, "stage.yaml"]
    predictor = show(served, "stage/production", ISVC)["spec"]["predictor"]
    assert predictor["model"]["storageUri"].endswith("/v1.0.0") and "canaryTrafficPercent" not in predictor
    assert tag_commit(served, f"{M}#production") == tag_commit(served, f"{M}@v1.0.0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "prometheus", "--metric", "accuracy"], "--source prometheus judges live accuracy"),
        (["--source", "card"], "--source card needs --metric and --threshold"),
        (["--source", "file", "--metric", "accuracy", "--threshold", "0.1"], "--source file needs --metrics-file"),
        (["--source", "dashboards"], "unknown --source 'dashboards'"),
        (
            ["--metric", "accuracy", "--threshold", "0.1", "--counts-file", "x.json"],
            "--counts-file needs --source prometheus",
        ),
    ],
    ids=["metric-with-prometheus", "card-without-metric", "file-without-file", "unknown", "counts-without-source"],
)
def test_guard_source_options(served: Path, args: list[str], message: str) -> None:
    r = run_cli(served, "guard", M, *args)
    assert r.code == 2 and message in r.err
