"""S3 storage against a real S3-compatible server: publish order, verify, tiering and
restore-aware reads, publish, and credentials never committed."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import SECRET, S3Target, free_port, git, make_weights, run_cli, snapshot, tree_md5
from stagekit import ok

M = "llama2-7b-alpaca"


def _register(repo: Path, seeds: list[int], **kw: int) -> None:
    for seed in seeds:
        make_weights(repo / "out" / M, seed=seed, **kw)
        ok(repo, "register", M, "-w", f"out/{M}", "-M", f"accuracy=0.{70 + seed}")


def _origin(tmp_path: Path, repo: Path) -> Path:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    return origin


def test_init_writes_no_credentials(s3_repo: Path, s3: S3Target) -> None:
    config = git(s3_repo, "show", "HEAD:.dvc/config")
    assert f"url = {s3.url}" in config
    committed = git(s3_repo, "grep", "-I", "-l", "-e", SECRET, "HEAD", check=False)
    assert committed == "" and "secret" not in config.lower()


def test_push_uploads_verifies_then_publishes_tags(s3_repo: Path, s3: S3Target, tmp_path: Path) -> None:
    _register(s3_repo, [1, 2])
    origin = _origin(tmp_path, s3_repo)
    out = ok(s3_repo, "push")
    assert "Pushed the weights of 2 version(s)" in out
    keys = s3.keys("files/md5")
    assert len(keys) == 2 + 2 * 4 - 1  # two .dir manifests and 8 files, the tokenizer shared
    assert git(origin, "tag", "-l").split() == [f"{M}@v1.0.0", f"{M}@v1.0.1"]
    report = json.loads(run_cli(s3_repo, "verify", "--all", "--deep", "--json").out)
    assert [r["ok"] for r in report] == [True, True]


def test_verify_reports_missing_and_corrupt_by_file(s3_repo: Path, s3: S3Target) -> None:
    _register(s3_repo, [1])
    ok(s3_repo, "push")
    c = s3.client()
    objs = json.loads(open(next(Path(s3_repo, ".dvc", "cache").rglob("*.dir"))).read())
    by_name = {e["relpath"]: e["md5"] for e in objs}
    shard = by_name["model-00000-of-00002.safetensors"]
    c.delete_object(Bucket=s3.bucket, Key=f"{s3.prefix}/files/md5/{shard[:2]}/{shard[2:]}")
    cfg = by_name["config.json"]
    c.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}/files/md5/{cfg[:2]}/{cfg[2:]}", Body=b'{"seed": 9}\n')
    result = run_cli(s3_repo, "verify", f"{M}@v1.0.0", "--deep")
    assert result.code == 1
    assert "missing: model-00000-of-00002.safetensors" in result.out  # the report (stdout)
    assert "corrupt: config.json (md5 differs)" in result.out


class StoppableServer:
    """moto's threaded server, whose stop also closes the listening socket (a dead host)."""

    def __init__(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.server._server.server_close()  # noqa: SLF001  (moto leaves the socket listening)


class FlakyServer(StoppableServer):
    """After ``fail_after`` object uploads, every request gets HTTP 503, as an outage of the
    storage in the middle of a push would give (None: it answers as usual)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.fail_after: int | None = None
        self.uploads = 0
        self.lock = threading.Lock()
        inner = self.server._server.app  # noqa: SLF001  (moto's WSGI app, wrapped)

        def app(environ: dict, start_response: Any) -> Any:
            with self.lock:
                if self.fail_after is not None and self.uploads >= self.fail_after:
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
                if environ["REQUEST_METHOD"] == "PUT" and "/files/md5/" in environ.get("PATH_INFO", ""):
                    self.uploads += 1
            return inner(environ, start_response)

        self.server._server.app = app  # noqa: SLF001


def test_a_storage_failure_mid_push_never_publishes_the_tag(
    repo: Path, s3: S3Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The S3 server fails in the middle of a push: no tag reaches git; rerunning completes."""
    if s3.endpoint is None:
        pytest.skip("needs the local server: it fails in the middle of the push")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # fail fast once the server fails
    port = free_port()
    server = FlakyServer(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        ok(repo, "init", "--remote", s3.url, "--endpoint-url", endpoint)
        # one upload at a time, so the failure lands after two of the six files
        (repo / ".dvc" / "config.local").write_text(
            "['remote \"storage\"']\n    jobs = 1\n    read_timeout = 3\n    connect_timeout = 3\n"
        )
        make_weights(repo / "out" / M, seed=5, shards=6, size=1024 * 1024)
        ok(repo, "register", M, "-w", f"out/{M}")
        origin = _origin(tmp_path, repo)
        before = snapshot(repo)
        server.fail_after = server.uploads + 2
        failed = run_cli(repo, "push", f"{M}@v1.0.0")
        assert server.uploads == server.fail_after, "the failure did not land in the middle of the push"
        assert failed.code == 1
        assert f"uploading the weights of {M}@v1.0.0 failed" in failed.err
        assert "hint: nothing reached the git remote; run the same command again" in failed.err
        assert git(origin, "tag", "-l") == ""  # the git remote never saw the tag
        assert snapshot(repo) == before  # and nothing changed locally
        server.fail_after = None
        ok(repo, "push", f"{M}@v1.0.0")
        assert git(origin, "tag", "-l").split() == [f"{M}@v1.0.0"]
        assert run_cli(repo, "verify", f"{M}@v1.0.0", "--deep").code == 0
    finally:
        server.stop()


def test_glacier_reads_fail_fast_until_restored(s3_repo: Path, s3: S3Target, tmp_path: Path) -> None:
    _register(s3_repo, [1, 2])
    ok(s3_repo, "push")
    ok(s3_repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(s3_repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    refused = run_cli(s3_repo, "tier", f"{M}@v1.0.1", "--to", "GLACIER")
    assert refused.code == 2 and "holds production" in refused.err
    out = ok(s3_repo, "tier", f"{M}@v1.0.0", "--to", "GLACIER")
    assert "3 object(s) moved to GLACIER" in out and "1 shared with live versions kept" in out
    classes = sorted(cls for _, cls in s3.keys("files/md5").values())
    assert classes.count("GLACIER") == 3
    import shutil

    shutil.rmtree(s3_repo / ".dvc" / "cache")
    before = snapshot(s3_repo)
    for args in (
        ["checkout", f"{M}@v1.0.0", "--to", str(tmp_path / "x")],
        ["pull", f"{M}@v1.0.0"],
        ["publish", f"{M}@v1.0.0", "--to", f"s3://{s3.bucket}/serving"],
    ):
        result = run_cli(s3_repo, *args)
        assert result.code == 6, (args, result.err)
        assert f"3 object(s) of {M}@v1.0.0 are in an archive storage class" in result.err
        assert f"hint: start a restore and wait for it: llmgit restore {M}@v1.0.0" in result.err
    assert snapshot(s3_repo) == before and not (tmp_path / "x").exists()
    rolled = run_cli(s3_repo, "rollback", M, "--reason", "test")
    assert rolled.code == 0 and "warning: the weights of" in rolled.err and "GLACIER" in rolled.err
    restored = ok(s3_repo, "restore", f"{M}@v1.0.0", "--days", "2")
    assert "restored" in restored or "in progress" in restored
    ok(s3_repo, "checkout", f"{M}@v1.0.0", "--to", str(tmp_path / "v1"))
    assert len(tree_md5(tmp_path / "v1")) == 4


def test_publish_server_side_and_idempotent(s3_repo: Path, s3: S3Target) -> None:
    _register(s3_repo, [1])
    ok(s3_repo, "push")
    out = ok(s3_repo, "publish", f"{M}@v1.0.0", "--to", f"s3://{s3.bucket}/serving")
    assert "4 copied, 0 already there" in out
    c = s3.client()
    manifest = json.loads(c.get_object(Bucket=s3.bucket, Key=f"serving/{M}/v1.0.0/manifest.json")["Body"].read())
    assert sorted(f["file"] for f in manifest["files"]) == sorted(tree_md5(s3_repo / "out" / M))
    assert {f["file"]: f["md5"] for f in manifest["files"]} == tree_md5(s3_repo / "out" / M)
    body = c.get_object(Bucket=s3.bucket, Key=f"serving/{M}/v1.0.0/config.json")["Body"].read()
    assert body == (s3_repo / "out" / M / "config.json").read_bytes()
    assert "0 copied, 4 already there" in ok(s3_repo, "publish", f"{M}@v1.0.0", "--to", f"s3://{s3.bucket}/serving")
    led = git(s3_repo, "show", "llmgit/lifecycle:lifecycle.yaml")
    assert f"uri: s3://{s3.bucket}/serving/{M}/v1.0.0" in led
    assert git(s3_repo, "rev-list", "--count", "llmgit/lifecycle").strip() == "1"  # recorded once


def test_local_remote_cannot_tier(registry_repo: Path) -> None:
    _register(registry_repo, [1])
    result = run_cli(registry_repo, "tier", f"{M}@v1.0.0", "--to", "GLACIER")
    assert result.code == 2 and "tiering needs an S3 remote" in result.err


def test_register_push_publishes_weights_then_the_tag(s3_repo: Path, s3: S3Target, tmp_path: Path) -> None:
    origin = _origin(tmp_path, s3_repo)
    make_weights(s3_repo / "out" / M, seed=3)
    out = ok(s3_repo, "register", M, "-w", f"out/{M}", "--push")
    assert "weights and tag pushed" in out
    assert git(origin, "tag", "-l").split() == [f"{M}@v1.0.0"]
    assert len(s3.keys("files/md5")) == 5  # the manifest and four files
