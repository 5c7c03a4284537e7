"""``lifecycle.yaml``, the ledger's one file: pins, purges and published copies per version.
Pure: parse, change, dump."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmgit.core import refs, yamlio
from llmgit.errors import UsageError

FILE = "lifecycle.yaml"
SECTIONS = ("pins", "purged", "published")
HEADER = "# llmgit lifecycle ledger: pins, purges and published copies. Written by llmgit.\n"


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
