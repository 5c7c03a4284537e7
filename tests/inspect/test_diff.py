"""diff: metrics, params, card and weights file by file, from DVC manifests (no weights fetched)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_weights, run_cli, snapshot
from stagekit import ok, push_all_weights

M = "llama2-7b-alpaca"
SHARD0, SHARD1 = "model-00000-of-00002.safetensors", "model-00001-of-00002.safetensors"


def replace_file(path: Path, data: bytes) -> None:
    """Weights in the workspace are read-only links into the DVC cache: replace, never edit."""
    path.unlink()
    path.write_bytes(data)


@pytest.fixture
def two_versions(registry_repo: Path) -> Path:
    """v1.0.0, then v1.1.0 whose directory weights differ in one shard only."""
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    ok(
        repo,
        "register",
        M,
        "-w",
        f"out/{M}",
        "-M",
        "accuracy=0.71",
        "-M",
        "loss=0.52",
        "-p",
        "lora_r=8",
        "-p",
        "learning_rate=3e-4",
        "-m",
        "LoRA r=8",
    )
    replace_file(repo / "out" / M / SHARD1, b"retrained adapter shard" * 200)
    ok(
        repo,
        "register",
        M,
        "-w",
        f"out/{M}",
        "-M",
        "accuracy=0.78",
        "-M",
        "loss=0.55",
        "-p",
        "lora_r=16",
        "-p",
        "learning_rate=3e-4",
        "--bump",
        "minor",
        "-m",
        "LoRA r=16",
    )
    return repo


def test_json_diff_of_two_versions(two_versions: Path) -> None:
    result = run_cli(two_versions, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0", "--format", "json")
    assert result.code == 0, result.err
    d = json.loads(result.out)
    assert (d["old"]["tag"], d["new"]["tag"]) == (f"{M}@v1.0.0", f"{M}@v1.1.0")
    metrics = {m["metric"]: m for m in d["metrics"]}
    assert metrics["accuracy"]["verdict"] == "better" and metrics["accuracy"]["change"] == pytest.approx(0.07)
    assert metrics["accuracy"]["relative"] == pytest.approx(0.07 / 0.71)
    assert metrics["loss"]["direction"] == "lower" and metrics["loss"]["verdict"] == "worse"
    assert d["params"] == [{"field": "lora_r", "old": 8, "new": 16}]
    w = d["weights"]
    assert w["same"] is False and w["counts"] == {"changed": 1, "added": 0, "removed": 0, "same": 3}
    assert w["files"] == [{"path": SHARD1, "status": "changed", "old_size": 4096, "new_size": 4600}]
    assert w["identical"] == ["config.json", SHARD0, "tokenizer.json"]
    assert w["size_change"] == 4600 - 4096


def test_markdown_and_table(two_versions: Path) -> None:
    md = ok(two_versions, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0", "--format", "markdown")
    assert md.startswith(f"### {M}: v1.0.0 -> v1.1.0\n")
    assert "| accuracy (higher is better) | 0.71 | 0.78 | +0.07 (+9.9%) | better |" in md
    assert "| loss (lower is better) | 0.52 | 0.55 | +0.03 (+5.8%) | **worse** |" in md
    assert "| lora_r | 8 | 16 |" in md
    assert f"1 of 4 file(s) changed; identical: config.json, {SHARD0}, tokenizer.json" in md
    assert f"| `{SHARD1}` | changed | 4.0 KiB -> 4.5 KiB |" in md
    text = ok(two_versions, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0")
    assert text.startswith(f"{M}@v1.0.0 -> {M}@v1.1.0\n")
    assert "loss (lower)" in text and "WORSE" in text
    assert f"changed  {SHARD1}" in text


def test_reads_manifests_from_the_remote_without_fetching_weights(two_versions: Path) -> None:
    push_all_weights(two_versions)
    shutil.rmtree(two_versions / ".dvc" / "cache")
    d = json.loads(ok(two_versions, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0", "--format", "json"))
    assert [f["path"] for f in d["weights"]["files"]] == [SHARD1]
    cached = (
        [p for p in (two_versions / ".dvc" / "cache").rglob("*") if p.is_file()]
        if (two_versions / ".dvc" / "cache").exists()
        else []
    )
    assert cached == []  # nothing was downloaded, not even the manifests


def test_manifest_unavailable_is_a_note_not_a_failure(two_versions: Path) -> None:
    shutil.rmtree(two_versions / ".dvc" / "cache")  # and nothing was pushed
    d = json.loads(ok(two_versions, "diff", f"{M}@v1.0.0", f"{M}@v1.1.0", "--format", "json"))
    assert d["weights"]["same"] is False and d["weights"]["files"] == []
    assert d["weights"]["note"].startswith("file list unavailable")


def test_identical_weights_across_models_and_stage_refs(two_versions: Path) -> None:
    repo = two_versions
    ok(repo, "register", "other", "-w", f"out/{M}", "-M", "accuracy=0.8")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    d = json.loads(ok(repo, "diff", f"{M}@v1.1.0", "other@v1.0.0", "-f", "json"))
    assert d["weights"]["same"] is True and d["params"][0]["field"] == "lora_r"
    md = ok(repo, "diff", f"{M}#production", "other", "-f", "markdown")
    # tags are shown inert: a zero-width space after '@' keeps GitHub from linking an e-mail address
    assert md.startswith(f"### {M}@\u200bv1.0.0 -> other@\u200bv1.0.0\n")
    assert "different" in md and f"| `{SHARD1}` | changed |" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([f"{M}@v1.0.0", f"{M}@v9.0.0"], f"'{M}@v9.0.0' names no registered version"),
        ([f"{M}@v1.0.0", "ghost"], "model 'ghost' has no registered versions"),
        ([f"{M}@v1.0.0", f"{M}#qa"], "unknown stage 'qa'"),
        ([f"{M}@v1.0.0", f"{M}@v1.1.0", "--format", "html"], "Invalid value for '--format'"),
    ],
    ids=["unknown-version", "unknown-model", "unknown-stage", "bad-format"],
)
def test_bad_references(two_versions: Path, args: list[str], message: str) -> None:
    before = snapshot(two_versions)
    result = run_cli(two_versions, "diff", *args)
    assert result.code == 2 and message in result.err and result.err.startswith("error: ")
    assert snapshot(two_versions) == before


def test_review_puts_the_diff_into_the_pull_request(two_versions: Path) -> None:
    repo = two_versions
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", f"{M}@v1.1.0", "--to", "production", "--pr", "--skip-staging")
    body = ok(repo, "review", "--stage", "production")
    assert f"| {M} | v1.0.0 | v1.1.0 |" in body
    assert f"### {M}: v1.0.0 -> v1.1.0" in body and "| lora_r | 8 | 16 |" in body
    assert f"| `{SHARD1}` | changed |" in body and "identical: config.json" in body
    assert "Checks:" in body and "- [x] version tag exists" in body
    data = json.loads(ok(repo, "review", "--stage", "production", "--json"))
    assert data["changes"][0]["diff"]["weights"]["counts"]["changed"] == 1
