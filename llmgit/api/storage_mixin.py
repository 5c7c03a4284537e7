"""The storage part of the Python API (a :class:`~llmgit.store.store.Registry` mixin):
push and pull weights, verify, publish, pin, tier, restore, lifecycle and cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmgit.storage.cost import CostReport
    from llmgit.storage.lifecycle import ApplyResult, LifecyclePlan
    from llmgit.core.model import ModelVersion
    from llmgit.storage.publish import PublishResult
    from llmgit.store.store import Registry
    from llmgit.storage.tiering import RestoreResult, TierResult
    from llmgit.storage.pushpull import PushResult, VerifyReport


class StorageApi:
    def _registry(self) -> Registry:
        return self  # type: ignore[return-value]

    def push(self, *references: str, jobs: int | None = None) -> PushResult:
        """Upload weights (verified), then push their tags; none given: everything.
        ``jobs``: transfers in flight (default: the remote's ``jobs`` setting)."""
        from llmgit.storage.pushpull import push

        return push(self._registry(), list(references), jobs=jobs)

    def pull(self, reference: str, jobs: int | None = None) -> ModelVersion:
        """Bring a version's weights into the local cache (fails fast on archived weights)."""
        from llmgit.storage.pushpull import pull

        return pull(self._registry(), reference, jobs=jobs)

    def verify(self, *references: str, deep: bool = False) -> list[VerifyReport]:
        """Check each object of the versions (all when none given) on the remote."""
        from llmgit.storage.pushpull import verify

        return verify(self._registry(), list(references), deep=deep)

    def publish(self, reference: str, to: str, *, push: bool = False) -> PublishResult:
        """A readable copy at ``to/NAME/vX.Y.Z/`` with a manifest, recorded in the ledger."""
        from llmgit.storage.publish import publish

        return publish(self._registry(), reference, to, push=push)

    def pin(self, reference: str, reason: str = "", *, push: bool = False) -> bool:
        """Exempt a version from lifecycle rules; False when it already was."""
        from llmgit.storage.tiering import set_pin

        return set_pin(self._registry(), reference, True, reason, push=push)

    def unpin(self, reference: str, *, push: bool = False) -> bool:
        from llmgit.storage.tiering import set_pin

        return set_pin(self._registry(), reference, False, push=push)

    def tier(self, reference: str, storage_class: str) -> TierResult:
        """Move a version's own objects to another S3 storage class."""
        from llmgit.storage.tiering import tier

        return tier(self._registry(), reference, storage_class)

    def restore(self, reference: str, days: int = 7) -> RestoreResult:
        """Start restoring a version's archived objects; reports each one's state."""
        from llmgit.storage.tiering import restore

        return restore(self._registry(), reference, days)

    def lifecycle_plan(self) -> LifecyclePlan:
        """What the retention rules would do now; changes nothing."""
        from llmgit.storage.lifecycle import plan

        return plan(self._registry())

    def lifecycle_apply(self, *, push: bool = False) -> ApplyResult:
        from llmgit.storage.lifecycle import apply

        return apply(self._registry(), push=push)

    def cost_report(self) -> CostReport:
        """Bytes and $/month by storage class and by model, and the plan's saving."""
        from llmgit.storage.cost import report

        return report(self._registry())
