"""``register --bump auto``: propose major, minor or patch from what changed, and say why.

The new weights (in the working tree) are compared with the highest existing version: file
names and the md5 of the files the rules watch (tokenizer files, JSON configs; shards are
never read), ``config.json`` keys, params and model-card fields. The previous version's side
comes from its DVC manifest and, for configs, the small objects in the DVC cache or remote.
The rules are :class:`~llmgit.core.bump_rules.BumpRules` (``bump_rules`` in ``llmgit.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import versions
from llmgit.weights import listing as weightfiles
from llmgit.core.bump_rules import BumpRules, LevelRules
from llmgit.errors import LlmgitError
from llmgit.core.model import ModelVersion

if TYPE_CHECKING:
    from llmgit.store.store import Registry

_MISSING: Any = object()


@dataclass(frozen=True)
class Finding:
    level: str  # major | minor
    reason: str


@dataclass(frozen=True)
class BumpAdvice:
    name: str
    previous: str | None  # the version compared against (None: the first version)
    level: versions.Bump
    version: str  # the version it proposes
    reasons: tuple[str, ...]  # why this level
    findings: tuple[Finding, ...] = ()  # everything the rules found, major first
    notes: tuple[str, ...] = ()  # what could not be compared

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "previous": self.previous, "bump": self.level.value,
                "version": self.version, "reasons": list(self.reasons),
                "findings": [{"level": f.level, "reason": f.reason} for f in self.findings],
                "notes": list(self.notes)}


@dataclass(frozen=True)
class Candidate:
    """The version about to be registered, as the rules see it."""

    name: str
    weights: Path  # on disk
    params: Mapping[str, Any]
    card: Mapping[str, Any]  # the card it will carry (hand-written fields and base_model)


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``a.b``, also trying the rest of the path as one flat key."""
    if dotted in data:
        return data[dotted]
    head, sep, rest = dotted.partition(".")
    if sep and isinstance(data.get(head), Mapping):
        return lookup(data[head], rest)
    return _MISSING


def _show(value: Any) -> str:
    return "(none)" if value is _MISSING or value is None else json.dumps(value, default=str)


def _values(kind: str, keys: tuple[str, ...], old: Mapping[str, Any], new: Mapping[str, Any],
            level: str) -> list[Finding]:
    out = []
    for key in keys:
        a, b = lookup(old, key), lookup(new, key)
        if (a is _MISSING or a is None) and (b is _MISSING or b is None):
            continue
        if a != b:
            out.append(Finding(level, f"{kind} {key}: {_show(a)} -> {_show(b)}"))
    return out


def _json(data: bytes | None, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {"(unparsable)": where}
    return doc if isinstance(doc, dict) else {}


class _Compare:
    def __init__(self, reg: Registry, prev: ModelVersion, cand: Candidate, rules: BumpRules) -> None:
        self.reg, self.prev, self.cand, self.rules = reg, prev, cand, rules
        self.notes: list[str] = []
        globs = tuple(g for _, lv in rules.levels() for g in lv.hashed_globs())
        self.new = {f.relpath: f for f in weightfiles.workspace_files(cand.weights, globs)}
        self.old: dict[str, weightfiles.WeightFile] | None = None
        if prev.weights is None:
            self.notes.append(f"{prev.tag} records no weights: files were not compared")
        else:
            try:
                self.old = {f.relpath: f for f in weightfiles.manifest(reg.root, prev.weights)}
            except LlmgitError as e:
                self.notes.append(f"files were not compared: {e.message}")

    def level(self, level: str, rules: LevelRules, prev_card: Mapping[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        if self.old is not None:
            old, new = self.old, self.new
            for rel in sorted(set(old) | set(new)):
                a, b = old.get(rel), new.get(rel)
                if weightfiles.matches(rel, rules.files):
                    if a is None:
                        found.append(Finding(level, f"{rel} was added"))
                    elif b is None:
                        found.append(Finding(level, f"{rel} was removed"))
                    elif a.md5 != b.md5:
                        found.append(Finding(level, f"{rel} changed"))
                elif a is None and weightfiles.matches(rel, rules.files_added):
                    found.append(Finding(level, f"{rel} was added"))
            for glob, keys in rules.config.items():
                for rel in sorted(r for r in set(old) | set(new) if weightfiles.matches(r, (glob,))):
                    found += self._config(level, rel, keys)
        found += _values("param", rules.params, self.prev.params, self.cand.params, level)
        found += _values("card", rules.card, prev_card, self.cand.card, level)
        return found

    def _config(self, level: str, rel: str, keys: tuple[str, ...]) -> list[Finding]:
        a, b = (self.old or {}).get(rel), self.new.get(rel)
        if a is not None and b is not None and a.md5 == b.md5:
            return []
        try:
            old = _json(weightfiles.read_object(self.reg.root, a.md5) if a else None, rel)
        except LlmgitError as e:
            self.notes.append(f"{rel} of {self.prev.tag} was not compared: {e.message}")
            return []
        path = self.cand.weights / rel if self.cand.weights.is_dir() else self.cand.weights
        new = _json(path.read_bytes() if b is not None else None, rel)
        return _values(rel, keys, old, new, level)


def advise(reg: Registry, cand: Candidate, existing: list[ModelVersion]) -> BumpAdvice:
    """The bump for ``cand`` against the highest of ``existing`` (versions of the same model)."""
    if not existing:
        return BumpAdvice(cand.name, None, versions.Bump.major, versions.FIRST_VERSION,
                          (f"the first version of '{cand.name}'",))
    prev = max(existing, key=lambda v: versions.parse(v.version))
    rules = reg.settings.bump_rules
    try:
        prev_card = reg.card(prev.tag)
    except LlmgitError:
        prev_card = {}
    cmp = _Compare(reg, prev, cand, rules)
    findings = [f for name, lv in rules.levels() for f in cmp.level(name, lv, prev_card)]
    level = versions.Bump.patch
    for name in ("minor", "major"):
        if any(f.level == name for f in findings):
            level = versions.Bump(name)
    reasons = tuple(f.reason for f in findings if f.level == level.value)
    if level is versions.Bump.patch:
        reasons = ("the same interface: no tokenizer, config, base model or format change, "
                   "and no new adapter or task (a retrain)",)
    return BumpAdvice(cand.name, prev.version, level, versions.bump(prev.version, level), reasons,
                      tuple(findings), tuple(cmp.notes))
