"""What the lifecycle does, as values: the actions of a plan, the plan, the result of applying
it; and the remote's inventory that sizes them (one listing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from llmgit.core.ident import parse_when
from llmgit.weights.objects import VersionObject
from llmgit.weights.remote import StorageRemote

ARCHIVE, TIER, PURGE = "archive", "tier", "purge"
FINISH_PURGE = "finish-purge"  # a purge whose ``purging`` record has no ``purged`` one yet
REPURGE = "re-purge"  # objects of a purged version that are on the remote again
PURGE_KINDS = (PURGE, FINISH_PURGE, REPURGE)


@dataclass(frozen=True)
class Action:
    rule: str  # stale-staging | rollback-window | purge
    kind: str  # archive | tier | purge | finish-purge | re-purge
    model: str
    version: str
    age_days: int
    reason: str
    oids: tuple[str, ...] = ()  # objects to act on
    shared: tuple[str, ...] = ()  # objects skipped: a live version references them
    bytes: int = 0
    blocked: str = ""  # why it cannot run here (e.g. tiering needs S3)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.kind,
            "model": self.model,
            "version": self.version,
            "age_days": self.age_days,
            "reason": self.reason,
            "objects": len(self.oids),
            "shared_skipped": len(self.shared),
            "bytes": self.bytes,
            "blocked": self.blocked,
        }


@dataclass(frozen=True)
class LifecyclePlan:
    now: str
    actions: tuple[Action, ...]
    sizes: dict[str, int] = field(default_factory=dict)  # oid -> bytes
    classes: dict[str, str] = field(default_factory=dict)  # oid -> storage class
    # (model, version) -> its objects, manifest included, for every version not purged
    objects: dict[tuple[str, str], list[VersionObject]] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyResult:
    done: tuple[Action, ...]
    skipped: tuple[Action, ...]


Inventory = dict[str, tuple[int, str]]  # oid -> (bytes, storage class)


def days(now: dt.datetime, since: str) -> int:
    """Whole days from the ISO date-time ``since`` to ``now``."""
    return (now - parse_when(since)).days


def inventory(r: StorageRemote) -> Inventory:
    """oid -> (bytes, storage class) of every object on the remote (one listing; keys that are
    not DVC objects are skipped with a warning)."""
    return r.inventory()
