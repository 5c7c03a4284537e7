"""Lifecycle retention on a real S3 server: versions that share shards, counted references,
pins and stage holders untouched, idempotent and resumable apply; and cost."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import Clock, S3Target, git, run_cli, snapshot
from stagekit import ok

M = "mistral-7b-chat"
DAY = 86400
T0 = 1_780_000_000


def _blob(tag: str, size: int = 8192) -> bytes:
    block = hashlib.sha256(tag.encode()).digest()
    return (block * (size // 32 + 1))[:size]


def _weights(path: Path, adapter: str, base: str = "base") -> None:
    """A shared base shard and config, and a per-version adapter and head."""
    path.mkdir(parents=True, exist_ok=True)
    for p in path.iterdir():
        p.chmod(0o644)
        p.unlink()
    (path / "config.json").write_text('{"model_type": "mistral"}\n')
    (path / "model-base.safetensors").write_bytes(_blob(base, 64 * 1024))
    (path / "adapter_model.safetensors").write_bytes(_blob(f"adapter-{adapter}"))
    (path / "head.safetensors").write_bytes(_blob(f"head-{adapter}", 4096))


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _class_of(s3: S3Target, data: bytes) -> str | None:
    oid = _md5(data)
    return s3.keys("files/md5").get(f"{s3.prefix}/files/md5/{oid[:2]}/{oid[2:]}", (0, None))[1]


@pytest.fixture
def history(s3_repo: Path, clock: Clock) -> Path:
    """v1.0.0 served in production until day 1; v1.0.1 serves now; v1.0.2 was in staging
    on day 2 and replaced there on day 3 without ever serving; v1.0.3 holds staging."""
    repo = s3_repo
    clock.set(T0)
    for adapter in ("a1", "a2", "a3", "a4"):
        _weights(repo / "out" / M, adapter, base="base" if adapter != "a4" else "other-base")
        ok(repo, "register", M, "-w", f"out/{M}", "-M", "accuracy=0.8")
    ok(repo, "push")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "staging")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct")
    clock.set(T0 + 1 * DAY)
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "staging")
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct")
    clock.set(T0 + 2 * DAY)
    ok(repo, "promote", f"{M}@v1.0.2", "--to", "staging")
    clock.set(T0 + 3 * DAY)
    ok(repo, "promote", f"{M}@v1.0.3", "--to", "staging")
    return repo


def plan(repo: Path) -> list[dict]:
    result = run_cli(repo, "lifecycle", "plan", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["actions"]


def test_plan_changes_nothing_and_follows_the_rules(history: Path, clock: Clock, s3: S3Target) -> None:
    clock.set(T0 + 10 * DAY)
    assert plan(history) == []
    clock.set(T0 + 40 * DAY)
    before, keys = snapshot(history), s3.keys()
    actions = plan(history)
    assert [(a["rule"], a["action"], a["version"]) for a in actions] == [("stale-staging", "tier", "1.0.2")]
    # the adapter and head are its own; the base shard and config are shared with v1.0.1 (production)
    assert (actions[0]["objects"], actions[0]["shared_skipped"]) == (2, 2)
    assert snapshot(history) == before and s3.keys() == keys
    clock.set(T0 + 95 * DAY)
    assert {(a["rule"], a["version"]) for a in plan(history)} == {
        ("stale-staging", "1.0.2"),
        ("rollback-window", "1.0.0"),
    }


def test_apply_tiers_only_unshared_objects_then_purges(history: Path, clock: Clock, s3: S3Target) -> None:
    repo = history
    clock.set(T0 + 95 * DAY)
    out = ok(repo, "lifecycle", "apply")
    assert "tier mistral-7b-chat@v1.0.0: 2 object(s)" in out and "tier mistral-7b-chat@v1.0.2: 2 object(s)" in out
    for adapter in ("a1", "a3"):
        assert _class_of(s3, _blob(f"adapter-{adapter}")) == "GLACIER"
        assert _class_of(s3, _blob(f"head-{adapter}", 4096)) == "GLACIER"
    assert _class_of(s3, _blob("base", 64 * 1024)) == "STANDARD"  # shared with the production holder
    assert _class_of(s3, _blob("adapter-a2")) == "STANDARD"  # the production holder itself
    assert _class_of(s3, _blob("adapter-a4")) == "STANDARD"  # the staging holder
    # idempotent: nothing left to do
    assert plan(repo) == [] and "Nothing to do" in ok(repo, "lifecycle", "apply")
    # a year after v1.0.0 and v1.0.2 were archived: their own weights are deleted, shared ones stay
    clock.set(T0 + 370 * DAY)
    actions = plan(repo)
    assert {(a["rule"], a["action"], a["version"]) for a in actions} == {
        ("purge", "purge", "1.0.0"),
        ("purge", "purge", "1.0.2"),
    }
    ok(repo, "lifecycle", "apply")
    assert _class_of(s3, _blob("adapter-a1")) is None and _class_of(s3, _blob("adapter-a3")) is None
    assert _class_of(s3, _blob("base", 64 * 1024)) == "STANDARD"
    # tag, card and history stay; the version is listed as purged
    assert git(repo, "tag", "-l", f"{M}@v1.0.0").strip() == f"{M}@v1.0.0"
    ledger = git(repo, "show", "llmgit/lifecycle:lifecycle.yaml")
    assert "purged:" in ledger and "1.0.0:" in ledger and "1.0.2:" in ledger
    verify = json.loads(run_cli(repo, "verify", f"{M}@v1.0.0", "--json").out)
    assert verify[0]["purged"] is True
    assert plan(repo) == []


def test_pins_and_holders_are_never_touched_and_apply_resumes(history: Path, clock: Clock, s3: S3Target) -> None:
    repo = history
    ok(repo, "pin", f"{M}@v1.0.2", "--reason", "paper baseline")
    clock.set(T0 + 95 * DAY)
    assert [a["version"] for a in plan(repo)] == ["1.0.0"]
    # an interrupted apply: one of v1.0.0's objects already moved, by hand
    oid = _md5(_blob("adapter-a1"))
    s3.client().copy_object(
        Bucket=s3.bucket,
        Key=f"{s3.prefix}/files/md5/{oid[:2]}/{oid[2:]}",
        CopySource={"Bucket": s3.bucket, "Key": f"{s3.prefix}/files/md5/{oid[:2]}/{oid[2:]}"},
        StorageClass="GLACIER",
    )
    resumed = plan(repo)
    assert resumed[0]["objects"] == 1  # only what is left
    ok(repo, "lifecycle", "apply")
    assert _class_of(s3, _blob("head-a1", 4096)) == "GLACIER"
    assert _class_of(s3, _blob("adapter-a3")) == "STANDARD"  # pinned
    ok(repo, "unpin", f"{M}@v1.0.2")
    assert [a["version"] for a in plan(repo)] == ["1.0.2"]


def test_cost_by_class_and_model_with_plan_savings(history: Path, clock: Clock) -> None:
    clock.set(T0 + 95 * DAY)
    before = json.loads(run_cli(history, "cost", "--json").out)
    assert list(before["bytes_by_class"]) == ["STANDARD"]
    assert before["after_plan"]["saving"] > 0 and 0 < before["after_plan"]["saving_ratio"] < 1
    assert before["models"][0]["model"] == M and before["models"][0]["versions"] == 4
    ok(history, "lifecycle", "apply")
    after = json.loads(run_cli(history, "cost", "--json").out)
    assert set(after["bytes_by_class"]) == {"STANDARD", "GLACIER"}
    assert after["monthly"] == pytest.approx(before["after_plan"]["monthly"], rel=1e-6)
    text = ok(history, "cost")
    assert "GLACIER" in text and "Total: $" in text


def test_local_remote_plans_tiering_as_blocked(registry_repo: Path, clock: Clock, tmp_path: Path) -> None:
    repo = registry_repo
    clock.set(T0)
    for adapter in ("a1", "a2"):
        _weights(repo / "out" / M, adapter)
        ok(repo, "register", M, "-w", f"out/{M}")
    ok(repo, "push")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    clock.set(T0 + 100 * DAY)
    actions = plan(repo)
    assert actions[0]["blocked"] == "tiering needs an S3 remote"
    out = ok(repo, "lifecycle", "apply")
    assert "skipped tier mistral-7b-chat@v1.0.0: tiering needs an S3 remote" in out
    remote = tmp_path / "remote" / "files" / "md5"
    own, shared = _md5(_blob("adapter-a1")), _md5(_blob("base", 64 * 1024))
    assert (remote / own[:2] / own[2:]).is_file()
    clock.set(T0 + 400 * DAY)
    out = ok(repo, "lifecycle", "apply")  # purging works on a directory remote
    assert "purge mistral-7b-chat@v1.0.0: 2 object(s)" in out
    assert not (remote / own[:2] / own[2:]).exists()  # its own adapter is gone
    assert (remote / shared[:2] / shared[2:]).is_file()  # the shard v1.0.1 also uses stays
    assert json.loads(run_cli(repo, "verify", f"{M}@v1.0.0", "--json").out)[0]["purged"] is True
    cost = json.loads(run_cli(repo, "cost", "--json").out)
    assert cost["bytes_by_class"]["LOCAL"] > 64 * 1024
