"""``stage.yaml``: the content of a stage branch's tip. Pure: parse, validate, dump.

A holding stage (staging, production, ...) maps each model to the one version holding it;
``archived`` maps each model to the list of archived versions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmgit.core import refs, versions, yamlio
from llmgit.core.refs import ARCHIVED
from llmgit.errors import InvalidVersion, StageFileError, UsageError

FILE = "stage.yaml"
FORMAT = 1
ACTIONS = ("promote", "rollback", "archive", "import", "canary-promote")


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
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "weights_md5": self.weights_md5,
            "since": self.since,
            "by": self.by,
            "action": self.action,
            "reason": self.reason,
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
        version=version,
        tag=str(data["tag"]),
        commit=commit,
        weights_md5=str(data.get("weights_md5") or ""),
        since=str(data["since"]),
        by=str(data["by"]),
        reason=str(data.get("reason") or ""),
        action=action,
        extra={k: v for k, v in data.items() if k not in _ENTRY_KEYS},
    )


def _trusted(data: dict[str, Any]) -> Entry:
    return Entry(
        data["version"],
        data["tag"],
        data["commit"],
        data["weights_md5"],
        data["since"],
        data["by"],
        data["reason"],
        data["action"],
        {k: v for k, v in data.items() if k not in _ENTRY_KEYS},
    )


def _hint(branch: str) -> str:
    return f"repair it with a commit on '{branch}' (for example 'git revert' of the bad commit)"


def parse(text: bytes | str | None, stage: str, branch: str) -> StageFile:
    """Parse and validate; errors name the branch and say how to repair it."""
    if text is None:
        raise StageFileError(f"branch '{branch}' has no {FILE}", hint=_hint(branch))
    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError as e:
        raise StageFileError(
            f"{branch}:{FILE} is not valid YAML: {str(e).splitlines()[0]}", hint=_hint(branch)
        ) from None
    return from_document(doc, stage, branch)


def from_document(doc: object, stage: str, branch: str, *, trusted: bool = False) -> StageFile:
    """Validate a loaded stage document; ``trusted`` (llmgit's own parsed-file cache, written
    from an already validated file) skips the per-entry checks."""
    if trusted and isinstance(doc, dict) and isinstance(doc.get("models"), dict):
        models = doc["models"]
        if stage == ARCHIVED:
            return StageFile(stage, {}, {n: tuple(_trusted(e) for e in es) for n, es in models.items()})
        return StageFile(stage, {n: _trusted(e) for n, e in models.items()}, {})
    hint = _hint(branch)
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


def to_document(sf: StageFile) -> dict[str, Any]:
    if sf.stage == ARCHIVED:
        models: dict[str, Any] = {n: [e.to_yaml() for e in es] for n, es in sorted(sf.archived.items())}
    else:
        models = {n: e.to_yaml() for n, e in sorted(sf.holders.items())}
    return {"llmgit": FORMAT, "stage": sf.stage, "models": models}


def parse_model(text: bytes | None, stage: str, branch: str, name: str) -> StageFile:
    """Like :func:`parse`, but only ``name``'s entry: history reads one stage file per stage
    commit, and slicing out one model's block keeps that cheap for big registries."""
    if text is None or name.encode() not in text:
        return parse(text, stage, branch) if text is None else StageFile(stage)
    head, sep, body = text.partition(b"\nmodels:\n")
    if sep:
        for key in (f"  {name}:".encode(), f"  '{name}':".encode(), f"  {json.dumps(name)}:".encode()):
            start = body.find(key + b"\n") if body.startswith(key) else body.find(b"\n" + key + b"\n")
            if start < 0:
                continue
            start = 0 if body.startswith(key) else start + 1
            end = start + len(key) + 1
            while end < len(body) and (body[end : end + 3] == b"   " or body[end : end + 3] == b"  -"):
                nl = body.find(b"\n", end)
                end = len(body) if nl < 0 else nl + 1
            return parse(head + sep + body[start:end], stage, branch)
    return _only(parse(text, stage, branch), name)  # not llmgit's layout: parse it all


def _only(sf: StageFile, name: str) -> StageFile:
    holders = {name: sf.holders[name]} if name in sf.holders else {}
    archived = {name: sf.archived[name]} if name in sf.archived else {}
    return StageFile(sf.stage, holders, archived)


_PLAIN_KEY = re.compile(r"[a-z][a-z0-9._-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _key(name: str) -> str:
    """A model name as a YAML key: plain when YAML reads it back as the same string."""
    return name if _PLAIN_KEY.fullmatch(name) and name not in _YAML_WORDS else json.dumps(name)


# characters JSON leaves as they are but YAML reads as line breaks or refuses (outside its
# printable set); inside a double-quoted scalar both read "\uXXXX" back as the character
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _value(value: Any) -> str:
    """A YAML value: JSON scalars and flow collections are valid YAML and fast to write
    (escaping the characters YAML, unlike JSON, would not read back as written)."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def dump(sf: StageFile) -> str:
    """The stage file as YAML, written directly (the YAML library's representer takes a
    noticeable fraction of a second for a thousand models); ``parse`` reads it back."""
    lines = [
        f"# Stage '{sf.stage}' of this llmgit registry. Written by llmgit; each commit on this",
        "# branch is one reviewed transition, so 'git log' is the audit trail.",
        f"llmgit: {FORMAT}",
        f"stage: {_value(sf.stage)}",
    ]
    doc = to_document(sf)["models"]
    if not doc:
        lines.append("models: {}")
    else:
        lines.append("models:")
    for name, value in doc.items():
        lines.append(f"  {_key(name)}:")
        for item in value if isinstance(value, list) else [value]:
            prefix = "  - " if isinstance(value, list) else "    "
            for i, (k, v) in enumerate(item.items()):
                lines.append(f"{prefix if i == 0 else '    '}{k}: {_value(v)}")
    return "\n".join(lines) + "\n"
