"""Bringing a version's objects into the local cache from the storage remote, and placing them
(exports and in-place checkouts through DVC); refusing early when they sit in an archive
storage class."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.core.model import ModelVersion
from llmgit.core.pointer import Pointer
from llmgit.errors import ArchivedWeights, LlmgitError, OperationFailed, UsageError
from llmgit.weights import cache, dvc, linking, listing, s3, transfer
from llmgit.weights.objects import cached
from llmgit.weights.remote import storage_remote

if TYPE_CHECKING:
    from dvc.repo import Repo


def _missing(cache_dir: Path, pointer: Pointer) -> bool:
    files, manifest = cached(cache_dir, pointer)
    if manifest is not None and not manifest.path.exists():
        return True
    return any(not f.path.exists() for f in files)


def ensure_cached(repo: Repo, pointer: Pointer, jobs: int | None = None) -> None:
    """Fetch the objects of ``pointer`` unless all are cached."""
    cache_dir = dvc.cache_dir_of(repo)
    if not _missing(cache_dir, pointer):
        return
    settings = dvc.remote_settings(Path(repo.root_dir))
    if settings is None:
        raise OperationFailed(
            f"the weights of {pointer.path} are not in the local cache and there is no remote to fetch them from",
            hint="set one: llmgit init --remote PATH|s3://...",
        )
    files, manifest = cached(cache_dir, pointer)
    if manifest is not None and not manifest.path.exists():
        transfer.fetch(repo, settings, [], manifest, jobs)  # the manifest names the files
        files, manifest = cached(cache_dir, pointer)
    if manifest is None or manifest.path.exists():
        missing = [f for f in files if not f.path.exists()]
        if missing:
            transfer.fetch(repo, settings, missing, None, jobs)
    if _missing(cache_dir, pointer):
        raise OperationFailed(
            f"the weights of {pointer.path} are neither in the local cache nor on the remote",
            hint="push them from the machine that registered them ('llmgit push'), then retry",
        )


def fetch_version(root: Path, v: ModelVersion, jobs: int | None = None) -> None:
    """Bring a version's objects into the local cache (no working-tree change)."""
    if v.weights is None:
        return
    with dvc.open_repo(root) as repo:
        ensure_cached(repo, listing.pointer_of(v.weights), jobs=jobs)


def export(root: Path, pointer: Pointer, dest: Path) -> list[Path]:
    """Write the data of ``pointer`` into ``dest`` from the cache, fetching what is missing.

    Files are linked from the cache where possible (reflink, then hardlink) and copied
    otherwise; linked files are read-only, as in the DVC workspace.
    """
    with dvc.open_repo(root) as repo:
        ensure_cached(repo, pointer)
        files = cache.cached_files(root, pointer, where=dvc.cache_dir_of(repo))
    if files is None:
        raise OperationFailed(f"the weights of {pointer.path} are not complete in the local cache")
    pairs = [(f.source, dest / f.relpath) for f in files]
    linking.place(pairs)
    return [target for _, target in pairs]


def checkout(root: Path, pointer: Pointer) -> None:
    """Make the working-tree data match the ``.dvc`` file already written for ``pointer``."""
    with dvc.open_repo(root) as repo:
        ensure_cached(repo, pointer)
        dvc.checkout(repo, root, pointer)


def require_readable(root: Path, v: ModelVersion, *, only_uncached: bool = True) -> None:
    """Fail fast, before any download, when objects to read sit in an archive class."""
    try:
        r = storage_remote(root)
    except UsageError:  # no storage remote: reads come from the cache or fail later, clearly
        return
    if not r.is_s3:
        return
    objs = listing.objects_of(root, v, r)
    if only_uncached:
        local = cache.local_dir(root)
        objs = [o for o in objs if not o.manifest and cache.object_size(local, o.md5) is None]
    blocked = []
    for o in objs:
        st = r.state(o.oid)
        if st.exists and not st.readable:
            blocked.append(f"{o.label} ({st.storage_class}, {st.restore_state})")
    if blocked:
        shown = ", ".join(blocked[:4]) + (f" and {len(blocked) - 4} more" if len(blocked) > 4 else "")
        raise ArchivedWeights(
            f"{len(blocked)} object(s) of {v.tag} are in an archive storage class: {shown}",
            hint=f"start a restore and wait for it: llmgit restore {v.tag} [--days N]",
        )


def archive_warning(root: Path, v: ModelVersion) -> str | None:
    """A warning when any object of ``v`` is not in STANDARD (for rollback targets)."""
    try:
        r = storage_remote(root)
        if not r.is_s3:
            return None
        classes = {r.state(o.oid).storage_class for o in listing.objects_of(root, v, r)}
    except LlmgitError:  # a warning must never stop the rollback itself
        return None
    classes.discard(s3.STANDARD)
    if classes:
        return (
            f"the weights of {v.tag} are in {', '.join(sorted(classes))}: serving it needs a restore "
            f"(llmgit restore {v.tag})"
        )
    return None
