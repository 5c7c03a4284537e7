"""``register --bump auto``: propose major, minor or patch from what changed, and say why.

The new weights (in the working tree) are compared with the highest existing version through
the one change engine (:mod:`llmgit.core.compare`): file names and the md5 of the files the
rules watch (tokenizer files, JSON configs; shards are never read), ``config.json`` keys,
params and model-card fields. The previous version's side comes from its DVC manifest and,
for configs, the small objects in the DVC cache or remote. The rules are
:class:`~llmgit.core.bump_rules.BumpRules` (``bump_rules`` in ``llmgit.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmgit.core import bounded, versions
from llmgit.core.bounded import MIB, BoundError, Limits
from llmgit.core.bump_rules import BumpRules, LevelRules
from llmgit.core.compare import FieldChange, FileChange, file_changes, value_changes
from llmgit.core.model import ModelVersion
from llmgit.errors import InputError, LlmgitError
from llmgit.infra.files import read_input_bytes
from llmgit.store.store import Store
from llmgit.weights import listing
from llmgit.weights.listing import WeightFile, matches


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
        return {
            "name": self.name,
            "previous": self.previous,
            "bump": self.level.value,
            "version": self.version,
            "reasons": list(self.reasons),
            "findings": [{"level": f.level, "reason": f.reason} for f in self.findings],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Candidate:
    """The version about to be registered, as the rules see it."""

    name: str
    weights: Path  # on disk
    params: Mapping[str, Any]
    card: Mapping[str, Any]  # the card it will carry (hand-written fields and base_model)


def _show(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, default=str)


def _findings(kind: str, changes: list[FieldChange], level: str) -> list[Finding]:
    return [Finding(level, f"{kind} {c.field}: {_show(c.old)} -> {_show(c.new)}") for c in changes]


CONFIG_LIMITS = Limits(max_bytes=MIB, max_depth=32, max_values=100_000)  # a config.json, read to compare keys


def _json(data: bytes | None, where: str) -> dict[str, Any]:
    """A JSON config's mapping; a file that is not JSON within :data:`CONFIG_LIMITS` (a
    previous version's bytes come from the shared remote) compares as unparsable."""
    if data is None:
        return {}
    try:
        doc = bounded.load_json(data, CONFIG_LIMITS, where)
    except BoundError:
        return {"(unparsable)": where}
    return doc if isinstance(doc, dict) else {}


class _Sides:
    """Both sides' files: the previous version's manifest and the candidate's working tree."""

    def __init__(self, store: Store, prev: ModelVersion, cand: Candidate, rules: BumpRules) -> None:
        self.store, self.prev, self.cand = store, prev, cand
        self.notes: list[str] = []
        globs = tuple(g for _, lv in rules.levels() for g in lv.hashed_globs())
        self.new = {f.relpath: f for f in listing.workspace_files(cand.weights, globs)}
        self.old: dict[str, WeightFile] | None = None
        self.files: list[FileChange] = []
        if prev.weights is None:
            self.notes.append(f"{prev.tag} records no weights: files were not compared")
            return
        try:
            self.old = {f.relpath: f for f in listing.manifest(store.root, prev.weights)}
        except LlmgitError as e:
            self.notes.append(f"files were not compared: {e.message}")
            return
        self.files = file_changes(list(self.old.values()), list(self.new.values()))

    def level(self, level: str, rules: LevelRules, prev_card: Mapping[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        for f in self.files:
            if matches(f.relpath, rules.files) and f.status != "same":
                found.append(Finding(level, f"{f.relpath} {'changed' if f.status == 'changed' else 'was ' + f.status}"))
            elif f.status == "added" and matches(f.relpath, rules.files_added):
                found.append(Finding(level, f"{f.relpath} was added"))
        for glob, keys in rules.config.items():
            for f in self.files:
                if matches(f.relpath, (glob,)) and f.status != "same":
                    found += self._config(level, f.relpath, keys)
        found += _findings("param", value_changes(rules.params, self.prev.params, self.cand.params), level)
        found += _findings("card", value_changes(rules.card, prev_card, self.cand.card), level)
        return found

    def _config(self, level: str, rel: str, keys: tuple[str, ...]) -> list[Finding]:
        a, b = (self.old or {}).get(rel), self.new.get(rel)
        if a is not None and a.size is not None and a.size > CONFIG_LIMITS.max_bytes:  # not read at all
            self.notes.append(
                f"{rel} of {self.prev.tag} was not compared: it is larger than {CONFIG_LIMITS.max_bytes} bytes"
            )
            return []
        try:
            old = _json(listing.read_object(self.store.root, a.md5) if a else None, rel)
        except LlmgitError as e:
            self.notes.append(f"{rel} of {self.prev.tag} was not compared: {e.message}")
            return []
        path = self.cand.weights / rel if self.cand.weights.is_dir() else self.cand.weights
        try:
            data = read_input_bytes(path, rel, max_bytes=CONFIG_LIMITS.max_bytes) if b is not None else None
        except InputError as e:
            self.notes.append(f"{rel} was not compared: {e.message}")
            return []
        new = _json(data, rel)
        return _findings(rel, value_changes(keys, old, new), level)


def advise(store: Store, cand: Candidate, existing: list[ModelVersion]) -> BumpAdvice:
    """The bump for ``cand`` against the highest of ``existing`` (versions of the same model)."""
    if not existing:
        return BumpAdvice(
            cand.name, None, versions.Bump.major, versions.FIRST_VERSION, (f"the first version of '{cand.name}'",)
        )
    prev = max(existing, key=lambda v: versions.parse(v.version))
    rules = store.settings.bump_rules
    try:
        prev_card = store.card(prev.tag)
    except LlmgitError:
        prev_card = {}
    sides = _Sides(store, prev, cand, rules)
    findings = [f for name, lv in rules.levels() for f in sides.level(name, lv, prev_card)]
    level = versions.Bump.patch
    for name in ("minor", "major"):
        if any(f.level == name for f in findings):
            level = versions.Bump(name)
    reasons = tuple(f.reason for f in findings if f.level == level.value)
    if level is versions.Bump.patch:
        reasons = (
            "the same interface: no tokenizer, config, base model or format change, "
            "and no new adapter or task (a retrain)",
        )
    return BumpAdvice(
        cand.name, prev.version, level, versions.bump(prev.version, level), reasons, tuple(findings), tuple(sides.notes)
    )
