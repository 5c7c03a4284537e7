"""One entry of ``stage.yaml``: a version's place in a stage, and the rules every entry is
checked against. Pure.

An entry comes from a file that whoever can push a stage branch writes, so each value is
checked on its own (:func:`entry`): the model name, a SemVer version, the tag that version
names, commit and md5 ids, bounded text, a known action, and the keys later features add (a
running canary is parsed by :mod:`llmgit.core.canaryfile`). :mod:`llmgit.core.stagefile`
reads and writes the file these entries make up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmgit.core import bounded, canaryfile, refs
from llmgit.core.bounded import KIB, BoundError
from llmgit.core.canaryfile import MAX_BY, MAX_REASON, MAX_SINCE, show
from llmgit.errors import CanaryRecordError, InvalidName

# the transition kinds (docs/stages.md, I1): what the latest change of the entry was
ACTIONS = ("promote", "rollback", "guard", "canary-start", "canary-promote", "canary-abort", "archive", "import")
MAX_TEXT_EXTRA = 1 * KIB  # gto_tag and other text a later feature records


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

    def with_extra(self, extra: Mapping[str, Any]) -> Entry:
        return replace(self, extra=dict(extra))


_ENTRY_KEYS = {"version", "tag", "commit", "weights_md5", "since", "by", "reason", "action"}
_REQUIRED = ("version", "tag", "commit", "since", "by")


def model_name(key: object) -> str:
    """A ``models`` key: a valid model name, else :class:`BoundError`."""
    if not isinstance(key, str):
        raise BoundError(f"model name {show(key)} is not text")
    try:
        return refs.validate_model_name(key)
    except InvalidName as e:
        raise BoundError(e.message) from None


def entry(name: str, data: object) -> Entry:
    """One checked entry of model ``name``; :class:`BoundError` says what is wrong."""
    if not isinstance(data, dict):
        raise BoundError(f"it is not a mapping ({show(data)})")
    missing = sorted(k for k in _REQUIRED if not data.get(k))
    if missing:
        raise BoundError(f"missing '{missing[0]}'")
    version = canaryfile.version_of(data)
    commit, md5 = canaryfile.commit_and_md5(data)
    tag = canaryfile.tag_of(data, name, version)
    action = data.get("action") or "promote"
    if action not in ACTIONS:
        raise BoundError(f"unknown action {show(action)}")
    return Entry(
        version,
        tag,
        commit,
        md5,
        canaryfile.text(data["since"], "since", MAX_SINCE),
        canaryfile.text(data["by"], "by", MAX_BY),
        canaryfile.text(data.get("reason") or "", "reason", MAX_REASON, lines=True),
        str(action),
        _extra(name, data),
    )


def _extra(name: str, data: Mapping[Any, Any]) -> dict[str, Any]:
    """The keys later features add: the canary checked (and written back normalized), other
    text bounded; the rest only within the file's caps."""
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key in _ENTRY_KEYS:
            continue
        if not isinstance(key, str) or bounded.has_control(key):
            raise BoundError(f"key {show(key)} is not a plain name")
        if key == canaryfile.KEY:
            try:
                value = canaryfile.parse(value, name).to_yaml()
            except CanaryRecordError as e:
                raise BoundError(f"{canaryfile.KEY}: {e.message}") from None
        elif isinstance(value, str):
            value = canaryfile.text(value, key, MAX_TEXT_EXTRA)
        extra[key] = value
    return extra
