"""register --bump auto: the proposal and its reasons, from what changed against the last version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli, snapshot
from stagekit import ok, push_all_weights

M = "chat-7b"
CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 32000,
    "max_position_embeddings": 4096,
    "hidden_size": 4096,
    "torch_dtype": "bfloat16",
}


def write(path: Path, data: bytes | str) -> None:
    """Registered files are read-only links into the DVC cache: replace them, never edit."""
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def base(registry_repo: Path) -> Path:
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    write(repo / "out" / M / "config.json", json.dumps(CONFIG))
    ok(repo, "register", M, "-w", f"out/{M}", "-p", "lora_r=8", "-m", "first")
    return repo


def config(**changes: object) -> str:
    return json.dumps({**CONFIG, **changes})


CHANGES = [
    (
        "retrain",
        lambda w: write(w / "model-00001-of-00002.safetensors", b"new" * 500),
        [],
        "patch",
        "1.0.1",
        ["the same interface: no tokenizer, config, base model or format change"],
    ),
    (
        "dtype-only",
        lambda w: write(w / "config.json", config(torch_dtype="float16")),
        [],
        "patch",
        "1.0.1",
        ["the same interface"],
    ),
    (
        "tokenizer",
        lambda w: write(w / "tokenizer.json", '{"vocab": 32001}\n'),
        [],
        "major",
        "2.0.0",
        ["tokenizer.json changed"],
    ),
    (
        "context",
        lambda w: write(w / "config.json", config(max_position_embeddings=8192)),
        [],
        "major",
        "2.0.0",
        ["config.json max_position_embeddings: 4096 -> 8192"],
    ),
    (
        "architecture",
        lambda w: write(w / "config.json", config(architectures=["MistralForCausalLM"])),
        [],
        "major",
        "2.0.0",
        ['config.json architectures: ["LlamaForCausalLM"] -> ["MistralForCausalLM"]'],
    ),
    (
        "base-model",
        lambda w: None,
        ["--base-model", "mistralai/Mistral-7B-v0.1"],
        "major",
        "2.0.0",
        ['card base_model: (none) -> "mistralai/Mistral-7B-v0.1"'],
    ),
    ("vocab-removed", lambda w: (w / "tokenizer.json").unlink(), [], "major", "2.0.0", ["tokenizer.json was removed"]),
    (
        "adapter",
        lambda w: write(w / "adapters" / "math" / "adapter_model.safetensors", b"lora" * 100),
        [],
        "minor",
        "1.1.0",
        ["adapters/math/adapter_model.safetensors was added"],
    ),
    (
        "task",
        lambda w: None,
        ["-p", "tasks=chat,summarization"],
        "minor",
        "1.1.0",
        ['param tasks: (none) -> "chat,summarization"'],
    ),
]


@pytest.mark.parametrize(
    ("change", "args", "level", "version", "reasons"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES]
)
def test_dry_run_explains_and_changes_nothing(base: Path, change, args, level, version, reasons) -> None:  # type: ignore[no-untyped-def]
    change(base / "out" / M)
    before = snapshot(base)
    result = run_cli(base, "register", M, "-w", f"out/{M}", "-p", "lora_r=8", *args, "--bump", "auto", "--dry-run")
    assert result.code == 0, result.err
    assert f"Proposed bump: {level} -> v{version} against v1.0.0" in result.err
    for reason in reasons:
        assert f"  because {reason}" in result.err
    assert f"Dry run: would register {M}@v{version}; nothing was changed" in result.err
    assert snapshot(base) == before
    data = json.loads(
        run_cli(
            base, "register", M, "-w", f"out/{M}", "-p", "lora_r=8", *args, "--bump", "auto", "--dry-run", "--json"
        ).out
    )
    assert (data["advice"]["bump"], data["version"], data["advice"]["previous"]) == (level, version, "1.0.0")


def test_auto_registers_the_proposed_version(base: Path) -> None:
    repo = base
    write(repo / "out" / M / "tokenizer.json", '{"vocab": 64000}\n')
    write(repo / "out" / M / "adapter_model.safetensors", b"adapter")
    out = ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto")
    assert "Proposed bump: major -> v2.0.0" in out and "also (minor): adapter_model.safetensors was added" in out
    assert f"Registered {M}@v2.0.0" in out
    assert git(repo, "tag", "-l", f"{M}@*").split() == [f"{M}@v1.0.0", f"{M}@v2.0.0"]
    write(repo / "out" / M / "model-00000-of-00002.safetensors", b"retrained")
    assert f"Registered {M}@v2.0.1" in ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto")


def test_first_version_and_config_read_from_the_remote(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    write(repo / "out" / M / "config.json", json.dumps(CONFIG))
    out = ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto", "--dry-run")
    assert "Proposed bump: major -> v1.0.0 (no earlier version)" in out
    ok(repo, "register", M, "-w", f"out/{M}")
    push_all_weights(repo)
    shutil.rmtree(repo / ".dvc" / "cache")  # the old config.json is only on the remote now
    write(repo / "out" / M / "config.json", config(vocab_size=32064))
    out = ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto", "--dry-run")
    assert "because config.json vocab_size: 32000 -> 32064" in out


def test_rules_are_configurable(base: Path) -> None:
    repo = base
    (repo / "llmgit.yaml").write_text(
        (repo / "llmgit.yaml").read_text()
        + (
            "bump_rules:\n"
            "  major:\n"
            "    files: [special_tokens_map.json]\n"  # tokenizer.json no longer breaks the interface
            "    config: {config.json: [vocab_size]}\n"
            "  minor:\n"
            "    files_added: ['*.gguf']\n"
        )
    )
    write(repo / "out" / M / "tokenizer.json", '{"vocab": 32001}\n')
    write(repo / "out" / M / "config.json", config(max_position_embeddings=8192))
    out = ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto", "--dry-run")
    assert "Proposed bump: patch -> v1.0.1" in out
    write(repo / "out" / M / "model.q4.gguf", b"gguf")
    out = ok(repo, "register", M, "-w", f"out/{M}", "--bump", "auto", "--dry-run")
    assert "Proposed bump: minor -> v1.1.0" in out and "because model.q4.gguf was added" in out


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("bump_rules: {patch: {}}", "'bump_rules' takes 'major' and 'minor'"),
        ("bump_rules: {major: {globs: [a]}}", "bump_rules.major: unknown key 'globs'"),
        ("bump_rules: {minor: {files_added: tokenizer.json}}", "bump_rules.minor.files_added must be a list"),
        ("bump_rules: {major: {config: [vocab_size]}}", "bump_rules.major.config must map JSON file names"),
    ],
    ids=["level", "key", "not-a-list", "config-shape"],
)
def test_bad_rules_are_config_errors(base: Path, rules: str, message: str) -> None:
    (base / "llmgit.yaml").write_text((base / "llmgit.yaml").read_text() + rules + "\n")
    before = snapshot(base)
    result = run_cli(base, "register", M, "-w", f"out/{M}", "--bump", "auto", "--dry-run")
    assert result.code == 2 and message in result.err and result.err.startswith("error: llmgit.yaml: ")
    assert snapshot(base) == before
