"""The lifecycle ledger: branch ``llmgit/lifecycle`` whose ``lifecycle.yaml`` records pins,
purges and published copies, one commit per change (so ``git log`` is its audit trail).

The file is read within its bounds (a blob above the size cap is refused before it is read);
a malformed record is left out with a ``warning:`` (``strict``: a
:class:`~llmgit.errors.BadRecord`), and a ledger read with records left out is not rewritten.
"""

from __future__ import annotations

from pathlib import Path

from llmgit.core import ledgerfile, refs
from llmgit.core.ledgerfile import Ledger
from llmgit.core.plan import Plan
from llmgit.errors import SkippedRecord, UsageError
from llmgit.infra import git
from llmgit.store.branches import MAX_WARNINGS, tip_of, warn
from llmgit.store.commits import commit_on


def _read(root: Path, remote: str) -> Ledger:
    tip, local = tip_of(root, remote, refs.LEDGER_BRANCH)
    if tip is None:
        return ledgerfile.empty(None, local)
    spec = f"{tip}:{ledgerfile.FILE}"
    found = git.blob_sizes(root, [spec])[spec]
    if found is None:
        return ledgerfile.parse(None, tip, local)
    blob, size = found
    if size > ledgerfile.MAX_BYTES:
        raise UsageError(
            f"{ledgerfile.WHERE} is {size} bytes, above the limit of {ledgerfile.MAX_BYTES}", hint=ledgerfile.HINT
        )
    return ledgerfile.parse(git.read_blobs(root, [blob])[blob], tip, local)


def read(root: Path, remote: str, *, strict: bool = False) -> Ledger:
    """The ledger; each malformed record is left out with a ``warning:`` (``strict``: the
    first is a :class:`~llmgit.errors.BadRecord`)."""
    ledger = _read(root, remote)
    if strict and ledger.bad:
        raise ledger.bad[0].error()
    for b in ledger.bad[:MAX_WARNINGS]:
        warn(b.warning())
    if len(ledger.bad) > MAX_WARNINGS:
        more = len(ledger.bad) - MAX_WARNINGS
        warn(SkippedRecord(f"skipped {more} more malformed records of {ledgerfile.WHERE}", hint=ledgerfile.FSCK_HINT))
    return ledger


def problems(root: Path, remote: str) -> list[str]:
    """One line per malformed ledger record, or for a ledger that cannot be read (for ``fsck``)."""
    try:
        ledger = _read(root, remote)
    except UsageError as e:
        return [e.message]
    return [f"{b.label}: {b.problem}" for b in ledger.bad] + ledgerfile.intent_problems(ledger)


def commit(root: Path, ledger: Ledger, message: str) -> Plan:
    """Record ``ledger`` as a new commit on the branch: the ref move and its push (refused
    when records were left out reading it: the rewrite would drop them)."""
    ledgerfile.check_writable(ledger)
    blob = git.hash_object(root, ledgerfile.dump(ledger).encode())
    new = commit_on(root, ledger.tip, {ledgerfile.FILE: blob}, message)
    return Plan.move(refs.HEADS + refs.LEDGER_BRANCH, new, ledger.local_tip)


def published_uri(root: Path, remote: str, name: str, version: str) -> str | None:
    """Where a version was published (for deploy manifests), or None."""
    rec = read(root, remote).get("published", name, version)
    return str(rec["uri"]) if rec else None
