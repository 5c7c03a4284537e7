"""Evaluation counts per version (correct and total), from Prometheus or a counts file, and
the one parser of a counts file's content. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmgit.core import abstats, versions
from llmgit.core.abstats import Arm
from llmgit.errors import InputError, InvalidVersion, NoData

SHAPE = 'map versions to {"correct": N, "total": N}'


@dataclass(frozen=True)
class Counts:
    """Correct and total evaluations per version (plain SemVer), and where they came from."""

    arms: Mapping[str, Arm]
    source: str  # "Prometheus at URL" or "counts file PATH"
    window: str | None = None  # the Prometheus window
    live: bool = False  # from Prometheus

    def arm(self, model: str, version: str, role: str) -> Arm:
        """The evaluations of one version; a precise error when there are none."""
        found = self.arms.get(version)
        if found is None or found.total == 0:
            over = f" in the last {self.window}" if self.window else ""
            message = f"{self.source} has no evaluations of {model} v{version} (the {role}){over}"
            if self.live:
                have = ", ".join(f"v{v}" for v in sorted(self.arms)) or "none"
                raise NoData(
                    message,
                    hint=f"versions with evaluations: {have}; check the exporter's version "
                    "label and that the canary gets traffic",
                )
            raise InputError(message, hint=f"counts files {SHAPE}")
        return abstats.check_arm(found, f"{role} (v{version})")


def parse(data: Any, source: str) -> Counts:
    """``{"1.2.0": {"correct": 900, "total": 1200}, ...}`` as loaded from a counts file."""
    if not isinstance(data, dict):
        raise InputError(f"{source} must {SHAPE}")
    arms: dict[str, Arm] = {}
    for key, value in data.items():
        try:
            version = versions.normalize(str(key))
        except InvalidVersion:
            raise InputError(f"{source}: '{key}' is not a semantic version") from None
        numbers = [value.get(k) for k in ("correct", "total")] if isinstance(value, dict) else []
        floats = [float(n) for n in numbers if isinstance(n, (int, float)) and not isinstance(n, bool)]
        if len(floats) != 2:
            raise InputError(
                f"{source}: version {key} must have numeric 'correct' and 'total'", hint=f"counts files {SHAPE}"
            )
        arms[version] = Arm(floats[0], floats[1])
    return Counts(arms, source)


def from_labels(arms: Mapping[str, Arm], source: str, window: str) -> Counts:
    """Live counts keyed by the exporter's version label (labels that are no version are left out)."""
    plain = {}
    for label, arm in arms.items():
        try:
            plain[versions.normalize(label)] = arm
        except InvalidVersion:
            continue  # not a version llmgit knows; the verdict only reads two versions
    return Counts(plain, source, window, live=True)
