"""Real temporary git repositories with a real DVC cache and remote; nothing mocked.

Guard rails: $HOME, XDG dirs and git's global/system config are isolated per test, the
git identity is pinned, and commit dates come from a ticking clock (no sleeps).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from llmgit.cli.main import main

START = 1_790_000_000  # 2026-09-21T...Z, a fixed base for commit dates


class Clock:
    """Sets GIT_AUTHOR_DATE/GIT_COMMITTER_DATE; each tick moves one minute on."""

    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.now = START
        self.mp = mp
        self.set(self.now)

    def set(self, ts: int) -> None:
        self.now = ts
        self.mp.setenv("GIT_AUTHOR_DATE", f"@{ts} +0000")
        self.mp.setenv("GIT_COMMITTER_DATE", f"@{ts} +0000")

    def tick(self, seconds: int = 60) -> int:
        self.set(self.now + seconds)
        return self.now


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Clock:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada Lovelace")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ada@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada Lovelace")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ada@example.com")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home}/mlflow.db")  # never MLflow's default in the cwd
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return Clock(monkeypatch)


@pytest.fixture
def clock(isolated_env: Clock) -> Clock:
    return isolated_env


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit and no registry."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# experiments\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def registry_repo(repo: Path, tmp_path: Path) -> Path:
    """A repository after ``llmgit init`` with a local-directory remote."""
    result = run_cli(repo, "init", "--remote", str(tmp_path / "remote"))
    assert result.code == 0, result.err
    return repo


def make_weights(path: Path, seed: int, shards: int = 2, size: int = 4096) -> dict[str, str]:
    """A small model directory (deterministic bytes); returns relpath -> md5."""
    path.mkdir(parents=True, exist_ok=True)
    files = {"config.json": f'{{"seed": {seed}}}\n'.encode(), "tokenizer.json": b'{"vocab": 32000}\n'}
    for i in range(shards):
        block = hashlib.sha256(f"{seed}-{i}".encode()).digest()
        files[f"model-{i:05d}-of-{shards:05d}.safetensors"] = (block * (size // len(block) + 1))[:size]
    sums = {}
    for name, data in files.items():
        target = path / name
        if target.exists():
            target.chmod(0o644)
            target.unlink()
        target.write_bytes(data)
        sums[name] = hashlib.md5(data).hexdigest()
    return sums


def tree_md5(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@dataclass
class CliResult:
    code: int
    out: str
    err: str


_capture: pytest.CaptureFixture[str] | None = None


@pytest.fixture(autouse=True)
def _cli_capture(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    global _capture
    _capture = capsys
    yield
    _capture = None


def run_cli(cwd: Path, *args: str) -> CliResult:
    """Run ``llmgit -C cwd ARGS`` in-process and capture its output."""
    assert _capture is not None
    _capture.readouterr()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(["-C", str(cwd), *args])
    finally:
        os.chdir(old)
    captured = _capture.readouterr()
    return CliResult(code, captured.out, captured.err)


@dataclass(frozen=True)
class RepoState:
    head: str
    refs: str
    index: str
    status: str
    files: dict[str, str]


def snapshot(root: Path) -> RepoState:
    """Refs, index, status and every file's content hash (ignored files included)."""
    files = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith(".git/") or rel == ".git" or "/.dvc/tmp" in f"/{rel}" or not p.is_file():
            continue
        if rel.startswith(".dvc/tmp") or rel.startswith(".dvc/cache"):
            continue
        files[rel] = hashlib.md5(p.read_bytes()).hexdigest()
    return RepoState(
        head=git(root, "rev-parse", "--symbolic-full-name", "HEAD", check=False),
        refs=git(root, "for-each-ref", "--format=%(refname) %(objectname)"),
        index=git(root, "ls-files", "-s"),
        status="".join(
            line + "\n"
            for line in git(root, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()
            if not line.startswith("!! .dvc/")  # DVC's own cache and temp files
        ),
        files=files,
    )


# -- S3: a real S3-compatible HTTP server (moto) on 127.0.0.1, or real AWS when configured --


SECRET = "llmgit-test-secret-never-committed"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str | None]:
    """The endpoint URL of a moto S3 server for the whole session (None for real AWS).

    Set LLMGIT_TEST_S3_BUCKET (and AWS credentials in the environment) to run the S3 tests
    against real AWS S3 instead; each test then gets its own prefix in that bucket.
    """
    if os.environ.get("LLMGIT_TEST_S3_BUCKET"):
        yield None
        return
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass(frozen=True)
class S3Target:
    endpoint: str | None
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")

    def keys(self, sub: str = "") -> dict[str, tuple[int, str]]:
        c = self.client()
        out: dict[str, tuple[int, str]] = {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/{sub}"):
            for o in page.get("Contents", []):
                out[o["Key"]] = (o["Size"], o.get("StorageClass") or "STANDARD")
        return out


@pytest.fixture
def s3(s3_server: str | None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> S3Target:
    """A fresh bucket (moto) or a fresh prefix (real AWS) for one test."""
    import uuid

    unique = uuid.uuid4().hex[:10]
    if s3_server is None:
        return S3Target(None, os.environ["LLMGIT_TEST_S3_BUCKET"], f"llmgit-test/{unique}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    target = S3Target(s3_server, f"ml-models-{unique}", "llm")
    target.client().create_bucket(Bucket=target.bucket)
    return target


@pytest.fixture
def s3_repo(repo: Path, s3: S3Target) -> Path:
    """A registry whose weights remote is the test S3 location."""
    args = ["init", "--remote", s3.url] + (["--endpoint-url", s3.endpoint] if s3.endpoint else [])
    result = run_cli(repo, *args)
    assert result.code == 0, result.err
    return repo
