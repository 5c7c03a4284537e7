"""register: the git data model, provenance and all-or-nothing behaviour, checked with raw git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import Clock, git, make_weights, run_cli, snapshot, tree_md5

from llmgit import RegisterRequest, Registry
from llmgit.errors import OperationFailed


def register(repo: Path, *args: str) -> str:
    result = run_cli(repo, "register", *args)
    assert result.code == 0, result.err
    return result.err


def test_register_session_from_the_issue(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / "llama2-7b-alpaca", seed=1)
    (repo / "eval").mkdir()
    (repo / "eval" / "metrics.json").write_text('{"eval": {"accuracy": 0.81, "loss": 0.52}}')
    out = register(
        repo,
        "llama2-7b-alpaca",
        "--weights",
        "out/llama2-7b-alpaca",
        "--metrics",
        "eval/metrics.json",
        "-p",
        "learning_rate=3e-4",
        "-p",
        "lora_r=8",
        "--dataset",
        "tatsu-lab/alpaca",
        "--bump",
        "minor",
        "--message",
        "LoRA r=8 on Alpaca",
    )
    assert "Registered llama2-7b-alpaca@v1.0.0" in out  # the first version is 1.0.0
    # an annotated tag on the commit holding the card and the DVC pointer
    assert git(repo, "cat-file", "-t", "llama2-7b-alpaca@v1.0.0").strip() == "tag"
    commit = git(repo, "rev-parse", "llama2-7b-alpaca@v1.0.0^{commit}").strip()
    assert commit == git(repo, "rev-parse", "main").strip()
    changed = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split()
    assert sorted(changed) == ["models/llama2-7b-alpaca/model_card.yaml", "out/.gitignore", "out/llama2-7b-alpaca.dvc"]
    assert git(repo, "show", f"{commit}:out/.gitignore") == "/llama2-7b-alpaca\n"
    # the tag message carries the summary
    message = git(repo, "tag", "-l", "--format=%(contents)", "llama2-7b-alpaca@v1.0.0")
    summary = yaml.safe_load(message.split("\n\n", 1)[1])
    assert summary["version"] == "1.0.0"
    assert summary["metrics"] == {"eval.accuracy": 0.81, "eval.loss": 0.52}
    assert summary["params"] == {"learning_rate": 0.0003, "lora_r": 8}
    assert summary["weights"]["files"] == 4 and summary["weights"]["dir"] is True
    pointer = yaml.safe_load(git(repo, "show", f"{commit}:out/llama2-7b-alpaca.dvc"))
    assert summary["weights"]["md5"] + ".dir" == pointer["outs"][0]["md5"]
    assert summary["weights"]["size"] == pointer["outs"][0]["size"]
    # the card: filled fields and provenance
    card = yaml.safe_load(git(repo, "show", f"{commit}:models/llama2-7b-alpaca/model_card.yaml"))
    assert card["training"]["dataset"] == "tatsu-lab/alpaca"
    assert card["training"]["learning_rate"] == 0.0003 and card["training"]["lora_r"] == 8
    assert card["performance"]["eval.accuracy"] == 0.81
    prov = card["provenance"]
    assert prov["git_commit"] == git(repo, "rev-parse", f"{commit}^").strip()
    assert prov["git_branch"] == "main"
    assert prov["author"] == "Ada Lovelace <ada@example.com>"
    assert prov["environment"]["python"]
    assert card["weights"]["md5"] == summary["weights"]["md5"]
    # the working tree is clean but for the user's own untracked metrics file
    assert git(repo, "status", "--porcelain") == "?? eval/\n"


def test_versions_bump_by_semver(registry_repo: Path, clock: Clock) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    register(repo, "m", "-w", "w", "--version", "1.9.0")
    make_weights(repo / "w", seed=2)
    register(repo, "m", "-w", "w", "--version", "1.10.0")
    make_weights(repo / "w", seed=3)
    assert "m@v1.11.0" in register(repo, "m", "-w", "w", "--bump", "minor")
    assert "m@v2.0.0" in register(repo, "m", "-w", "w", "--bump", "major")
    assert "m@v2.0.1" in register(repo, "m", "-w", "w")
    tags = git(repo, "tag", "-l", "m@*").split()
    assert sorted(tags) == ["m@v1.10.0", "m@v1.11.0", "m@v1.9.0", "m@v2.0.0", "m@v2.0.1"]


def test_register_never_sweeps_other_changes(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "train.py").write_text("print('staged')\n")
    git(repo, "add", "train.py")
    (repo / "README.md").write_text("# unstaged edit\n")
    (repo / "out").mkdir()
    (repo / "out" / ".gitignore").write_text("/scratch\n")  # the user's own, uncommitted
    make_weights(repo / "out" / "m", seed=1)
    register(repo, "m", "-w", "out/m")
    commit_files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "train.py" not in commit_files and "README.md" not in commit_files
    # the committed .gitignore has only DVC's entry; the working copy keeps both
    assert git(repo, "show", "HEAD:out/.gitignore") == "/m\n"
    assert (repo / "out" / ".gitignore").read_text().splitlines() == ["/scratch", "/m"]
    status = git(repo, "status", "--porcelain").splitlines()
    assert "A  train.py" in status and " M README.md" in status


def test_register_on_another_branch_and_from_a_subdirectory(registry_repo: Path) -> None:
    repo = registry_repo
    git(repo, "switch", "-q", "-c", "experiment")
    make_weights(repo / "runs" / "a", seed=1)
    result = run_cli(repo / "runs", "register", "m", "-w", "a")
    assert result.code == 0, result.err
    assert git(repo, "rev-parse", "m@v1.0.0^{commit}") == git(repo, "rev-parse", "experiment")
    assert git(repo, "rev-parse", "main") != git(repo, "rev-parse", "experiment")
    assert (repo / "runs" / "a.dvc").is_file()


def test_copy_from_outside(registry_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "weights"
    make_weights(outside, seed=7)
    refused = run_cli(registry_repo, "register", "m", "-w", str(outside))
    assert refused.code == 2 and "outside the repository" in refused.err and "--copy" in refused.err
    register(registry_repo, "m", "-w", str(outside), "--copy")
    assert (registry_repo / "models" / "m" / "weights.dvc").is_file()
    assert len(list((registry_repo / "models" / "m" / "weights").iterdir())) == 4


def test_card_fields_carry_over_but_training_does_not(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    register(repo, "m", "-w", "w", "-p", "lora_r=8", "--dataset", "alpaca", "-M", "acc=0.8")
    card_file = repo / "models" / "m" / "model_card.yaml"
    card = yaml.safe_load(card_file.read_text())
    card["limitations"] = ["English only"]
    card_file.write_text(yaml.safe_dump(card))
    make_weights(repo / "w", seed=2)
    register(repo, "m", "-w", "w", "-M", "acc=0.85")
    card2 = yaml.safe_load(git(repo, "show", "m@v1.0.1:models/m/model_card.yaml"))
    assert card2["limitations"] == ["English only"]
    assert "lora_r" not in card2["training"] and card2["training"]["dataset"] is None
    assert card2["performance"] == {"acc": 0.85}


def test_dataset_version_from_dvc_pointer(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "data").mkdir()
    (repo / "data" / "train.jsonl").write_text('{"q": 1}\n')
    (repo / "data" / "train.jsonl.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: train.jsonl\n"
    )
    make_weights(repo / "w", seed=1)
    register(repo, "m", "-w", "w", "--dataset", "data/train.jsonl")
    card = yaml.safe_load((repo / "models" / "m" / "model_card.yaml").read_text())
    assert card["training"]["dataset_version"] == "md5:0123456789abcdef0123456789abcdef"


def test_failure_midway_changes_nothing(registry_repo: Path) -> None:
    """A ref that cannot move (a stale lock) makes the final step fail: all is put back."""
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    before = snapshot(repo)
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    try:
        with pytest.raises(OperationFailed, match="could not update refs"):
            Registry(repo).register(RegisterRequest(name="m", weights=Path("w")))
    finally:
        lock.unlink()
    after = snapshot(repo)
    assert after.refs == before.refs and after.index == before.index and after.head == before.head
    assert not (repo / "w.dvc").exists() and not (repo / "models" / "m").exists()
    assert after.status == before.status


def test_api_returns_dataclasses(registry_repo: Path) -> None:
    make_weights(registry_repo / "w", seed=1)
    reg = Registry(registry_repo)
    v = reg.register(RegisterRequest(name="m", weights=Path("w"), metrics={"acc": 0.9}, message="first"))
    assert v.version == "1.0.0" and v.tag == "m@v1.0.0" and v.metrics == {"acc": 0.9}
    assert v.commit == git(registry_repo, "rev-parse", "HEAD").strip()
    assert reg.get("m@1.0.0") == v
    assert json.loads(json.dumps(v.to_json()))["weights"]["files"] == 4


def test_register_refuses_weights_that_contain_dvc_pointers(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / "m", seed=1)
    (repo / "out" / "m" / "sub").mkdir()
    (repo / "out" / "m" / "sub" / "data.dvc").write_text("outs: []\n")
    before = snapshot(repo)
    r = run_cli(repo, "register", "m", "-w", "out/m")
    assert r.code == 2, r.err
    assert r.err.startswith("error: 'out/m' contains DVC pointer files")
    assert snapshot(repo) == before


def test_register_in_a_repository_with_a_pipeline_goes_through_dvc_add(registry_repo: Path) -> None:
    """With a dvc.yaml, DVC's own add (and its check of pipeline outputs) does the work; the
    pointer is the same as llmgit's direct add writes."""
    repo = registry_repo
    files = make_weights(repo / "out" / "m", seed=3)
    register(repo, "m", "-w", "out/m")
    direct = yaml.safe_load((repo / "out" / "m.dvc").read_text())
    (repo / "dvc.yaml").write_text("stages:\n  prep:\n    cmd: echo prep\n    outs:\n      - out/m\n")
    before = snapshot(repo)
    r = run_cli(repo, "register", "m", "-w", "out/m", "--version", "2.0.0")
    assert r.code == 1 and "dvc add failed" in r.err  # DVC refuses: a pipeline stage owns out/m
    assert snapshot(repo) == before
    (repo / "dvc.yaml").write_text("stages:\n  prep:\n    cmd: echo prep\n    outs:\n      - data/prepared\n")
    register(repo, "m", "-w", "out/m", "--version", "2.0.0")
    assert yaml.safe_load((repo / "out" / "m.dvc").read_text()) == direct
    assert tree_md5(repo / "out" / "m") == files
