"""Cost arithmetic on a known case: 100 versions x 7 GB; and purged versions billed nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import Clock, run_cli
from stagekit import ok

from llmgit.core.config import DEFAULT_PRICES
from llmgit.storage.cost import GB, monthly


def test_hundred_versions_of_seven_gb() -> None:
    total = 100 * 7 * GB  # 700 GB
    standard = monthly({"STANDARD": total}, DEFAULT_PRICES)
    glacier = monthly({"GLACIER": total}, DEFAULT_PRICES)
    assert standard == pytest.approx(16.10)
    assert glacier == pytest.approx(2.80)
    assert (standard - glacier) / standard == pytest.approx(0.826, abs=0.001)  # about 82%


def test_mixed_classes_and_unpriced() -> None:
    prices = {**DEFAULT_PRICES, "GLACIER": 0.0036}
    assert monthly({"STANDARD": GB, "GLACIER": 10 * GB, "LOCAL": 5 * GB}, prices) == pytest.approx(0.023 + 0.036)


def _blob(tag: str, size: int) -> bytes:
    block = hashlib.sha256(tag.encode()).digest()
    return (block * (size // 32 + 1))[:size]


def _weights(path: Path, adapter: str, base: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for p in path.iterdir():
        p.chmod(0o644)
        p.unlink()
    (path / "config.json").write_text('{"model_type": "mistral"}\n')
    (path / "model-base.safetensors").write_bytes(_blob(base, 64 * 1024))
    (path / "adapter_model.safetensors").write_bytes(_blob(f"adapter-{adapter}", 8192))


def test_a_purged_version_is_billed_nothing(registry_repo: Path, clock: Clock) -> None:
    """Model a's v1.0.0 shares its base shard with model b. Once a@v1.0.0 is purged, the shard
    stays (b needs it) and is billed to b alone: a is billed for its live version only."""
    repo = registry_repo
    clock.set(1_780_000_000)
    for name, adapter, base in (("a", "a1", "base"), ("a", "a2", "other-base"), ("b", "b1", "base")):
        _weights(repo / "out" / name, adapter, base)
        ok(repo, "register", name, "-w", f"out/{name}")
    ok(repo, "push")
    ok(repo, "promote", "a@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", "a@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", "b@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    clock.set(1_780_000_000 + 400 * 86400)
    assert "purge a@v1.0.0: 1 object(s)" in ok(repo, "lifecycle", "apply")  # its adapter; the shard stays
    cost = json.loads(run_cli(repo, "cost", "--json").out)
    a, b = cost["models"]
    assert (a["model"], a["versions"], a["purged_versions"]) == ("a", 2, 1)
    assert 64 * 1024 < a["bytes_by_class"]["LOCAL"] < 2 * 64 * 1024  # a@v1.0.1 only: not the shard b keeps
    assert a["shared_bytes"] < 1024  # config.json: the shard is b's alone now
    assert b["shared_bytes"] < 1024
    assert cost["bytes_by_class"]["LOCAL"] == sum(
        p.stat().st_size for p in (repo.parent / "remote" / "files" / "md5").rglob("*") if p.is_file()
    )
    assert "2 (1 purged)" in ok(repo, "cost")
