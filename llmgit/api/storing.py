"""Weights on the storage remote: push, pull, verify, publish, pin, tier, restore, retention
and cost; and the static report. (Methods of :class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.api.facade import Facade
from llmgit.core.model import ModelVersion
from llmgit.errors import LlmgitError

if TYPE_CHECKING:
    from llmgit.report.build import SiteResult
    from llmgit.report.options import ReportOptions
    from llmgit.storage.cost import CostReport
    from llmgit.storage.fsck import FsckReport
    from llmgit.storage.lifecycle import ApplyResult, LifecyclePlan
    from llmgit.storage.publish import PublishResult
    from llmgit.storage.pushpull import PushResult
    from llmgit.storage.tiering import RestoreResult, TierResult
    from llmgit.storage.verify import VerifyReport


def push(
    reg: Facade, *references: str, jobs: int | None = None, unpurge: bool = False, overwrite: bool = False
) -> PushResult:
    """Upload weights (verified), then push their tags; none given: everything. Purged
    versions' weights are skipped (``PushResult.skipped``); ``unpurge`` uploads those of the
    named purged versions again from this clone's cache (which must hold every object) and
    records in the ledger that they are purged no more; ``overwrite`` uploads objects the
    remote already has again, from checked bytes (to replace copies ``verify --deep`` found
    damaged). ``jobs``: transfers in flight (default: the remote's ``jobs`` setting)."""
    from llmgit.storage.pushpull import push  # noqa: PLC0415 (start-up)

    return push(reg.store, list(references), jobs=jobs, unpurge=unpurge, overwrite=overwrite)


def pull(reg: Facade, reference: str, jobs: int | None = None) -> ModelVersion:
    """Bring a version's weights into the local cache (fails fast on archived weights, and
    refuses purged ones)."""
    from llmgit.storage.pushpull import pull  # noqa: PLC0415 (start-up)

    return pull(reg.store, reference, jobs=jobs)


def verify(reg: Facade, *references: str, deep: bool = False) -> list[VerifyReport]:
    """Check each object of the versions (all when none given) on the remote."""
    from llmgit.storage.verify import verify  # noqa: PLC0415 (start-up)

    return verify(reg.store, list(references), deep=deep)


def publish(reg: Facade, reference: str, to: str, *, push: bool = False) -> PublishResult:
    """A readable copy at ``to/NAME/vX.Y.Z/`` with a manifest, recorded in the ledger."""
    from llmgit.storage.publish import publish  # noqa: PLC0415 (start-up)

    return publish(reg.store, reference, to, push=push)


def pin(reg: Facade, reference: str, reason: str = "", *, push: bool = False) -> bool:
    """Exempt a version from lifecycle rules; False when it already was."""
    from llmgit.storage.tiering import set_pin  # noqa: PLC0415 (start-up)

    return set_pin(reg.store, reference, True, reason, push=push)


def unpin(reg: Facade, reference: str, *, push: bool = False) -> bool:
    """Let lifecycle rules apply to a version again; False when it was not pinned."""
    from llmgit.storage.tiering import set_pin  # noqa: PLC0415 (start-up)

    return set_pin(reg.store, reference, False, push=push)


def tier(reg: Facade, reference: str, storage_class: str) -> TierResult:
    """Move a version's own objects to another S3 storage class."""
    from llmgit.storage.tiering import tier  # noqa: PLC0415 (start-up)

    return tier(reg.store, reference, storage_class)


def restore(reg: Facade, reference: str, days: int = 7) -> RestoreResult:
    """Start restoring a version's archived objects; reports each one's state."""
    from llmgit.storage.tiering import restore  # noqa: PLC0415 (start-up)

    return restore(reg.store, reference, days)


def lifecycle_plan(reg: Facade) -> LifecyclePlan:
    """What the retention rules would do now; changes nothing."""
    from llmgit.storage.lifecycle import plan  # noqa: PLC0415 (start-up)

    return plan(reg.store)


def lifecycle_apply(reg: Facade, *, push: bool = False) -> ApplyResult:
    """Carry out the retention plan (idempotent: a run cut short, a purge included, is
    finished by running it again)."""
    from llmgit.storage.lifecycle import apply  # noqa: PLC0415 (start-up)

    return apply(reg.store, push=push)


def cost_report(reg: Facade) -> CostReport:
    """Bytes and $/month by storage class and by model, and the plan's saving."""
    from llmgit.storage.cost import report  # noqa: PLC0415 (start-up)

    return report(reg.store)


def report(reg: Facade, out: Path, options: ReportOptions) -> SiteResult:
    """The static HTML report, with storage classes and cost per model when they can be read
    (billed as ``cost`` bills them, from one listing of the remote and the shown versions'
    objects: no lifecycle plan)."""
    from llmgit.core.ledgerfile import PURGED  # noqa: PLC0415 (start-up)
    from llmgit.report.build import publish  # noqa: PLC0415 (start-up)
    from llmgit.report.collect import StorageInfo  # noqa: PLC0415 (start-up)
    from llmgit.report.tiles import storage_by_model  # noqa: PLC0415 (start-up)
    from llmgit.storage.actions import inventory  # noqa: PLC0415 (start-up)
    from llmgit.storage.manifests import objects_by_version  # noqa: PLC0415 (start-up)
    from llmgit.weights.remote import storage_remote  # noqa: PLC0415 (start-up)

    store = reg.store

    def storage(found: list[ModelVersion]) -> dict[str, StorageInfo]:
        try:
            remote = storage_remote(store.root)
            purged = store.ledger().versions(PURGED)
            live = [v for v in found if (v.name, v.version) not in purged]
            stored = inventory(remote)
            objects = objects_by_version(store.root, live, remote, on_remote=stored)  # fails at the first unreadable
        except LlmgitError:
            return {}  # the tiles say "unknown"
        return storage_by_model(found, objects, stored, store.settings.prices, purged)

    return publish(store, out, options, storage)


def fsck(reg: Facade, *references: str, deep: bool = False, repair: bool = False) -> FsckReport:
    """Check the local cache's objects of the versions (all when none given) against their
    names; ``repair``: move corrupt ones aside and fetch good copies from the remote."""
    from llmgit.storage.fsck import fsck  # noqa: PLC0415 (start-up)

    return fsck(reg.store, list(references), deep=deep, repair=repair)
