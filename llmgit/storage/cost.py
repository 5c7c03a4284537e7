"""Storage cost: unique bytes per storage class (objects are content-addressed, so each is
counted once), priced per GB-month, per model, and the monthly saving if the plan ran.

A purged version is billed nothing: its own objects are gone, and the ones it shared are
billed to the versions that kept them. Objects of a purged version that are on the remote
again (or that an unfinished purge has yet to delete) are billed, as the remote holds them,
and the lifecycle plan deletes them, so they count towards the saving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmgit.core.ledgerfile import PURGED
from llmgit.storage.actions import PURGE_KINDS, TIER, LifecyclePlan
from llmgit.storage.lifecycle import plan as lifecycle_plan
from llmgit.store.store import Store
from llmgit.weights.remote import storage_remote

GB = 2**30  # AWS bills GB-months of 2**30 bytes


def monthly(bytes_by_class: Mapping[str, int], prices: Mapping[str, float]) -> float:
    """Dollars per month for the given bytes in each class (unpriced classes cost 0)."""
    return sum(size / GB * prices.get(cls, 0.0) for cls, size in bytes_by_class.items())


@dataclass(frozen=True)
class ModelCost:
    model: str
    versions: int
    bytes_by_class: dict[str, int]
    monthly: float
    shared_bytes: int  # bytes also referenced by another model
    purged: int = 0  # versions whose weights were purged (counted in ``versions``, billed nothing)


@dataclass(frozen=True)
class CostReport:
    remote: str
    bytes_by_class: dict[str, int]
    monthly: float
    models: tuple[ModelCost, ...]
    after_plan_bytes: dict[str, int]
    after_plan_monthly: float
    monthly_by_class: dict[str, float]

    @property
    def saving(self) -> float:
        return self.monthly - self.after_plan_monthly

    @property
    def saving_ratio(self) -> float:
        return self.saving / self.monthly if self.monthly else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "bytes_by_class": self.bytes_by_class,
            "monthly": self.monthly,
            "models": [
                {
                    "model": m.model,
                    "versions": m.versions,
                    "bytes_by_class": m.bytes_by_class,
                    "monthly": m.monthly,
                    "shared_bytes": m.shared_bytes,
                    "purged_versions": m.purged,
                }
                for m in self.models
            ],
            "after_plan": {
                "bytes_by_class": self.after_plan_bytes,
                "monthly": self.after_plan_monthly,
                "saving": self.saving,
                "saving_ratio": self.saving_ratio,
            },
        }


def after_plan(
    sizes: Mapping[str, int], classes: Mapping[str, str], plan: LifecyclePlan, archive_class: str
) -> dict[str, int]:
    moved = dict(classes)
    for a in plan.actions:
        if a.blocked:
            continue
        for oid in a.oids:
            if a.kind in PURGE_KINDS:
                moved.pop(oid, None)
            elif a.kind == TIER:
                moved[oid] = archive_class
    return _by_class({o: sizes[o] for o in moved}, moved)


def _by_class(sizes: Mapping[str, int], classes: Mapping[str, str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for oid, size in sizes.items():
        cls = classes.get(oid, "STANDARD")
        totals[cls] = totals.get(cls, 0) + size
    return dict(sorted(totals.items()))


def report(reg: Store) -> CostReport:
    settings = reg.require_initialized()
    prices = settings.prices
    found = reg.versions_all()
    p = lifecycle_plan(reg, found)
    r = storage_remote(reg.root)
    sizes, classes = p.sizes, p.classes
    per_model: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    purged: dict[str, int] = {}
    gone = reg.ledger().versions(PURGED)
    for v in found:
        counts[v.name] = counts.get(v.name, 0) + 1
        key = (v.name, v.version)
        if key in gone:
            purged[v.name] = purged.get(v.name, 0) + 1
            continue  # billed nothing: what it shared is billed to the versions that kept it
        per_model.setdefault(v.name, set()).update(o.oid for o in p.objects.get(key, ()))
    owners: dict[str, int] = {}  # oid -> how many models reference it
    for name, referenced in per_model.items():
        oids = per_model[name] = {o for o in referenced if o in sizes}  # only what the remote holds is billed
        for oid in oids:
            owners[oid] = owners.get(oid, 0) + 1
    models = []
    for name in sorted(counts):
        oids = per_model.get(name, set())
        by_class = _by_class({o: sizes[o] for o in oids}, classes)
        shared = sum(sizes[o] for o in oids if owners[o] > 1)
        models.append(ModelCost(name, counts[name], by_class, monthly(by_class, prices), shared, purged.get(name, 0)))
    total = _by_class(sizes, classes)
    after = after_plan(sizes, classes, p, settings.lifecycle.archive_class)
    per_class = {cls: monthly({cls: size}, prices) for cls, size in total.items()}
    return CostReport(r.url, total, monthly(total, prices), tuple(models), after, monthly(after, prices), per_class)
