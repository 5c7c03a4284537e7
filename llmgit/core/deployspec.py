"""What to serve for one model and how to watch its canary, as values: the spec a stage's
KServe InferenceService and PrometheusRule are rendered from, and Kubernetes name rules.
Pure: :mod:`llmgit.infra.manifests` renders it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from llmgit.core import promql, refs, versions
from llmgit.errors import InputError, UsageError

ALERT_NAME = "LlmgitCanaryAccuracyDegraded"
CANARY_CONTAINER = "kserve-container"
MAX_DNS_LABEL = 63
_DNS_LABEL_RE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUANTITY_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?(\d+(\.\d*)?|\.\d+))?")
_GPU_RE = re.compile(r"\s*(\d+)\s*(?:x|×|\*)?\s*(.*)", re.IGNORECASE)


class ServingMode(str, Enum):
    knative = "knative"
    standard = "standard"


def record_names(window: str = "5m") -> tuple[str, str, str]:
    """Recording rule names (correct rate, total rate, ratio), Prometheus' level:metric:ops."""
    return (
        f"job_model_version:{promql.CORRECT_METRIC.removesuffix('_total')}:rate{window}",
        f"job_model_version:{promql.TOTAL_METRIC.removesuffix('_total')}:rate{window}",
        f"job_model_version:llmgit_eval_correct_per_eval:ratio_rate{window}",
    )


@dataclass(frozen=True)
class Amounts:
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None  # nvidia.com/gpu

    def items(self) -> list[tuple[str, str]]:
        pairs = [("cpu", self.cpu), ("memory", self.memory)]
        pairs.append(("nvidia.com/gpu", None if self.gpu is None else str(self.gpu)))
        return [(k, v) for k, v in pairs if v is not None]


@dataclass(frozen=True)
class Resources:
    requests: Amounts = field(default_factory=Amounts)
    limits: Amounts = field(default_factory=Amounts)


def _quantity(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not _QUANTITY_RE.fullmatch(text):
        raise InputError(f"resources.{key} '{value}' is not a Kubernetes quantity (e.g. 4, 500m, 24Gi)")
    return text


def gpu_count(value: Any) -> int | None:
    """GPUs in a card's ``gpu`` field: ``"1x A100"`` -> 1, ``2`` -> 2, ``"A100"`` -> 1, none -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value or None
    text = str(value).strip()
    if text.lower() in ("", "none", "no", "0", "cpu"):
        return None
    match = _GPU_RE.fullmatch(text)
    return (int(match.group(1)) or None) if match else 1


def resources_from_card(card_resources: Mapping[str, Any] | None) -> Resources:
    """Map a model card's ``resources`` to Kubernetes requests and limits.

    ``gpu`` ("1x A100", 2, "A100") -> ``limits["nvidia.com/gpu"]`` (Kubernetes takes requests
    of extended resources from limits; the GPU model is not turned into a node selector);
    ``cpu`` -> ``requests.cpu``; ``memory`` -> ``requests.memory`` and ``limits.memory``.
    Other card fields (training_time, cost) are ignored.
    """
    card_resources = card_resources or {}
    cpu = _quantity("cpu", card_resources.get("cpu"))
    memory = _quantity("memory", card_resources.get("memory"))
    return Resources(
        requests=Amounts(cpu=cpu, memory=memory),
        limits=Amounts(memory=memory, gpu=gpu_count(card_resources.get("gpu"))),
    )


def dns_label(text: str, max_len: int = MAX_DNS_LABEL) -> str:
    """A Kubernetes DNS label (``^[a-z]([-a-z0-9]*[a-z0-9])?$``) made from ``text``.

    Other characters become ``-``, a leading digit gets an ``m-`` prefix, and a label longer
    than ``max_len`` is cut and ends with 8 hex digits of the text's SHA-256.
    """
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if not label[:1].isalpha():
        label = f"m-{label}".rstrip("-")
    if len(label) > max_len:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        label = f"{label[: max_len - 9].rstrip('-')}-{digest}"
    return label


def version_name(version: str) -> str:
    """The DNS-label form of a version: ``1.3.0`` -> ``v1-3-0``."""
    return dns_label(f"v{versions.normalize(version)}")


def label_value(text: str) -> str:
    """A Kubernetes label value: at most 63 of ``[A-Za-z0-9._-]``, alphanumeric at both ends."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


@dataclass(frozen=True)
class DeploySpec:
    """What to serve for one model and how to watch the canary."""

    model: str
    stable_version: str
    stable_uri: str
    candidate_version: str | None = None
    candidate_uri: str | None = None
    canary_percent: int = 10
    namespace: str = "default"
    mode: ServingMode = ServingMode.knative
    model_format: str = "huggingface"
    runtime_args: tuple[str, ...] = ()
    resources: Resources = field(default_factory=Resources)
    service_account: str | None = None
    alert_threshold: float = 0.02  # absolute accuracy difference, candidate below stable
    alert_min_requests: int = 100  # evaluations per version in the rate window
    alert_for: str = "15m"
    alert_severity: str = "warning"
    rate_window: str = "5m"
    rule_interval: str = "1m"

    def __post_init__(self) -> None:
        refs.validate_model_name(self.model)
        versions.parse(self.stable_version)
        if not _DNS_LABEL_RE.fullmatch(self.namespace) or len(self.namespace) > MAX_DNS_LABEL:
            raise UsageError(f"namespace '{self.namespace}' is not a Kubernetes DNS label")
        if not isinstance(self.mode, ServingMode):
            raise UsageError(f"serving mode must be one of knative, standard, not '{self.mode}'")
        if (self.candidate_version is None) != (self.candidate_uri is None):
            raise UsageError("a candidate needs both a version and a storage URI")
        for uri in (self.stable_uri, self.candidate_uri):
            if uri is not None and not uri.strip():
                raise UsageError("a storage URI is empty")
        candidate = self.candidate_version
        if candidate is not None and versions.normalize(candidate) == versions.normalize(self.stable_version):
            raise UsageError(f"the candidate is the stable version {self.stable_version}")
        percent = self.canary_percent
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise UsageError(f"canary percent must be a whole number from 0 to 100, not {percent!r}")
        if not 0 < self.alert_threshold < 1:
            raise UsageError(f"alert threshold must be between 0 and 1, not {self.alert_threshold}")
        if self.alert_min_requests < 0:
            raise UsageError("the alert's minimum number of requests cannot be negative")
        promql.parse_duration(self.alert_for)
        promql.validate_window(self.rate_window)
        promql.validate_window(self.rule_interval)


def aborted(spec: DeploySpec) -> DeploySpec:
    """The rollback: the candidate gets 0% (Knative) or its canary entry is removed (Standard)."""
    if spec.candidate_version is None:
        raise UsageError(f"model '{spec.model}' has no candidate to abort")
    return replace(spec, canary_percent=0)


def promoted(spec: DeploySpec) -> DeploySpec:
    """The candidate becomes the stable version and gets all traffic."""
    if spec.candidate_version is None or spec.candidate_uri is None:
        raise UsageError(f"model '{spec.model}' has no candidate to promote")
    version, uri = spec.candidate_version, spec.candidate_uri
    return replace(spec, stable_version=version, stable_uri=uri, candidate_version=None, candidate_uri=None)
