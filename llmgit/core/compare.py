"""The one "what changed" engine: two versions side by side (metric deltas with each metric's
direction, from :mod:`llmgit.core.metric_delta`; params, model-card fields and weights file by file), computed from values the
store read. Pure: :func:`version_diff` takes both sides' data and returns a :class:`VersionDiff`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from llmgit.core.inputs import flatten
from llmgit.core.metric_delta import MetricDelta, metric_deltas
from llmgit.core.model import ModelVersion, WeightsInfo

if TYPE_CHECKING:
    from llmgit.core.config import Settings

# card fields that differ between any two versions and say nothing about the model
VOLATILE = ("name", "version", "date", "provenance.created", "provenance.git_commit", "provenance.llmgit_version")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


MISSING: Any = object()  # what lookup answers for a key that is not there


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``a.b``, also trying the rest of the path as one flat key."""
    if dotted in data:
        return data[dotted]
    head, sep, rest = dotted.partition(".")
    if sep and isinstance(data.get(head), Mapping):
        return lookup(data[head], rest)
    return MISSING


def value_changes(keys: Sequence[str], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The watched ``keys`` (dotted) whose values differ; absent keys read as None."""
    out = []
    for key in keys:
        a, b = lookup(old, key), lookup(new, key)
        a, b = (None if a is MISSING else a), (None if b is MISSING else b)
        if a != b:
            out.append(FieldChange(key, a, b))
    return out


def card_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], ignore: tuple[str, ...] = VOLATILE
) -> list[FieldChange]:
    """Fields (dotted paths) whose values differ; ``performance`` is left to the metrics."""
    a = flatten({k: v for k, v in old.items() if k != "performance"})
    b = flatten({k: v for k, v in new.items() if k != "performance"})
    changes = []
    below = tuple(f"{i}." for i in ignore)
    for key in sorted(set(a) | set(b)):
        if key in ignore or key.startswith(below):
            continue
        if a.get(key) != b.get(key):
            changes.append(FieldChange(key, a.get(key), b.get(key)))
    return changes


class FileEntry(Protocol):
    """A file of a version's weights, as a manifest lists it."""

    @property
    def relpath(self) -> str: ...

    @property
    def md5(self) -> str: ...

    @property
    def size(self) -> int | None: ...


@dataclass(frozen=True)
class FileChange:
    relpath: str
    status: str  # changed | added | removed | same
    old_size: int | None
    new_size: int | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.relpath, "status": self.status, "old_size": self.old_size, "new_size": self.new_size}


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
            return (
                None if w is None else {"path": w.path, "md5": w.md5, "size": w.size, "files": w.files, "dir": w.is_dir}
            )

        counts = {s: len(self.with_status(s)) for s in ("changed", "added", "removed", "same")}
        return {
            "same": self.same,
            "size_change": self.size_change,
            "old": side(self.old),
            "new": side(self.new),
            "counts": counts if self.files else None,
            "files": [f.to_json() for f in self.files if f.status != "same"],
            "identical": [f.relpath for f in self.with_status("same")],
            "note": self.note,
        }


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
            "old": {"name": self.old.name, "version": self.old.version, "tag": self.old.tag, "commit": self.old.commit},
            "new": {"name": self.new.name, "version": self.new.version, "tag": self.new.tag, "commit": self.new.commit},
            "metrics": [m.to_json() for m in self.metrics],
            "params": [p.to_json() for p in self.params],
            "card": [c.to_json() for c in self.card],
            "weights": self.weights.to_json(),
        }


def param_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Params added, removed or changed, in first-seen order."""
    names = list(dict.fromkeys([*old, *new]))
    return [FieldChange(n, old.get(n), new.get(n)) for n in names if n not in old or n not in new or old[n] != new[n]]


def file_changes(old: Sequence[FileEntry], new: Sequence[FileEntry]) -> list[FileChange]:
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


def visible_card_changes(
    old: ModelVersion, new: ModelVersion, old_card: Mapping[str, Any], new_card: Mapping[str, Any]
) -> list[FieldChange]:
    """Card fields that changed, less what the params and weights sections already show."""
    shown = {f"training.{k}" for k in [*old.params, *new.params]}
    return [c for c in card_changes(old_card, new_card) if c.field not in shown and not c.field.startswith("weights.")]


def weights_diff(
    old: ModelVersion,
    new: ModelVersion,
    old_files: Sequence[FileEntry] | None,
    new_files: Sequence[FileEntry] | None,
    note: str = "",
) -> WeightsDiff:
    """The weights of two versions: by content hash, and file by file when both lists are known
    (``note`` says why one is not)."""
    a, b = old.weights, new.weights
    if a is None or b is None:
        return WeightsDiff(a, b, note=f"{old.tag if a is None else new.tag} records no weights")
    if old_files is None or new_files is None:
        return WeightsDiff(a, b, note=note)
    return WeightsDiff(a, b, tuple(file_changes(old_files, new_files)))


def version_diff(
    old: ModelVersion,
    new: ModelVersion,
    old_card: Mapping[str, Any] | None,
    new_card: Mapping[str, Any] | None,
    weights: WeightsDiff,
    settings: Settings,
) -> VersionDiff:
    """Everything that changed from ``old`` to ``new`` (cards None: not compared)."""
    card = visible_card_changes(old, new, old_card, new_card) if old_card is not None and new_card is not None else []
    return VersionDiff(
        old,
        new,
        tuple(metric_deltas(old.metrics, new.metrics, settings)),
        tuple(param_changes(old.params, new.params)),
        tuple(card),
        weights,
    )
