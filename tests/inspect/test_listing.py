"""models / versions / show / card: read from tags only, stable JSON, no DVC import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import make_weights, run_cli

VERSION_KEYS = ["name", "version", "tag", "commit", "weights", "metrics", "params", "author", "created", "message"]


@pytest.fixture
def populated(registry_repo: Path) -> Path:
    repo = registry_repo
    for seed, (name, extra) in enumerate(
        [
            ("alpha", ["--version", "1.9.0"]),
            ("alpha", ["--version", "1.10.0"]),
            ("beta", []),
            ("alpha", ["--version", "1.10.1-rc.1"]),
        ]
    ):
        make_weights(repo / "w" / name, seed=seed)
        result = run_cli(
            repo,
            "register",
            name,
            "-w",
            f"w/{name}",
            "-M",
            f"acc=0.{seed + 5}",
            "-M",
            "loss=0.3",
            "-m",
            f"run {seed}",
            *extra,
        )
        assert result.code == 0, result.err
    return repo


def test_models_json(populated: Path) -> None:
    result = run_cli(populated, "models", "--json")
    assert json.loads(result.out) == [
        {"name": "alpha", "latest": "1.10.1-rc.1", "versions": 3},
        {"name": "beta", "latest": "1.0.0", "versions": 1},
    ]


def test_versions_newest_first_by_semver(populated: Path) -> None:
    data = json.loads(run_cli(populated, "versions", "alpha", "--json").out)
    assert [v["version"] for v in data] == ["1.10.1-rc.1", "1.10.0", "1.9.0"]
    assert list(data[0]) == VERSION_KEYS
    assert data[1]["metrics"] == {"acc": 0.6, "loss": 0.3}
    table = run_cli(populated, "versions", "alpha").out.splitlines()
    assert table[0].split() == ["VERSION", "CREATED", "AUTHOR", "acc", "loss", "SIZE", "MESSAGE"]
    assert table[2].startswith("v1.10.1-rc.1") and table[4].startswith("v1.9.0")


def test_show_reads_the_card_from_the_tag(populated: Path) -> None:
    data = json.loads(run_cli(populated, "show", "alpha@1.9.0", "--json").out)
    assert data["card"]["version"] == "1.9.0" and data["card"]["performance"]["acc"] == 0.5
    text = run_cli(populated, "show", "alpha@v1.9.0").out
    assert text.startswith("alpha@v1.9.0  (commit ")
    assert "model card:" in text and "provenance:" in text
    assert json.loads(run_cli(populated, "show", "alpha", "--json").out)["version"] == "1.10.1-rc.1"


def test_card_validate_and_render(populated: Path) -> None:
    assert run_cli(populated, "card", "validate", "alpha").code == 0
    assert run_cli(populated, "card", "validate", "alpha@1.9.0").code == 0
    card = populated / "models" / "alpha" / "model_card.yaml"
    doc = yaml.safe_load(card.read_text())
    doc["training"]["learning_rate"] = "fast"
    doc["limitations"] = "none"
    card.write_text(yaml.safe_dump(doc))
    bad = run_cli(populated, "card", "validate", "alpha")
    assert bad.code == 2
    assert "limitations: 'none' is not of type 'array'" in bad.err
    assert "training.learning_rate: 'fast' is not of type 'number', 'null'" in bad.err
    assert bad.err.splitlines()[-1] == "error: the model card has 2 problem(s)"
    md = run_cli(populated, "card", "render", "alpha@v1.10.0").out
    _, front, body = md.split("---\n", 2)
    meta = yaml.safe_load(front)
    # no license recorded, none claimed; metric ids the Hub knows (acc), never llmgit's own keys
    assert "license" not in meta and meta["metrics"] == ["accuracy"] and "llmgit" in meta["tags"]
    assert body.lstrip().startswith("# alpha v1.10.0")
    assert "| acc | 0.6 |" in body


def test_read_only_commands_never_import_dvc(populated: Path) -> None:
    code = (
        "import sys\n"
        "from llmgit.cli.main import main\n"
        f"for args in (['models'], ['versions', 'alpha'], ['show', 'alpha@1.9.0'], ['--help']):\n"
        f"    main(['-C', {str(populated)!r}, *args])\n"
        "heavy = sorted(m for m in ('dvc', 'boto3', 'jinja2', 'jsonschema', 'llmgit.weights.remote') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stderr


def test_listing_uses_tags_not_the_working_tree(populated: Path) -> None:
    import shutil

    shutil.rmtree(populated / "models")
    shutil.rmtree(populated / "w")
    assert len(json.loads(run_cli(populated, "versions", "alpha", "--json").out)) == 3
    assert json.loads(run_cli(populated, "show", "beta", "--json").out)["card"]["name"] == "beta"


def test_a_listing_packs_thousands_of_loose_tags_and_lists_the_same(populated: Path) -> None:
    """Tags another tool left loose (fast-import, a fetch) cost every listing a file read
    each: the first listing packs them, and every listing answers the same."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=populated, capture_output=True, text=True, check=True)
    lines = "".join(f"create refs/tags/other-{i} {head.stdout.strip()}\n" for i in range(1001))
    subprocess.run(["git", "update-ref", "--stdin"], cwd=populated, input=lines, text=True, check=True)
    loose = populated / ".git" / "refs" / "tags"
    assert len(list(loose.iterdir())) > 1001
    before = run_cli(populated, "models", "--json")
    assert before.code == 0 and list(loose.iterdir()) == []
    packed = (populated / ".git" / "packed-refs").read_text()
    assert "refs/tags/other-1000" in packed and "refs/tags/alpha@v1.10.0" in packed
    after = run_cli(populated, "models", "--json")
    assert after.out == before.out and [m["name"] for m in json.loads(after.out)] == ["alpha", "beta"]
