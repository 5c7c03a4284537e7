"""I8: the manifests of different stages never share a Kubernetes identity (kind, namespace,
name): production keeps the model's names, every other stage's carry ``-STAGE``; both still
pass the schemas and semantic checks (and promtool when it is on PATH)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import make_weights, run_cli
from stagekit import ok

from llmgit.api.registry import Registry


@pytest.fixture
def both_stages(registry_repo: Path) -> Path:
    repo = registry_repo
    for seed, version in ((1, "1.0.0"), (2, "1.0.1")):
        make_weights(repo / "out" / "chat", seed=seed)
        ok(repo, "register", "chat", "-w", "out/chat", "--version", version)
    ok(repo, "promote", "chat@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", "chat@v1.0.1", "--to", "staging")
    return repo


def identities(out: Path) -> set[tuple[str, str, str]]:
    found = set()
    for path in sorted(out.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        found.add((doc["kind"], doc["metadata"]["namespace"], doc["metadata"]["name"]))
    return found


@pytest.mark.parametrize("mode", ["knative", "standard"])
def test_staging_and_production_never_share_an_identity(both_stages: Path, tmp_path: Path, mode: str) -> None:
    repo = both_stages
    rendered = {}
    for stage in ("production", "staging"):
        out = tmp_path / stage
        ok(repo, "deploy", "render", "chat", "--stage", stage, "--serving-mode", mode, "--out", str(out))
        result = run_cli(repo, "deploy", "validate", str(out), "--no-promtool")
        assert result.code == 0, result.err
        rendered[stage] = identities(out)
    assert rendered["production"] == {
        ("InferenceService", "default", "chat"),
        ("PrometheusRule", "default", "chat-accuracy"),
    }  # today's names
    assert rendered["staging"] == {
        ("InferenceService", "default", "chat-staging"),
        ("PrometheusRule", "default", "chat-accuracy-staging"),
    }
    assert not rendered["production"] & rendered["staging"]
    rule = yaml.safe_load((tmp_path / "staging" / "prometheusrule.yaml").read_text())
    assert [g["name"] for g in rule["spec"]["groups"]] == ["llmgit.chat.accuracy-staging"]
    assert rule["metadata"]["labels"]["llmgit.dev/stage"] == "staging"
    isvc = yaml.safe_load((tmp_path / "staging" / "inferenceservice.yaml").read_text())
    assert isvc["metadata"]["labels"]["llmgit.dev/stage"] == "staging"


def test_the_python_api_and_the_stage_branch_use_the_same_names(both_stages: Path) -> None:
    reg = Registry(both_stages)
    staging = reg.deploy_render("chat", stage="staging")
    production = reg.deploy_render("chat", stage="production")
    names = {r.document["metadata"]["name"] for r in staging.manifests.files}
    assert names == {"chat-staging", "chat-accuracy-staging"}
    assert not names & {r.document["metadata"]["name"] for r in production.manifests.files}
