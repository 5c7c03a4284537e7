"""llmgit.infra.manifest_checks: shipped schemas, semantic checks and promtool, with exact messages.

``tests/data/`` holds the shared example manifests (first line: the expected result).
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_bin import find_prometheus_bin

from llmgit.core import deployspec
from llmgit.errors import UsageError
from llmgit.infra import manifests
from llmgit.infra.manifest_checks import Problem, validate_dir, validate_documents
from llmgit.infra.promtool import promtool_path

DATA = Path(__file__).parents[1] / "data"
DNS = (
    "is not a DNS label: use lowercase letters, digits and '-', start with a letter, end with "
    "a letter or digit, at most 63 characters"
)


def load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text())


def check(doc: Any, file: str = "inferenceservice.yaml") -> list[str]:
    return [str(p) for p in validate_documents([(file, doc)], use_promtool=False)]


@pytest.mark.parametrize("name", ["isvc-canary-knative.yaml", "isvc-canary-standard-v020.yaml", "prometheusrule.yaml"])
def test_valid_examples(name: str) -> None:
    assert check(load(name), name) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "isvc-typo-bad.yaml",
            [
                "spec.predictor.canaryTrafficPercent: expected integer, got string '10'",
                "spec.predictor.model: unknown field 'storageURI'",
            ],
            id="typo",
        ),
        pytest.param(
            "isvc-seedlike-bad.yaml",
            [
                "spec.canary: expected array, got object",
                "spec.predictor: unknown field 'canary'",
                "spec.canary: needs the annotation serving.kserve.io/deploymentMode: Standard",
            ],
            id="seed-like-canary",
        ),
        pytest.param(
            "prometheusrule-bad.yaml",
            [
                "spec.groups[0].rules[0]: unknown field 'expression'",
                "spec.groups[0].rules[0]: missing required field 'expr'",
                "spec.groups[0].rules[0].for: '5 minutes' is not a Prometheus duration (e.g. 30s, 5m, 1h)",
                "spec.groups[0].rules[0].for: is not allowed in a recording rule",
            ],
            id="bad-rule",
        ),
    ],
)
def test_bad_examples(name: str, expected: list[str]) -> None:
    assert check(load(name), name) == [f"{name}: {line}" for line in expected]


def knative(**predictor: Any) -> dict[str, Any]:
    doc = load("isvc-canary-knative.yaml")
    doc["spec"]["predictor"].update(predictor)
    return doc  # type: ignore[no-any-return]


def standard(*percents: int) -> dict[str, Any]:
    doc = load("isvc-canary-standard-v020.yaml")
    entry = doc["spec"]["canary"][0]
    doc["spec"]["canary"] = []
    for i, percent in enumerate(percents):
        item = copy.deepcopy(entry)
        item["trafficPercent"] = percent
        item["predictor"]["name"] = f"v1-{3 + i}-0"
        doc["spec"]["canary"].append(item)
    return doc  # type: ignore[no-any-return]


def knative_standard() -> dict[str, Any]:
    doc = knative()
    doc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "Standard"
    return doc


def edit(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param(
            knative(canaryTrafficPercent=120),
            ["spec.predictor.canaryTrafficPercent: 120 is above 100"],
            id="traffic-120",
        ),
        pytest.param(
            knative(canaryTrafficPercent=-5),
            ["spec.predictor.canaryTrafficPercent: -5 is below 0"],
            id="traffic-negative",
        ),
        pytest.param(
            standard(120),
            [
                "spec.canary[0].trafficPercent: 120 is above 100",
                "spec.canary: trafficPercent values sum to 120, above 100",
            ],
            id="canary-120",
        ),
        pytest.param(standard(60, 50), ["spec.canary: trafficPercent values sum to 110, above 100"], id="canary-sum"),
        pytest.param(
            edit(knative(), "metadata.name", "support.llm"), [f"metadata.name: 'support.llm' {DNS}"], id="name-with-dot"
        ),
        pytest.param(
            edit(knative(), "metadata.name", "1-llm"), [f"metadata.name: '1-llm' {DNS}"], id="name-leading-digit"
        ),
        pytest.param(
            edit(knative(), "metadata.name", "a" * 64), [f"metadata.name: '{'a' * 64}' {DNS}"], id="name-too-long"
        ),
        pytest.param(
            edit(standard(10), "spec.predictor.name", "v1.2.0"),
            [f"spec.predictor.name: 'v1.2.0' {DNS}"],
            id="predictor-name",
        ),
        pytest.param(
            edit(standard(10), "spec.canary.0.predictor.name", "V13"),
            [f"spec.canary[0].predictor.name: 'V13' {DNS}"],
            id="canary-name",
        ),
        pytest.param(
            edit(standard(10), "spec.canary.0.predictor.name", "v1-2-0"),
            ["spec.canary[0].predictor.name: 'v1-2-0' is used twice"],
            id="canary-name-twice",
        ),
        pytest.param(
            edit(standard(10), "spec.predictor.model.name", "kserve-container"),
            [("spec.predictor.model.name: must not be set on the stable predictor (KServe rejects it)")],
            id="stable-model-name",
        ),
        pytest.param(
            knative(sklearn={"storageUri": "s3://x"}),
            ["spec.predictor: more than one predictor implementation: model, sklearn"],
            id="two-implementations",
        ),
        pytest.param(
            edit(knative(), "spec.predictor", {"minReplicas": 1}),
            [("spec.predictor: no predictor implementation (set model, or one of sklearn, pytorch, ..., containers)")],
            id="no-implementation",
        ),
        pytest.param(
            edit(standard(10), "metadata.annotations", {}),
            ["spec.canary: needs the annotation serving.kserve.io/deploymentMode: Standard"],
            id="canary-without-standard",
        ),
        pytest.param(
            knative_standard(),
            [
                (
                    "spec.predictor.canaryTrafficPercent: needs Knative mode; with "
                    "serving.kserve.io/deploymentMode: Standard, put the candidate in spec.canary"
                )
            ],
            id="percent-in-standard",
        ),
        pytest.param(
            edit(knative(), "spec.predictor.model.resources.limits.memory", "24 GB"),
            [
                (
                    "spec.predictor.model.resources.limits.memory: '24 GB' is not a Kubernetes "
                    "quantity (e.g. 4, 500m, 24Gi)"
                )
            ],
            id="quantity",
        ),
    ],
)
def test_inference_service_problems(doc: dict[str, Any], expected: list[str]) -> None:
    assert check(doc) == [f"inferenceservice.yaml: {line}" for line in expected]


def rule_doc(*rules: dict[str, Any], groups: int = 1) -> dict[str, Any]:
    doc = load("prometheusrule.yaml")
    doc["spec"]["groups"] = [{"name": "g", "rules": list(rules)} for _ in range(groups)]
    return doc  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param(
            rule_doc({"record": "a:b", "expr": "up"}, groups=2),
            ["spec.groups[1].name: duplicate group name 'g'"],
            id="duplicate-group",
        ),
        pytest.param(
            rule_doc({"record": "a-b", "expr": "up"}),
            ["spec.groups[0].rules[0].record: 'a-b' is not a valid metric name"],
            id="record-name",
        ),
        pytest.param(
            rule_doc({"alert": "Canary degraded", "expr": "up"}),
            ["spec.groups[0].rules[0].alert: 'Canary degraded' is not a valid metric name"],
            id="alert-name",
        ),
        pytest.param(
            rule_doc({"record": "a", "alert": "A", "expr": "up"}),
            ["spec.groups[0].rules[0]: needs exactly one of 'record' or 'alert'"],
            id="both",
        ),
        pytest.param(
            rule_doc({"expr": "up"}),
            ["spec.groups[0].rules[0]: needs exactly one of 'record' or 'alert'"],
            id="neither",
        ),
        pytest.param(
            rule_doc({"record": "a", "expr": "up", "annotations": {"x": "y"}}),
            ["spec.groups[0].rules[0].annotations: is not allowed in a recording rule"],
            id="record-annotations",
        ),
        pytest.param(
            rule_doc({"alert": "A", "expr": " "}), ["spec.groups[0].rules[0].expr: is empty"], id="empty-expr"
        ),
        pytest.param(
            rule_doc({"alert": "A", "expr": "up", "labels": {"bad-label": "x"}}),
            ["spec.groups[0].rules[0].labels: 'bad-label' is not a valid label name"],
            id="label-name",
        ),
        pytest.param(
            edit(rule_doc(), "metadata.name", "Bad_Name"),
            ["metadata.name: 'Bad_Name' is not a DNS subdomain name"],
            id="rule-name",
        ),
    ],
)
def test_prometheus_rule_problems(doc: dict[str, Any], expected: list[str]) -> None:
    assert check(doc, "prometheusrule.yaml") == [f"prometheusrule.yaml: {line}" for line in expected]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"apiVersion": "apps/v1", "kind": "Deployment"},
            (
                "kind: unknown kind 'Deployment' (apiVersion 'apps/v1'); llmgit checks InferenceService "
                "(serving.kserve.io/v1beta1) and PrometheusRule (monitoring.coreos.com/v1)"
            ),
        ),
        (
            {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "InferenceService"},
            (
                "apiVersion: InferenceService 'serving.kserve.io/v1alpha2' is not supported; "
                "use serving.kserve.io/v1beta1"
            ),
        ),
        (["a", "list"], "(top level): expected a mapping, got array"),
    ],
    ids=["unknown-kind", "old-api-version", "not-a-mapping"],
)
def test_unknown_documents(doc: Any, expected: str) -> None:
    assert check(doc, "x.yaml") == [f"x.yaml: {expected}"]


def test_problem_fields() -> None:
    [problem] = validate_documents([("i.yaml", knative(canaryTrafficPercent=120))], use_promtool=False)
    assert problem == Problem("i.yaml", "spec.predictor.canaryTrafficPercent", "120 is above 100")


def test_validate_dir_names_files(tmp_path: Path) -> None:
    shutil.copy(DATA / "isvc-typo-bad.yaml", tmp_path / "inferenceservice.yaml")
    shutil.copy(DATA / "prometheusrule.yaml", tmp_path / "prometheusrule.yaml")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert [str(p) for p in validate_dir(tmp_path, use_promtool=False)] == [
        "inferenceservice.yaml: spec.predictor.canaryTrafficPercent: expected integer, got string '10'",
        "inferenceservice.yaml: spec.predictor.model: unknown field 'storageURI'",
    ]


def test_validate_dir_of_rendered_manifests(tmp_path: Path) -> None:
    spec = deployspec.DeploySpec(
        model="m",
        stable_version="1.0.0",
        stable_uri="s3://b/m/1.0.0",
        candidate_version="1.1.0",
        candidate_uri="s3://b/m/1.1.0",
    )
    manifests.write(manifests.render(spec), tmp_path)
    assert validate_dir(tmp_path, use_promtool=False) == []


def test_validate_dir_multi_document_and_bad_yaml(tmp_path: Path) -> None:
    both = [load("isvc-canary-knative.yaml"), knative(canaryTrafficPercent=120)]
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(both))
    (tmp_path / "broken.yml").write_text("kind: [unclosed\n")
    assert [str(p) for p in validate_dir(tmp_path, use_promtool=False)] == [
        "all.yaml (document 2): spec.predictor.canaryTrafficPercent: 120 is above 100",
        "broken.yml: (top level): not valid YAML: while parsing a flow sequence",
    ]


def test_validate_dir_empty_or_missing(tmp_path: Path) -> None:
    assert [str(p) for p in validate_dir(tmp_path)] == [f"{tmp_path}: (directory): no YAML manifests found"]
    with pytest.raises(UsageError, match="is not a directory"):
        validate_dir(tmp_path / "missing")


def test_without_promtool_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert promtool_path() is None
    bad = rule_doc({"record": "a:b", "expr": "sum(rate(up[5m])"})
    assert validate_documents([("r.yaml", bad)]) == []  # PromQL is not checked without promtool


def test_promtool_reports_promql_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, why = find_prometheus_bin()
    if bin_dir is None:
        pytest.skip(why)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert promtool_path() == str(bin_dir / "promtool")
    bad = rule_doc({"record": "a:b", "expr": "up"}, {"record": "c:d", "expr": "sum(rate(up[5m])"})
    [problem] = validate_documents([("r.yaml", bad)])
    assert (problem.file, problem.path) == ("r.yaml", "spec.groups[0].rules[1]")
    assert problem.message.startswith('promtool check rules: "c:d": could not parse expression: ')
    assert problem.message.endswith("unclosed left parenthesis")  # promtool 2.42's wording
    assert validate_documents([("r.yaml", load("prometheusrule.yaml"))]) == []
    assert check(bad, "r.yaml") == []  # use_promtool=False skips it
