"""``stage.yaml``: the content of a stage branch's tip. Pure: parse, validate, dump.

A holding stage (staging, production, ...) maps each model to the one version holding it;
``archived`` maps each model to the list of archived versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmgit import refs, versions, yamlio
from llmgit.config import ARCHIVED
from llmgit.errors import InvalidVersion, UsageError

FILE = "stage.yaml"
FORMAT = 1
ACTIONS = ("promote", "rollback", "archive", "import", "canary-promote")


class StageFileError(UsageError):
    """A stage branch whose stage.yaml is missing or not valid."""


@dataclass(frozen=True)
class Entry:
    """One version's place in a stage: which version, since when, by whom, why."""

    version: str
    tag: str
    commit: str
    weights_md5: str
    since: str
    by: str
    reason: str = ""
    action: str = "promote"
    extra: Mapping[str, Any] = field(default_factory=dict)  # later features (canary, purge)

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": self.version, "tag": self.tag, "commit": self.commit,
            "weights_md5": self.weights_md5, "since": self.since, "by": self.by,
            "action": self.action, "reason": self.reason,
        }
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class StageFile:
    stage: str
    holders: Mapping[str, Entry] = field(default_factory=dict)  # holding stages
    archived: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)  # 'archived' only

    def with_holder(self, name: str, entry: Entry | None) -> StageFile:
        holders = dict(self.holders)
        if entry is None:
            holders.pop(name, None)
        else:
            holders[name] = entry
        return replace(self, holders=dict(sorted(holders.items())))

    def with_archived(self, name: str, entries: tuple[Entry, ...]) -> StageFile:
        archived = dict(self.archived)
        if entries:
            archived[name] = entries
        else:
            archived.pop(name, None)
        return replace(self, archived=dict(sorted(archived.items())))

    def versions_of(self, name: str) -> list[str]:
        if self.stage == ARCHIVED:
            return [e.version for e in self.archived.get(name, ())]
        entry = self.holders.get(name)
        return [entry.version] if entry else []


_ENTRY_KEYS = {"version", "tag", "commit", "weights_md5", "since", "by", "reason", "action"}


def _entry(data: object, where: str) -> Entry:
    if not isinstance(data, dict):
        raise StageFileError(f"{where}: expected a mapping")
    missing = sorted(k for k in ("version", "tag", "commit", "since", "by") if not data.get(k))
    if missing:
        raise StageFileError(f"{where}: missing '{missing[0]}'")
    try:
        version = versions.normalize(str(data["version"]))
    except InvalidVersion:
        raise StageFileError(f"{where}: '{data['version']}' is not a semantic version") from None
    commit = str(data["commit"])
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise StageFileError(f"{where}: commit '{commit}' is not a full commit id")
    action = str(data.get("action") or "promote")
    if action not in ACTIONS:
        raise StageFileError(f"{where}: unknown action '{action}'")
    return Entry(
        version=version, tag=str(data["tag"]), commit=commit,
        weights_md5=str(data.get("weights_md5") or ""), since=str(data["since"]),
        by=str(data["by"]), reason=str(data.get("reason") or ""), action=action,
        extra={k: v for k, v in data.items() if k not in _ENTRY_KEYS},
    )


def parse(text: bytes | str | None, stage: str, branch: str) -> StageFile:
    """Parse and validate; errors name the branch and say how to repair it."""
    hint = f"repair it with a commit on '{branch}' (for example 'git revert' of the bad commit)"
    if text is None:
        raise StageFileError(f"branch '{branch}' has no {FILE}", hint=hint)
    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError as e:
        raise StageFileError(f"{branch}:{FILE} is not valid YAML: {str(e).splitlines()[0]}", hint=hint) from None
    if not isinstance(doc, dict) or doc.get("llmgit") != FORMAT or doc.get("stage") != stage:
        raise StageFileError(f"{branch}:{FILE} is not an llmgit stage file for '{stage}'", hint=hint)
    models = doc.get("models") or {}
    if not isinstance(models, dict):
        raise StageFileError(f"{branch}:{FILE}: 'models' must be a mapping", hint=hint)
    holders: dict[str, Entry] = {}
    archived: dict[str, tuple[Entry, ...]] = {}
    try:
        for name, value in models.items():
            refs.validate_model_name(str(name))
            where = f"{branch}:{FILE}: models.{name}"
            if stage == ARCHIVED:
                if not isinstance(value, list):
                    raise StageFileError(f"{where}: expected a list of archived versions")
                archived[str(name)] = tuple(_entry(v, f"{where}[{i}]") for i, v in enumerate(value))
            else:
                holders[str(name)] = _entry(value, where)
    except StageFileError as e:
        raise StageFileError(e.message, hint=hint) from None
    except UsageError as e:
        raise StageFileError(f"{branch}:{FILE}: {e.message}", hint=hint) from None
    return StageFile(stage, holders, archived)


def parse_model(text: bytes | None, stage: str, branch: str, name: str) -> StageFile:
    """Like :func:`parse`, but only ``name``'s entry: history reads one stage file per stage
    commit, and slicing out one model's block keeps that cheap for big registries."""
    if text is None or name.encode() not in text:
        return parse(text, stage, branch) if text is None else StageFile(stage)
    head, sep, body = text.partition(b"\nmodels:\n")
    if sep:
        for key in (f"  {name}:".encode(), f"  '{name}':".encode()):
            start = body.find(key + b"\n") if body.startswith(key) else body.find(b"\n" + key + b"\n")
            if start < 0:
                continue
            start = 0 if body.startswith(key) else start + 1
            end = start + len(key) + 1
            while end < len(body) and (body[end:end + 3] == b"   " or body[end:end + 3] == b"  -"):
                nl = body.find(b"\n", end)
                end = len(body) if nl < 0 else nl + 1
            return parse(head + sep + body[start:end], stage, branch)
    return _only(parse(text, stage, branch), name)  # not llmgit's layout: parse it all


def _only(sf: StageFile, name: str) -> StageFile:
    holders = {name: sf.holders[name]} if name in sf.holders else {}
    archived = {name: sf.archived[name]} if name in sf.archived else {}
    return StageFile(sf.stage, holders, archived)


def dump(sf: StageFile) -> str:
    if sf.stage == ARCHIVED:
        models: dict[str, Any] = {n: [e.to_yaml() for e in es] for n, es in sorted(sf.archived.items())}
    else:
        models = {n: e.to_yaml() for n, e in sorted(sf.holders.items())}
    header = (
        f"# Stage '{sf.stage}' of this llmgit registry. Written by llmgit; each commit on this\n"
        "# branch is one reviewed transition, so 'git log' is the audit trail.\n"
    )
    body = yamlio.dump({"llmgit": FORMAT, "stage": sf.stage, "models": models},
                          sort_keys=False, allow_unicode=True, width=100)
    return header + body
