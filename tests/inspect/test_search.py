"""versions --filter / --order-by / --limit and search across models, on a real registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Clock, make_weights, run_cli, snapshot
from stagekit import ok

VERSION_KEYS = ["name", "version", "tag", "commit", "weights", "metrics", "params", "author", "created", "message"]


@pytest.fixture
def catalog(registry_repo: Path, clock: Clock) -> Path:
    """chat-7b 1.0.0 .. 1.2.0 and 2.0.0-rc.1, code-13b 1.0.0; stages and a card edit."""
    repo = registry_repo
    rows = [
        ("chat-7b", "1.0.0", 0.71, "llama-2-7b", 8, "tatsu-lab/alpaca"),
        ("chat-7b", "1.1.0", 0.78, "llama-2-7b", 16, "tatsu-lab/alpaca"),
        ("chat-7b", "1.2.0", 0.83, "mistral-7b", 16, "openorca"),
        ("chat-7b", "2.0.0-rc.1", 0.86, "mistral-7b", 32, "openorca"),
        ("code-13b", "1.0.0", 0.64, "codellama-13b", 8, "the-stack"),
    ]
    for seed, (name, version, acc, base, r, data) in enumerate(rows):
        clock.set(1_790_000_000 + seed * 86400)  # one a day from 2026-09-21
        make_weights(repo / "out" / name, seed=seed)
        ok(
            repo,
            "register",
            name,
            "-w",
            f"out/{name}",
            "--version",
            version,
            "-M",
            f"accuracy={acc}",
            "-p",
            f"base={base}",
            "-p",
            f"lora_r={r}",
            "--dataset",
            data,
            "-m",
            f"{name} {version}",
        )
    ok(repo, "promote", "chat-7b@v1.1.0", "--to", "staging")
    ok(repo, "promote", "chat-7b@v1.1.0", "--to", "production", "--direct")
    ok(repo, "promote", "chat-7b@v1.2.0", "--to", "staging")
    return repo


def versions_of(repo: Path, *args: str) -> list[str]:
    result = run_cli(repo, "versions", "chat-7b", *args, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert all(list(v) == VERSION_KEYS for v in data)  # the same JSON as plain `versions`
    return [v["version"] for v in data]


def found(repo: Path, expr: str, *args: str) -> list[str]:
    result = run_cli(repo, "search", expr, *args, "--json")
    assert result.code == 0, result.err
    return [f"{v['name']}@{v['version']}" for v in json.loads(result.out)]


CASES = [
    ("metrics.accuracy >= 0.78", ["2.0.0-rc.1", "1.2.0", "1.1.0"]),
    ("version >= 1.1.0 and version < 2.0.0-0", ["1.2.0", "1.1.0"]),
    ("version >= 2.0.0-rc.1", ["2.0.0-rc.1"]),
    ("params.base like 'mistral%' or params.lora_r = 8", ["2.0.0-rc.1", "1.2.0", "1.0.0"]),
    ("not (stage = 'production' or stage = 'staging')", ["2.0.0-rc.1", "1.0.0"]),
    ("stage in ('staging', 'production')", ["1.2.0", "1.1.0"]),
    ("created >= 2026-09-22 and created < 2026-09-23T12:00:00+02:00", ["1.1.0"]),
    ("card.training.dataset = 'openorca' and card.training.lora_r in (16, 32)", ["2.0.0-rc.1", "1.2.0"]),
    ("author = 'Ada Lovelace <ada@example.com>' and metrics.missing > 1", []),
]


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_versions_filter(catalog: Path, expr: str, expected: list[str]) -> None:
    assert versions_of(catalog, "--filter", expr) == expected


def test_order_by_desc_and_limit(catalog: Path) -> None:
    assert versions_of(catalog, "--order-by", "metrics.accuracy") == ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"]
    assert versions_of(catalog, "--order-by", "params.lora_r", "--desc", "--limit", "2") == ["2.0.0-rc.1", "1.2.0"]
    assert versions_of(catalog, "--order-by", "version", "--limit", "1") == ["1.0.0"]
    assert versions_of(catalog, "--filter", "stage != 'production'", "--order-by", "created", "--desc") == [
        "2.0.0-rc.1",
        "1.2.0",
        "1.0.0",
    ]
    table = ok(catalog, "versions", "chat-7b", "--filter", "metrics.accuracy > 0.8")
    assert table.splitlines()[0].split()[:3] == ["VERSION", "CREATED", "AUTHOR"]
    assert "v1.2.0" in table and "v1.1.0" not in table


def test_search_across_models(catalog: Path) -> None:
    assert found(catalog, "metrics.accuracy < 0.75") == ["chat-7b@1.0.0", "code-13b@1.0.0"]
    assert found(catalog, "name like 'c%'", "--order-by", "metrics.accuracy", "--desc", "--limit", "3") == [
        "chat-7b@2.0.0-rc.1",
        "chat-7b@1.2.0",
        "chat-7b@1.1.0",
    ]
    data = json.loads(ok(catalog, "search", "stage = 'production'", "--json"))
    assert [(v["name"], v["version"], v["stages"]) for v in data] == [("chat-7b", "1.1.0", ["production"])]
    ok(catalog, "promote", "chat-7b@v1.2.0", "--to", "production", "--direct")
    data = json.loads(ok(catalog, "search", "stage = 'production' or stage = 'archived'", "--json"))
    assert [(v["version"], v["stages"]) for v in data] == [
        ("1.2.0", ["staging", "production"]),
        ("1.1.0", ["archived"]),
    ]
    table = ok(catalog, "search", "name = 'code-13b' or stage like 'prod%'")
    assert table.splitlines()[0].split()[:5] == ["MODEL", "VERSION", "STAGE", "CREATED", "AUTHOR"]
    assert "v1.2.0   staging,production" in table and "code-13b  v1.0.0   -" in table

    nothing = run_cli(catalog, "search", "name = 'ghost'")
    assert nothing.code == 0 and nothing.out == "" and "No version matches" in nothing.err


@pytest.mark.parametrize(
    ("args", "message", "caret"),
    [
        (
            ["search", "metrics.accuracy >"],
            "filter syntax error at column 19: expected a value after '>'",
            "metrics.accuracy >\n                        ^",
        ),
        (["search", "name = 'a' version = 1.0.0"], "column 12: unexpected 'version'", None),
        (["versions", "chat-7b", "--filter", "foo = 1"], "column 1: unknown field 'foo'", None),
        (["versions", "chat-7b", "--order-by", "metrics."], "filter syntax error", None),
        (["search", "stage = 'x'", "--limit", "-1"], "--limit must be 0 or more", None),
    ],
    ids=["missing-value", "missing-and", "unknown-field", "bad-order-key", "negative-limit"],
)
def test_errors_point_at_the_column(catalog: Path, args: list[str], message: str, caret: str | None) -> None:
    before = snapshot(catalog)
    result = run_cli(catalog, *args)
    assert result.code == 2, result.err
    assert result.err.startswith("error: ") and message in result.err and "Traceback" not in result.err
    if caret:
        assert f"hint: {caret}" in result.err
    assert snapshot(catalog) == before


def test_filtering_never_imports_dvc(catalog: Path) -> None:
    code = (
        "import sys\n"
        "from llmgit.cli.main import main\n"
        f"for args in (['versions', 'chat-7b', '--filter', \"card.training.lora_r > 8 and stage != 'x'\"],\n"
        "             ['search', 'metrics.accuracy > 0.5', '--order-by', 'created']):\n"
        f"    assert main(['-C', {str(catalog)!r}, *args]) == 0\n"
        "heavy = sorted(m for m in ('dvc', 'boto3', 'jinja2', 'jsonschema') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stderr
