"""The lifecycle ledger: branch ``llmgit/lifecycle`` whose ``lifecycle.yaml`` records pins,
purges and published copies, one commit per change (so ``git log`` is its audit trail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmgit.infra import git
from llmgit.core import refs, yamlio
from llmgit.errors import UsageError
from llmgit.infra.gitremote import PushSpec

BRANCH = "refs/heads/llmgit/lifecycle"
FILE = "lifecycle.yaml"
SECTIONS = ("pins", "purged", "published")


@dataclass(frozen=True)
class Ledger:
    tip: str | None
    local_tip: str | None
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, section: str, name: str, version: str) -> dict[str, Any] | None:
        return self.data.get(section, {}).get(name, {}).get(version)

    def versions(self, section: str) -> set[tuple[str, str]]:
        return {(n, v) for n, vs in self.data.get(section, {}).items() for v in vs}

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


def read(root: Path, remote: str) -> Ledger:
    local = git.rev_parse(root, BRANCH)
    tracking = git.rev_parse(root, f"refs/remotes/{remote}/{BRANCH[len(refs.HEADS):]}")
    tip = local
    if tracking and (local is None or (local != tracking and git.is_ancestor(root, local, tracking))):
        tip = tracking
    if tip is None:
        return Ledger(None, local, {s: {} for s in SECTIONS})
    text = git.read_blob(root, tip, FILE)
    try:
        doc = yamlio.load(text or b"") or {}
    except yamlio.YAMLError:
        doc = None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(s, {}) or {}, dict) for s in SECTIONS):
        raise UsageError(f"{BRANCH[len(refs.HEADS):]}:{FILE} is not valid",
                         hint="repair it with a commit on that branch (for example 'git revert')")
    return Ledger(tip, local, {s: {str(n): {str(v): r for v, r in (vs or {}).items()}
                                   for n, vs in (doc.get(s) or {}).items()} for s in SECTIONS})


def commit(root: Path, ledger: Ledger, message: str) -> tuple[git.RefUpdate, PushSpec]:
    """Record ``ledger`` as a new commit on the branch; returns the ref move and its push."""
    header = "# llmgit lifecycle ledger: pins, purges and published copies. Written by llmgit.\n"
    body = yamlio.dump({"llmgit": 1, **ledger.data}, sort_keys=True, allow_unicode=True)
    blob = git.hash_object(root, (header + body).encode())
    tree = git.tree_with(root, ledger.tip, {FILE: blob})
    new = git.commit_tree(root, tree, [ledger.tip] if ledger.tip else [], message)
    return git.RefUpdate(BRANCH, new, ledger.local_tip or git.ZERO), PushSpec(BRANCH, new)
