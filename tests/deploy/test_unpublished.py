"""``deploy render`` and ``ab start`` say when a served version was never published: its
storageUri is then only ``deploy.storage_uri`` filled in (``s3://models/...`` by default),
where nothing is unless someone copied the weights there."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import S3Target, git, make_weights, run_cli
from stagekit import ok


@pytest.fixture
def serving(registry_repo: Path) -> Path:
    repo = registry_repo
    for seed, version in ((1, "1.0.0"), (2, "1.1.0")):
        make_weights(repo / "out" / "chat", seed=seed)
        ok(repo, "register", "chat", "-w", "out/chat", "--version", version)
    ok(repo, "promote", "chat@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    return repo


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(("warning:", "hint:"))]


def test_render_warns_for_an_unpublished_holder(serving: Path, tmp_path: Path) -> None:
    result = run_cli(serving, "deploy", "render", "chat", "--out", str(tmp_path / "m"))
    assert result.code == 0, result.err
    assert _warnings(result.err) == [
        "warning: chat@v1.0.0 is not published: its storageUri s3://models/chat/v1.0.0 (deploy.storage_uri "
        "in llmgit.yaml) holds nothing unless its weights were copied there",
        "hint: llmgit publish chat@v1.0.0 --to s3://BUCKET/PREFIX, then render the manifests again",
    ]
    assert "s3://models/chat/v1.0.0" in (tmp_path / "m" / "inferenceservice.yaml").read_text()


def test_a_published_version_renders_without_a_warning(serving: Path, tmp_path: Path) -> None:
    target = tmp_path / "serving-copies"
    ok(serving, "push", "chat@v1.0.0")
    published = run_cli(serving, "publish", "chat@v1.0.0", "--to", str(target))
    assert published.code == 0, published.err
    result = run_cli(serving, "deploy", "render", "chat", "--out", str(tmp_path / "m"))
    assert result.code == 0, result.err
    assert _warnings(result.err) == []
    assert str(target) in (tmp_path / "m" / "inferenceservice.yaml").read_text()


def test_ab_start_warns_for_the_unpublished_candidate_only(serving: Path, tmp_path: Path) -> None:
    ok(serving, "push", "chat@v1.0.0")
    assert run_cli(serving, "publish", "chat@v1.0.0", "--to", str(tmp_path / "copies")).code == 0
    result = run_cli(serving, "ab", "start", "chat", "--candidate", "1.1.0", "--percent", "10", "--skip-staging")
    assert result.code == 0, result.err
    assert [w for w in _warnings(result.err) if w.startswith("warning:")] == [
        "warning: chat@v1.1.0 is not published: its storageUri s3://models/chat/v1.1.0 (deploy.storage_uri "
        "in llmgit.yaml) holds nothing unless its weights were copied there"
    ]


def test_publish_of_a_version_never_pushed_says_so(serving: Path, tmp_path: Path) -> None:
    target = tmp_path / "copies"
    result = run_cli(serving, "publish", "chat@v1.1.0", "--to", str(target))
    assert result.code == 2  # a usage error (docs/exit-codes.md)
    lines = result.err.splitlines()
    assert lines[0].startswith("error: chat@v1.1.0 is not on the storage remote '")
    assert lines[0].endswith("nothing was published")
    assert lines[1:] == ["hint: push its weights first: llmgit push chat@v1.1.0"]
    assert not target.exists()


def test_publish_from_s3_of_a_version_never_pushed_says_so(s3_repo: Path, s3: S3Target) -> None:
    make_weights(s3_repo / "out" / "chat", seed=1)
    ok(s3_repo, "register", "chat", "-w", "out/chat", "--version", "1.0.0")
    before = git(s3_repo, "for-each-ref", "--format=%(refname) %(objectname)")
    result = run_cli(s3_repo, "publish", "chat@v1.0.0", "--to", f"s3://{s3.bucket}/serving")
    assert result.code == 2, result.err
    assert result.err.startswith(f"error: chat@v1.0.0 is not on the storage remote 's3://{s3.bucket}/")
    assert "404" not in result.err and "credentials" not in result.err
    assert result.err.splitlines()[-1] == "hint: push its weights first: llmgit push chat@v1.0.0"
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix="serving/")
    assert listed.get("KeyCount", 0) == 0  # nothing copied
    assert git(s3_repo, "for-each-ref", "--format=%(refname) %(objectname)") == before  # nothing recorded
