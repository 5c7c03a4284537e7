"""deploy render / validate from the registry: settings, card resources, modes, offline checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from canarykit import M, served_repo
from conftest import git, make_weights, run_cli, snapshot
from promkit import prometheus_bin
from stagekit import ok

from llmgit.core import config
from llmgit.errors import ConfigError


@pytest.fixture
def served(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return served_repo(tmp_path, tmp_path_factory)


def settings(repo: Path, deploy: dict[str, object]) -> None:
    path = repo / "llmgit.yaml"
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "deploy": deploy}))


def test_render_matches_what_the_stage_branch_carries(served: Path, tmp_path: Path) -> None:
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    r = run_cli(served, "deploy", "render", M)
    assert r.code == 0, r.err
    docs = list(yaml.safe_load_all(r.out))
    assert [d["kind"] for d in docs] == ["InferenceService", "PrometheusRule"]
    assert f"Rendered {M} in production: v1.0.1 with canary v1.0.2 at 20% (knative); checked offline" in r.err
    out = tmp_path / "out"
    ok(served, "deploy", "render", M, "--stage", "production", "--out", str(out))
    for name in ("inferenceservice.yaml", "prometheusrule.yaml"):
        assert (out / name).read_text() == git(served, "show", f"stage/production:deploy/{M}/{name}")


def test_settings_and_card_resources(served: Path, tmp_path: Path) -> None:
    card = yaml.safe_load((Path(__file__).parents[2] / "templates" / "model_card.yaml").read_text())
    card["resources"] = {"gpu": "2x A100", "memory": "48Gi", "cpu": "8"}
    (served / "models" / M / "model_card.yaml").write_text(yaml.safe_dump(card))
    make_weights(served / "out" / M, seed=7)
    ok(served, "register", M, "-w", f"out/{M}", "--version", "2.0.0", "-m", "bigger")
    ok(served, "promote", f"{M}@v2.0.0", "--to", "staging", "--direct")
    settings(
        served,
        {
            "namespace": "llm-serving",
            "storage_uri": "gs://weights/{name}/{md5}",
            "serving_mode": "standard",
            "service_account": "weights-reader",
        },
    )
    ok(served, "ab", "start", M, "-c", "2.0.0", "-p", "5")
    doc = yaml.safe_load(git(served, "show", f"stage/production:deploy/{M}/inferenceservice.yaml"))
    assert doc["metadata"]["namespace"] == "llm-serving"
    assert doc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    [entry] = doc["spec"]["canary"]
    md5 = yaml.safe_load(git(served, "show", f"{M}@v2.0.0:out/{M}.dvc"))["outs"][0]["md5"].removesuffix(".dir")
    assert entry["predictor"]["model"]["storageUri"] == f"gs://weights/{M}/{md5}"
    assert entry["predictor"]["serviceAccountName"] == "weights-reader"
    assert entry["predictor"]["model"]["resources"] == {
        "limits": {"memory": "48Gi", "nvidia.com/gpu": "2"},
        "requests": {"cpu": "8", "memory": "48Gi"},
    }
    assert entry["predictor"]["model"]["args"] == [f"--model_name={M}"]


def test_serving_mode_explicit_then_committed_then_settings(served: Path) -> None:
    settings(served, {"serving_mode": "standard"})
    isvc = f"stage/production:deploy/{M}/inferenceservice.yaml"

    def mode(*args: str) -> str:
        r = run_cli(served, "deploy", "render", M, *args)
        assert r.code == 0, r.err
        return next(yaml.safe_load_all(r.out))["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]

    assert mode() == "Standard"
    assert mode("--serving-mode", "knative") == "Knative"
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20", "--serving-mode", "knative")
    assert mode() == "Knative"  # the running canary's mode
    ok(served, "ab", "abort", M)
    assert "Knative" in git(served, "show", isvc)
    assert mode() == "Knative"  # what the stage branch deploys, not a silent switch


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda d: d["spec"]["predictor"]["model"].update(storageUrl="s3://x"),
            "inferenceservice.yaml: spec.predictor.model: unknown field 'storageUrl'",
        ),
        (
            lambda d: d["metadata"].update(name="Chat_7B"),
            "inferenceservice.yaml: metadata.name: 'Chat_7B' is not a DNS label: use lowercase letters",
        ),
        (
            lambda d: d["spec"]["predictor"].update(canaryTrafficPercent=120),
            "inferenceservice.yaml: spec.predictor.canaryTrafficPercent: 120 is above 100",
        ),
    ],
    ids=["typo-field", "bad-name", "traffic-120"],
)
def test_validate_rejects_a_broken_manifest(served: Path, tmp_path: Path, edit, problem: str) -> None:  # type: ignore[no-untyped-def]
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    out = tmp_path / "deploy"
    ok(served, "deploy", "render", M, "--out", str(out))
    assert "valid (schemas and semantic checks" in ok(served, "deploy", "validate", str(out), "--no-promtool")
    doc = yaml.safe_load((out / "inferenceservice.yaml").read_text())
    edit(doc)
    (out / "inferenceservice.yaml").write_text(yaml.safe_dump(doc))
    r = run_cli(served, "deploy", "validate", str(out), "--no-promtool")
    assert r.code == 2
    lines = r.err.splitlines()
    assert lines[0].startswith(problem), r.err
    assert lines[-2:] == [
        f"error: 1 problem(s) in {out}",
        "hint: fix the manifests (or the templates in .llmgit/templates/deploy/) and re-run",
    ]
    r = run_cli(served, "deploy", "validate", str(out / "inferenceservice.yaml"), "--json")
    [found] = json.loads(r.out)["problems"]
    assert r.code == 2 and f"{found['file']}: {found['path']}: {found['message']}".startswith(problem)


def test_validate_runs_promtool_when_on_path(served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = prometheus_bin()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ok(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    out = tmp_path / "deploy"
    ok(served, "deploy", "render", M, "--out", str(out))
    assert "valid (schemas and semantic checks, promtool check rules)" in ok(served, "deploy", "validate", str(out))
    rule = yaml.safe_load((out / "prometheusrule.yaml").read_text())
    rule["spec"]["groups"][0]["rules"][2]["expr"] = "sum by (job"
    (out / "prometheusrule.yaml").write_text(yaml.safe_dump(rule))
    r = run_cli(served, "deploy", "validate", str(out))
    assert r.code == 2
    assert "prometheusrule.yaml: spec.groups[0].rules[2]: promtool check rules:" in r.err


def test_a_broken_override_template_is_refused_before_any_commit(served: Path) -> None:
    shipped = Path(__file__).parents[2] / "templates" / "deploy" / "inferenceservice.yaml.j2"
    override = served / ".llmgit" / "templates" / "deploy" / "inferenceservice.yaml.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        shipped.read_text().replace(
            "    labels:\n      llmgit.dev/version", "    replica: 2\n    labels:\n      llmgit.dev/version"
        )
    )
    before = snapshot(served)
    r = run_cli(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    assert r.code == 2
    assert (
        "error: the rendered manifests do not validate (templates overridden in .llmgit/templates: "
        "deploy/inferenceservice.yaml.j2): inferenceservice.yaml: spec.predictor: unknown field 'replica'"
    ) in r.err
    assert snapshot(served) == before
    assert run_cli(served, "deploy", "render", M).code == 2


def test_validate_input_errors(served: Path, tmp_path: Path) -> None:
    r = run_cli(served, "deploy", "validate", str(tmp_path / "nope"))
    assert r.code == 2 and f"error: '{tmp_path / 'nope'}' does not exist" in r.err
    (tmp_path / "empty").mkdir()
    r = run_cli(served, "deploy", "validate", str(tmp_path / "empty"))
    assert r.code == 2 and "no YAML manifests found" in r.err
    r = run_cli(served, "deploy", "render", "nobody")
    assert r.code == 2 and "error: no version of 'nobody' holds production" in r.err


@pytest.mark.parametrize(
    ("deploy", "message"),
    [
        ({"namespaces": "x"}, "unknown deploy setting 'namespaces'"),
        ({"namespace": "Prod_NS"}, "deploy.namespace must be a Kubernetes DNS label, not 'Prod_NS'"),
        ({"storage_uri": "s3://b/{model}"}, "may use only the placeholders {name}, {version}, {tag} and {md5}"),
        ({"serving_mode": "raw"}, "deploy.serving_mode must be knative or standard, not 'raw'"),
        ({"min_detectable_effect": 0}, "deploy.min_detectable_effect must be a number between 0 and 1, not 0"),
        ({"alert_for": "15 minutes"}, "deploy.alert_for must be a Prometheus duration"),
        ("knative", "'deploy' must be a mapping"),
    ],
    ids=["unknown", "namespace", "placeholder", "mode", "mde", "duration", "not-a-mapping"],
)
def test_bad_deploy_settings(deploy: object, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        config.parse({"deploy": deploy})
    assert message in e.value.message


def test_bad_deploy_settings_stop_the_command(served: Path) -> None:
    settings(served, {"serving_mode": "raw"})
    r = run_cli(served, "ab", "start", M, "-c", "1.0.2", "-p", "20")
    assert r.code == 2 and "error: llmgit.yaml: deploy.serving_mode must be knative or standard" in r.err
