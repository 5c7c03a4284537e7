"""``diff``: two versions side by side: metrics, params, model card and weights, file by file.

Any two references work, also across models and by stage (``NAME#production``). Metrics,
params and weights come from the tag summaries; the cards from the tagged commits; the file
lists from DVC's per-file manifests (:mod:`llmgit.weights.listing`), so no weights are
downloaded. Rendering is in :mod:`llmgit.core.diff_format`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmgit.weights import listing as weightfiles
from llmgit.core.compare import FieldChange, MetricDelta, card_changes, metric_deltas
from llmgit.errors import LlmgitError
from llmgit.core.model import ModelVersion, WeightsInfo

if TYPE_CHECKING:
    from llmgit.store.store import Registry


@dataclass(frozen=True)
class FileChange:
    relpath: str
    status: str  # changed | added | removed | same
    old_size: int | None
    new_size: int | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.relpath, "status": self.status, "old_size": self.old_size,
                "new_size": self.new_size}


@dataclass(frozen=True)
class WeightsDiff:
    old: WeightsInfo | None
    new: WeightsInfo | None
    files: tuple[FileChange, ...] = ()  # every file of both versions, when the manifests were read
    note: str = ""  # why the file list is missing, when it is

    @property
    def same(self) -> bool | None:
        """True/False by content hash; None when a side records no weights."""
        if self.old is None or self.new is None:
            return None
        return self.old.md5 == self.new.md5 and self.old.is_dir == self.new.is_dir

    @property
    def size_change(self) -> int | None:
        if self.old is None or self.new is None:
            return None
        return self.new.size - self.old.size

    def with_status(self, *statuses: str) -> list[FileChange]:
        return [f for f in self.files if f.status in statuses]

    def to_json(self) -> dict[str, Any]:
        def side(w: WeightsInfo | None) -> dict[str, Any] | None:
            return None if w is None else {"path": w.path, "md5": w.md5, "size": w.size,
                                           "files": w.files, "dir": w.is_dir}
        counts = {s: len(self.with_status(s)) for s in ("changed", "added", "removed", "same")}
        return {"same": self.same, "size_change": self.size_change, "old": side(self.old),
                "new": side(self.new), "counts": counts if self.files else None,
                "files": [f.to_json() for f in self.files if f.status != "same"],
                "identical": [f.relpath for f in self.with_status("same")], "note": self.note}


@dataclass(frozen=True)
class VersionDiff:
    old: ModelVersion
    new: ModelVersion
    metrics: tuple[MetricDelta, ...]
    params: tuple[FieldChange, ...]
    card: tuple[FieldChange, ...]
    weights: WeightsDiff

    @property
    def title(self) -> str:
        if self.old.name == self.new.name:
            return f"{self.new.name}: v{self.old.version} -> v{self.new.version}"
        return f"{self.old.tag} -> {self.new.tag}"

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"name": self.old.name, "version": self.old.version, "tag": self.old.tag,
                    "commit": self.old.commit},
            "new": {"name": self.new.name, "version": self.new.version, "tag": self.new.tag,
                    "commit": self.new.commit},
            "metrics": [m.to_json() for m in self.metrics],
            "params": [p.to_json() for p in self.params],
            "card": [c.to_json() for c in self.card],
            "weights": self.weights.to_json(),
        }


def param_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Params added, removed or changed, in first-seen order."""
    names = list(dict.fromkeys([*old, *new]))
    return [FieldChange(n, old.get(n), new.get(n)) for n in names
            if n not in old or n not in new or old[n] != new[n]]


def file_changes(old: list[weightfiles.WeightFile], new: list[weightfiles.WeightFile]) -> list[FileChange]:
    """Every relpath of either side with its status, sorted by relpath."""
    a = {f.relpath: f for f in old}
    b = {f.relpath: f for f in new}
    out = []
    for rel in sorted(set(a) | set(b)):
        x, y = a.get(rel), b.get(rel)
        if x is None:
            status = "added"
        elif y is None:
            status = "removed"
        else:
            status = "same" if x.md5 == y.md5 else "changed"
        out.append(FileChange(rel, status, x.size if x else None, y.size if y else None))
    return out


def weights_diff(reg: Registry, old: ModelVersion, new: ModelVersion) -> WeightsDiff:
    a, b = old.weights, new.weights
    if a is None or b is None:
        missing = old.tag if a is None else new.tag
        return WeightsDiff(a, b, note=f"{missing} records no weights")
    try:
        files = file_changes(weightfiles.manifest(reg.root, a), weightfiles.manifest(reg.root, b))
    except LlmgitError as e:
        return WeightsDiff(a, b, note=f"file list unavailable: {e.message}")
    return WeightsDiff(a, b, tuple(files))


def _card_changes(reg: Registry, old: ModelVersion, new: ModelVersion) -> list[FieldChange]:
    """Card fields that changed, less what the params and weights sections already show."""
    try:
        a, b = reg.card(old.tag), reg.card(new.tag)
    except LlmgitError:
        return []
    shown = {f"training.{k}" for k in [*old.params, *new.params]}
    return [c for c in card_changes(a, b)
            if c.field not in shown and not c.field.startswith("weights.")]


def diff(reg: Registry, old_ref: str, new_ref: str) -> VersionDiff:
    """Compare two references (``NAME@vX.Y.Z``, ``NAME#STAGE``, ``NAME``, ...)."""
    settings = reg.require_initialized()
    old, new = reg.get(old_ref), reg.get(new_ref)
    return VersionDiff(
        old=old,
        new=new,
        metrics=tuple(metric_deltas(old.metrics, new.metrics, settings)),
        params=tuple(param_changes(old.params, new.params)),
        card=tuple(_card_changes(reg, old, new)),
        weights=weights_diff(reg, old, new),
    )
