"""The lifecycle ledger: branch ``llmgit/lifecycle`` whose ``lifecycle.yaml`` records pins,
purges and published copies, one commit per change (so ``git log`` is its audit trail)."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import ledgerfile, refs
from llmgit.core.ledgerfile import PURGED, PURGING, Ledger
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store.branches import tip_of
from llmgit.store.commits import commit_on
from llmgit.weights import cache, listing
from llmgit.weights.objects import cached


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


def day(when: str) -> str:
    """The date of an ISO date-time, for messages."""
    return when[:10] if when else "an unknown date"


def cache_complete(root: Path, v: ModelVersion) -> bool:
    """Whether this clone's DVC cache holds every object of the version (file list and files)."""
    if v.weights is None:
        return True
    files, manifest = cached(cache.local_dir(root), listing.pointer_of(v.weights))
    if manifest is not None and not manifest.path.exists():
        return False
    return all(f.path.exists() for f in files)


def refuse_read(root: Path, led: Ledger, v: ModelVersion) -> None:
    """Reading a purged version's weights from the remote fails (exit 2) with the way to
    bring them back."""
    state = led.purge_state(v.name, v.version)
    if state == PURGED:
        rec = led.get(PURGED, v.name, v.version) or {}
        here = "this clone's cache still holds them" if cache_complete(root, v) else "from a clone that still has them"
        raise UsageError(
            f"the weights of {v.tag} were purged on {day(str(rec.get('when', '')))} "
            f"by the lifecycle rule '{rec.get('rule', 'purge')}'",
            hint=f"{here}, 'llmgit push {v.tag} --unpurge' uploads them again",
        )
    if state == PURGING:
        rec = led.get(PURGING, v.name, v.version) or {}
        raise UsageError(
            f"the weights of {v.tag} are being purged (a purge started on {day(str(rec.get('when', '')))})",
            hint="finish it with 'llmgit lifecycle apply'",
        )
