"""Bringing a version's objects into the local cache from the storage remote, checked, and
placing them: exports and in-place checkouts; refusing early when they sit in an archive
storage class.

Every object is checked before it is read (its stat signature, else its hash,
:class:`~llmgit.weights.integrity.CacheCheck`): a corrupt one is moved aside into the
cache's quarantine, with a warning, and fetched again like a missing one; every download is
checked against its name before it enters the cache.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from llmgit.core.model import ModelVersion
from llmgit.core.pointer import Pointer
from llmgit.errors import ArchivedWeights, CorruptObject, LlmgitError, LlmgitWarning, OperationFailed, UsageError
from llmgit.weights import cache, dvc, listing, s3, transfer, workspace
from llmgit.weights.cache import CachedFile
from llmgit.weights.integrity import CacheCheck
from llmgit.weights.objects import Obj, cached
from llmgit.weights.remote import storage_remote


def cache_location(root: Path) -> Path:
    """The local cache directory: read from the config files, else as DVC itself says."""
    found = cache.cache_dir(root)
    if found is not None:
        return found
    with dvc.open_repo(root) as repo:
        return dvc.cache_dir_of(repo)


def set_aside(check: CacheCheck, oid: str, label: str) -> None:
    """Move a corrupt cached object into the quarantine, saying so."""
    where = check.quarantine(oid)
    warnings.warn(
        LlmgitWarning(f"the cached object {oid} of {label} did not hash to its name: moved aside to {where}"),
        stacklevel=2,
    )


def check_cached(check: CacheCheck, pointer: Pointer, label: str) -> None:
    """Check the objects of ``pointer`` that are in the cache; corrupt ones go aside."""
    if pointer.is_dir and check.path(pointer.oid).exists() and not check.verified(pointer.oid):
        set_aside(check, pointer.oid, label)
    files, _ = cached(check.cache, pointer)
    for oid in check.verify_all([f.oid for f in files if f.path.exists()]):
        set_aside(check, oid, label)


def _missing(check: CacheCheck, pointer: Pointer) -> tuple[list[Obj], Obj | None]:
    files, manifest = cached(check.cache, pointer)
    if manifest is not None and not manifest.path.exists():
        return [], manifest
    return [f for f in files if not f.path.exists()], None


def ensure_cached(root: Path, check: CacheCheck, pointer: Pointer, label: str, jobs: int | None = None) -> None:
    """Fetch the objects of ``pointer`` the cache lacks (checked before they enter it)."""
    files, manifest = _missing(check, pointer)
    if not files and manifest is None:
        return
    settings = dvc.remote_settings(root)
    if settings is None:
        raise OperationFailed(
            f"the weights of {label} are not in the local cache and there is no remote to fetch them from",
            hint="set one: llmgit init --remote PATH|s3://...",
        )
    try:
        if manifest is not None:
            transfer.fetch(root, settings, [], manifest, jobs, check=check)  # the manifest names the files
            files, manifest = _missing(check, pointer)
        if files:
            transfer.fetch(root, settings, files, None, jobs, check=check)
    except CorruptObject as e:
        raise CorruptObject(
            e.oid,
            e.actual,
            f"{e.where} ({_name_of(check, pointer, e.oid)} of {label})",
            hint="nothing was placed; the remote's copy is damaged: upload a good one from a clone whose "
            f"cache has it (llmgit push {label} --overwrite), then retry",
        ) from None
    files, manifest = _missing(check, pointer)
    if files or manifest is not None:
        raise OperationFailed(
            f"the weights of {label} are neither in the local cache nor on the remote",
            hint="push them from the machine that registered them ('llmgit push'), then retry",
        )


def _name_of(check: CacheCheck, pointer: Pointer, oid: str) -> str:
    if oid == pointer.oid:
        return "the directory manifest" if pointer.is_dir else Path(pointer.path).name
    try:
        files = cache.cached_files(check.root, pointer, where=check.cache, complete=False) or []
    except LlmgitError:
        files = []
    return next((f.relpath for f in files if f.md5 == oid), "a file")


def verified_files(root: Path, pointer: Pointer, label: str, jobs: int | None = None) -> list[CachedFile]:
    """The files of ``pointer`` with their cache objects, every one checked (corrupt ones set
    aside and, like missing ones, fetched again)."""
    check = CacheCheck.of(root, cache_location(root))
    check_cached(check, pointer, label)
    ensure_cached(root, check, pointer, label, jobs)
    files = cache.cached_files(root, pointer, where=check.cache)
    if files is None:
        raise OperationFailed(f"the weights of {label} are not complete in the local cache")
    return files


def fetch_version(root: Path, v: ModelVersion, jobs: int | None = None) -> None:
    """Bring a version's objects into the local cache, checked (no working-tree change)."""
    if v.weights is not None:
        cache.warn_if_linked(root)
        verified_files(root, listing.pointer_of(v.weights, v.tag), v.tag, jobs)


def export(root: Path, pointer: Pointer, dest: Path, label: str, *, link: bool = False) -> list[Path]:
    """Write the data of ``pointer`` into ``dest`` from checked cache objects (fetching what
    is missing): files of their own, or with ``link`` read-only hard links where possible."""
    cache.warn_if_linked(root)
    return workspace.export(verified_files(root, pointer, label), dest, label, link=link)


def checkout(root: Path, pointer: Pointer, label: str) -> list[Path]:
    """Make the working-tree data match the ``.dvc`` file already written for ``pointer``:
    copies of checked objects, swapped in whole; DVC's checkout for a link cache type. The
    data's path is checked first: it stays inside ``root`` (:func:`workspace.target_in`)."""
    workspace.target_in(root, pointer.path, label, replace_folder=True)
    files = verified_files(root, pointer, label)
    if not cache.warn_if_linked(root):
        return workspace.checkout(root, pointer, files, label)
    with dvc.open_repo(root) as repo:
        dvc.checkout(repo, root, pointer)
    return [root / pointer.path / f.relpath for f in files] if pointer.is_dir else [root / pointer.path]


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
