"""``lifecycle.yaml``, the ledger's one file: pins, purges and published copies per version.
Pure: parse, change, dump.

A purge writes two records, each in its own commit: ``purging`` (the intent: which objects go)
before any object is deleted, then ``purged`` once they are gone; so a purge cut short shows as
``purging`` without ``purged`` and can be finished. ``push --unpurge`` replaces the ``purged``
record by an ``unpurged`` one. A version carries at most one of the three; the branch's history
keeps every earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from llmgit.core import refs, yamlio
from llmgit.errors import UsageError

FILE = "lifecycle.yaml"
PINS, PURGING, PURGED, UNPURGED, PUBLISHED = "pins", "purging", "purged", "unpurged", "published"
SECTIONS = (PINS, PURGING, PURGED, UNPURGED, PUBLISHED)
PURGE_SECTIONS = (PURGING, PURGED, UNPURGED)
HEADER = "# llmgit lifecycle ledger: pins, purges and published copies. Written by llmgit.\n"
_OID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class PurgeIntent:
    """A purge that was started and has not finished: the objects it deletes, as recorded
    before the first of them was deleted."""

    name: str
    version: str
    when: str
    by: str
    rule: str
    oids: tuple[str, ...]
    bytes: int
    shared_kept: int


@dataclass(frozen=True)
class Ledger:
    tip: str | None
    local_tip: str | None
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, section: str, name: str, version: str) -> dict[str, Any] | None:
        return self.data.get(section, {}).get(name, {}).get(version)

    def versions(self, section: str) -> set[tuple[str, str]]:
        return {(n, v) for n, vs in self.data.get(section, {}).items() for v in vs}

    def records(self, section: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(n, v): rec for n, vs in self.data.get(section, {}).items() for v, rec in vs.items()}

    def with_record(self, section: str, name: str, version: str, record: dict[str, Any] | None) -> Ledger:
        data = {s: {n: dict(vs) for n, vs in self.data.get(s, {}).items()} for s in SECTIONS}
        models = data[section]
        if record is None:
            models.get(name, {}).pop(version, None)
            if name in models and not models[name]:
                del models[name]
        else:
            models.setdefault(name, {})[version] = record
        return Ledger(self.tip, self.local_tip, data)

    def purge_state(self, name: str, version: str) -> str:
        """``purged``, ``purging`` (started, not finished) or '' (weights kept, or brought back)."""
        if self.get(PURGED, name, version) is not None:
            return PURGED
        return PURGING if self.get(PURGING, name, version) is not None else ""

    def with_purge_state(self, state: str, name: str, version: str, record: dict[str, Any]) -> Ledger:
        """The version's purge record replaced by ``record`` in section ``state`` (one of
        :data:`PURGE_SECTIONS`); the others are dropped, so a version is in one of them at most."""
        led = self
        for section in PURGE_SECTIONS:
            led = led.with_record(section, name, version, record if section == state else None)
        return led

    def with_intent(self, intent: PurgeIntent) -> Ledger:
        """Step one of a purge: the ``purging`` record, written before any object is deleted."""
        record = {
            "by": intent.by,
            "when": intent.when,
            "rule": intent.rule,
            "oids": list(intent.oids),
            "objects": len(intent.oids),
            "bytes": intent.bytes,
            "shared_kept": intent.shared_kept,
        }
        return self.with_purge_state(PURGING, intent.name, intent.version, record)

    def with_purged(self, intent: PurgeIntent, by: str, when: str) -> Ledger:
        """The last step of a purge: its objects are gone; the ``purging`` record becomes ``purged``."""
        record = {
            "by": by,
            "when": when,
            "started": intent.when,
            "rule": intent.rule,
            "objects": len(intent.oids),
            "bytes": intent.bytes,
            "shared_kept": intent.shared_kept,
        }
        return self.with_purge_state(PURGED, intent.name, intent.version, record)

    def with_unpurged(self, name: str, version: str, by: str, when: str) -> Ledger:
        """A purged version whose weights were uploaded again (``push --unpurge``)."""
        old = self.get(PURGED, name, version) or {}
        record = {"by": by, "when": when, "purged": str(old.get("when", "")), "rule": str(old.get("rule", ""))}
        return self.with_purge_state(UNPURGED, name, version, record)

    def purge_intents(self) -> dict[tuple[str, str], PurgeIntent]:
        """The purges that were started and not finished, by (name, version)."""
        found = {}
        for (name, version), rec in self.records(PURGING).items():
            if self.get(PURGED, name, version) is None:
                found[(name, version)] = _intent(name, version, rec)
        return found


def _intent(name: str, version: str, rec: Any) -> PurgeIntent:
    oids = rec.get("oids") if isinstance(rec, dict) else None
    if not isinstance(oids, list) or not all(isinstance(o, str) and _OID.fullmatch(o) for o in oids):
        raise UsageError(
            f"{refs.LEDGER_BRANCH}:{FILE}: the purging record of {refs.version_tag(name, version)} "
            "does not list its objects",
            hint="repair it with a commit on that branch (for example 'git revert')",
        )

    def number(key: str) -> int:
        value = rec.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return PurgeIntent(
        name,
        version,
        str(rec.get("when", "")),
        str(rec.get("by", "")),
        str(rec.get("rule", "")),
        tuple(oids),
        number("bytes"),
        number("shared_kept"),
    )


def empty(tip: str | None = None, local_tip: str | None = None) -> Ledger:
    return Ledger(tip, local_tip, {s: {} for s in SECTIONS})


def parse(text: bytes | None, tip: str | None, local_tip: str | None) -> Ledger:
    try:
        doc = yamlio.load(text or b"") or {}
    except yamlio.YAMLError:
        doc = None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(s, {}) or {}, dict) for s in SECTIONS):
        raise UsageError(
            f"{refs.LEDGER_BRANCH}:{FILE} is not valid",
            hint="repair it with a commit on that branch (for example 'git revert')",
        )
    return Ledger(
        tip,
        local_tip,
        {
            s: {str(n): {str(v): r for v, r in (vs or {}).items()} for n, vs in (doc.get(s) or {}).items()}
            for s in SECTIONS
        },
    )


def dump(ledger: Ledger) -> str:
    return HEADER + yamlio.dump({"llmgit": 1, **ledger.data}, sort_keys=True, allow_unicode=True)
