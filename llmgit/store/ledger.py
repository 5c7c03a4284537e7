"""The lifecycle ledger: branch ``llmgit/lifecycle`` whose ``lifecycle.yaml`` records pins,
purges and published copies, one commit per change (so ``git log`` is its audit trail)."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import ledgerfile, refs
from llmgit.core.ledgerfile import Ledger
from llmgit.core.plan import Plan
from llmgit.infra import git
from llmgit.store.branches import tip_of
from llmgit.store.commits import commit_on


def read(root: Path, remote: str) -> Ledger:
    tip, local = tip_of(root, remote, refs.LEDGER_BRANCH)
    if tip is None:
        return ledgerfile.empty(None, local)
    return ledgerfile.parse(git.read_blob(root, tip, ledgerfile.FILE), tip, local)


def commit(root: Path, ledger: Ledger, message: str) -> Plan:
    """Record ``ledger`` as a new commit on the branch: the ref move and its push."""
    blob = git.hash_object(root, ledgerfile.dump(ledger).encode())
    new = commit_on(root, ledger.tip, {ledgerfile.FILE: blob}, message)
    return Plan.move(refs.HEADS + refs.LEDGER_BRANCH, new, ledger.local_tip)


def published_uri(root: Path, remote: str, name: str, version: str) -> str | None:
    """Where a version was published (for deploy manifests), or None."""
    rec = read(root, remote).get("published", name, version)
    return str(rec["uri"]) if rec else None
