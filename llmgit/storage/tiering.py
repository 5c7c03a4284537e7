"""Storage classes by hand: tier a version's weights, restore them, pin and unpin.

Objects are shared between versions, so tiering skips every object that a live version
(one that holds a stage or a canary, is pinned, or is not archived) also references.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core.ident import iso_time
from llmgit.core.model import ModelVersion
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.storage.manifests import objects_by_version
from llmgit.store import ledger, writer
from llmgit.store.store import Store
from llmgit.weights import listing, s3
from llmgit.weights.remote import StorageRemote, require_s3, storage_remote


@dataclass(frozen=True)
class TierResult:
    version: str
    storage_class: str
    moved: tuple[str, ...]
    already: tuple[str, ...]
    shared: tuple[str, ...]  # skipped: a live version references them
    bytes_moved: int


def live_versions(reg: Store) -> set[tuple[str, str]]:
    """Versions whose weights must stay readable: not archived, or pinned, or a canary."""
    branches = reg.stage_branches()
    archived = {(n, e.version) for n, es in branches[ARCHIVED].file.archived.items() for e in es}
    live = {(v.name, v.version) for v in reg.versions_all()} - archived
    live |= reg.ledger().versions("pins")
    for b in branches.values():
        for n, e in b.file.holders.items():
            canary = e.extra.get("canary") if isinstance(e.extra, dict) else None
            if isinstance(canary, dict) and canary.get("version"):
                live.add((n, str(canary["version"])))
    return live


def protected_oids(reg: Store, r: StorageRemote, versions: set[tuple[str, str]]) -> set[str]:
    """The objects of ``versions`` (their manifests remembered or cached, else read once)."""
    found = [v for v in reg.versions_all() if (v.name, v.version) in versions]
    return {o.oid for objs in objects_by_version(reg.root, found, r).values() for o in objs}


def current_roles(reg: Store, v: ModelVersion) -> list[str]:
    roles = []
    for stage, b in reg.stage_branches().items():
        e = b.file.holders.get(v.name)
        if e and e.version == v.version:
            roles.append(f"holds {stage}")
        canary = e.extra.get("canary") if e and isinstance(e.extra, dict) else None
        if isinstance(canary, dict) and str(canary.get("version")) == v.version:
            roles.append(f"is the canary in {stage}")
    if reg.ledger().get("pins", v.name, v.version):
        roles.append("is pinned")
    return roles


def tier(reg: Store, reference: str, storage_class: str) -> TierResult:
    reg.require_initialized()
    storage_class = storage_class.upper()
    if storage_class not in s3.CLASSES:
        raise UsageError(f"unknown storage class '{storage_class}'", hint=f"classes: {', '.join(s3.CLASSES)}")
    v = reg.get(reference)
    r = storage_remote(reg.root)
    require_s3(r, "tiering")
    roles = current_roles(reg, v) if storage_class != s3.STANDARD else []
    if roles:
        raise UsageError(
            f"{v.tag} {' and '.join(roles)}; its weights stay in STANDARD",
            hint="nothing ever tiers a stage holder, a canary or a pinned version",
        )
    c = r.client()
    others = live_versions(reg) - {(v.name, v.version)}
    protected = protected_oids(reg, r, others) if storage_class != s3.STANDARD else set()
    moved, already, shared, size = [], [], [], 0
    for o in listing.objects_of(reg.root, v, r):
        if o.manifest:
            continue  # manifests stay readable, so llmgit can always list a version's files
        if o.oid in protected:
            shared.append(o.label)
            continue
        st = r.state(o.oid)
        if st.storage_class == storage_class:
            already.append(o.label)
            continue
        s3.set_class(c, r.location.bucket, r.key(o.oid), storage_class)
        moved.append(o.label)
        size += st.size
    return TierResult(v.tag, storage_class, tuple(moved), tuple(already), tuple(shared), size)


@dataclass(frozen=True)
class RestoreResult:
    version: str
    states: dict[str, str]  # file -> not needed | not restored | in progress | restored


def restore(reg: Store, reference: str, days: int) -> RestoreResult:
    if days < 1:
        raise UsageError("--days must be at least 1")
    v = reg.get(reference)
    r = storage_remote(reg.root)
    require_s3(r, "restoring")
    c = r.client()
    states = {}
    for o in listing.objects_of(reg.root, v, r):
        st = r.state(o.oid)
        if st.storage_class in s3.ARCHIVE_CLASSES and st.restore_state == "not restored":
            s3.restore(c, r.location.bucket, r.key(o.oid), days)
            st = r.state(o.oid)
        states[o.label] = st.restore_state
    return RestoreResult(v.tag, states)


def set_pin(reg: Store, reference: str, pinned: bool, reason: str = "", push: bool = False) -> bool:
    """Pin or unpin a version; returns False when nothing changed."""
    settings = reg.require_initialized()
    v = reg.get(reference)
    led = reg.ledger()
    if bool(led.get("pins", v.name, v.version)) == pinned:
        return False
    who = git.ident(reg.root)
    record = {"by": who.who, "since": iso_time(who), "reason": reason} if pinned else None
    plan = ledger.commit(
        reg.root,
        led.with_record("pins", v.name, v.version, record),
        f"{'pin' if pinned else 'unpin'} {v.tag}" + (f": {reason}" if reason else "") + "\n",
    )
    writer.apply(reg.root, settings.git_remote, plan, push=push)
    return True
