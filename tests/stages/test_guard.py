"""guard: compare the stage holder with the previous holder (from history), roll back if degraded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import git, run_cli, snapshot
from stagekit import ok, register_versions

M = "chat-7b"


@pytest.fixture
def served(registry_repo: Path) -> Path:
    """Production went 1.0.0 (acc 0.75) -> 1.0.2 (acc 0.72); 1.0.1 (acc 0.90) never served."""
    register_versions(registry_repo, M, [0.75, 0.90, 0.72])
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(registry_repo, "promote", f"{M}@v1.0.2", "--to", "production", "--direct", "--skip-staging")
    return registry_repo


def guard(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(repo, "guard", M, *args)


def test_compares_with_the_previous_holder_not_version_minus_one(served: Path) -> None:
    healthy = guard(served, "--metric", "accuracy", "--threshold", "0.05", "--json")
    assert healthy.code == 0, healthy.err
    data = json.loads(healthy.out)
    assert (data["current"], data["previous"], data["previous_value"]) == ("1.0.2", "1.0.0", 0.75)
    assert data["degraded"] is False and data["direction"] == "higher"


def test_degraded_exits_5_and_changes_nothing_without_apply(served: Path) -> None:
    before = snapshot(served)
    r = guard(served, "--metric", "accuracy", "--threshold", "0.02")
    assert r.code == 5
    assert r.out == f"{M} production v1.0.2: DEGRADED: accuracy 0.72 of v1.0.2 is below 0.73 (v1.0.0's 0.75 - 0.02)\n"
    assert "Run with --apply to roll back to v1.0.0" in r.err
    assert snapshot(served) == before


def test_apply_rolls_back_and_records_why(served: Path) -> None:
    r = guard(served, "--metric", "accuracy", "--threshold", "0.02", "--apply")
    assert r.code == 5 and "Rolled back chat-7b in production: v1.0.2 -> v1.0.0" in r.err
    prod = yaml.safe_load(git(served, "show", "stage/production:stage.yaml"))["models"][M]
    assert prod["version"] == "1.0.0" and prod["action"] == "guard"  # I1: a guard rollback is kind guard
    assert prod["reason"].startswith("guard: accuracy 0.72 of v1.0.2 is below")
    assert git(served, "rev-parse", f"{M}#production^{{commit}}") == git(served, "rev-parse", f"{M}@v1.0.0^{{commit}}")
    # healthy again: the holder is 1.0.0 and the previous holder 1.0.2 was worse
    assert guard(served, "--metric", "accuracy", "--threshold", "0.02").code == 0


def test_relative_threshold_and_lower_is_better(served: Path) -> None:
    assert guard(served, "--metric", "accuracy", "--threshold", "0.05", "--relative").code == 0
    assert guard(served, "--metric", "accuracy", "--threshold", "0.03", "--relative").code == 5
    # loss = 1 - accuracy: 0.28 against 0.25; lower is better for names with 'loss'
    r = guard(served, "--metric", "loss", "--threshold", "0.02", "--json")
    assert r.code == 5 and json.loads(r.out)["direction"] == "lower"


def test_observed_metrics_file(served: Path, tmp_path: Path) -> None:
    observed = tmp_path / "observed.json"
    observed.write_text(json.dumps({"v1.0.0": {"accuracy": 0.80}, "1.0.2": {"accuracy": 0.79}}))
    assert guard(served, "--metric", "accuracy", "--threshold", "0.02", "--metrics-file", str(observed)).code == 0
    observed.write_text(json.dumps({"1.0.0": {"accuracy": 0.80}, "1.0.2": {"accuracy": 0.70}}))
    assert guard(served, "--metric", "accuracy", "--threshold", "0.02", "--metrics-file", str(observed)).code == 5
    observed.write_text(json.dumps({"1.0.0": {"accuracy": 0.80}}))
    missing = guard(served, "--metric", "accuracy", "--threshold", "0.02", "--metrics-file", str(observed))
    assert (
        missing.code == 2 and "v1.0.2 of 'chat-7b' has no numeric metric 'accuracy' in the metrics file" in missing.err
    )
    observed.write_text("{broken")
    assert guard(served, "--metric", "accuracy", "--threshold", "0.02", "--metrics-file", str(observed)).code == 2


def test_no_previous_holder_is_healthy(registry_repo: Path) -> None:
    register_versions(registry_repo, M, [0.7])
    ok(registry_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    r = guard(registry_repo, "--metric", "accuracy", "--threshold", "0.01")
    assert r.code == 0 and "no earlier version of 'chat-7b' held production" in r.out


def test_guard_input_errors(served: Path) -> None:
    before = snapshot(served)
    assert guard(served, "--metric", "bleu", "--threshold", "0.1").code == 2
    assert guard(served, "--metric", "accuracy", "--threshold", "-1").code == 2
    assert run_cli(served, "guard", "ghost", "--metric", "accuracy", "--threshold", "0.1").code == 2
    assert snapshot(served) == before
