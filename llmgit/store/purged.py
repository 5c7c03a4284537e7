"""Reading a purged version's weights: refused, with the way back, unless this clone's cache
holds them (used by ``pull``, ``checkout`` and ``push --unpurge``)."""

from __future__ import annotations

from pathlib import Path

from llmgit.core.ledgerfile import PURGED, PURGING, Ledger
from llmgit.core.model import ModelVersion
from llmgit.errors import UsageError
from llmgit.weights import cache, listing
from llmgit.weights.objects import cached


def day(when: str) -> str:
    """The date of an ISO date-time, for messages."""
    return when[:10] if when else "an unknown date"


def cache_complete(root: Path, v: ModelVersion) -> bool:
    """Whether this clone's DVC cache holds every object of the version (file list and files)."""
    if v.weights is None:
        return True
    files, manifest = cached(cache.local_dir(root), listing.pointer_of(v.weights, v.tag))
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
