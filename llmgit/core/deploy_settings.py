"""The ``deploy:`` settings of ``llmgit.yaml``: how canary manifests are rendered and how
live verdicts are reached (docs/ab-testing.md). Pure.

A section of its own because each value ends up in a Kubernetes manifest or a Prometheus
rule, so each is checked against what those accept (a DNS label, a duration, the storage URI's
placeholders) when the settings load, not when the manifest is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmgit.errors import ConfigError


@dataclass(frozen=True)
class Deploy:
    """Canary deployments: manifests and live verdicts (docs/ab-testing.md)."""

    namespace: str = "default"
    storage_uri: str = "s3://models/{name}/v{version}"  # placeholders {name} {version} {tag} {md5}
    serving_mode: str = "knative"  # or standard (KServe 0.20 spec.canary list)
    model_format: str = "huggingface"
    service_account: str | None = None
    alert_threshold: float = 0.02  # the alert: canary accuracy this far below stable
    alert_for: str = "15m"
    rule_interval: str = "1m"
    min_detectable_effect: float = 0.02  # the verdict's margin (and sample-size target)
    alpha: float = 0.05


_DURATION = re.compile(r"0|(\d+(ms|s|m|h|d|w|y))+")
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_URI_FIELDS = {"name": "m", "version": "1.0.0", "tag": "m@v1.0.0", "md5": "0" * 32}


def parse(raw: object, source: str) -> Deploy:
    """The ``deploy:`` mapping, checked; the defaults when it is absent."""
    if raw is None:
        return Deploy()
    known = sorted(Deploy.__dataclass_fields__)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: 'deploy' must be a mapping", hint=f"known: {', '.join(known)}")
    unknown = sorted(set(map(str, raw)) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown deploy setting '{unknown[0]}'", hint=f"known: {', '.join(known)}")
    d = Deploy(**{str(k): v for k, v in raw.items()})

    def bad(key: str, what: str) -> ConfigError:
        return ConfigError(f"{source}: deploy.{key} {what}, not {getattr(d, key)!r}")

    for key in ("namespace", "storage_uri", "serving_mode", "model_format", "alert_for", "rule_interval"):
        if not isinstance(getattr(d, key), str) or not getattr(d, key):
            raise bad(key, "must be a non-empty string")
    if not _DNS_LABEL.fullmatch(d.namespace):
        raise bad("namespace", "must be a Kubernetes DNS label")
    try:
        d.storage_uri.format(**_URI_FIELDS)
    except (KeyError, IndexError, ValueError):
        raise bad("storage_uri", "may use only the placeholders {name}, {version}, {tag} and {md5}") from None
    if d.serving_mode not in ("knative", "standard"):
        raise bad("serving_mode", "must be knative or standard")
    if d.service_account is not None and (not isinstance(d.service_account, str) or not d.service_account):
        raise bad("service_account", "must be a service account name")
    for key in ("alert_threshold", "min_detectable_effect", "alpha"):
        value = getattr(d, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise bad(key, "must be a number between 0 and 1")
    for key in ("alert_for", "rule_interval"):
        if not _DURATION.fullmatch(getattr(d, key)):
            raise bad(key, "must be a Prometheus duration such as 30s, 5m or 1h")
    return d
