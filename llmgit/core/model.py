"""Domain values: a registered version, a version tag llmgit will not use, and a model (what
a version tag says, and why it may be malformed: :mod:`summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmgit.errors import BadRecord, SkippedRecord

FSCK_HINT = "llmgit fsck lists malformed records"


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
class Malformed:
    """A version tag llmgit will not use, and why (``reason`` reads after the tag name)."""

    tag: str
    reason: str  # "its summary's weights.size is not a whole number ('abc')"
    commit: str = ""

    def error(self) -> BadRecord:
        """What resolving exactly this tag, or any listing under ``--strict``, raises."""
        return BadRecord(
            f"version tag {self.tag} is malformed: {self.reason}",
            hint=f"whoever pushed it must replace it ('git tag -d {self.tag}' drops this clone's copy); {FSCK_HINT}",
        )

    def warning(self) -> SkippedRecord:
        """What a listing shows when it leaves the tag out."""
        return SkippedRecord(f"skipped {self.tag}: {self.reason}", hint=FSCK_HINT)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    latest: str
    versions: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "latest": self.latest, "versions": self.versions}
