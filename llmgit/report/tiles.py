"""The storage tile of each model: its storage classes and monthly cost, as ``llmgit cost``
bills them.

A model is billed the distinct objects of its versions that the remote holds, each by its
storage class, priced per GB-month (2**30 bytes); a purged version is billed nothing. The
caller lists the remote and the versions' objects once (:func:`llmgit.api.storing.report`);
this is only the sums, for the versions the report shows, so no lifecycle plan or stage
history is needed. Every tile is recomputed on each run and is part of its model page's key:
a page is rewritten when its figures change, whatever changed them (a push, a tiering, the
prices).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from llmgit.core.model import ModelVersion
from llmgit.report.collect import StorageInfo
from llmgit.weights.objects import VersionObject

GB = 2**30  # AWS bills GB-months of 2**30 bytes


def storage_by_model(
    found: Iterable[ModelVersion],
    objects: Mapping[tuple[str, str], Sequence[VersionObject]],
    stored: Mapping[str, tuple[int, str]],
    prices: Mapping[str, float],
    purged: set[tuple[str, str]],
) -> dict[str, StorageInfo]:
    """model -> its tile, from every version's objects, the remote's (bytes, class) by object
    id, the prices per GB-month by class, and the purged (model, version) pairs."""
    held: dict[str, set[str]] = {}
    for v in found:
        oids = held.setdefault(v.name, set())
        if (v.name, v.version) not in purged:
            oids.update(o.oid for o in objects.get((v.name, v.version), ()) if o.oid in stored)
    tiles = {}
    for name, oids in held.items():
        by_class: dict[str, int] = {}
        for oid in oids:
            size, cls = stored[oid]
            by_class[cls] = by_class.get(cls, 0) + size
        shown = dict(sorted(by_class.items()))
        monthly = sum(size / GB * prices.get(cls, 0.0) for cls, size in shown.items())
        tiles[name] = StorageInfo(", ".join(c for c, size in shown.items() if size) or "nothing stored", monthly)
    return tiles
