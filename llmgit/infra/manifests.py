"""Render a model's KServe InferenceService and PrometheusRule for a canary rollout.

Templates live in ``templates/deploy/`` and a repository's ``.llmgit/templates/deploy/``
overrides them. Every render is parsed back with ``yaml.safe_load`` before it is returned.

Serving modes:

- ``knative`` (default): ``spec.predictor`` holds the candidate with
  ``canaryTrafficPercent``; KServe keeps the last fully rolled-out revision (the stable
  version) for the rest. Abort is percent 0; promote is the candidate with no percent.
- ``standard`` (KServe 0.20 ``spec.canary`` list, annotation
  ``serving.kserve.io/deploymentMode: Standard``): the stable version in ``spec.predictor``,
  the candidate as a canary entry with ``trafficPercent``. Abort (percent 0) removes the entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from llmgit.core import promql, versions
from llmgit.core.deployspec import (
    ALERT_NAME,
    CANARY_CONTAINER,
    DeploySpec,
    dns_label,
    label_value,
    record_names,
    version_name,
)
from llmgit.errors import InputError, InternalError
from llmgit.infra import templating
from llmgit.infra.files import write_atomic

ISVC_TEMPLATES = {"knative": "deploy/inferenceservice.yaml.j2",
                  "standard": "deploy/inferenceservice-standard.yaml.j2"}  # fmt: skip
RULE_TEMPLATE = "deploy/prometheusrule.yaml.j2"
ISVC_FILE = "inferenceservice.yaml"
RULE_FILE = "prometheusrule.yaml"
_PLAIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@=+-]*")


@dataclass(frozen=True)
class Rendered:
    filename: str
    template: str
    text: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Manifests:
    inference_service: Rendered
    prometheus_rule: Rendered

    @property
    def files(self) -> tuple[Rendered, Rendered]:
        return (self.inference_service, self.prometheus_rule)

    def documents(self) -> list[tuple[str, Any]]:
        """``(file name, parsed document)`` pairs, as ``manifest_checks.validate_documents`` takes."""
        return [(r.filename, r.document) for r in self.files]


def yaml_scalar(value: object) -> str:
    """``value`` as a YAML scalar: plain when that reads back as the same string, else quoted."""
    text = str(value)
    if _PLAIN_RE.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _release(version: str, uri: str) -> dict[str, str]:
    plain = versions.normalize(version)
    return {"version": plain, "name": version_name(plain), "label": label_value(plain), "uri": uri}


def _context(spec: DeploySpec, stage: str | None) -> dict[str, Any]:
    """Template variables (besides ``spec`` itself); documented atop each shipped template.
    ``stage``: a stage whose resources carry the suffix ``-STAGE`` (None: no suffix)."""
    suffix = f"-{stage}" if stage else ""
    stable = _release(spec.stable_version, spec.stable_uri)
    candidate = None
    if spec.candidate_version is not None and spec.candidate_uri is not None:
        candidate = _release(spec.candidate_version, spec.candidate_uri)
    annotations = [("llmgit.dev/model", spec.model), ("llmgit.dev/stable-version", stable["version"])]
    if candidate:
        annotations += [
            ("llmgit.dev/candidate-version", candidate["version"]),
            ("llmgit.dev/canary-percent", str(spec.canary_percent)),
        ]
    labels = [("app.kubernetes.io/managed-by", "llmgit"), ("llmgit.dev/model", label_value(spec.model))]
    if stage:
        labels.append(("llmgit.dev/stage", label_value(stage)))
    return {
        "q": yaml_scalar,
        "spec": spec,
        "stage": stage,
        "name": dns_label(f"{spec.model}{suffix}"),
        "labels": labels,
        "annotations": annotations,
        "stable": stable,
        "candidate": candidate,
        "requests": spec.resources.requests.items(),
        "limits": spec.resources.limits.items(),
        "canary_container": CANARY_CONTAINER,
        "rule_name": dns_label(f"{spec.model}-accuracy{suffix}"),
        "group_name": f"llmgit.{spec.model}.accuracy{suffix}",
        "model_q": promql.promql_string(spec.model),
        "metrics": {"correct": promql.CORRECT_METRIC, "total": promql.TOTAL_METRIC},
        "records": dict(zip(("correct", "total", "ratio"), record_names(spec.rate_window), strict=True)),
        "window_seconds": f"{promql.parse_duration(spec.rate_window):g}",
        "threshold": repr(float(spec.alert_threshold)),
        "threshold_points": f"{spec.alert_threshold * 100:g}",
        "alert_name": ALERT_NAME,
    }


def _render(template: str, filename: str, kind: str, context: dict[str, Any], root: Path | None) -> Rendered:
    from jinja2 import TemplateError  # noqa: PLC0415 (heavy third-party: loaded on use)

    source = templating.find(template, root)
    overridden = root is not None and source == root / templating.OVERRIDE_DIR / template
    error = InputError if overridden else InternalError
    try:
        text = templating.render(template, context, root)
        document = yaml.safe_load(text)
    except TemplateError as e:
        raise error(f"template {source} does not render: {e}") from None
    except yaml.YAMLError as e:
        raise error(f"template {source} renders invalid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise error(f"template {source} must render one {kind} document")
    return Rendered(filename, template, text, document)


def render(spec: DeploySpec, root: Path | None = None, *, stage: str | None = None) -> Manifests:
    """The InferenceService and PrometheusRule for ``spec`` (``root``: a repository, for
    overrides). ``stage``: names and labels carry it (``chat-staging``), so that two stages
    never share a Kubernetes identity (I8); None keeps the plain names (production)."""
    context = _context(spec, stage)
    isvc = _render(ISVC_TEMPLATES[spec.mode.value], ISVC_FILE, "InferenceService", context, root)
    rule = _render(RULE_TEMPLATE, RULE_FILE, "PrometheusRule", context, root)
    return Manifests(isvc, rule)


def write(manifests: Manifests, out_dir: Path) -> list[Path]:
    """Write ``inferenceservice.yaml`` and ``prometheusrule.yaml`` atomically; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for rendered in manifests.files:
        write_atomic(out_dir / rendered.filename, rendered.text.encode("utf-8"))
    return [out_dir / rendered.filename for rendered in manifests.files]
