"""Domain values: a registered version and a model (what a version tag says: :mod:`summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WeightsInfo:
    path: str
    md5: str
    size: int
    files: int
    is_dir: bool


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as its tag describes it (no checkout needed)."""

    name: str
    version: str
    tag: str
    commit: str
    weights: WeightsInfo | None
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    author: str = ""
    created: str = ""
    message: str = ""

    @property
    def ref(self) -> str:
        return self.tag

    def to_json(self) -> dict[str, Any]:
        w = self.weights
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "weights": None
            if w is None
            else {"path": w.path, "md5": w.md5, "size": w.size, "files": w.files, "dir": w.is_dir},
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "author": self.author,
            "created": self.created,
            "message": self.message,
        }


@dataclass(frozen=True)
class ModelSummary:
    name: str
    latest: str
    versions: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "latest": self.latest, "versions": self.versions}
