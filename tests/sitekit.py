"""Builders for report and docs tests: a registry with history, usable from any fixture scope.

``build_registry`` drives the real CLI in-process (``llmgit.cli.main.main``) so it also works
in module-scoped fixtures, where the function-scoped ``run_cli`` capture is not available.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import START, git, make_weights

from llmgit.cli.main import main

MODEL = "llama2-7b-alpaca"
OTHER = "mistral-7b-chat"
HOSTILE_DESCRIPTION = 'Alpaca LoRA <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
HOSTILE_MESSAGE = "r=16 </title><script>window.__pwned = 3</script>"
HOSTILE_REASON = 'hallucinations up <b onmouseover="window.__pwned = 4">badly</b>'
# version, accuracy, loss, lora_r
RUNS = (("1.0.0", 0.712, 0.61, 8), ("1.1.0", 0.748, 0.55, 16), ("1.2.0", 0.739, 0.52, 16), ("1.10.0", 0.781, 0.47, 32))


@contextlib.contextmanager
def isolated(home: Path) -> Iterator[pytest.MonkeyPatch]:
    """The same guard rails as conftest's ``isolated_env``, for wider fixture scopes."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Lovelace",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "DVC_NO_ANALYTICS": "1",
        }.items():
            mp.setenv(key, value)
        mp.delenv("GIT_DIR", raising=False)
        mp.delenv("GIT_WORK_TREE", raising=False)
        home.mkdir(parents=True, exist_ok=True)
        (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        yield mp


def llmgit(root: Path, *args: str) -> None:
    """``llmgit ARGS`` run in ``root`` (relative paths in ARGS are relative to it)."""
    old = os.getcwd()
    os.chdir(root)
    try:
        code = main(["-C", str(root), *args])
    finally:
        os.chdir(old)
    assert code == 0, f"llmgit {' '.join(args)} exited {code}"


class Ticker:
    """Deterministic commit dates: ten minutes apart, from conftest's START (2026-09-21 14:13 UTC)."""

    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.mp, self.now = mp, START

    def tick(self) -> None:
        self.now += 600
        self.mp.setenv("GIT_AUTHOR_DATE", f"@{self.now} +0000")
        self.mp.setenv("GIT_COMMITTER_DATE", f"@{self.now} +0000")


def build_registry(root: Path, remote: Path, mp: pytest.MonkeyPatch, *, hostile: bool = True) -> None:
    """Two models; four versions of MODEL promoted, rolled back and archived, and a canary."""
    clock = Ticker(mp)
    clock.tick()
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("# training\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "training code")
    llmgit(root, "init", "--remote", str(remote))
    (root / "eval").mkdir()
    for i, (version, acc, loss, rank) in enumerate(RUNS):
        clock.tick()
        make_weights(root / "out" / MODEL, seed=10 + i)
        (root / "eval" / "metrics.json").write_text(json.dumps({"accuracy": acc, "loss": loss}))
        extra = ["--description", HOSTILE_DESCRIPTION] if hostile and i == 0 else []
        message = HOSTILE_MESSAGE if hostile and i == 1 else f"LoRA r={rank}"
        llmgit(
            root,
            "register",
            MODEL,
            "-w",
            f"out/{MODEL}",
            "--metrics",
            "eval/metrics.json",
            "-p",
            f"lora_r={rank}",
            "--version",
            version,
            "-m",
            message,
            *extra,
        )
    clock.tick()
    make_weights(root / "out" / OTHER, seed=99)
    llmgit(root, "register", OTHER, "-w", f"out/{OTHER}", "-M", "accuracy=0.69", "-m", "first chat model")
    for args in (
        ("promote", f"{MODEL}@v1.0.0", "--to", "staging"),
        ("promote", f"{MODEL}@v1.0.0", "--to", "production", "--direct", "-r", "first release"),
        ("promote", f"{MODEL}@v1.1.0", "--to", "staging"),
        ("promote", f"{MODEL}@v1.1.0", "--to", "production", "--direct", "-r", "better accuracy"),
        ("rollback", MODEL, "--reason", HOSTILE_REASON if hostile else "hallucinations up"),
        ("promote", f"{MODEL}@v1.10.0", "--to", "staging"),
    ):
        clock.tick()
        llmgit(root, *args)
    clock.tick()
    add_canary(root, MODEL, "1.10.0", 25)


def add_canary(root: Path, model: str, version: str, percent: int, stage: str = "production") -> None:
    """Record a canary on the stage holder's entry, as the A/B commands do (git plumbing)."""
    branch = f"refs/heads/stage/{stage}"
    tip = git(root, "rev-parse", branch).strip()
    doc = yaml.safe_load(git(root, "show", f"{tip}:stage.yaml"))
    tag = f"{model}@v{version}"
    commit = git(root, "rev-parse", f"{tag}^{{commit}}").strip()
    doc["models"][model]["canary"] = {
        "version": version,
        "tag": tag,
        "commit": commit,
        "weights_md5": "",
        "percent": percent,
        "mode": "knative",
        "since": "2026-09-22T10:00:00+00:00",
        "by": "Ada Lovelace <ada@example.com>",
        "reason": "try the new adapter",
    }
    blob = _git_input(root, ["hash-object", "-w", "--stdin"], yaml.safe_dump(doc, sort_keys=False))
    tree = _git_input(root, ["mktree"], f"100644 blob {blob}\tstage.yaml\n")
    new = git(root, "commit-tree", tree, "-p", tip, "-m", f"canary {model} v{version} at {percent}%").strip()
    git(root, "update-ref", branch, new, tip)


def _git_input(root: Path, args: list[str], text: str) -> str:
    import subprocess

    proc = subprocess.run(["git", *args], cwd=root, input=text, capture_output=True, text=True, check=True)
    return proc.stdout.strip()
