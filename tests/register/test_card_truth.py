"""register: a card describes its own version. The description comes from this registration
or is marked as carried over; model fields carry over; the working tree's state is recorded
and can be required clean. Checked on real repositories, read back with raw git."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, make_weights, run_cli, snapshot

from llmgit import RegisterRequest, Registry
from llmgit.errors import UsageError

MODEL = "llama2-7b-alpaca"
CARD = f"models/{MODEL}/model_card.yaml"


def card_at(repo: Path, tag: str) -> dict[str, Any]:
    name = tag.split("@")[0]
    data = yaml.safe_load(git(repo, "show", f"{tag}:models/{name}/model_card.yaml"))
    assert isinstance(data, dict)
    return data


def register(repo: Path, seed: int, *args: str) -> str:
    make_weights(repo / "out" / MODEL, seed=seed)
    result = run_cli(repo, "register", MODEL, "-w", f"out/{MODEL}", "--dataset", "tatsu-lab/alpaca", *args)
    assert result.code == 0, result.err
    return result.err


def test_the_description_is_this_versions_message(registry_repo: Path) -> None:
    """The issue: v1.1.0 was registered with -m 'LoRA r=16' yet its card said r=8."""
    repo = registry_repo
    register(repo, 1, "-p", "lora_r=8", "-m", "LoRA r=8 on Alpaca", "--version", "1.0.0")
    register(repo, 2, "-p", "lora_r=16", "-m", "LoRA r=16, more steps", "--bump", "minor")
    card = card_at(repo, f"{MODEL}@v1.1.0")
    assert card["description"] == "LoRA r=16, more steps"
    assert "carried_over" not in card
    assert card["training"]["lora_r"] == 16
    readme = run_cli(repo, "card", "render", f"{MODEL}@v1.1.0")
    assert readme.code == 0 and "r\\=16, more steps" in readme.out and "r\\=8" not in readme.out
    assert "carried over" not in readme.out


def test_a_description_without_a_new_one_is_marked_carried_over(registry_repo: Path) -> None:
    repo = registry_repo
    register(repo, 1, "-m", "LoRA r=8 on Alpaca")
    register(repo, 2)  # nothing says what this run is
    register(repo, 3)
    for version in ("1.0.1", "1.0.2"):
        card = card_at(repo, f"{MODEL}@v{version}")
        assert card["description"] == "LoRA r=8 on Alpaca"
        assert card["carried_over"] == {"description": "1.0.0"}  # the version it was written for
    readme = run_cli(repo, "card", "render", f"{MODEL}@v1.0.2").out
    assert "written for v1.0.0 and carried over" in readme
    register(repo, 4, "--description", "Alpaca LoRA, third data mix")
    assert "carried_over" not in card_at(repo, f"{MODEL}@v1.0.3")


def test_a_description_edited_in_the_working_tree_is_this_versions(registry_repo: Path) -> None:
    repo = registry_repo
    register(repo, 1, "-m", "first")
    card_file = repo / CARD
    card = yaml.safe_load(card_file.read_text())
    card["description"] = "Chat model for the support desk, trained on the March tickets."
    card_file.write_text(yaml.safe_dump(card, sort_keys=False))
    register(repo, 2, "-m", "more tickets")  # a hand-written description wins over the message
    after = card_at(repo, f"{MODEL}@v1.0.1")
    assert after["description"] == "Chat model for the support desk, trained on the March tickets."
    assert "carried_over" not in after


def test_after_checking_out_an_older_version_its_description_is_carried_over(registry_repo: Path) -> None:
    repo = registry_repo
    register(repo, 1, "-m", "LoRA r=8 on Alpaca")
    register(repo, 2, "-m", "LoRA r=16")
    out = run_cli(repo, "checkout", f"{MODEL}@v1.0.0")  # its card comes back into the working tree
    assert out.code == 0, out.err
    register(repo, 3)
    card = card_at(repo, f"{MODEL}@v1.0.2")
    assert card["description"] == "LoRA r=8 on Alpaca" and card["carried_over"] == {"description": "1.0.0"}


def test_model_fields_carry_over_and_run_fields_do_not(registry_repo: Path) -> None:
    repo = registry_repo
    register(repo, 1, "-M", "acc=0.7", "-p", "epochs=3", "--base-model", "meta-llama/Llama-2-7b-hf")
    card_file = repo / CARD
    card = yaml.safe_load(card_file.read_text())
    card.update(
        license="llama2",
        limitations=["English only"],
        tags=["chat"],
        resources={"gpu": "1x A100", "training_time": "3h", "cost": 12},
    )
    card_file.write_text(yaml.safe_dump(card, sort_keys=False))
    register(repo, 2, "-M", "acc=0.8", "--resource", "gpu=2x A100")
    after = card_at(repo, f"{MODEL}@v1.0.1")
    assert after["license"] == "llama2" and after["limitations"] == ["English only"] and after["tags"] == ["chat"]
    assert after["resources"] == {"gpu": "2x A100", "training_time": "3h", "cost": 12}  # given keys replace
    assert after["base_model"] == "meta-llama/Llama-2-7b-hf" and after["base_model_relation"] == "finetune"
    assert after["performance"] == {"acc": 0.8} and after["training"]["epochs"] is None  # this run's only
    assert run_cli(repo, "card", "validate", f"{MODEL}@v1.0.1").code == 0


def test_the_base_model_relation_follows_the_weights(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "a", seed=1)
    (repo / "a" / "adapter_config.json").write_text('{"r": 16}')
    base = ("--base-model", "meta-llama/Llama-2-7b-hf")
    assert run_cli(repo, "register", "lora", "-w", "a", *base).code == 0
    assert card_at(repo, "lora@v1.0.0")["base_model_relation"] == "adapter"
    make_weights(repo / "q", seed=2)
    (repo / "q" / "model-q4.gguf").write_bytes(b"GGUF" + bytes(64))
    assert run_cli(repo, "register", "q4", "-w", "q", *base).code == 0
    assert card_at(repo, "q4@v1.0.0")["base_model_relation"] == "quantized"
    make_weights(repo / "m", seed=3)
    assert run_cli(repo, "register", "merged", "-w", "m", *base, "--base-model-relation", "merge").code == 0
    assert card_at(repo, "merged@v1.0.0")["base_model_relation"] == "merge"
    bad = run_cli(repo, "register", "merged", "-w", "m", *base, "--base-model-relation", "distilled")
    assert bad.code == 2


# -- the working tree ---------------------------------------------------------------------


def _diff_sha256(repo: Path, *exclude: str) -> str:
    argv = ["git", "diff", "--no-ext-diff", "--no-textconv", "--no-color", "--binary", "--full-index", "HEAD"]
    argv += ["--", ".", *(f":(exclude){p}" for p in exclude)]
    return hashlib.sha256(subprocess.run(argv, cwd=repo, capture_output=True, check=True).stdout).hexdigest()


def test_a_clean_tree_is_recorded_clean(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "scratch.txt").write_text("untracked notes are not part of the tree\n")
    register(repo, 1)
    card = yaml.safe_load((repo / CARD).read_text())  # the user's next edit starts here
    card["limitations"] = ["hand-edited before the next version"]
    (repo / CARD).write_text(yaml.safe_dump(card))
    register(repo, 2)  # the card's own edits are not a dirty tree
    assert card_at(repo, f"{MODEL}@v1.0.0")["provenance"]["worktree"] == {"dirty": False}
    assert card_at(repo, f"{MODEL}@v1.0.1")["provenance"]["worktree"] == {"dirty": False}


def test_a_dirty_tree_is_recorded_with_the_hash_of_its_diff(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "train.py").write_text("lr = 3e-4\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "training code")
    (repo / "train.py").write_text("lr = 1e-4  # tried after the commit\n")
    (repo / "README.md").write_text("# staged change\n")
    git(repo, "add", "README.md")
    expected = _diff_sha256(repo)  # before register writes anything
    register(repo, 1)
    tree = card_at(repo, f"{MODEL}@v1.0.0")["provenance"]["worktree"]
    assert tree == {"dirty": True, "diff_sha256": expected, "changed_files": ["README.md", "train.py"]}
    # the same uncommitted changes give the same hash; another change another one
    register(repo, 2)
    assert card_at(repo, f"{MODEL}@v1.0.1")["provenance"]["worktree"]["diff_sha256"] == expected
    (repo / "train.py").write_text("lr = 2e-4\n")
    register(repo, 3)
    assert card_at(repo, f"{MODEL}@v1.0.2")["provenance"]["worktree"]["diff_sha256"] != expected


def test_require_clean_refuses_a_dirty_tree_and_changes_nothing(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "README.md").write_text("# uncommitted\n")
    make_weights(repo / "out" / MODEL, seed=1)
    before = snapshot(repo)
    result = run_cli(repo, "register", MODEL, "-w", f"out/{MODEL}", "--require-clean")
    assert result.code == 2
    assert "error: the working tree has uncommitted changes to 1 tracked file(s): README.md" in result.err
    assert "hint: commit or stash them first" in result.err
    assert snapshot(repo) == before
    git(repo, "commit", "-q", "-am", "readme")
    assert run_cli(repo, "register", MODEL, "-w", f"out/{MODEL}", "--require-clean").code == 0
    assert card_at(repo, f"{MODEL}@v1.0.0")["provenance"]["worktree"] == {"dirty": False}


def test_require_clean_through_the_api(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    (repo / "README.md").write_text("# uncommitted\n")
    with pytest.raises(UsageError, match="uncommitted changes to 1 tracked file"):
        Registry(repo).register(RegisterRequest(name="m", weights=Path("w"), require_clean=True))
    assert git(repo, "tag", "-l") == ""
