"""``llmgit init``: DVC, the cache type, a storage remote and ``llmgit.yaml``, committed.

The cache type is DVC's own default, ``reflink,copy``: the working tree's files are never the
cache's objects. ``--cache-type`` sets another (a link type is the user's explicit choice,
warned about); switching a repository from a link type to copies turns the links that DVC
left in the working tree into copies."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import cachetype, config
from llmgit.core import pointer as pointer_file
from llmgit.errors import LlmgitError, UsageError
from llmgit.store.commits import commit_files, require_branch
from llmgit.store.store import Store, load_settings
from llmgit.weights import cache, dvc, s3, workspace

INIT_FILES = (config.CONFIG_FILE, ".dvc/config", ".dvc/.gitignore", ".dvcignore")


@dataclass(frozen=True)
class InitResult:
    root: Path
    remote: str
    remote_is_default: bool
    created: bool  # False when the registry already existed
    commit: str | None  # the commit recording the set-up, None when nothing changed
    cache_type: str = cachetype.text(cachetype.DEFAULT)
    unlinked: int = 0  # working-tree files that were links to the cache and are copies now
    bucket_created: str | None = None  # the S3 bucket ``create_bucket`` made


def default_remote_dir(root: Path) -> Path:
    """A machine-local directory outside the work tree, one per repository."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:8]
    return base / "llmgit" / "remotes" / f"{root.name}-{digest}"


def init(
    reg: Store,
    *,
    remote: str | None,
    endpoint_url: str | None,
    cache_type: str | None = None,
    create_bucket: bool = False,
) -> InitResult:
    root = reg.root
    branch = require_branch(root)
    kinds = cachetype.parse(cache_type) if cache_type is not None else None
    if remote is not None and not remote.strip():
        raise UsageError("--remote is empty")
    if endpoint_url and not (remote or "").startswith("s3://"):
        raise UsageError("--endpoint-url only applies to an s3:// remote")
    if create_bucket and not (remote or "").startswith("s3://"):
        raise UsageError(
            "--create-bucket needs an s3:// remote", hint="llmgit init --remote s3://BUCKET/PREFIX --create-bucket"
        )
    created_bucket = _create_bucket(remote or "", endpoint_url) if create_bucket else None
    if remote and "://" not in remote:
        remote_path = Path(remote).expanduser()
        remote_path = remote_path if remote_path.is_absolute() else (reg.cwd / remote_path)
        if remote_path.resolve().is_relative_to(root):
            raise UsageError(
                f"the remote '{remote}' is inside the work tree", hint="put the storage remote outside the repository"
            )
        remote = str(remote_path.resolve())
    existed = (root / config.CONFIG_FILE).is_file()
    if existed:
        load_settings(root)  # an invalid existing file is reported, not overwritten
    had_dvc = dvc.is_initialized(root)
    had_dvcignore = (root / ".dvcignore").exists()
    before = tuple(cache.link_types(root) or ()) if had_dvc and _type_configured(root) else None
    kept = before if before != cachetype.LEGACY_WRITTEN else None  # a type the user chose is kept
    kinds = kinds or kept or cachetype.DEFAULT
    cache_types = cachetype.text(kinds)
    try:
        if not had_dvc:
            dvc.init(root)
        is_default = False
        if remote is None:
            current = dvc.default_remote(root)
            if current is None:
                path = default_remote_dir(root)
                path.mkdir(parents=True, exist_ok=True)
                dvc.configure(root, cache_type=cache_types, remote=str(path), local_remote=True, endpoint_url=None)
                current, is_default = str(path), True
            else:
                dvc.configure(root, cache_type=cache_types, remote=None, local_remote=False, endpoint_url=None)
            remote = current
        else:
            dvc.configure(root, cache_type=cache_types, remote=remote, local_remote=False, endpoint_url=endpoint_url)
        if not existed:
            (root / config.CONFIG_FILE).write_text(config.DEFAULT_TEXT, encoding="utf-8")
        commit = commit_files(
            root, branch, [p for p in INIT_FILES if (root / p).exists()], "llmgit: set up the model registry\n"
        )
    except BaseException:
        if not had_dvc:
            shutil.rmtree(root / ".dvc", ignore_errors=True)
            if not had_dvcignore:
                (root / ".dvcignore").unlink(missing_ok=True)
        if not existed:
            (root / config.CONFIG_FILE).unlink(missing_ok=True)
        raise
    unlinked = _unlink_working_tree(reg) if before and cachetype.links(before) and not cachetype.links(kinds) else 0
    cache.warn_if_linked(root)
    return InitResult(root, remote, is_default, not existed, commit, cache_types, unlinked, created_bucket)


def _create_bucket(remote: str, endpoint_url: str | None) -> str | None:
    """The remote's bucket, created when missing (before anything else changes: a failure
    leaves the repository as it was); its name when it was created."""
    location = s3.parse_url(remote)
    return location.bucket if s3.ensure_bucket(s3.client({"endpointurl": endpoint_url}), location.bucket) else None


def _type_configured(root: Path) -> bool:
    """Whether ``.dvc/config`` (or ``config.local``) sets a cache type."""
    import configparser  # noqa: PLC0415 (start-up: init only)

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read([root / ".dvc" / "config", root / ".dvc" / "config.local"], encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return parser.has_option("cache", "type")


def _unlink_working_tree(reg: Store) -> int:
    """Turn the working-tree files of every registered weights path that are links to the
    cache into copies; returns how many were."""
    root = reg.root
    count = 0
    for path in sorted({v.weights.path for v in reg.versions_all() if v.weights is not None}):
        dvc_file = root / f"{path}.dvc"
        if not dvc_file.is_file():
            continue
        try:
            pointer = pointer_file.parse(dvc_file.read_bytes(), path)
            files = cache.cached_files(root, pointer, complete=False) or []
        except LlmgitError:
            continue  # a pointer llmgit does not read: its files are left as they are
        count += workspace.unlink(root, pointer, files)
    return count
