"""An S3 remote's bucket: ``init --create-bucket`` makes it when missing; without it llmgit
never creates one, and a missing bucket's error says so and how (moto's S3 server)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from conftest import SECRET, S3Target, make_weights, run_cli, snapshot


@pytest.fixture
def missing(s3_server: str | None, monkeypatch: pytest.MonkeyPatch) -> S3Target:
    if s3_server is None:
        pytest.skip("creates buckets: runs against the moto server only")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return S3Target(s3_server, f"absent-{uuid.uuid4().hex[:10]}", "llm")


def _buckets(s3: S3Target) -> set[str]:
    return {b["Name"] for b in s3.client().list_buckets()["Buckets"]}


def test_create_bucket_makes_it_once(repo: Path, missing: S3Target) -> None:
    args = ["init", "--remote", missing.url, "--endpoint-url", str(missing.endpoint), "--create-bucket"]
    first = run_cli(repo, *args)
    assert first.code == 0, first.err
    assert f"Created the bucket '{missing.bucket}'" in first.err
    assert missing.bucket in _buckets(missing)
    again = run_cli(repo, *args)
    assert again.code == 0 and "Created the bucket" not in again.err
    make_weights(repo / "w", seed=1)
    pushed = run_cli(repo, "register", "m", "-w", "w", "--push")
    assert pushed.code == 0, pushed.err
    assert missing.keys()  # the weights are in the new bucket


def test_without_it_a_missing_bucket_is_named_with_the_fix(repo: Path, missing: S3Target) -> None:
    init = run_cli(repo, "init", "--remote", missing.url, "--endpoint-url", str(missing.endpoint))
    assert init.code == 0, init.err
    assert missing.bucket not in _buckets(missing)  # never created unasked
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w", "--push")
    assert result.code == 1
    error, hint = result.err.strip().splitlines()[-2:]
    assert error.startswith("error: m@v1.0.0 is registered here but not published: ") and "NoSuchBucket" in error
    assert hint == (
        f"hint: the bucket '{missing.bucket}' does not exist, and llmgit creates one only when asked: llmgit init "
        f"--remote s3://{missing.bucket}/PREFIX --create-bucket (with the same --endpoint-url), or create it with "
        "your S3 tools; then finish it with: llmgit push m@v1.0.0"
    )
    fixed = run_cli(repo, "init", "--remote", missing.url, "--endpoint-url", str(missing.endpoint), "--create-bucket")
    assert fixed.code == 0, fixed.err
    assert run_cli(repo, "push", "m@v1.0.0").code == 0  # as the hint says


def test_create_bucket_needs_an_s3_remote(repo: Path, tmp_path: Path) -> None:
    before = snapshot(repo)
    result = run_cli(repo, "init", "--remote", str(tmp_path / "remote"), "--create-bucket")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: --create-bucket needs an s3:// remote",
        "hint: llmgit init --remote s3://BUCKET/PREFIX --create-bucket",
    ]
    assert snapshot(repo) == before
