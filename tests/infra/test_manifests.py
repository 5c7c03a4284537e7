"""llmgit.infra.manifests: golden renders, canary/abort/promote semantics, names, resources, overrides.

Regenerate the golden files with ``LLMGIT_UPDATE_GOLDEN=1 pytest tests/test_manifests.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_bin import find_prometheus_bin

from llmgit.core import deployspec
from llmgit.core.deployspec import DeploySpec, ServingMode
from llmgit.errors import InputError, InvalidName, InvalidVersion, UsageError
from llmgit.infra import manifest_checks, manifests, promtool

GOLDEN = Path(__file__).parents[1] / "golden"
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

BASE = DeploySpec(
    model="support-llm",
    namespace="models",
    stable_version="1.2.0",
    stable_uri="s3://ml-models/support-llm/v1.2.0",
    candidate_version="v1.3.0",
    candidate_uri="s3://ml-models/support-llm/v1.3.0",
    canary_percent=10,
    runtime_args=("--model_name=support-llm",),
    resources=deployspec.resources_from_card({"gpu": "1x A100", "memory": "24Gi", "cpu": "4"}),
    service_account="s3-reader",
)
STANDARD = replace(BASE, mode=ServingMode.standard)
STABLE_ONLY = replace(BASE, candidate_version=None, candidate_uri=None)

CASES = {
    "knative-canary": BASE,
    "knative-abort": deployspec.aborted(BASE),
    "knative-promote": deployspec.promoted(BASE),
    "knative-stable": STABLE_ONLY,
    "standard-canary": STANDARD,
    "standard-abort": deployspec.aborted(STANDARD),
    "standard-promote": deployspec.promoted(STANDARD),
}


def predictor(case: str) -> dict[str, Any]:
    return manifests.render(CASES[case]).inference_service.document["spec"]["predictor"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, tmp_path: Path) -> None:
    written = manifests.write(manifests.render(CASES[case]), tmp_path / "out")
    assert [p.name for p in written] == ["inferenceservice.yaml", "prometheusrule.yaml"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in written]
    for path in written:
        golden = GOLDEN / case / path.name
        if os.environ.get("LLMGIT_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(path.read_text())
        assert path.read_text() == golden.read_text(), f"{golden} differs"


@pytest.mark.parametrize("case", sorted(CASES))
def test_renders_parse_back_and_pass_the_checks(case: str) -> None:
    rendered = manifests.render(CASES[case])
    for item in rendered.files:
        assert yaml.safe_load(item.text) == item.document
    assert manifest_checks.validate_documents(rendered.documents(), use_promtool=False) == []


def test_rules_pass_promtool(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, why = find_prometheus_bin()
    if bin_dir is None:
        pytest.skip(why)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert promtool.promtool_path() == str(bin_dir / "promtool")
    for spec in (BASE, STABLE_ONLY):
        assert manifest_checks.validate_documents(manifests.render(spec).documents()) == []


def test_knative_canary_serves_the_candidate_with_a_percent() -> None:
    spec = predictor("knative-canary")
    assert spec["canaryTrafficPercent"] == 10
    assert spec["model"]["storageUri"] == "s3://ml-models/support-llm/v1.3.0"
    assert spec["labels"] == {"llmgit.dev/version": "1.3.0"}
    assert "name" not in spec["model"]


def test_knative_abort_is_percent_zero_and_promote_has_no_percent() -> None:
    abort, promote = predictor("knative-abort"), predictor("knative-promote")
    assert abort["canaryTrafficPercent"] == 0
    assert abort["model"]["storageUri"].endswith("/v1.3.0")
    assert "canaryTrafficPercent" not in promote
    assert promote["model"]["storageUri"].endswith("/v1.3.0")
    stable = predictor("knative-stable")
    assert "canaryTrafficPercent" not in stable and stable["model"]["storageUri"].endswith("/v1.2.0")


def test_standard_canary_list() -> None:
    doc = manifests.render(STANDARD).inference_service.document
    assert doc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    stable = doc["spec"]["predictor"]
    assert stable["name"] == "v1-2-0" and "name" not in stable["model"]
    assert "canaryTrafficPercent" not in stable
    [entry] = doc["spec"]["canary"]
    assert entry["trafficPercent"] == 10
    assert entry["predictor"]["name"] == "v1-3-0"
    assert entry["predictor"]["model"]["name"] == "kserve-container"
    assert entry["predictor"]["model"]["modelFormat"] == {"name": "huggingface"}
    assert entry["predictor"]["model"]["storageUri"].endswith("/v1.3.0")


def test_standard_abort_removes_the_entry_and_promote_moves_the_candidate() -> None:
    abort = manifests.render(CASES["standard-abort"]).inference_service.document["spec"]
    assert "canary" not in abort and abort["predictor"]["model"]["storageUri"].endswith("/v1.2.0")
    promote = manifests.render(CASES["standard-promote"]).inference_service.document["spec"]
    assert "canary" not in promote and promote["predictor"]["name"] == "v1-3-0"


def test_labels_and_annotations_record_model_and_versions() -> None:
    meta = manifests.render(BASE).inference_service.document["metadata"]
    assert meta["name"] == "support-llm" and meta["namespace"] == "models"
    assert meta["labels"]["llmgit.dev/model"] == "support-llm"
    assert (
        meta["annotations"].items()
        >= {
            "llmgit.dev/model": "support-llm",
            "llmgit.dev/stable-version": "1.2.0",
            "llmgit.dev/candidate-version": "1.3.0",
            "llmgit.dev/canary-percent": "10",
        }.items()
    )


def test_prometheus_rule_names_and_alert() -> None:
    rule = manifests.render(BASE).prometheus_rule.document
    [group] = rule["spec"]["groups"]
    assert [r.get("record", r.get("alert")) for r in group["rules"]] == [
        "job_model_version:llmgit_eval_correct:rate5m",
        "job_model_version:llmgit_eval:rate5m",
        "job_model_version:llmgit_eval_correct_per_eval:ratio_rate5m",
        "LlmgitCanaryAccuracyDegraded",
    ]
    alert = group["rules"][3]
    assert 'version="1.3.0"' in alert["expr"] and 'version="1.2.0"} - 0.02' in alert["expr"]
    assert "* 300 >= 100" in alert["expr"]
    assert alert["for"] == "15m" and alert["labels"]["severity"] == "warning"
    assert "summary" in alert["annotations"]
    stable_only = manifests.render(STABLE_ONLY).prometheus_rule.document
    assert [r.get("alert") for r in stable_only["spec"]["groups"][0]["rules"]] == [None] * 3


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("support-llm", "support-llm"),
        ("support.llm_v2", "support-llm-v2"),
        ("7b-chat", "m-7b-chat"),
        ("Llama_3.1", "llama-3-1"),
    ],
    ids=["plain", "dots-underscores", "leading-digit", "upper"],
)
def test_dns_label(text: str, label: str) -> None:
    assert deployspec.dns_label(text) == label


def test_dns_label_cuts_long_names_with_a_hash() -> None:
    long_a, long_b = "a" * 70, "a" * 69 + "b"
    label_a, label_b = deployspec.dns_label(long_a), deployspec.dns_label(long_b)
    assert len(label_a) == 63 and DNS_LABEL.match(label_a) and label_a.startswith("a" * 54 + "-")
    assert label_a != label_b  # the hash keeps names apart that share the first 54 characters


@pytest.mark.parametrize(
    ("version", "name"), [("1.3.0", "v1-3-0"), ("v1.3.0", "v1-3-0"), ("2.0.0-rc.1+build.5", "v2-0-0-rc-1-build-5")]
)
def test_version_name(version: str, name: str) -> None:
    assert deployspec.version_name(version) == name


def test_long_model_names_give_valid_kubernetes_names() -> None:
    model = "7" + "x" * 62
    rendered = manifests.render(replace(BASE, model=model))
    names = [r.document["metadata"]["name"] for r in rendered.files]
    assert all(DNS_LABEL.match(n) and len(n) <= 63 for n in names)
    assert rendered.inference_service.document["metadata"]["annotations"]["llmgit.dev/model"] == model
    assert manifest_checks.validate_documents(rendered.documents(), use_promtool=False) == []


@pytest.mark.parametrize(
    ("card", "requests", "limits"),
    [
        ({"gpu": "1x A100"}, {}, {"nvidia.com/gpu": "1"}),
        ({"gpu": "2 x H100", "memory": "80Gi"}, {"memory": "80Gi"}, {"memory": "80Gi", "nvidia.com/gpu": "2"}),
        ({"gpu": 4, "cpu": 8}, {"cpu": "8"}, {"nvidia.com/gpu": "4"}),
        ({"gpu": "A10G"}, {}, {"nvidia.com/gpu": "1"}),
        ({"gpu": None, "training_time": "3h", "cost": 12}, {}, {}),
        ({"gpu": "none", "cpu": "500m"}, {"cpu": "500m"}, {}),
    ],
    ids=["count-x-model", "spaces-and-memory", "integers", "model-only", "none", "cpu-only"],
)
def test_resources_from_card(card: dict[str, Any], requests: dict[str, str], limits: dict[str, str]) -> None:
    resources = deployspec.resources_from_card(card)
    assert dict(resources.requests.items()) == requests
    assert dict(resources.limits.items()) == limits


def test_bad_quantity_in_card() -> None:
    with pytest.raises(InputError, match=r"resources.memory '24 GB' is not a Kubernetes quantity"):
        deployspec.resources_from_card({"memory": "24 GB"})


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"canary_percent": 120}, UsageError, "canary percent must be a whole number from 0 to 100"),
        ({"candidate_uri": None}, UsageError, "a candidate needs both a version and a storage URI"),
        ({"candidate_version": "1.2.0"}, UsageError, "the candidate is the stable version"),
        ({"namespace": "Models"}, UsageError, "namespace 'Models' is not a Kubernetes DNS label"),
        ({"model": "Bad Name"}, InvalidName, "invalid model name 'Bad Name'"),
        ({"stable_version": "latest"}, InvalidVersion, "'latest' is not a semantic version"),
        ({"rate_window": "5 minutes"}, UsageError, "'5 minutes' is not a Prometheus duration"),
        ({"alert_threshold": 2}, UsageError, "alert threshold must be between 0 and 1"),
        ({"mode": "raw"}, UsageError, "serving mode must be one of knative, standard"),
    ],
    ids=["percent", "half-candidate", "same-version", "namespace", "model", "version", "window", "threshold", "mode"],
)
def test_bad_specs(changes: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        replace(BASE, **changes)


def test_abort_and_promote_need_a_candidate() -> None:
    for change in (deployspec.aborted, deployspec.promoted):
        with pytest.raises(UsageError, match="has no candidate"):
            change(STABLE_ONLY)


def test_repository_templates_override(tmp_path: Path) -> None:
    override = tmp_path / ".llmgit/templates/deploy/prometheusrule.yaml.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"
        "metadata: {name: {{ rule_name }}, labels: {release: prometheus}}\n"
        "spec: {groups: []}\n"
    )
    rendered = manifests.render(BASE, root=tmp_path)
    assert rendered.prometheus_rule.document["metadata"]["labels"] == {"release": "prometheus"}
    assert rendered.inference_service.document["kind"] == "InferenceService"  # shipped one


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("kind: [unclosed\n", "renders invalid YAML"),
        ("kind: {{ no_such_variable }}\n", "does not render: 'no_such_variable' is undefined"),
        ("kind: Deployment\n", "must render one InferenceService document"),
    ],
    ids=["yaml", "undefined", "kind"],
)
def test_broken_override_is_a_user_error(tmp_path: Path, body: str, message: str) -> None:
    override = tmp_path / ".llmgit/templates/deploy/inferenceservice.yaml.j2"
    override.parent.mkdir(parents=True)
    override.write_text(body)
    with pytest.raises(InputError, match=re.escape(message)):
        manifests.render(BASE, root=tmp_path)


def test_write_replaces_existing_files(tmp_path: Path) -> None:
    (tmp_path / "inferenceservice.yaml").write_text("old")
    manifests.write(manifests.render(BASE), tmp_path)
    assert yaml.safe_load((tmp_path / "inferenceservice.yaml").read_text())["kind"] == "InferenceService"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inferenceservice.yaml", "prometheusrule.yaml"]
