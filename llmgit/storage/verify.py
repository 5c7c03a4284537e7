"""``verify``: every object of a version on the storage remote, with the right size (and, with
``--deep``, the right hash); purged versions are reported as such, and versions whose purge
started and did not finish as a purge in progress (their objects are going, not missing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from llmgit.core.ledgerfile import PURGED, PURGING
from llmgit.core.model import ModelVersion
from llmgit.errors import OperationFailed
from llmgit.store.store import Store
from llmgit.weights import cache, listing, s3
from llmgit.weights.remote import StorageRemote, storage_remote


@dataclass(frozen=True)
class VerifyReport:
    version: str
    files: int
    missing: tuple[str, ...] = ()
    corrupt: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()  # present, but in an archive class (not readable now)
    checked_hashes: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # "purged" or "purging": the ledger record

    @property
    def purged(self) -> bool:
        return PURGED in self.details

    @property
    def purging(self) -> bool:
        """A purge started and did not finish: ``lifecycle apply`` finishes it."""
        return PURGING in self.details

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt and not self.purging


def verify(store: Store, references: list[str], *, deep: bool = False) -> list[VerifyReport]:
    store.require_initialized()
    versions = [store.get(r) for r in references] if references else store.versions_all()
    led = store.ledger()
    r = storage_remote(store.root)
    reports = []
    for v in versions:
        state = led.purge_state(v.name, v.version)
        if state:
            files = 0 if state == PURGED else v.weights.files if v.weights else 0
            reports.append(VerifyReport(v.tag, files, details={state: led.get(state, v.name, v.version)}))
            continue
        reports.append(_verify_one(store, r, v, deep))
    return reports


def _verify_one(store: Store, r: StorageRemote, v: ModelVersion, deep: bool) -> VerifyReport:
    root = store.root
    try:
        objs = listing.objects_of(root, v, r)
    except OperationFailed:
        return VerifyReport(v.tag, v.weights.files if v.weights else 0, missing=("(directory manifest)",))
    missing, corrupt, archived = [], [], []
    local = cache.local_dir(root)
    for o in objs:
        st = r.state(o.oid)
        if not st.exists:
            missing.append(o.label)
            continue
        expected = cache.object_size(local, o.oid) if not o.manifest else None
        if v.weights and not v.weights.is_dir:
            expected = v.weights.size
        if expected is not None and st.size != expected:
            corrupt.append(f"{o.label} (size {st.size}, expected {expected})")
            continue
        if not st.readable:
            archived.append(f"{o.label} ({st.storage_class})")
            continue
        if deep and _remote_md5(r, o.oid) != o.md5:
            corrupt.append(f"{o.label} (md5 differs)")
    files = len([o for o in objs if not o.manifest])
    return VerifyReport(v.tag, files, tuple(missing), tuple(corrupt), tuple(archived), deep)


def _remote_md5(r: StorageRemote, oid: str) -> str:
    if r.is_s3:
        return s3.md5_of(r.client(), r.location.bucket, r.key(oid))
    digest = hashlib.md5()
    with open(r.path(oid), "rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
