"""Check rendered manifests offline: the shipped JSON schemas plus what the schemas miss.

Schemas (``llmgit/schemas/``, see ``LICENSES.md``): KServe v0.20.0 ``InferenceService``
(``serving.kserve.io/v1beta1``) and prometheus-operator v0.93.0 ``PrometheusRule``
(``monitoring.coreos.com/v1``). Semantic checks follow what KServe's webhook and Prometheus
reject. When ``promtool`` is on PATH, ``promtool check rules`` also runs on the rule groups
(:mod:`llmgit.infra.promtool`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from llmgit.errors import UsageError
from llmgit.infra.promtool import check_rules, promtool_path

ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
RULE = ("monitoring.coreos.com/v1", "PrometheusRule")
SCHEMAS = {ISVC: "schemas/kserve/inferenceservice_v1beta1.json", RULE: "schemas/prometheus/prometheusrule_v1.json"}
MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
PREDICTOR_IMPLEMENTATIONS = ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton",
                             "onnx", "huggingface", "pmml", "lightgbm", "paddle", "containers")  # fmt: skip
_OTHERS = "sklearn, pytorch, ..., containers"
_DNS_LABEL_RE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_RFC1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_RE = re.compile(rf"{_RFC1123_LABEL}(\.{_RFC1123_LABEL})*")
_METRIC_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
               dict: "object", type(None): "null"}  # fmt: skip
Found = tuple[str, str]  # (path in the document, message)
DNS_HINT = (
    "is not a DNS label: use lowercase letters, digits and '-', start with a letter, "
    "end with a letter or digit, at most 63 characters"
)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # e.g. spec.predictor.model.storageURI; "(top level)" for the whole document
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


@dataclass(frozen=True)
class Report:
    """What ``deploy validate`` found in a file or directory, and whether promtool ran."""

    path: Path
    promtool: str | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _where(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


@cache
def _validator(key: tuple[str, str]) -> Any:
    import jsonschema  # noqa: PLC0415 (heavy: only to validate)

    text = resources.files("llmgit").joinpath(SCHEMAS[key]).read_text("utf-8")
    return jsonschema.Draft7Validator(json.loads(text))


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _schema_messages(error: Any) -> list[Found]:
    where, value, schema = _where(error.absolute_path), error.instance, error.schema
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [k for k in value if k not in known and not any(p.search(k) for p in patterns)]
        return [(where, f"unknown field '{k}'") for k in extra]
    if kind == "required":
        return [(where, f"missing required field {error.message.split(' is a ')[0]}")]
    if kind == "type":
        shown = "" if isinstance(value, (dict, list)) else f" {value!r}"
        return [(where, f"expected {error.validator_value}, got {_json_type(value)}{shown}")]
    if kind in ("minimum", "maximum"):
        side = "below" if kind == "minimum" else "above"
        return [(where, f"{value} is {side} {error.validator_value}")]
    if kind == "pattern":
        pattern = str(error.validator_value)
        if "(([0-9]+)y)?" in pattern:
            return [(where, f"'{value}' is not a Prometheus duration (e.g. 30s, 5m, 1h)")]
        if "KMGTPE" in pattern:
            return [(where, f"'{value}' is not a Kubernetes quantity (e.g. 4, 500m, 24Gi)")]
        if pattern == "^[a-z]([-a-z0-9]*[a-z0-9])?$":
            return [(where, f"'{value}' {DNS_HINT}")]
    return [(where, error.message)]


def _schema_problems(key: tuple[str, str], doc: dict[str, Any]) -> Iterator[Found]:
    errors = _validator(key).iter_errors(doc)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        yield from _schema_messages(error)


def _dns_label(where: str, value: Any) -> Iterator[Found]:
    if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL_RE.fullmatch(value):
        yield where, f"'{value}' {DNS_HINT}"


def _percent(where: str, value: Any) -> Iterator[Found]:
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= 100:
        yield where, f"{value} is above 100" if value > 100 else f"{value} is below 0"


def _predictor(where: str, predictor: Any, *, stable: bool) -> Iterator[Found]:
    if not isinstance(predictor, dict):
        return
    found = [k for k in PREDICTOR_IMPLEMENTATIONS if predictor.get(k)]
    if not found:
        yield where, f"no predictor implementation (set model, or one of {_OTHERS})"
    elif len(found) > 1:
        yield where, f"more than one predictor implementation: {', '.join(found)}"
    if "name" in predictor:
        yield from _dns_label(f"{where}.name", predictor["name"])
    model = predictor.get("model")
    if stable and isinstance(model, dict) and "name" in model:
        yield f"{where}.model.name", "must not be set on the stable predictor (KServe rejects it)"


def _mapping(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _isvc_problems(doc: dict[str, Any]) -> Iterator[Found]:
    meta, spec = _mapping(doc, "metadata"), _mapping(doc, "spec")
    yield from _dns_label("metadata.name", meta.get("name"))
    mode = str(_mapping(meta, "annotations").get(MODE_ANNOTATION, "")).lower()
    standard = mode in ("standard", "rawdeployment")
    predictor = spec.get("predictor")
    yield from _predictor("spec.predictor", predictor, stable=True)
    if isinstance(predictor, dict) and "canaryTrafficPercent" in predictor:
        where = "spec.predictor.canaryTrafficPercent"
        yield from _percent(where, predictor["canaryTrafficPercent"])
        if standard:
            yield (where, (f"needs Knative mode; with {MODE_ANNOTATION}: Standard, put the candidate in spec.canary"))
    canary = spec.get("canary")
    if canary is not None and not standard:
        yield "spec.canary", f"needs the annotation {MODE_ANNOTATION}: Standard"
    if not isinstance(canary, list):
        return
    names, total = [_mapping(spec, "predictor").get("name")], 0
    for i, entry in enumerate(canary):
        entry = entry if isinstance(entry, dict) else {}
        percent, sub = entry.get("trafficPercent"), _mapping(entry, "predictor")
        yield from _percent(f"spec.canary[{i}].trafficPercent", percent)
        total += percent if isinstance(percent, int) else 0
        yield from _predictor(f"spec.canary[{i}].predictor", entry.get("predictor"), stable=False)
        if sub.get("name") is not None and sub.get("name") in names:
            yield f"spec.canary[{i}].predictor.name", f"'{sub['name']}' is used twice"
        names.append(sub.get("name"))
    if total > 100:
        yield "spec.canary", f"trafficPercent values sum to {total}, above 100"


def _rule_problems(doc: dict[str, Any]) -> Iterator[Found]:
    name = _mapping(doc, "metadata").get("name")
    if not isinstance(name, str) or len(name) > 253 or not _SUBDOMAIN_RE.fullmatch(name):
        yield "metadata.name", f"'{name}' is not a DNS subdomain name"
    groups = _mapping(doc, "spec").get("groups")
    seen: set[str] = set()
    for g, group in enumerate(groups if isinstance(groups, list) else []):
        if not isinstance(group, dict):
            continue
        if group.get("name") in seen:
            yield f"spec.groups[{g}].name", f"duplicate group name '{group['name']}'"
        seen.add(str(group.get("name")))
        for r, rule in enumerate(group.get("rules") or []):
            if isinstance(rule, dict):
                yield from _one_rule(f"spec.groups[{g}].rules[{r}]", rule)


def _one_rule(where: str, rule: dict[str, Any]) -> Iterator[Found]:
    kinds = [k for k in ("record", "alert") if k in rule]
    if len(kinds) != 1:
        yield where, "needs exactly one of 'record' or 'alert'"
    for kind in kinds:
        if not isinstance(rule[kind], str) or not _METRIC_RE.fullmatch(rule[kind]):
            yield f"{where}.{kind}", f"'{rule[kind]}' is not a valid metric name"
    if kinds == ["record"]:
        for key in ("for", "keep_firing_for", "annotations"):
            if key in rule:
                yield f"{where}.{key}", "is not allowed in a recording rule"
    if "expr" in rule and not str(rule["expr"]).strip():
        yield f"{where}.expr", "is empty"
    for label in _mapping(rule, "labels"):
        if not _LABEL_NAME_RE.fullmatch(str(label)):
            yield f"{where}.labels", f"'{label}' is not a valid label name"


def _check(file: str, doc: Any, promtool: str | None) -> list[Problem]:
    if not isinstance(doc, dict):
        return [Problem(file, "(top level)", f"expected a mapping, got {_json_type(doc)}")]
    key = (str(doc.get("apiVersion")), str(doc.get("kind")))
    if key not in SCHEMAS:
        api_version, kind = key
        if kind in (k for _, k in SCHEMAS):
            known_api = next(a for a, k in SCHEMAS if k == kind)
            message = f"{kind} '{api_version}' is not supported; use {known_api}"
            return [Problem(file, "apiVersion", message)]
        known = " and ".join(f"{k} ({a})" for a, k in SCHEMAS)
        message = f"unknown kind '{kind}' (apiVersion '{api_version}'); llmgit checks {known}"
        return [Problem(file, "kind", message)]
    checks = _isvc_problems(doc) if key == ISVC else _rule_problems(doc)
    found = [Problem(file, w, m) for w, m in (*_schema_problems(key, doc), *checks)]
    if key == RULE and not found and promtool:
        found += [Problem(file, w, m) for w, m in check_rules(doc, promtool)]
    return list(dict.fromkeys(found))  # the same finding from schema and semantics: once


def validate_documents(docs: Iterable[tuple[str, Any]], *, use_promtool: bool = True) -> list[Problem]:
    """Problems in ``(file name, parsed document)`` pairs; empty when all are valid."""
    promtool = promtool_path() if use_promtool else None
    return [problem for file, doc in docs for problem in _check(file, doc, promtool)]


def validate_dir(path: Path, *, use_promtool: bool = True) -> list[Problem]:
    """Problems in every ``*.yaml``/``*.yml`` manifest of a directory, file by file.

    A file with several documents names them ``FILE (document N)``.
    """
    if not path.is_dir():
        raise UsageError(f"'{path}' is not a directory")
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        return [Problem(str(path), "(directory)", "no YAML manifests found")]
    promtool = promtool_path() if use_promtool else None
    return [problem for file in files for problem in _check_file(file, promtool)]


def validate_path(path: Path, *, use_promtool: bool = True) -> list[Problem]:
    """Problems in a manifest file, or in every manifest of a directory."""
    if path.is_dir():
        return validate_dir(path, use_promtool=use_promtool)
    if not path.is_file():
        raise UsageError(f"'{path}' does not exist", hint="give a manifest file or a directory of them")
    return _check_file(path, promtool_path() if use_promtool else None)


def _check_file(file: Path, promtool: str | None) -> list[Problem]:
    try:
        docs = [d for d in yaml.safe_load_all(file.read_text("utf-8")) if d is not None]
    except yaml.YAMLError as e:
        return [Problem(file.name, "(top level)", f"not valid YAML: {str(e).splitlines()[0]}")]
    except (OSError, UnicodeDecodeError) as e:
        return [Problem(file.name, "(top level)", f"cannot be read: {e}")]
    if not docs:
        return [Problem(file.name, "(top level)", "no documents")]
    problems: list[Problem] = []
    for i, doc in enumerate(docs):
        label = file.name if len(docs) == 1 else f"{file.name} (document {i + 1})"
        problems += _check(label, doc, promtool)
    return problems
