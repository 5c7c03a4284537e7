"""The llmgit demo: a temporary git repository with a local DVC remote; three versions of a
small generated model are registered, listed, shown and an old one is checked out.

Every step runs the real ``llmgit`` command and prints it with its output, so the
transcript reads like a terminal session.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent


def sh(cwd: Path, *args: str, show: bool = True) -> str:
    if show:
        print(f"\n$ {shlex.join(args)}", flush=True)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    output = (proc.stdout + proc.stderr).rstrip()
    if show and output:
        print(output, flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"demo step failed ({proc.returncode}): {shlex.join(args)}")
    return proc.stdout


def make_model(path: Path, seed: int, adapter_seed: int) -> None:
    """A tiny stand-in for a fine-tuned model: config, tokenizer, base shard, adapter."""
    if path.exists():
        shutil.rmtree(path)  # DVC links files read-only; start each run from fresh files
    path.mkdir(parents=True)

    def blob(tag: str, size: int) -> bytes:
        block = hashlib.sha256(tag.encode()).digest()
        return (block * (size // 32 + 1))[:size]

    (path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": 64}))
    (path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}, "vocab_size": 32000}))
    (path / "model-00001-of-00001.safetensors").write_bytes(blob(f"base-{seed}", 256 * 1024))
    (path / "adapter_model.safetensors").write_bytes(blob(f"adapter-{adapter_seed}", 32 * 1024))
    (path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8 if adapter_seed == 0 else 16}))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="llmgit-demo-"))
    repo = work / "experiments"
    repo.mkdir()
    os.environ.setdefault("XDG_DATA_HOME", str(work / "data"))
    print(f"llmgit demo in {work}")
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, "git", "config", "user.name", "Demo Scientist", show=False)
    sh(repo, "git", "config", "user.email", "demo@example.com", show=False)
    (repo / "train.py").write_text("# training script\n")
    # the training environment, pinned: register records it in each card
    (repo / "requirements.txt").write_text("torch==2.3.1\ntransformers==4.44.2\npeft==0.12.0\nsafetensors==0.4.3\n")
    sh(repo, "git", "add", "train.py", "requirements.txt", show=False)
    sh(repo, "git", "commit", "-q", "-m", "training code", show=False)
    sh(repo, "llmgit", "init", "--remote", str(work / "dvc-remote"))

    (repo / "eval").mkdir()
    runs = [
        ("1.0.0", 0.712, 0.61, "8", "LoRA r=8 on Alpaca", ["--version", "1.0.0"]),
        ("1.1.0", 0.748, 0.55, "16", "LoRA r=16, more steps", ["--bump", "minor"]),
        ("1.1.1", 0.751, 0.54, "16", "retrain with a fixed seed", []),
    ]
    for i, (_, acc, loss, rank, message, bump) in enumerate(runs):
        make_model(repo / "out" / "llama2-7b-alpaca", seed=1, adapter_seed=i)
        (repo / "eval" / "metrics.json").write_text(json.dumps({"eval": {"accuracy": acc, "loss": loss}}))
        sh(
            repo,
            "llmgit",
            "register",
            "llama2-7b-alpaca",
            "--weights",
            "out/llama2-7b-alpaca",
            "--metrics",
            "eval/metrics.json",
            "-p",
            "learning_rate=3e-4",
            "-p",
            f"lora_r={rank}",
            "--dataset",
            "tatsu-lab/alpaca",
            "--base-model",
            "meta-llama/Llama-2-7b-hf",
            "--require-clean",
            "--message",
            message,
            *bump,
        )

    sh(repo, "llmgit", "models")
    sh(repo, "llmgit", "versions", "llama2-7b-alpaca")
    sh(repo, "llmgit", "show", "llama2-7b-alpaca@v1.1.0")
    sh(repo, "llmgit", "card", "validate", "llama2-7b-alpaca")
    sh(repo, "llmgit", "card", "render", f"llama2-7b-alpaca@v{runs[-1][0]}")  # the last version's card
    sh(repo, "llmgit", "checkout", "llama2-7b-alpaca@v1.0.0", "--to", str(work / "v1-export"))
    sh(repo, "ls", "-l", str(work / "v1-export"))
    sh(repo, "llmgit", "checkout", "llama2-7b-alpaca@v1.0.0")
    sh(repo, "git", "status", "--short")

    # stages: staging -> production, a pull-request proposal, a rollback, the guard
    m = "llama2-7b-alpaca"
    sh(repo, "llmgit", "promote", f"{m}@v1.0.0", "--to", "staging", "--reason", "first candidate")
    sh(repo, "llmgit", "promote", f"{m}@v1.0.0", "--to", "production", "--direct", "--reason", "launch")
    sh(repo, "llmgit", "promote", f"{m}@v1.1.0", "--to", "staging")
    sh(repo, "llmgit", "promote", f"{m}@v1.1.0", "--to", "production", "--pr", "--reason", "better accuracy")
    sh(repo, "llmgit", "review", "--stage", "production")
    sh(repo, "llmgit", "promote", f"{m}@v1.1.0", "--to", "production", "--direct", "--reason", "approved")
    sh(repo, "llmgit", "stages")
    sh(repo, "llmgit", "rollback", m, "--reason", "hallucinations up on long prompts")
    sh(repo, "llmgit", "history", m)
    sh(repo, "llmgit", "guard", m, "--metric", "eval.accuracy", "--threshold", "0.05")

    # storage: push the weights (verified), check them, and what they cost
    sh(repo, "llmgit", "push")
    sh(repo, "llmgit", "verify", "--all")
    sh(repo, "llmgit", "cost")
    sh(repo, "git", "log", "--oneline", "--decorate", "--all", "-12")
    print(f"\nDemo finished; the repository is in {repo}")


if __name__ == "__main__":
    main()
