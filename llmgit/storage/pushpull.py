"""Moving weights between the cache and the storage remote: push (weights first, verified,
then git refs in one atomic push), pull, verify, and the restore-aware read check."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.weights import cache, objects, transfer as replication, s3
from llmgit.infra import git, gitremote as remote
from llmgit.core import refs
from llmgit.errors import ArchivedWeights, LlmgitError, OperationFailed, UsageError
from llmgit.core.model import ModelVersion

if TYPE_CHECKING:
    from llmgit.store.store import Registry


def require_readable(reg: Registry, v: ModelVersion, *, only_uncached: bool = True) -> None:
    """Fail fast, before any download, when objects to read sit in an archive class."""
    try:
        r = objects.remote(reg.root)
    except UsageError:  # no storage remote: reads come from the cache or fail later, clearly
        return
    if not r.is_s3:
        return
    c = r.client()
    objs = objects.of_version(reg.root, v, r, c)
    if only_uncached:
        local = cache.local_dir(reg.root)
        objs = [o for o in objs if not o.manifest and cache.object_size(local, o.md5) is None]
    blocked = []
    for o in objs:
        st = r.state(o.oid, c)
        if st.exists and not st.readable:
            blocked.append(f"{o.label} ({st.storage_class}, {st.restore_state})")
    if blocked:
        shown = ", ".join(blocked[:4]) + (f" and {len(blocked) - 4} more" if len(blocked) > 4 else "")
        raise ArchivedWeights(
            f"{len(blocked)} object(s) of {v.tag} are in an archive storage class: {shown}",
            hint=f"start a restore and wait for it: llmgit restore {v.tag} [--days N]",
        )


def archive_warning(reg: Registry, v: ModelVersion) -> str | None:
    """A warning when any object of ``v`` is not in STANDARD (for rollback targets)."""
    try:
        r = objects.remote(reg.root)
        if not r.is_s3:
            return None
        c = r.client()
        classes = {r.state(o.oid, c).storage_class for o in objects.of_version(reg.root, v, r, c)}
    except LlmgitError:  # a warning must never stop the rollback itself
        return None
    classes.discard(s3.STANDARD)
    if classes:
        return (f"the weights of {v.tag} are in {', '.join(sorted(classes))}: serving it needs a restore "
                f"(llmgit restore {v.tag})")
    return None


@dataclass(frozen=True)
class PushResult:
    versions: tuple[str, ...]
    refs: tuple[str, ...]
    git_remote: str | None  # None: the repository has no git remote, only weights moved


def push(reg: Registry, references: list[str], jobs: int | None = None) -> PushResult:
    """Weights of the versions first (verified on the remote), then their tags; with no
    references: every version, every stage branch and stage tag, and the ledger."""
    settings = reg.require_initialized()
    versions = [reg.get(r) for r in references] if references else reg.versions_all()
    for v in versions:
        try:
            replication.push_version(reg.root, v, jobs=jobs)
        except OperationFailed as e:
            raise OperationFailed(
                f"uploading the weights of {v.tag} failed: {e.message}",
                hint="nothing reached the git remote; run the same command again once the storage is reachable",
            ) from None
    if git.remote_url(reg.root, settings.git_remote) is None:
        return PushResult(tuple(v.tag for v in versions), (), git_remote=None)
    specs = [remote.PushSpec(refs.TAGS + v.tag, git.rev_parse(reg.root, refs.TAGS + v.tag)) for v in versions]
    if not references:
        specs += _all_registry_refs(reg)
    remote.push(reg.root, settings.git_remote, specs)
    return PushResult(tuple(v.tag for v in versions), tuple(s.ref for s in specs), settings.git_remote)


def _all_registry_refs(reg: Registry) -> list[remote.PushSpec]:
    from llmgit.store.ledger import BRANCH

    mirror = {t.ref[len(remote.MIRROR):]: t.oid for t in git.list_ref_targets(reg.root, [remote.MIRROR])}
    specs = []
    prefix = refs.HEADS + reg.settings.stage_branch_prefix
    for t in git.list_ref_targets(reg.root, [prefix, BRANCH]):
        specs.append(remote.PushSpec(t.ref, t.oid))
    for t in git.list_ref_targets(reg.root, [refs.TAGS]):
        short = t.ref[len(refs.TAGS):]
        if refs.parse_stage_tag(short):
            specs.append(remote.PushSpec(t.ref, t.oid, mirror.get(short, "")))
    return specs


def pull(reg: Registry, reference: str, jobs: int | None = None) -> ModelVersion:
    """Bring a version's weights into the local cache (restore-aware)."""
    v = reg.get(reference)
    require_readable(reg, v)
    replication.fetch_version(reg.root, v, jobs=jobs)
    return v


@dataclass(frozen=True)
class VerifyReport:
    version: str
    files: int
    missing: tuple[str, ...] = ()
    corrupt: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()  # present, but in an archive class (not readable now)
    checked_hashes: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def verify(reg: Registry, references: list[str], *, deep: bool = False) -> list[VerifyReport]:
    reg.require_initialized()
    versions = [reg.get(r) for r in references] if references else reg.versions_all()
    purged = _purged(reg)
    r = objects.remote(reg.root)
    c = r.client() if r.is_s3 else None
    reports = []
    for v in versions:
        if (v.name, v.version) in purged:
            reports.append(VerifyReport(v.tag, 0, details={"purged": purged[(v.name, v.version)]}))
            continue
        reports.append(_verify_one(reg.root, r, c, v, deep))
    return reports


def _purged(reg: Registry) -> dict[tuple[str, str], Any]:
    from llmgit.store import ledger

    led = ledger.read(reg.root, reg.settings.git_remote)
    return {(n, v): rec for n, vs in led.data.get("purged", {}).items() for v, rec in vs.items()}


def _verify_one(root: Path, r: objects.Remote, c: Any, v: ModelVersion, deep: bool) -> VerifyReport:
    try:
        objs = objects.of_version(root, v, r, c)
    except OperationFailed:
        return VerifyReport(v.tag, v.weights.files if v.weights else 0, missing=("(directory manifest)",))
    missing, corrupt, archived = [], [], []
    local = cache.local_dir(root)
    for o in objs:
        st = r.state(o.oid, c)
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
        if deep and _remote_md5(r, c, o.oid) != o.md5:
            corrupt.append(f"{o.label} (md5 differs)")
    files = len([o for o in objs if not o.manifest])
    return VerifyReport(v.tag, files, tuple(missing), tuple(corrupt), tuple(archived), deep)


def _remote_md5(r: objects.Remote, c: Any, oid: str) -> str:
    if r.is_s3:
        return s3.md5_of(c, r.location.bucket, r.key(oid))
    digest = hashlib.md5()
    with open(r.path(oid), "rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
