"""The mission's MLflow examples (examples/*.py), unchanged, on MLflow's SQLite registry and on llmgit.

Each example runs in its own interpreter with only MLFLOW_TRACKING_URI (a local file store) and
MLFLOW_REGISTRY_URI set; both registries must print the same lines. On llmgit, git and DVC must
then hold what MLflow registered: one annotated tag per version, weights in the DVC cache with
the bytes the example wrote, the run's metrics and params in the tag summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import git, run_cli, tree_md5

EXAMPLES = Path(__file__).with_name("examples")
SEQUENCE = ("register", "compare", "rollback")
NAME = "support-bot"

EXPECTED = {
    "register": [
        "registered support-bot version 1: accuracy 0.81, lora_r 8",
        "registered support-bot version 2: accuracy 0.86, lora_r 16",
    ],
    "compare": [
        "found version 1: stage None",
        "found version 2: stage None",
        "accuracy: 0.81 -> 0.86 (+0.05)",
        "loss: 0.52 -> 0.41 (-0.11)",
        "production: version 2",
        "champion: version 2",
        "version 1: stage Archived",
        "version 2: stage Production",
    ],
    "rollback": [
        "production was version 2; rolling back to version 1",
        "production: version 1",
        "champion: version 1",
        "version 1: stage Production",
        "version 2: stage Archived",
    ],
}


def run_examples(work: Path, registry_uri: str) -> dict[str, list[str]]:
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    env.update(
        HOME=str(work),
        MLFLOW_TRACKING_URI=(work / "mlruns").as_uri(),
        MLFLOW_REGISTRY_URI=registry_uri,
        MLFLOW_ALLOW_FILE_STORE="true",  # MLflow 3 keeps the file store in maintenance mode
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    printed = {}
    for example in SEQUENCE:
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / f"{example}.py")],
            cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        printed[example] = proc.stdout.splitlines()
        if proc.returncode != 0:
            printed[example].append(f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1]}")
            break
    return printed


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    work = tmp_path_factory.mktemp("examples-sqlite")
    return run_examples(work, f"sqlite:///{work / 'registry.db'}")


def test_examples_on_mlflow_sqlite(on_sqlite: dict[str, list[str]]) -> None:
    assert on_sqlite == EXPECTED


def test_examples_on_llmgit_print_what_mlflow_prints(
    on_sqlite: dict[str, list[str]], registry_repo: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    on_llmgit = run_examples(work, f"llmgit://{registry_repo}")
    for example in ("register", "compare"):
        assert on_llmgit.get(example) == on_sqlite[example], f"{example}.py prints otherwise on llmgit"

    # git: one annotated tag per registered version; the run's metrics and params in its summary
    listed = run_cli(registry_repo, "versions", NAME, "--json")
    assert listed.code == 0, listed.err
    versions = sorted(json.loads(listed.out), key=lambda v: v["created"] + v["version"])
    assert [v["tag"] for v in versions] == [f"{NAME}@v1.0.0", f"{NAME}@v1.0.1"]
    assert [v["metrics"] for v in versions] == [{"accuracy": 0.81, "loss": 0.52}, {"accuracy": 0.86, "loss": 0.41}]
    assert [v["params"]["lora_r"] for v in versions] == ["8", "16"]
    for v in versions:
        assert git(registry_repo, "cat-file", "-t", v["tag"]).strip() == "tag"

    # DVC: each tag's pointer names a directory whose files are the bytes the example wrote
    for seed, v in enumerate(versions, start=1):
        pointer = yaml.safe_load(git(registry_repo, "show", f"{v['tag']}:{v['weights']['path']}.dvc"))
        md5 = pointer["outs"][0]["md5"]
        assert md5.endswith(".dir")
        cache = registry_repo / ".dvc" / "cache" / "files" / "md5"
        manifest = json.loads((cache / md5[:2] / md5[2:]).read_text())
        stored = {entry["relpath"]: entry["md5"] for entry in manifest}
        assert tree_md5(work / "out" / f"{NAME}-{seed}").items() <= stored.items()
        for relpath, file_md5 in stored.items():
            blob = (cache / file_md5[:2] / file_md5[2:]).read_bytes()
            assert hashlib.md5(blob).hexdigest() == file_md5, relpath

    # the rollback: the same lines, and version 1 (1.0.0) serves again
    assert on_llmgit.get("rollback") == on_sqlite["rollback"], "rollback.py prints otherwise on llmgit"
    stages = run_cli(registry_repo, "stages", "--json")
    assert stages.code == 0, stages.err
    assert json.loads(stages.out)[NAME]["production"] == ["1.0.0"]
    assert git(registry_repo, "rev-parse", f"{NAME}#production^{{commit}}") == git(
        registry_repo, "rev-parse", f"{NAME}@v1.0.0^{{commit}}"
    )
